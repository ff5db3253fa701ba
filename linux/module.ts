/**
 * Kernel modules written in TypeScript the way the C original is written:
 * top-level `module_init(fn)`, `module_exit(fn)`, `MODULE_LICENSE("GPL")`,
 * `module_param("irq", 1)`. Each load imports a fresh instance of the file,
 * so module statics start from their initial values on every machine.
 *
 * @example
 * ```ts
 * // scenarios/drivers/hello.ts
 * import { module_exit, module_init, MODULE_LICENSE, pr_info } from "../../mod.ts";
 * MODULE_LICENSE("GPL");
 * function hello_init() { pr_info("hello\n"); return 0; }
 * function hello_exit() { pr_info("bye\n"); }
 * module_init(hello_init);
 * module_exit(hello_exit);
 * ```
 * @module
 */

/** An init function: returns 0 or a negative errno; may be a generator. */
export type InitFn = () => number | Generator<unknown, number, unknown>;
/** An exit function; may be a generator (to wait in synchronize_irq...). */
export type ExitFn = () => void | Generator<unknown, void, unknown>;

/** A loaded module. */
export interface KernelModule {
  /** Module name (the file name without extension). */
  name: string;
  /** Where the module was loaded from. */
  url: string;
  /** module_init() function. */
  init?: InitFn;
  /** module_exit() function. */
  exit?: ExitFn;
  /** MODULE_LICENSE(). */
  license?: string;
  /** MODULE_DESCRIPTION(). */
  description?: string;
  /** MODULE_AUTHOR(). */
  author?: string;
  /** module_param() values given at insmod. */
  params: Record<string, unknown>;
}

let loading: KernelModule | undefined;
let instance = 0;

/** Raised when module registration functions are used outside a load. */
export class ModuleLoadError extends Error {
  /** Module name (the file name without extension). */
  override name = "ModuleLoadError";
}

function cur(what: string): KernelModule {
  if (!loading) throw new ModuleLoadError(`${what} called outside a module load`);
  return loading;
}

/** module_init(fn) */
export function module_init(fn: InitFn): void {
  cur("module_init").init = fn;
}
/** module_exit(fn) */
export function module_exit(fn: ExitFn): void {
  cur("module_exit").exit = fn;
}
/** MODULE_LICENSE("GPL") */
export function MODULE_LICENSE(s: string): void {
  cur("MODULE_LICENSE").license = s;
}
/** MODULE_DESCRIPTION(text) */
export function MODULE_DESCRIPTION(s: string): void {
  cur("MODULE_DESCRIPTION").description = s;
}
/** MODULE_AUTHOR(text) */
export function MODULE_AUTHOR(s: string): void {
  cur("MODULE_AUTHOR").author = s;
}
/**
 * module_param(name, default): the value given at load time (scenario
 * `params:`), else the default. Use: `let irq = module_param("irq", 1);`
 */
export function module_param<T>(name: string, dflt: T): T {
  const m = cur("module_param");
  return (name in m.params ? m.params[name] : dflt) as T;
}

/**
 * Import a module file as a fresh instance and collect what it registered.
 * `params` are the module_param values.
 */
export async function importModule(
  url: string,
  params: Record<string, unknown> = {},
): Promise<KernelModule> {
  const base = url.split("/").pop()!.replace(/\.[tj]s$/, "");
  const m: KernelModule = { name: base, url, params };
  const prev = loading;
  loading = m;
  try {
    await import(`${url}${url.includes("?") ? "&" : "?"}instance=${++instance}`);
  } finally {
    loading = prev;
  }
  return m;
}
