/**
 * The timeline of a run as Chrome trace-event JSON, which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open. Perfetto's ftrace-text
 * importer drops the irq events, so the timeline is written as JSON
 * (DESIGN.md, "Outputs users already read").
 *
 * Layout:
 * - one process per CPU (`CPU n`, pid {@linkcode CPU_PID_BASE} + n) with one
 *   thread (track) per context level: `task`, `softirq`, `tasklet`,
 *   `hardirq`. Levels nest on the CPU but each has its own track, so every
 *   track holds strictly nested complete (`X`) slices: the task running
 *   (from sched_switch), softirq actions (softirq_entry/exit), tasklets
 *   (tasklet_entry/exit), and hardirq handlers (irq_handler_entry/exit and
 *   the x86 irq_vectors pairs);
 * - one process per task (pid = tid = the task's pid, named by its comm as
 *   `ps` shows it) with the slices when it ran, and a second track for the
 *   work items a kworker executes (workqueue_execute_start/end);
 * - counters published by plugins (`pending softirqs` per CPU, workqueue
 *   depths) as `C` events on the CPU's process (machine-wide ones on
 *   `machine`);
 * - flow arrows (`s` / `f`, bound to the enclosing slices) for the flow
 *   points plugins publish (raise -> softirq entry; tasklet_schedule ->
 *   tasklet entry and queue_work -> execute_start when those plugins publish
 *   them), and for wake-ups made from interrupt context (IRQ_WAKE_THREAD ->
 *   irq thread runs, a raise -> ksoftirqd runs): sched_waking -> the
 *   sched_switch that runs the task;
 * - any other tracepoint as an instant (`i`) on the track of its context.
 *
 * Units: `ts` and `dur` in microseconds (simulated ns / 1000); pids and tids
 * are integers. The recorder is a trace sink: it sees every tracepoint hit
 * whatever `--events` filters from the `trace` file.
 *
 * @example
 * ```ts
 * const tl = new PerfettoRecorder(kernel);
 * kernel.trace.addSink(tl);
 * kernel.runUntil(1e9);
 * await Deno.writeTextFile("run.json", tl.json());
 * ```
 * @module
 */

import type { Kernel } from "../core/kernel.ts";
import { formatPrevState } from "../core/sched.ts";
import type { FlowPoint, TraceEntry, TraceSink } from "../core/trace.ts";

/** pid of CPU n's process is CPU_PID_BASE + n (far above task pids). */
export const CPU_PID_BASE = 1_000_000;
/** tid of a task's work-item track is WORK_TID_BASE + pid. */
export const WORK_TID_BASE = 2_000_000;
/** pid of the process that holds machine-wide counters. */
export const MACHINE_PID = CPU_PID_BASE - 1;

/** Context levels of a CPU, each its own track (tid CPU_PID_BASE + 8 cpu + level). */
export const LEVELS = ["task", "softirq", "tasklet", "hardirq"] as const;
/** One of {@linkcode LEVELS}. */
export type Level = typeof LEVELS[number];
const TASK = 0, SOFTIRQ = 1, TASKLET = 2, HARDIRQ = 3;
/** Slot of the whole hardirq (irq_enter..irq_exit) on the hardirq track, around the handlers. */
const HARDIRQ_CONTEXT = 4;
/** Track level of each open-slice slot. */
const SLOT_LEVEL = [TASK, SOFTIRQ, TASKLET, HARDIRQ, HARDIRQ];

/** One Chrome trace event (the fields this recorder writes). */
export interface ChromeEvent {
  /** Event name. */
  name: string;
  /** Phase: complete (X), instant (i), counter (C), flow start/end (s/f), metadata (M). */
  ph: "X" | "i" | "C" | "s" | "f" | "M";
  /** Timestamp, µs. */
  ts: number;
  /** Track group: one per CPU. */
  pid: number;
  /** Track within the group. */
  tid: number;
  /** Category. */
  cat?: string;
  /** Duration, µs (complete events). */
  dur?: number;
  /** Flow id, pairs `s` with `f`. */
  id?: number;
  /** Flow binding point: enclosing slice. */
  bp?: "e";
  /** Instant scope: thread. */
  s?: "t";
  /** Event arguments shown in the UI. */
  args?: Record<string, unknown>;
}

interface Open {
  name: string;
  cat: string;
  startNs: number;
  args?: Record<string, unknown>;
}

/** The tid of a CPU's track at a level. */
export function cpuTid(cpu: number, level: number): number {
  return CPU_PID_BASE + cpu * 8 + level;
}

const us = (ns: number) => ns / 1000;

/** preempt_count bits (include/linux/preempt.h) */
const HARDIRQ_OR_NMI = 0x00ff0000;
const SOFTIRQ_SERVING = 0x100;

