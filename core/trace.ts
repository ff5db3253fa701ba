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
  /** Subsystem (`irq`, `sched`, `workqueue`). */
  readonly system: string;
  /** Event name within the subsystem. */
  readonly name: string;
  /** TP_printk: the text after `name:`. */
  readonly format: (args: A) => string;
  /** Numeric id, unique per process. */
  readonly id: number;
  /** Kernel versions that have this tracepoint (default: all modelled ones). */
  readonly versions?: readonly string[];
}

let nextEventId = 1;
const allEvents: TraceEventType<unknown>[] = [];

/** Declare a tracepoint. */
export function defineTraceEvent<A>(
  system: string,
  name: string,
  format: (args: A) => string,
  opts: { versions?: readonly string[] } = {},
): TraceEventType<A> {
  const t = { system, name, format, id: nextEventId++, versions: opts.versions };
  allEvents.push(t as TraceEventType<unknown>);
  return t;
}

/**
 * Every tracepoint declared so far (for `available_events`), or those a
 * kernel `version` has (tasklet_entry/exit came in 6.4, so not in 6.1).
 */
export function traceEvents(version?: string): readonly TraceEventType<unknown>[] {
  if (version === undefined) return allEvents;
  return allEvents.filter((t) => !t.versions || t.versions.includes(version));
}

/** One recorded hit. */
export interface TraceEntry {
  /** Time, ns. */
  ts: number;
  /** CPU id. */
  cpu: number;
  /** pid of the current task. */
  pid: number;
  /** comm of the current task. */
  comm: string;
  /** preempt_count at the hit. */
  preempt: number;
  /** Interrupts were disabled (the `d` flag). */
  irqsOff: boolean;
  /** bit 0: TIF_NEED_RESCHED, bit 1: PREEMPT_NEED_RESCHED. */
  resched: number;
  /** The tracepoint. */
  type: TraceEventType<unknown>;
  /** Its arguments. */
  args: unknown;
}

/**
 * A consumer of every tracepoint hit, whatever the `set_event` filter: the
 * timeline and the latency recorder are sinks. Plugins publish counters
 * (`pending softirqs`, a workqueue's depth) and flow points (raise -> entry,
 * queue_work -> execute_start) to the sinks; the `trace` file never shows them.
 */
export interface TraceSink {
  /** A tracepoint hit (the entry object is the ring's; do not keep a mutable copy). */
  event(e: TraceEntry): void;
  /** A counter's new value on a CPU (`cpu` -1: machine-wide). */
  counter?(name: string, cpu: number, value: number, ts: number): void;
  /**
   * One end of a flow arrow: `start` where work is handed over (a raise, a
   * queue_work, a wake-up), `end` where it begins to run. `kind` names the
   * arrow family, `key` pairs the two ends (a vector, a work pointer, a pid).
   */
  flow?(p: FlowPoint): void;
  /**
   * The CPU entered (irq_enter) or left (irq_exit) hardirq context: the
   * whole hardirq, of which the handlers are a part.
   */
  irqContext?(cpu: number, enter: boolean, ts: number): void;
}

/** One end of a flow arrow (see {@linkcode TraceSink.flow}). */
export interface FlowPoint {
  /** Flow kind (`softirq`, `work`...). */
  kind: string;
  /** Pairs the start of a flow with its end. */
  key: string | number;
  /** Where work is handed over (`start`) or starts to run (`end`). */
  phase: "start" | "end";
  /** Time, ns. */
  ts: number;
  /** CPU id. */
  cpu: number;
  /** pid of the current task. */
  pid: number;
  /** preempt_count at the point (tells the context the arrow leaves from). */
  preempt: number;
}

/** Raised for a `set_event` list that names no known event. */
export class TraceFilterError extends Error {
  /** Event name within the subsystem. */
  override name = "TraceFilterError";
}

/** One parsed `set_event` item (ftrace_set_clr_event: `[!][system:]event`). */
interface EventPattern {
  negate: boolean;
  /** undefined: any system. */
  sys: string | undefined;
  /** undefined: any event. */
  ev: string | undefined;
  /** Bare word without `:`: matches a system name or an event name. */
  bare: boolean;
  text: string;
}

function parsePattern(raw: string): EventPattern {
  const text = raw.trim();
  const negate = text.startsWith("!");
  const body = negate ? text.slice(1) : text;
  const star = (x: string) => (x === "" || x === "*" ? undefined : x);
  const colon = body.indexOf(":");
  if (colon < 0) return { negate, sys: undefined, ev: star(body), bare: true, text };
  return {
    negate,
    sys: star(body.slice(0, colon)),
    ev: star(body.slice(colon + 1)),
    bare: false,
    text,
  };
}

function patternMatches(p: EventPattern, t: TraceEventType<unknown>): boolean {
  // __ftrace_set_clr_event_nolock(): a bare word matches the system or the event name
  if (p.bare) return p.ev === undefined || p.ev === t.name || p.ev === t.system;
  return (p.sys === undefined || p.sys === t.system) && (p.ev === undefined || p.ev === t.name);
}

