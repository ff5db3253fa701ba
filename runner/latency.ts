/**
 * Interrupt latency of a run, per IRQ and per CPU, in the style of
 * `rtla timerlat top` / `rtla timerlat hist` (tools/tracing/rtla):
 *
 * - **IRQ latency**: from the device asserting its line (the rising edge at
 *   the controller input that genirq maps to the IRQ) to the first
 *   `irq_handler_entry` of that IRQ. It includes the controller, the CPU
 *   taking the interrupt (irqs-off sections, other hardirqs), and the entry
 *   path's cost.
 * - **Thread latency**: from a task's wake-up (`sched_waking`) to the
 *   `sched_switch` that runs it — for an irq thread, IRQ_WAKE_THREAD to the
 *   threaded handler running. Counted per CPU for every task, and per IRQ
 *   for the `irq/N-name` threads.
 *
 * The worst sample of each kind is broken down by what ran on its CPU during
 * the window, each instant counted once for the innermost context:
 * hardirq handlers, the rest of hardirq context (irq_enter/exit, flow
 * handlers, chip ack and EOI), softirq actions, threads (tasks other than
 * idle), and the rest (the CPU's entry before irq_enter, context switch
 * cost, idle).
 *
 * The recorder is a trace sink plus a probe on the controller inputs; it
 * sees every tracepoint whatever `--events` filters. Times are simulated ns.
 *
 * @example
 * ```ts
 * const lat = new LatencyRecorder(kernel);
 * kernel.trace.addSink(lat);
 * kernel.runUntil(1e9);
 * console.log(formatLatencyTop(lat.report()));
 * ```
 * @module
 */

import type { Kernel } from "../core/kernel.ts";
import type { InputPin } from "../core/line.ts";
import type { TraceEntry, TraceSink } from "../core/trace.ts";
import { GenIrqKey } from "../plugins/genirq/mod.ts";

/** min/avg/max of a series, plus the last value (`cur`) and the count. */
export interface LatencyStats {
  /** Samples. */
  count: number;
  /** Last sample, ns. */
  cur: number;
  /** Smallest sample, ns. */
  min: number;
  /** Mean, ns. */
  avg: number;
  /** Largest sample, ns. */
  max: number;
}

/** Time in each context during a latency window, ns (they add up to the window). */
export interface Breakdown {
  /** Hardirq handlers running (other IRQs' before a handler entry). */
  hardirq_ns: number;
  /** Hardirq context outside handlers: irq_enter/exit, flow handlers, chip ack/EOI. */
  irq_path_ns: number;
  /** Softirqs running (on irq_exit or in ksoftirqd). */
  softirq_ns: number;
  /** Other tasks running. */
  thread_ns: number;
  /** Everything else (idle exit, scheduler, entry before the flow). */
  other_ns: number;
}

/** The worst sample of a kind, with its window and breakdown. */
export interface WorstCase {
  /** CPU of the sample. */
  cpu: number;
  /** IRQ number (irq latency, or the irq thread's IRQ), or -1. */
  irq: number;
  /** The woken task (thread latency). */
  comm?: string;
  /** pid of the woken task (thread latency). */
  pid?: number;
  /** The latency, ns. */
  latency_ns: number;
  /** Window start: the line raised or the task woken, ns. */
  from_ns: number;
  /** Window end: the handler entered or the task running, ns. */
  to_ns: number;
  /** Where the window's time went. */
  breakdown: Breakdown;
}

/** A run's latency figures (what `irqlab report --json` prints). */
export interface LatencyReport {
  /** Simulated time covered, ns. */
  duration_ns: number;
  /** Per-CPU IRQ and thread latency. */
  cpus: { cpu: number; irq: LatencyStats | null; thread: LatencyStats | null }[];
  /** Per-IRQ latency. */
  irqs: {
    irq: number;
    name: string;
    irq_latency: LatencyStats | null;
    thread: LatencyStats | null;
  }[];
  /** Latency histogram buckets. */
  histogram: {
    bucket_ns: number;
    entries: number;
    /** Per CPU: bucket index -> count, for irq and thread latency. */
    cpus: { cpu: number; irq: Record<string, number>; thread: Record<string, number> }[];
  };
  /** The worst IRQ and thread samples with their breakdown. */
  worst: { irq: WorstCase | null; thread: WorstCase | null };
}

