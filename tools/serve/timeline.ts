/**
 * Activity spans from the trace ring buffer, for the live page's rolling
 * timeline and the downloadable trace-event JSON: per CPU, one lane each for
 * hardirq handlers (irq_handler_entry → irq_handler_exit), softirq actions
 * (softirq_entry → softirq_exit) and the task that was current.
 *
 * The task lane comes from `sched_switch` when that tracepoint exists
 * (`next_comm`/`next_pid`, its kernel field names); otherwise from the task
 * each recorded event ran on, plus a sample of `current` at every read, so a
 * task span is exact only to the resolution of the events seen.
 *
 * @example
 * ```ts
 * const tl = new Timeline(kernel);
 * const spans = tl.read(); // spans closed since the last read
 * ```
 * @module
 */

import type { Kernel } from "../../core/kernel.ts";
import type { TraceEntry } from "../../core/trace.ts";

/** Lanes of a CPU's timeline. */
export type Lane = "hardirq" | "softirq" | "task";

/** One closed span: [start, end] in simulated ns. */
export interface Span {
  cpu: number;
  lane: Lane;
  name: string;
  start: number;
  end: number;
}

interface Open {
  name: string;
  start: number;
}

interface CpuState {
  hard: Open[];
  soft: Open[];
  task: (Open & { pid: number }) | undefined;
}

/** Turns the trace entries written since the last read into spans. */
export class Timeline {
  /** Entries seen so far (a cursor into the ring's `written` count). */
  cursor = 0;
  /** Entries overwritten before they were read. */
  lost = 0;
  readonly #k: Kernel;
  readonly #cpus: CpuState[];

  constructor(kernel: Kernel) {
    this.#k = kernel;
    this.#cpus = kernel.cpus.map(() => ({ hard: [], soft: [], task: undefined }));
    this.cursor = kernel.trace.written;
  }

  /**
   * Spans closed by the entries written since the last read, at most `max`
   * (the latest ones; the count left out is added to `lost`).
   */
  read(max = 5000): Span[] {
    const out: Span[] = [];
    const { entries, lost } = traceSince(this.#k, this.cursor);
    this.lost += lost;
    for (const e of entries) this.#feed(e, out);
    this.cursor = this.#k.trace.written;
    // Close each CPU's task span at now (and reopen it), so a task that runs
    // on shows as it goes instead of only once another replaces it.
    const now = this.#k.now;
    for (const c of this.#k.cpus) {
      this.#task(c.id, c.current.comm, c.current.pid, now, out);
      const t = this.#cpus[c.id].task!;
      if (now > t.start) {
        out.push({ cpu: c.id, lane: "task", name: `${t.name}/${t.pid}`, start: t.start, end: now });
        t.start = now;
      }
    }
    if (out.length > max) {
      this.lost += out.length - max;
      return out.slice(out.length - max);
    }
    return out;
  }

  #feed(e: TraceEntry, out: Span[]): void {
    const s = this.#cpus[e.cpu];
    if (!s) return;
    const a = e.args as Record<string, unknown>;
    switch (e.type.name) {
      case "irq_handler_entry":
        s.hard.push({ name: `irq ${a.irq} ${a.name}`, start: e.ts });
        break;
      case "irq_handler_exit": {
        const o = s.hard.pop();
        if (o) out.push({ cpu: e.cpu, lane: "hardirq", name: o.name, start: o.start, end: e.ts });
        break;
      }
      case "softirq_entry":
        s.soft.push({ name: String(a.name ?? `vec ${a.vec}`), start: e.ts });
        break;
      case "softirq_exit": {
        const o = s.soft.pop();
        if (o) out.push({ cpu: e.cpu, lane: "softirq", name: o.name, start: o.start, end: e.ts });
        break;
      }
      case "sched_switch":
        if (typeof a.next_pid === "number") {
          this.#task(e.cpu, String(a.next_comm), a.next_pid, e.ts, out);
          return;
        }
    }
    this.#task(e.cpu, e.comm, e.pid, e.ts, out);
  }

  #task(cpu: number, comm: string, pid: number, ts: number, out: Span[]): void {
    const s = this.#cpus[cpu];
    if (s.task && s.task.pid === pid && s.task.name === comm) return;
    if (s.task && ts > s.task.start) {
      out.push({
        cpu,
        lane: "task",
        name: `${s.task.name}/${s.task.pid}`,
        start: s.task.start,
        end: ts,
      });
    }
    s.task = { name: comm, pid, start: ts };
  }
}

const snapshots = new WeakMap<Kernel, { written: number; entries: TraceEntry[] }>();

/**
 * Trace entries written after `cursor` (a count of entries ever written), and
 * how many of those the ring had already overwritten.
 */
export function traceSince(k: Kernel, cursor: number): { entries: TraceEntry[]; lost: number } {
  const t = k.trace;
  if (cursor >= t.written) return { entries: [], lost: 0 };
  // One copy of the ring per state of it, however many readers ask
  // (the ring only offers a full copy).
  let snap = snapshots.get(k);
  if (!snap || snap.written !== t.written) {
    snap = { written: t.written, entries: t.entries() };
    snapshots.set(k, snap);
  }
  const all = snap.entries;
  const first = t.written - all.length; // index of all[0]
  const from = Math.max(cursor, first);
  return { entries: all.slice(from - first), lost: from - cursor };
}

/**
 * Chrome trace-event JSON (the format Perfetto's UI opens) of the spans in
 * the ring buffer: one process per CPU, one thread per lane, complete ("X")
 * events in µs. A stand-in until the observe branch's full exporter exists.
 */
export function traceEventJson(k: Kernel): string {
  const tl = new Timeline(k);
  tl.cursor = 0;
  const spans = tl.read(Infinity);
  const lanes: Lane[] = ["task", "hardirq", "softirq"];
  const events: Record<string, unknown>[] = [];
  for (const c of k.cpus) {
    events.push({
      ph: "M",
      name: "process_name",
      pid: c.id,
      tid: 0,
      args: { name: `CPU ${c.id}` },
    });
    lanes.forEach((lane, i) =>
      events.push({ ph: "M", name: "thread_name", pid: c.id, tid: i, args: { name: lane } })
    );
  }
  for (const s of spans) {
    events.push({
      ph: "X",
      name: s.name,
      cat: s.lane,
      pid: s.cpu,
      tid: lanes.indexOf(s.lane),
      ts: s.start / 1000,
      dur: (s.end - s.start) / 1000,
    });
  }
  return JSON.stringify({ traceEvents: events, displayTimeUnit: "ns" });
}
