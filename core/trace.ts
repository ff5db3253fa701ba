/**
 * The trace recorder: a ring buffer of tracepoint hits, written out in the
 * format of the kernel's `trace` file (kernel/trace/trace_output.c).
 *
 * Zero cost when off: every call site tests `trace.enabled` (a plain field)
 * before building arguments, so a run without tracing allocates nothing here.
 *
 * @example
 * ```ts
 * const entry = defineTraceEvent<{ irq: number; name: string }>(
 *   "irq", "irq_handler_entry", (a) => `irq=${a.irq} name=${a.name}`);
 * const t = new TraceBuffer(1024);
 * t.enabled = true;
 * t.record(entry, { irq: 1, name: "i8042" }, 1_000, 0, 0, "swapper/0", 0x10000, true, 0);
 * ```
 * @module
 */

/** A tracepoint: subsystem, event name and its TP_printk. */
export interface TraceEventType<A> {
  readonly system: string;
  readonly name: string;
  readonly format: (args: A) => string;
  /** Numeric id, unique per process. */
  readonly id: number;
}

let nextEventId = 1;
const allEvents: TraceEventType<unknown>[] = [];

/** Declare a tracepoint. */
export function defineTraceEvent<A>(
  system: string,
  name: string,
  format: (args: A) => string,
): TraceEventType<A> {
  const t = { system, name, format, id: nextEventId++ };
  allEvents.push(t as TraceEventType<unknown>);
  return t;
}

/** Every tracepoint declared so far (for `available_events`). */
export function traceEvents(): readonly TraceEventType<unknown>[] {
  return allEvents;
}

/** One recorded hit. */
export interface TraceEntry {
  ts: number;
  cpu: number;
  pid: number;
  comm: string;
  /** preempt_count at the hit. */
  preempt: number;
  irqsOff: boolean;
  /** bit 0: TIF_NEED_RESCHED, bit 1: PREEMPT_NEED_RESCHED. */
  resched: number;
  type: TraceEventType<unknown>;
  args: unknown;
}

/** Ring buffer of trace entries. */
export class TraceBuffer {
  /** Tracing on/off; call sites test this before recording. */
  enabled = false;
  /** Entries ever written (the `entries-written` figure). */
  written = 0;
  #ring: (TraceEntry | undefined)[];
  #head = 0;
  #filter: ((t: TraceEventType<unknown>) => boolean) | undefined;

  constructor(readonly capacity = 65536) {
    this.#ring = new Array(capacity).fill(undefined);
  }

  /**
   * Restrict recording like `set_event`: a comma list of `system:event`
   * patterns where either side may be `*` (`irq:*,workqueue:*`).
   */
  setFilter(spec: string | undefined): void {
    if (!spec) {
      this.#filter = undefined;
      return;
    }
    const pats = spec.split(",").map((p) => p.trim()).filter(Boolean).map((p) => {
      const [sys, ev] = p.includes(":") ? p.split(":") : ["*", p];
      return { sys, ev };
    });
    this.#filter = (t) =>
      pats.some((p) => (p.sys === "*" || p.sys === t.system) && (p.ev === "*" || p.ev === t.name));
  }

  /** True when `t` passes the current filter. */
  wants(t: TraceEventType<unknown>): boolean {
    return this.enabled && (!this.#filter || this.#filter(t));
  }

  /** Record one hit (callers have checked `enabled`). */
  record<A>(
    type: TraceEventType<A>,
    args: A,
    ts: number,
    cpu: number,
    pid: number,
    comm: string,
    preempt: number,
    irqsOff: boolean,
    resched: number,
  ): void {
    if (this.#filter && !this.#filter(type as TraceEventType<unknown>)) return;
    this.#ring[this.#head] = {
      ts,
      cpu,
      pid,
      comm,
      preempt,
      irqsOff,
      resched,
      type: type as TraceEventType<unknown>,
      args,
    };
    this.#head = (this.#head + 1) % this.capacity;
    this.written++;
  }

  /** Entries still in the buffer, oldest first. */
  entries(): TraceEntry[] {
    const out: TraceEntry[] = [];
    const n = Math.min(this.written, this.capacity);
    const start = (this.#head - n + this.capacity) % this.capacity;
    for (let i = 0; i < n; i++) out.push(this.#ring[(start + i) % this.capacity]!);
    return out;
  }

  /** The `trace` file text (nop tracer header, then one line per entry). */
  format(nrCpus: number): string {
    const entries = this.entries();
    const head = [
      "# tracer: nop",
      "#",
      `# entries-in-buffer/entries-written: ${entries.length}/${this.written}   #P:${nrCpus}`,
      "#",
      "#                                _-----=> irqs-off/BH-disabled",
      "#                               / _----=> need-resched",
      "#                              | / _---=> hardirq/softirq",
      "#                              || / _--=> preempt-depth",
      "#                              ||| / _-=> migrate-disable",
      "#                              |||| /     delay",
      "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
      "#              | |         |   |||||     |         |",
    ];
    return head.join("\n") + "\n" + entries.map(formatTraceLine).join("");
  }
}

/** The five latency-format flag characters (trace_print_lat_fmt). */
export function traceFlags(preempt: number, irqsOff: boolean, resched: number): string {
  const bhOff = (preempt & 0xff00) >= 0x200;
  const c1 = irqsOff ? (bhOff ? "D" : "d") : bhOff ? "b" : ".";
  const c2 = resched === 3 ? "N" : resched === 1 ? "n" : resched === 2 ? "p" : ".";
  const nmi = (preempt & 0x00f00000) !== 0;
  const hard = (preempt & 0x000f0000) !== 0;
  const soft = (preempt & 0x100) !== 0;
  const c3 = nmi ? (hard ? "Z" : "z") : hard ? (soft ? "H" : "h") : soft ? "s" : ".";
  const depth = Math.min(preempt & 0xff, 15);
  const c4 = depth === 0 ? "." : depth.toString(16);
  return c1 + c2 + c3 + c4 + ".";
}

/** One `trace` line: `%16s-%-7d [%03d] FLAGS %5lu.%06lu: name: args`. */
export function formatTraceLine(e: TraceEntry): string {
  const comm = e.comm.length > 16 ? e.comm.slice(0, 16) : e.comm;
  const sec = Math.floor(e.ts / 1e9);
  const usec = Math.floor((e.ts % 1e9) / 1e3);
  return `${comm.padStart(16)}-${String(e.pid).padEnd(7)} [${String(e.cpu).padStart(3, "0")}] ${
    traceFlags(e.preempt, e.irqsOff, e.resched)
  } ${String(sec).padStart(5)}.${String(usec).padStart(6, "0")}: ${e.type.name}: ${
    e.type.format(e.args)
  }\n`;
}