/**
 * A `set_event` list as a predicate: items apply in order, `!item` removes
 * what it matches (like `echo '!sched:*' >> set_event`). A list that starts
 * with a negation starts from every event, so `!sched:*` means "all but sched".
 */
export function eventFilter(spec: string): (t: TraceEventType<unknown>) => boolean {
  const pats = spec.split(",").map((p) => p.trim()).filter(Boolean).map(parsePattern);
  const startAll = pats.length > 0 && pats[0].negate;
  return (t) => {
    let on = startAll;
    for (const p of pats) if (patternMatches(p, t)) on = !p.negate;
    return on;
  };
}

/**
 * Check a `set_event` list against the known events: the items that match
 * none (the kernel answers EINVAL for those).
 */
export function unmatchedEventPatterns(
  spec: string,
  known: readonly TraceEventType<unknown>[] = allEvents,
): string[] {
  return spec.split(",").map((p) => p.trim()).filter(Boolean).map(parsePattern)
    .filter((p) => !known.some((t) => patternMatches(p, t))).map((p) => p.text);
}

/** Ring buffer of trace entries. */
export class TraceBuffer {
  /**
   * Tracing on/off; call sites test this before recording. On when the ring
   * records (`--trace`) or any sink listens.
   */
  enabled = false;
  /** Entries ever written (the `entries-written` figure). */
  written = 0;
  #ring: (TraceEntry | undefined)[];
  #head = 0;
  #filter: ((t: TraceEventType<unknown>) => boolean) | undefined;
  #sinks: TraceSink[] = [];

  /** Create a TraceBuffer. */
  constructor(readonly capacity = 65536) {
    this.#ring = new Array(capacity).fill(undefined);
  }

  /**
   * Restrict what the ring records like `set_event`: a comma list of
   * `[!][system:]event` items where either side may be `*` or empty
   * (`irq:*,workqueue:*`, `sched:`, `irq`, `!sched:sched_wakeup`); see
   * {@linkcode eventFilter}. Sinks are not filtered.
   */
  setFilter(spec: string | undefined): void {
    this.#filter = spec ? eventFilter(spec) : undefined;
  }

  /** Attach a sink (turns tracing on): it sees every hit, counter and flow point. */
  addSink(sink: TraceSink): void {
    this.#sinks.push(sink);
    this.enabled = true;
  }

  /** Publish a counter value to the sinks (callers check `enabled`). */
  counter(name: string, cpu: number, value: number, ts: number): void {
    const s = this.#sinks;
    for (let i = 0; i < s.length; i++) s[i].counter?.(name, cpu, value, ts);
  }

  /** Tell the sinks a CPU entered or left hardirq context (callers check `enabled`). */
  irqContext(cpu: number, enter: boolean, ts: number): void {
    const s = this.#sinks;
    for (let i = 0; i < s.length; i++) s[i].irqContext?.(cpu, enter, ts);
  }

  /** Publish one end of a flow arrow to the sinks (callers check `enabled`). */
  flow(p: FlowPoint): void {
    const s = this.#sinks;
    for (let i = 0; i < s.length; i++) s[i].flow?.(p);
  }

  /** True when the ring records `t` (tracing on and `t` passes the filter): `set_event`. */
  recording(t: TraceEventType<unknown>): boolean {
    return this.enabled && (!this.#filter || this.#filter(t));
  }

  /** True when `t` passes the current filter. */
  wants(t: TraceEventType<unknown>): boolean {
    return this.enabled && (this.#sinks.length > 0 || !this.#filter || this.#filter(t));
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
    const sinks = this.#sinks;
    const keep = !this.#filter || this.#filter(type as TraceEventType<unknown>);
    if (!keep && sinks.length === 0) return; // filtered out, nobody else listens: no entry made
    const e: TraceEntry = {
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
    for (let i = 0; i < sinks.length; i++) sinks[i].event(e);
    if (!keep) return;
    this.#ring[this.#head] = e;
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

/**
 * One `trace` line: `%16s-%-7d [%03d] FLAGS %5lu.%06lu: name: args`
 * (trace_print_context, kernel/trace/trace_output.c). The comm of pid 0 is
 * `<idle>` (__trace_find_cmdline); the time is ns2usecs(), which rounds to
 * the nearest microsecond (kernel/trace/trace.c: `nsec += 500`).
 */
export function formatTraceLine(e: TraceEntry): string {
  const comm = e.pid === 0 ? "<idle>" : e.comm.length > 16 ? e.comm.slice(0, 16) : e.comm;
  const us = Math.floor((e.ts + 500) / 1e3);
  const sec = Math.floor(us / 1e6);
  const usec = us % 1e6;
  return `${comm.padStart(16)}-${String(e.pid).padEnd(7)} [${String(e.cpu).padStart(3, "0")}] ${
    traceFlags(e.preempt, e.irqsOff, e.resched)
  } ${String(sec).padStart(5)}.${String(usec).padStart(6, "0")}: ${e.type.name}: ${
    e.type.format(e.args)
  }\n`;
}
