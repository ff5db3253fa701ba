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

/**
 * Writes a file: returns the bytes accepted (`data.length`) or a negative
 * errno (`-EINVAL`, `-EIO`...) as the kernel's `proc_write` does.
 */
export type FileWriter = (data: string) => number;

/** Writes a file under a registered directory; undefined when there is no such file. */
export type DirWriter = (rest: string, data: string) => number | undefined;

/** errno for a write to a file that has no writer (the open fails with EACCES). */
export const PROC_EACCES = 13;
/** errno for a path that does not exist. */
export const PROC_ENOENT = 2;

/** The registry of /proc (and /sys) files of one machine. */
export class ProcFs {
  #files = new Map<string, () => string>();
  #writers = new Map<string, FileWriter>();
  #dirs = new Map<string, DirReader>();
  #dirWriters = new Map<string, DirWriter>();

  /** Register a file, writable when `write` is given. */
  register(path: string, read: () => string, write?: FileWriter): void {
    this.#files.set(path, read);
    if (write) this.#writers.set(path, write);
  }

  /** Register a directory whose files are computed (`/proc/irq/`). */
  registerDir(prefix: string, read: DirReader, write?: DirWriter): void {
    const key = prefix.endsWith("/") ? prefix : prefix + "/";
    this.#dirs.set(key, read);
    if (write) this.#dirWriters.set(key, write);
  }

  /**
   * Write `data` to a file (like `echo data > path`): the bytes accepted, or
   * a negative errno — `-ENOENT` for no such file, `-EACCES` for a file
   * without a writer, else what the file's writer answers.
   */
  write(path: string, data: string): number {
    if (this.#files.has(path)) {
      const w = this.#writers.get(path);
      return w ? w(data) : -PROC_EACCES;
    }
    for (const [prefix, read] of this.#dirs) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const w = this.#dirWriters.get(prefix);
      const r = w?.(rest, data);
      if (r !== undefined) return r;
      return read(rest) === undefined ? -PROC_ENOENT : -PROC_EACCES;
    }
    return -PROC_ENOENT;
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