/** One latency sample as recorded. */
export interface Sample {
  /** CPU of the sample. */
  cpu: number;
  /** IRQ number, or -1. */
  irq: number;
  /** Window start, ns. */
  from: number;
  /** Window end, ns. */
  to: number;
  /** pid of the woken task (thread latency). */
  pid?: number;
  /** comm of the woken task (thread latency). */
  comm?: string;
}

/** Span kinds, innermost context highest. */
const HANDLER = 4, IRQ_PATH = 3, SOFT = 2, THREAD = 1;

/** Collects latency samples and the activity needed to explain the worst ones. */
export class LatencyRecorder implements TraceSink {
  /** IRQ latency samples (line raised to handler entry). */
  readonly irqSamples: Sample[] = [];
  /** Thread latency samples (wake-up to running). */
  readonly threadSamples: Sample[] = [];
  /** Pending assertion time per IRQ (consumed by the next handler entry). */
  readonly #assertedAt = new Map<number, number>();
  readonly #wokenAt = new Map<number, number>();
  /** Per CPU: closed spans [kind, start, end] and the open one per kind. */
  readonly #spans: number[][];
  readonly #open: (number | undefined)[][];
  readonly #names = new Map<number, string>();
  readonly #startNs: number;

  /** Create a LatencyRecorder. */
  constructor(readonly kernel: Kernel) {
    this.#startNs = kernel.now;
    this.#spans = kernel.cpus.map(() => []);
    this.#open = kernel.cpus.map(() => [undefined, undefined, undefined, undefined, undefined]);
    for (const cpu of kernel.cpus) {
      if (cpu.current !== cpu.idleTask) this.#open[cpu.id][THREAD] = kernel.now;
    }
    // Probe every controller input genirq maps to an IRQ: its rising edge is
    // the device asserting the line (edge pulses and level requests alike).
    const gi = kernel.bus.tryGet(GenIrqKey);
    if (gi) {
      for (const [pin, irq] of gi.inputIrq) {
        const p = pin as InputPin;
        if (!p || typeof p.onChange !== "function") continue;
        const orig = p.onChange;
        p.onChange = (level: boolean) => {
          if (level && !this.#assertedAt.has(irq)) this.#assertedAt.set(irq, kernel.now);
          orig(level);
        };
      }
    }
  }

  #openSpan(cpu: number, kind: number, ts: number): void {
    this.#open[cpu][kind] ??= ts;
  }

