/**
 * printk and the kernel log. Records carry the simulated time at which they
 * were logged and print as `dmesg` does: `[    1.234567] text`.
 * Format strings follow the kernel's printf subset (`%d %i %u %x %X %o %c %s
 * %p %%`, flags `-0+ #`, widths, `l`/`ll`/`h`/`z` length modifiers ignored).
 *
 * @example
 * ```ts
 * formatDmesgTime(1_234_567_890); // "[    1.234567]"
 * kprintf("irq %d: nobody cared", [9]); // "irq 9: nobody cared"
 * ```
 * @module
 */

/** Console log levels, as `KERN_*`. */
export const LOGLEVEL = {
  EMERG: 0,
  ALERT: 1,
  CRIT: 2,
  ERR: 3,
  WARNING: 4,
  NOTICE: 5,
  INFO: 6,
  DEBUG: 7,
} as const;

/** A log level number 0..7. */
export type LogLevel = (typeof LOGLEVEL)[keyof typeof LOGLEVEL];

/** One kernel log record. */
export interface LogRecord {
  /** Simulated time in ns. */
  ts: number;
  /** Log level 0 (KERN_EMERG) to 7 (KERN_DEBUG). */
  level: LogLevel;
  /** CPU that logged it. */
  cpu: number;
  /** The message without its level prefix. */
  text: string;
}

/** `[%5lu.%06lu]` from nanoseconds, as printk's time prefix. */
export function formatDmesgTime(ns: number): string {
  const sec = Math.floor(ns / 1e9);
  const usec = Math.floor((ns % 1e9) / 1e3);
  return `[${String(sec).padStart(5, " ")}.${String(usec).padStart(6, "0")}]`;
}

/** The kernel log buffer of one machine. */
export class KernelLog {
  /** Every record, oldest first. */
  readonly records: LogRecord[] = [];
  /** Called for each new record (console echo, tests). */
  onRecord: ((r: LogRecord) => void) | undefined;

  /** Append a record. Multi-line text becomes one record per line. */
  log(ts: number, level: LogLevel, cpu: number, text: string): void {
    const body = text.endsWith("\n") ? text.slice(0, -1) : text;
    for (const line of body.split("\n")) {
      const r = { ts, level, cpu, text: line };
      this.records.push(r);
      this.onRecord?.(r);
    }
  }

  /** Lines as `dmesg` prints them. */
  dmesg(): string {
    return this.records.map((r) => `${formatDmesgTime(r.ts)} ${r.text}\n`).join("");
  }

  /** Texts only, for assertions. */
  lines(): string[] {
    return this.records.map((r) => r.text);
  }
}

/**
 * The kernel's vsnprintf subset. Arguments are taken in order; `%c` takes a
 * number (character code) or a one-character string; `%p` prints a hashed-
 * looking 16-digit hex of a number (the simulator's pointer ids).
 */
export function kprintf(fmt: string, args: readonly unknown[]): string {
  let ai = 0;
  return fmt.replace(
    /%([-+ 0#]*)(\d+|\*)?(?:\.(\d+))?(hh|h|ll|l|z|t)?([diuxXocsp%])/g,
    (_m, flags: string, widthS: string | undefined, precS, _len, conv: string) => {
      if (conv === "%") return "%";
      let width = 0;
      if (widthS === "*") width = Number(args[ai++]);
      else if (widthS) width = Number(widthS);
      const arg = args[ai++];
      let s: string;
      switch (conv) {
        case "d":
        case "i":
          s = String(Math.trunc(Number(arg)));
          if (flags.includes("+") && Number(arg) >= 0) s = "+" + s;
          break;
        case "u":
          s = String(Math.trunc(Number(arg)) >>> 0);
          break;
        case "x":
        case "X": {
          const n = Number(arg);
          s = (n < 0 ? n >>> 0 : n).toString(16);
          if (conv === "X") s = s.toUpperCase();
          if (flags.includes("#") && n !== 0) s = "0x" + s;
          break;
        }
        case "o":
          s = (Number(arg) >>> 0).toString(8);
          break;
        case "c":
          s = typeof arg === "string" ? arg.slice(0, 1) : String.fromCharCode(Number(arg) & 0xff);
          break;
        case "s":
          s = arg === null || arg === undefined ? "(null)" : String(arg);
          if (precS) s = s.slice(0, Number(precS));
          break;
        case "p":
          s = typeof arg === "number" ? arg.toString(16).padStart(16, "0") : "0000000000000000";
          break;
        default:
          s = String(arg);
      }
      if (s.length < width) {
        if (flags.includes("-")) s = s.padEnd(width, " ");
        else if (flags.includes("0") && conv !== "s" && conv !== "c") {
          const neg = s.startsWith("-");
          s = (neg ? "-" : "") + (neg ? s.slice(1) : s).padStart(width - (neg ? 1 : 0), "0");
        } else s = s.padStart(width, " ");
      }
      return s;
    },
  );
}