/** Records the timeline of a run. */
export class PerfettoRecorder implements TraceSink {
  readonly #events: ChromeEvent[] = [];
  /** Open slice per CPU and level. */
  readonly #open: (Open | undefined)[][];
  /** Open run slice per task pid (its own track). */
  readonly #running = new Map<number, Open & { cpu: number }>();
  /** Open work item per kworker pid. */
  readonly #work = new Map<number, Open>();
  /** Unpaired flow starts by kind|key, oldest first. */
  readonly #flowStarts = new Map<string, { ts: number; pid: number; tid: number }[]>();
  /** Pids woken from interrupt context whose next run ends a wake-up arrow. */
  readonly #woken = new Map<number, { ts: number; pid: number; tid: number }>();
  /** Tasks seen, pid -> comm (the last one seen). */
  readonly #tasks = new Map<number, string>();
  #nextFlow = 1;
  readonly #startNs: number;

  /** Create a PerfettoRecorder. */
  constructor(readonly kernel: Kernel) {
    this.#open = kernel.cpus.map(() => SLOT_LEVEL.map(() => undefined));
    this.#startNs = kernel.now;
    for (const cpu of kernel.cpus) {
      const t = cpu.current;
      if (t !== cpu.idleTask) this.#beginRun(cpu.id, t.pid, t.comm, kernel.now);
    }
  }

  // ---- slices ----

  #begin(cpu: number, level: number, o: Open): void {
    if (this.#open[cpu][level]) this.#end(cpu, level, o.startNs); // a missed exit: close it
    this.#open[cpu][level] = o;
  }