  #closeSpan(cpu: number, kind: number, ts: number): void {
    const start = this.#open[cpu][kind];
    if (start === undefined) return;
    this.#open[cpu][kind] = undefined;
    if (ts > start) this.#spans[cpu].push(kind, start, ts);
  }

  /** A tracepoint hit. */
  event(e: TraceEntry): void {
    const a = e.args as Record<string, unknown>;
    switch (e.type.name) {
      case "irq_handler_entry": {
        const irq = a.irq as number;
        this.#names.set(irq, this.#names.has(irq) ? this.#names.get(irq)! : String(a.name));
        this.#openSpan(e.cpu, HANDLER, e.ts);
        const at = this.#assertedAt.get(irq);
        if (at !== undefined) {
          this.#assertedAt.delete(irq);
          this.irqSamples.push({ cpu: e.cpu, irq, from: at, to: e.ts });
        }
        return;
      }
      case "irq_handler_exit":
        this.#closeSpan(e.cpu, HANDLER, e.ts);
        return;
      case "softirq_entry":
        this.#openSpan(e.cpu, SOFT, e.ts);
        return;
      case "softirq_exit":
        this.#closeSpan(e.cpu, SOFT, e.ts);
        return;
      case "sched_waking":
        this.#wokenAt.set(a.pid as number, e.ts);
        return;
      case "sched_switch": {
        const prev = a.prev_pid as number, next = a.next_pid as number;
        if (prev !== 0) this.#closeSpan(e.cpu, THREAD, e.ts);
        if (next !== 0) {
          this.#openSpan(e.cpu, THREAD, e.ts);
          const at = this.#wokenAt.get(next);
          if (at !== undefined) {
            this.#wokenAt.delete(next);
            const comm = a.next_comm as string;
            const m = /^irq\/(\d+)-/.exec(comm);
            this.threadSamples.push({
              cpu: e.cpu,
              irq: m ? Number(m[1]) : -1,
              from: at,
              to: e.ts,
              pid: next,
              comm,
            });
          }
        }
        return;
      }
    }
  }

  /** The CPU entered or left hardirq context (irq_enter / irq_exit). */
  irqContext(cpu: number, enter: boolean, ts: number): void {
    if (enter) this.#openSpan(cpu, IRQ_PATH, ts);
    else this.#closeSpan(cpu, IRQ_PATH, ts);
  }

  /** Time in each context on `cpu` during [from, to], innermost context first. */
  breakdown(cpu: number, from: number, to: number): Breakdown {
    const spans: [number, number, number][] = [];
    const s = this.#spans[cpu];
    for (let i = 0; i < s.length; i += 3) {
      if (s[i + 2] > from && s[i + 1] < to) spans.push([s[i], s[i + 1], s[i + 2]]);
    }
    this.#open[cpu].forEach((start, kind) => {
      if (start !== undefined && start < to) spans.push([kind, start, to]);
    });
    const cuts = new Set<number>([from, to]);
    for (const [, a, b] of spans) {
      if (a > from && a < to) cuts.add(a);
      if (b > from && b < to) cuts.add(b);
    }
    const points = [...cuts].sort((x, y) => x - y);
    const out: Breakdown = {
      hardirq_ns: 0,
      irq_path_ns: 0,
      softirq_ns: 0,
      thread_ns: 0,
      other_ns: 0,
    };
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i], b = points[i + 1];
      let top = 0;
      for (const [kind, x, y] of spans) if (x <= a && y >= b && kind > top) top = kind;
      const d = b - a;
      if (top === HANDLER) out.hardirq_ns += d;
      else if (top === IRQ_PATH) out.irq_path_ns += d;
      else if (top === SOFT) out.softirq_ns += d;
      else if (top === THREAD) out.thread_ns += d;
      else out.other_ns += d;
    }
    return out;
  }

  /** The figures so far (`bucketNs`: histogram bucket width; `entries`: buckets before `over`). */
  report(bucketNs = 1000, entries = 256): LatencyReport {
    const k = this.kernel;
    const lat = (s: Sample) => s.to - s.from;
    const byCpu = (list: Sample[], cpu: number) => list.filter((s) => s.cpu === cpu);
    const hist = (list: Sample[]) => {
      const h: Record<string, number> = {};
      for (const s of list) {
        const b = Math.floor(lat(s) / bucketNs);
        const key = b >= entries ? "over" : String(b * bucketNs);
        h[key] = (h[key] ?? 0) + 1;
      }
      return h;
    };
    const irqs = [
      ...new Set([
        ...this.irqSamples.map((s) => s.irq),
        ...this.threadSamples.filter((s) => s.irq >= 0).map((s) => s.irq),
      ]),
    ].sort((a, b) => a - b);
    const worst = (list: Sample[]): WorstCase | null => {
      let w: Sample | undefined;
      for (const s of list) if (!w || lat(s) > lat(w)) w = s;
      if (!w) return null;
      return {
        cpu: w.cpu,
        irq: w.irq,
        ...(w.comm !== undefined ? { comm: w.comm, pid: w.pid } : {}),
        latency_ns: lat(w),
        from_ns: w.from,
        to_ns: w.to,
        breakdown: this.breakdown(w.cpu, w.from, w.to),
      };
    };
    return {
      duration_ns: k.now - this.#startNs,
      cpus: k.cpus.map((c) => ({
        cpu: c.id,
        irq: stats(byCpu(this.irqSamples, c.id).map(lat)),
        thread: stats(byCpu(this.threadSamples, c.id).map(lat)),
      })),
      irqs: irqs.map((irq) => ({
        irq,
        name: this.#names.get(irq) ?? "",
        irq_latency: stats(this.irqSamples.filter((s) => s.irq === irq).map(lat)),
        thread: stats(this.threadSamples.filter((s) => s.irq === irq).map(lat)),
      })),
      histogram: {
        bucket_ns: bucketNs,
        entries,
        cpus: k.cpus.map((c) => ({
          cpu: c.id,
          irq: hist(byCpu(this.irqSamples, c.id)),
          thread: hist(byCpu(this.threadSamples, c.id)),
        })),
      },
      worst: { irq: worst(this.irqSamples), thread: worst(this.threadSamples) },
    };
  }
}

