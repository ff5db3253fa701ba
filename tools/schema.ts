/**
 * Publish the machine and scenario file schemas as JSON Schema, for editors:
 * a file starting with
 * `# yaml-language-server: $schema=../schema/machine.schema.json`
 * gets completion, descriptions and checks in VS Code and others.
 *
 * ```sh
 * deno task schema   # deno run --allow-read=. --allow-write=schema tools/schema.ts
 * ```
 *
 * The output is draft-07, which every YAML language server reads; key order
 * is the order of the zod schemas, so the files only change when a schema does.
 *
 * @module
 */
import type { z } from "zod";
import { machineSchema } from "../config/machine.ts";
import { scenarioSchema } from "../config/scenario.ts";
import { toJsonSchema } from "../config/source.ts";

const OUT = new URL("../schema/", import.meta.url);

/** The JSON text written for a schema: 2-space indented, ending in a newline. */
export function schemaText(schema: z.ZodType): string {
  return JSON.stringify(toJsonSchema(schema, { target: "draft-07" }), null, 2) + "\n";
}

/** The files this tool writes, by name under schema/. */
export const SCHEMA_FILES: Record<string, z.ZodType> = {
  "machine.schema.json": machineSchema,
  "scenario.schema.json": scenarioSchema,
};

if (import.meta.main) {
  await Deno.mkdir(OUT, { recursive: true });
  for (const [name, schema] of Object.entries(SCHEMA_FILES)) {
    await Deno.writeTextFile(new URL(name, OUT), schemaText(schema));
    console.log(`wrote schema/${name}`);
  }
}