  #end(cpu: number, level: number, ns: number, args?: Record<string, unknown>): void {
    const o = this.#open[cpu][level];
    if (!o) return; // an exit whose entry came before recording began
    this.#open[cpu][level] = undefined;
    this.#events.push({
      name: o.name,
      cat: o.cat,
      ph: "X",
      ts: us(o.startNs),
      dur: us(ns - o.startNs),
      pid: CPU_PID_BASE + cpu,
      tid: cpuTid(cpu, SLOT_LEVEL[level]),
      args: args ? { ...o.args, ...args } : o.args,
    });
  }

  #beginRun(cpu: number, pid: number, comm: string, ns: number): void {
    this.#tasks.set(pid, comm);
    this.#begin(cpu, TASK, { name: comm, cat: "task", startNs: ns, args: { pid } });
    this.#running.set(pid, { name: comm, cat: "task", startNs: ns, cpu, args: { cpu } });
  }

  #endRun(cpu: number, pid: number, ns: number, args?: Record<string, unknown>): void {
    this.#end(cpu, TASK, ns, args);
    const r = this.#running.get(pid);
    if (!r) return;
    this.#running.delete(pid);
    this.#events.push({
      name: r.name,
      cat: "task",
      ph: "X",
      ts: us(r.startNs),
      dur: us(ns - r.startNs),
      pid,
      tid: pid,
      args: r.args,
    });
  }

  /** The CPU track a hit or flow point belongs to, from its preempt_count. */
  #contextTid(cpu: number, preempt: number): number {
    if (preempt & HARDIRQ_OR_NMI) return cpuTid(cpu, HARDIRQ);
    if (preempt & SOFTIRQ_SERVING) {
      return cpuTid(cpu, this.#open[cpu][TASKLET] ? TASKLET : SOFTIRQ);
    }
    return cpuTid(cpu, TASK);
  }

  /** Is a slice open on this CPU track now? */
  #hasSlice(cpu: number, tid: number): boolean {
    const slots = this.#open[cpu];
    for (let slot = 0; slot < slots.length; slot++) {
      if (slots[slot] && cpuTid(cpu, SLOT_LEVEL[slot]) === tid) return true;
    }
    return false;
  }

  // ---- TraceSink ----

  /** A tracepoint hit. */
  event(e: TraceEntry): void {
    const name = e.type.name, sys = e.type.system;
    const a = e.args as Record<string, unknown>;
    if (e.pid !== 0) this.#tasks.set(e.pid, e.comm);
    switch (`${sys}:${name}`) {
      case "sched:sched_switch": {
        const prev = a.prev_pid as number, next = a.next_pid as number;
        if (prev !== 0) {
          this.#endRun(e.cpu, prev, e.ts, {
            prev_state: formatPrevState(a.prev_state as number),
          });
        }
        if (next !== 0) {
          this.#beginRun(e.cpu, next, a.next_comm as string, e.ts);
          const w = this.#woken.get(next);
          if (w) {
            this.#woken.delete(next);
            this.#arrow("wakeup", w, {
              ts: e.ts,
              pid: CPU_PID_BASE + e.cpu,
              tid: cpuTid(e.cpu, 0),
            });
          }
        }
        return;
      }
      case "sched:sched_waking":
        // wake-ups from interrupt context: IRQ_WAKE_THREAD, ksoftirqd, timers
        if (e.preempt & (HARDIRQ_OR_NMI | SOFTIRQ_SERVING)) {
          this.#woken.set(a.pid as number, {
            ts: e.ts,
            pid: CPU_PID_BASE + e.cpu,
            tid: this.#contextTid(e.cpu, e.preempt),
          });
        }
        return;
      case "sched:sched_wakeup":
      case "sched:sched_wakeup_new":
        return;
      case "irq:irq_handler_entry":
        this.#nameContext(e.cpu, `IRQ ${a.irq}`);
        this.#begin(e.cpu, HARDIRQ, {
          name: `irq ${a.irq}: ${a.name}`,
          cat: "hardirq",
          startNs: e.ts,
          args: { irq: a.irq, name: a.name },
        });
        return;
      case "irq:irq_handler_exit":
        this.#end(e.cpu, HARDIRQ, e.ts, { ret: e.type.format(a).replace(/^.* ret=/, "") });
        return;
      case "irq:softirq_entry":
        this.#begin(e.cpu, SOFTIRQ, {
          name: String(a.name ?? a.action ?? a.vec),
          cat: "softirq",
          startNs: e.ts,
          args: { vec: a.vec },
        });
        return;
      case "irq:softirq_exit":
        this.#end(e.cpu, SOFTIRQ, e.ts);
        return;
      case "irq:tasklet_entry":
        this.#begin(e.cpu, TASKLET, {
          name: functionName(e.type.format(a)),
          cat: "tasklet",
          startNs: e.ts,
          args: { tasklet: e.type.format(a) },
        });
        return;
      case "irq:tasklet_exit":
        this.#end(e.cpu, TASKLET, e.ts);
        return;
      case "workqueue:workqueue_execute_start": {
        const text = e.type.format(a);
        this.#work.set(e.pid, {
          name: functionName(text),
          cat: "workqueue",
          startNs: e.ts,
          args: { work: text },
        });
        return;
      }
      case "workqueue:workqueue_execute_end": {
        const w = this.#work.get(e.pid);
        if (!w) return;
        this.#work.delete(e.pid);
        this.#events.push({
          name: w.name,
          cat: w.cat,
          ph: "X",
          ts: us(w.startNs),
          dur: us(e.ts - w.startNs),
          pid: e.pid,
          tid: WORK_TID_BASE + e.pid,
          args: w.args,
        });
        return;
      }
    }
    if (sys === "irq_vectors") {
      if (name.endsWith("_entry")) {
        this.#nameContext(e.cpu, name.slice(0, -"_entry".length));
        this.#begin(e.cpu, HARDIRQ, {
          name: name.slice(0, -"_entry".length),
          cat: "hardirq",
          startNs: e.ts,
          args: { vector: a.vector },
        });
        return;
      }
      if (name.endsWith("_exit")) {
        this.#end(e.cpu, HARDIRQ, e.ts);
        return;
      }
    }
    this.#events.push({
      name,
      cat: sys,
      ph: "i",
      s: "t",
      ts: us(e.ts),
      pid: CPU_PID_BASE + e.cpu,
      tid: this.#contextTid(e.cpu, e.preempt),
      args: { text: e.type.format(a) },
    });
  }

  /** The whole hardirq: irq_enter .. irq_exit, around the handler slices. */
  irqContext(cpu: number, enter: boolean, ts: number): void {
    if (enter) {
      this.#begin(cpu, HARDIRQ_CONTEXT, { name: "hardirq", cat: "hardirq", startNs: ts });
    } else {
      this.#end(cpu, HARDIRQ, ts); // a handler without its exit event: close it inside
      this.#end(cpu, HARDIRQ_CONTEXT, ts);
    }
  }

  /** Name the open hardirq after what it serves (its first handler or vector). */
  #nameContext(cpu: number, name: string): void {
    const o = this.#open[cpu][HARDIRQ_CONTEXT];
    if (o && o.name === "hardirq") o.name = name;
  }

  /** A counter value. */
  counter(name: string, cpu: number, value: number, ts: number): void {
    this.#events.push({
      name,
      ph: "C",
      ts: us(ts),
      pid: cpu < 0 ? MACHINE_PID : CPU_PID_BASE + cpu,
      tid: cpu < 0 ? MACHINE_PID : cpuTid(cpu, 0),
      args: { value },
    });
  }

  /**
   * A flow point: starts queue per kind and key; an end takes the oldest
   * start. A point with no slice to bind to on its track (the idle task,
   * which has no slices) draws no arrow.
   */
  flow(p: FlowPoint): void {
    const key = `${p.kind}|${p.key}`;
    const at = { ts: p.ts, pid: CPU_PID_BASE + p.cpu, tid: this.#contextTid(p.cpu, p.preempt) };
    const bound = this.#hasSlice(p.cpu, at.tid);
    if (p.phase === "start") {
      if (!bound) return;
      const q = this.#flowStarts.get(key);
      if (q) q.push(at);
      else this.#flowStarts.set(key, [at]);
      return;
    }
    const q = this.#flowStarts.get(key);
    const from = q?.shift();
    if (!from) return; // its start came before recording began, or had no slice
    if (q!.length === 0) this.#flowStarts.delete(key);
    if (!bound) return;
    // the end's slice opens at this instant; the point binds to it (bp: e)
    this.#arrow(p.kind, from, at);
  }

  #arrow(
    kind: string,
    from: { ts: number; pid: number; tid: number },
    to: { ts: number; pid: number; tid: number },
  ): void {
    const id = this.#nextFlow++;
    this.#events.push({
      name: kind,
      cat: kind,
      ph: "s",
      id,
      ts: us(from.ts),
      pid: from.pid,
      tid: from.tid,
    });
    this.#events.push({
      name: kind,
      cat: kind,
      ph: "f",
      bp: "e",
      id,
      ts: us(to.ts),
      pid: to.pid,
      tid: to.tid,
    });
  }

  // ---- output ----

  /**
   * The events so far, with what is still open shown as ending at `endNs`
   * (default: now): metadata first, then by time (a longer slice first at
   * equal times, so parents precede children on a track). Recording goes on
   * afterwards unchanged, so a live run can be saved at any time.
   */
  finish(endNs: number = this.kernel.now): ChromeEvent[] {
    const open: ChromeEvent[] = [];
    const x = (o: Open, pid: number, tid: number, args = o.args): ChromeEvent => ({
      name: o.name,
      cat: o.cat,
      ph: "X",
      ts: us(o.startNs),
      dur: us(Math.max(0, endNs - o.startNs)),
      pid,
      tid,
      args,
    });
    this.#open.forEach((slots, cpu) =>
      slots.forEach((o, slot) => {
        if (o) open.push(x(o, CPU_PID_BASE + cpu, cpuTid(cpu, SLOT_LEVEL[slot])));
      })
    );
    for (const [pid, r] of this.#running) open.push(x(r, pid, pid));
    for (const [pid, w] of this.#work) open.push(x(w, pid, WORK_TID_BASE + pid));
    const all = [...this.#events, ...open];
    const seq = new Map<ChromeEvent, number>();
    all.forEach((e, i) => seq.set(e, i));
    const timed = all.sort((a, b) =>
      a.ts - b.ts || (b.dur ?? -1) - (a.dur ?? -1) || seq.get(a)! - seq.get(b)!
    );
    return [...this.#metadata(), ...timed];
  }

  #metadata(): ChromeEvent[] {
    const m: ChromeEvent[] = [];
    const meta = (name: string, pid: number, tid: number, args: Record<string, unknown>) =>
      m.push({ name, ph: "M", ts: 0, pid, tid, args });
    for (const cpu of this.kernel.cpus) {
      const pid = CPU_PID_BASE + cpu.id;
      meta("process_name", pid, pid, { name: `CPU ${cpu.id}` });
      meta("process_sort_index", pid, pid, { sort_index: cpu.id });
      LEVELS.forEach((l, level) => {
        meta("thread_name", pid, cpuTid(cpu.id, level), { name: l });
        meta("thread_sort_index", pid, cpuTid(cpu.id, level), { sort_index: level });
      });
    }
    meta("process_name", MACHINE_PID, MACHINE_PID, { name: "machine" });
    // tasks, named as ps shows their comm (the kernel's task list wins over what was seen)
    for (const t of this.kernel.sched.tasks) this.#tasks.set(t.pid, t.comm);
    const pids = [...this.#tasks.keys()].filter((p) => p !== 0).sort((a, b) => a - b);
    for (const pid of pids) {
      const comm = this.#tasks.get(pid)!;
      meta("process_name", pid, pid, { name: comm });
      meta("process_sort_index", pid, pid, { sort_index: this.kernel.cpus.length + pid });
      meta("thread_name", pid, pid, { name: comm });
      if (comm.startsWith("kworker/")) {
        meta("thread_name", pid, WORK_TID_BASE + pid, { name: `${comm} work` });
      }
    }
    return m;
  }

  /** The whole file: `{"traceEvents": [...]}`, one event per line. */
  json(endNs?: number): string {
    const events = this.finish(endNs);
    return `{"displayTimeUnit":"ns","traceEvents":[\n${
      events.map((e) => JSON.stringify(e)).join(",\n")
    }\n]}\n`;
  }

  /** When recording began (ns). */
  get startNs(): number {
    return this.#startNs;
  }
}

/** `function=foo` / `function foo` in a tracepoint's text, else the text. */
function functionName(text: string): string {
  const m = /function[= ]([^\s]+)/.exec(text);
  return m ? m[1] : text;
}