/** Stats of a series in arrival order, or null when empty (avg rounded down, as rtla divides). */
export function stats(xs: number[]): LatencyStats | null {
  if (xs.length === 0) return null;
  let min = Infinity, max = -Infinity, sum = 0;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  return { count: xs.length, cur: xs[xs.length - 1], min, avg: Math.floor(sum / xs.length), max };
}

// ---- text output ----

/** rtla's duration: `%4d %02d:%02d:%02d` (days, then h:m:s). */
function duration(ns: number): string {
  const s = Math.floor(ns / 1e9);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24;
  const m = Math.floor(s / 60) % 60;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${String(d).padStart(4)} ${p(h)}:${p(m)}:${p(s % 60)}`;
}

const NO_VALUE = "        -";
function cols(st: LatencyStats | null, last: string): string {
  if (!st) return `${NO_VALUE} ${NO_VALUE} ${NO_VALUE} ${NO_VALUE}${last}`;
  const f = (n: number) => String(n).padStart(9);
  return `${f(st.cur)} ${f(st.min)} ${f(st.avg)} ${f(st.max)}${last}`;
}

/**
 * The tables in the layout of `rtla timerlat top` (timerlat_top_header /
 * timerlat_top_print, tools/tracing/rtla/src/timerlat_top.c) in ns, one per
 * CPU, then one per IRQ, then the worst cases broken down.
 */
export function formatLatencyTop(r: LatencyReport): string {
  let out = "";
  out += "                                   Interrupt Latency\n";
  out += `${
    duration(r.duration_ns)
  }   |             IRQ Latency (ns)           |            Thread Latency (ns)\n`;
  out +=
    "CPU COUNT      |      cur       min       avg       max |      cur       min       avg       max\n";
  for (const c of r.cpus) {
    if (!c.irq && !c.thread) continue; // rtla skips CPUs with no data
    const count = Math.max(c.irq?.count ?? 0, c.thread?.count ?? 0);
    out += `${String(c.cpu).padStart(3)} #${String(count).padEnd(9)} |${cols(c.irq, " |")}${
      cols(c.thread, "\n")
    }`;
  }
  out += "\n";
  out +=
    "IRQ NAME             COUNT      |      cur       min       avg       max |      cur       min       avg       max\n";
  for (const q of r.irqs) {
    const count = Math.max(q.irq_latency?.count ?? 0, q.thread?.count ?? 0);
    out += `${String(q.irq).padStart(3)} ${q.name.slice(0, 16).padEnd(16)} #${
      String(count).padEnd(9)
    } |${cols(q.irq_latency, " |")}${cols(q.thread, "\n")}`;
  }
  out += "\n" + formatWorst(r);
  return out;
}

function formatWorst(r: LatencyReport): string {
  const lines: string[] = [];
  const b = (w: WorstCase) => {
    const pct = (n: number) => `${(100 * n / (w.latency_ns || 1)).toFixed(1)}%`;
    const row = (label: string, n: number) =>
      `  ${label.padEnd(26)}${String(n).padStart(10)} ns ${pct(n).padStart(7)}`;
    lines.push(
      row("hardirq interference", w.breakdown.hardirq_ns),
      row("irq entry/flow/exit paths", w.breakdown.irq_path_ns),
      row("softirq interference", w.breakdown.softirq_ns),
      row("thread interference", w.breakdown.thread_ns),
      row("entry, switch and idle", w.breakdown.other_ns),
    );
  };
  const t = (ns: number) => (ns / 1e9).toFixed(6);
  const wi = r.worst.irq;
  if (wi) {
    lines.push(
      `Worst IRQ latency: ${wi.latency_ns} ns, IRQ ${wi.irq} on CPU ${wi.cpu} ` +
        `(line asserted at ${t(wi.from_ns)}, handler at ${t(wi.to_ns)})`,
    );
    b(wi);
  } else lines.push("Worst IRQ latency: no samples");
  const wt = r.worst.thread;
  if (wt) {
    lines.push(
      `Worst thread latency: ${wt.latency_ns} ns, ${wt.comm}-${wt.pid} on CPU ${wt.cpu} ` +
        `(woken at ${t(wt.from_ns)}, running at ${t(wt.to_ns)})`,
    );
    b(wt);
  } else lines.push("Worst thread latency: no samples");
  return lines.join("\n") + "\n";
}

/**
 * Histograms in the layout of `rtla timerlat hist` (timerlat_hist.c): an
 * `Index` column of bucket starts (ns), `IRQ-%03d` and `Thr-%03d` columns per
 * CPU with data, rows with no samples skipped, then over/count/min/avg/max.
 */
export function formatLatencyHist(r: LatencyReport): string {
  const cpus = r.histogram.cpus.filter((c) =>
    Object.keys(c.irq).length || Object.keys(c.thread).length
  );
  let out = "# RTLA timerlat histogram\n# Time unit is nanoseconds (ns)\n";
  out += `# Duration: ${duration(r.duration_ns)}\n`;
  out += `# Bucket size: ${r.histogram.bucket_ns} ns\n`;
  out += "Index" + cpus.map((c) => {
    const n = String(c.cpu).padStart(3, "0");
    return `   IRQ-${n}   Thr-${n}`;
  }).join("") + "\n";
  const keys = new Set<number>();
  for (const c of cpus) {
    for (const k of [...Object.keys(c.irq), ...Object.keys(c.thread)]) {
      if (k !== "over") keys.add(Number(k));
    }
  }
  const cell = (n: number | undefined) => `${String(n ?? 0).padStart(9)} `;
  for (const key of [...keys].sort((a, b) => a - b)) {
    out += String(key).padEnd(6) +
      cpus.map((c) => cell(c.irq[String(key)]) + cell(c.thread[String(key)])).join("") + "\n";
  }
  const per = (label: string, f: (st: LatencyStats | null, h: Record<string, number>) => number) =>
    label.padEnd(6) + cpus.map((c) => {
      const cs = r.cpus.find((x) => x.cpu === c.cpu)!;
      return cell(f(cs.irq, c.irq)) + cell(f(cs.thread, c.thread));
    }).join("") + "\n";
  out += per("over:", (_s, h) => h.over ?? 0);
  out += per("count:", (s) => s?.count ?? 0);
  out += per("min:", (s) => s?.min ?? 0);
  out += per("avg:", (s) => s?.avg ?? 0);
  out += per("max:", (s) => s?.max ?? 0);
  return out;
}
