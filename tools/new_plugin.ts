/**
 * `deno task new:plugin NAME`: scaffold `plugins/NAME/` in the one plugin
 * shape every folder shares (Options, defaults, factory, a test).
 *
 * @module
 */

const TEMPLATE_MOD = (name: string, fn: string) =>
  `/**
 * The ${name} plugin.
 *
 * @example
 * \`\`\`yaml
 * plugins:
 *   - ${name}
 * \`\`\`
 * @module
 */

import type { Plugin } from "../../core/plugin.ts";

/** Options of the ${name} plugin. */
export interface Options {
  /** Example option; replace with real ones. */
  verbose: boolean;
}

/** Default options. */
export const defaults = { verbose: false } satisfies Options;

/** The ${name} plugin factory. */
export function ${fn}(options: Partial<Options> = {}): Plugin {
  const opts: Options = { ...defaults, ...options };
  return {
    name: "${name}",
    requires: [],
    setup(_ctx) {
      // Register device kinds (ctx.defineDevice), services (ctx.kernel.bus.provide)
      // and listeners here. Do not schedule events in setup.
    },
    start(kernel) {
      if (opts.verbose) kernel.printk(6, "${name}: started");
    },
  };
}
`;

const TEMPLATE_TEST = (name: string, fn: string) =>
  `import assert from "node:assert/strict";
import { ${fn} } from "./mod.ts";

Deno.test("${fn} is named ${name}", () => {
  assert.equal(${fn}().name, "${name}");
});
`;

/** Create the plugin folder. Returns the files written. */
export async function newPlugin(name: string, root = "plugins"): Promise<string[]> {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) {
    throw new Error(
      `Cannot create plugin "${name}": names are snake_case (a-z, 0-9, _), starting with a letter`,
    );
  }
  const dir = `${root}/${name}`;
  try {
    await Deno.stat(dir);
    throw new Error(`Cannot create plugin "${name}": ${dir} already exists`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(dir, { recursive: true });
  const fn = name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  const files = [`${dir}/mod.ts`, `${dir}/${name}_test.ts`];
  await Deno.writeTextFile(files[0], TEMPLATE_MOD(name, fn));
  await Deno.writeTextFile(files[1], TEMPLATE_TEST(name, fn));
  return files;
}

if (import.meta.main) {
  const name = Deno.args[0];
  if (!name) {
    console.error("usage: deno task new:plugin NAME");
    Deno.exit(2);
  }
  try {
    for (const f of await newPlugin(name)) console.log(`created ${f}`);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
}
