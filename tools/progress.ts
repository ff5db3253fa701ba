/**
 * Terminal helpers of the CLI: reading times (`500ms`), the progress line on
 * stderr, colours that honour NO_COLOR, and the `watch -d` frame diff. The
 * wall clock is read here only (tools/ may; core/ and plugins/ may not).
 *
 * @module
 */

/** ns per unit of the time suffixes the CLI reads. */
const UNITS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9 };

/**
 * A time like `500ms`, `1.5s`, `250us`, `1000ns` (a bare number is ms), in
 * ns; undefined when it cannot be read.
 */
export function parseTime(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s)?$/.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2] ?? "ms"]);
}

/** Seconds with six decimals, like the kernel's timestamps. */
export function seconds(ns: number): string {
  return (ns / 1e9).toFixed(6);
}

/** What the terminal helpers need from the environment (tests pass fakes). */
export interface TermEnv {
  /** stderr is a terminal. */
  errTty: boolean;
  /** stdout is a terminal. */
  outTty: boolean;
  /** NO_COLOR is set (https://no-color.org). */
  noColor: boolean;
  /** Wall clock, ms. */
  now(): number;
}

/**
 * Progress on stderr for runs longer than a second of wall time: simulated
 * time done of total and events per second of wall time, redrawn in place
 * at most every 200 ms; silent when stderr is not a terminal or `quiet`.
 */
export class Progress {
  readonly #start: number;
  #last = 0;
  #shown = false;
  #events0: number;

  constructor(
    readonly env: TermEnv,
    readonly write: (s: string) => void,
    readonly quiet: boolean,
    events0 = 0,
  ) {
    this.#start = env.now();
    this.#events0 = events0;
  }

  /** True when it may ever print. */
  get active(): boolean {
    return this.env.errTty && !this.quiet;
  }

  /** Report `doneNs` of `totalNs` simulated, `events` dispatched so far. */
  update(doneNs: number, totalNs: number, events: number): void {
    if (!this.active) return;
    const now = this.env.now();
    const wall = now - this.#start;
    if (wall < 1000 || now - this.#last < 200) return;
    this.#last = now;
    const pct = totalNs > 0 ? Math.floor(100 * doneNs / totalNs) : 100;
    const rate = (events - this.#events0) / (wall / 1000);
    const text = `irqlab: ${seconds(doneNs)} s of ${seconds(totalNs)} s simulated (${pct}%), ${
      formatRate(rate)
    } events/s`;
    this.write(`\r${this.env.noColor ? text : `\x1b[2m${text}\x1b[0m`}\x1b[K`);
    this.#shown = true;
  }

  /** Clear the line (at the end of the run). */
  done(): void {
    if (this.#shown) this.write("\r\x1b[K");
    this.#shown = false;
  }
}

function formatRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)} M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)} k`;
  return `${Math.round(r)}`;
}

/**
 * `watch -d`: the characters of `next` that differ from `prev` at the same
 * line and column, in reverse video (unless `noColor`).
 */
export function highlightChanges(prev: string | undefined, next: string, noColor: boolean): string {
  if (prev === undefined || noColor) return next;
  const a = prev.split("\n"), b = next.split("\n");
  return b.map((line, i) => {
    const old = a[i] ?? "";
    let out = "", on = false;
    for (let j = 0; j < line.length; j++) {
      const changed = line[j] !== old[j];
      if (changed && !on) out += "\x1b[7m";
      if (!changed && on) out += "\x1b[0m";
      on = changed;
      out += line[j];
    }
    return on ? out + "\x1b[0m" : out;
  }).join("\n");
}
