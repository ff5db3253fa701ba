/**
 * The developer tasks: the committed JSON Schemas match the zod schemas, and
 * new:plugin scaffolds the one plugin shape.
 */
import assert from "node:assert/strict";
import { SCHEMA_FILES, schemaText } from "../tools/schema.ts";
import { newPlugin } from "../tools/new_plugin.ts";

Deno.test("schema files in schema/ are up to date with the zod schemas", async () => {
  for (const [path, schema] of Object.entries(SCHEMA_FILES)) {
    const committed = await Deno.readTextFile(`schema/${path}`);
    assert.equal(committed, schemaText(schema), `${path} is stale: run deno task schema`);
  }
});

Deno.test("newPlugin writes mod.ts with Options, defaults and the factory, and a test", async () => {
  const root = await Deno.makeTempDir({ dir: "." });
  try {
    const files = await newPlugin("my_timer", root);
    assert.deepEqual(files, [`${root}/my_timer/mod.ts`, `${root}/my_timer/my_timer_test.ts`]);
    const mod = await Deno.readTextFile(files[0]);
    assert.match(mod, /export interface Options \{/);
    assert.match(mod, /export const defaults = \{ verbose: false \} satisfies Options;/);
    assert.match(mod, /export function myTimer\(options: Partial<Options> = \{\}\): Plugin \{/);
    assert.match(mod, /name: "my_timer",/);
    const plugin = (await import(new URL(files[0], `file://${Deno.cwd()}/`).href)).myTimer();
    assert.equal(plugin.name, "my_timer");
    await assert.rejects(() => newPlugin("my_timer", root), /already exists/);
    await assert.rejects(() => newPlugin("My-Timer", root), /names are snake_case/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
