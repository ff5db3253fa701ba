/**
 * A tiny procfs: plugins register the files they own (`/proc/interrupts`,
 * `/proc/irq/` ...) and readers get the kernel's text.
 *
 * @example
 * ```ts
 * const proc = new ProcFs();
 * proc.register("/proc/version", () => "Linux version 6.1.0\n");
 * proc.read("/proc/version"); // "Linux version 6.1.0\n"
 * ```
 * @module
 */

/** Reads a file under a registered directory; `rest` is the path below it. */
export type DirReader = (rest: string) => string | undefined;

/** The registry of /proc (and /sys) files of one machine. */
export class ProcFs {
  #files = new Map<string, () => string>();
  #dirs = new Map<string, DirReader>();

  /** Register a file. */
  register(path: string, read: () => string): void {
    this.#files.set(path, read);
  }

  /** Register a directory whose files are computed (`/proc/irq/`). */
  registerDir(prefix: string, read: DirReader): void {
    this.#dirs.set(prefix.endsWith("/") ? prefix : prefix + "/", read);
  }

  /** File content, or undefined when there is no such file. */
  read(path: string): string | undefined {
    const f = this.#files.get(path);
    if (f) return f();
    for (const [prefix, read] of this.#dirs) {
      if (path.startsWith(prefix)) return read(path.slice(prefix.length));
    }
    return undefined;
  }

  /** Registered file paths (not directory contents). */
  files(): string[] {
    return [...this.#files.keys()].sort();
  }
}
