/**
 * Tasks and the task scheduler.
 *
 * Policies as in Linux: SCHED_FIFO / SCHED_RR (rt_priority 1..99, higher
 * first) above SCHED_NORMAL (nice -20..19, weighted fair share by vruntime,
 * kernel/sched/fair.c in small), above the per-CPU idle task `swapper/N`.
 * A task runs on one CPU at a time; it stays on the CPU it was created on
 * (or the one it is bound to) — no load balancing is modelled.
 *
 * @module
 */

import { type Body, GeneratorBody, type SleepToken } from "./body.ts";
import { type Cpu, Frame, IdleBody } from "./cpu.ts";
import { type EventHandle, NO_EVENT } from "./scheduler.ts";
import type { Kernel } from "./kernel.ts";
import type { BodyGenerator } from "./body.ts";
import { defineTraceEvent, type TraceEventType } from "./trace.ts";

// ---- tracepoints (include/trace/events/sched.h, Linux 6.1) ----

/** Arguments of sched_switch, captured when it is recorded. */
export interface SchedSwitchArgs {
  /** sched_switch field: the task switched out. */
  prev_comm: string;
  /** sched_switch field: its pid. */
  prev_pid: number;
  /** sched_switch field: its kernel priority. */
  prev_prio: number;
  /** __trace_sched_switch_state(): TASK_REPORT bits, 0x100 (TASK_REPORT_MAX) when preempted. */
  prev_state: number;
  /** sched_switch field: the task switched in. */
  next_comm: string;
  /** sched_switch field: its pid. */
  next_pid: number;
  /** sched_switch field: its kernel priority. */
  next_prio: number;
}

/** TASK_REPORT_MAX: the `+` of a preempted task. */
const TASK_REPORT_MAX = 0x100;
// __print_flags() table of sched_switch (include/trace/events/sched.h)
const STATE_NAMES: [number, string][] = [
  [0x01, "S"],
  [0x02, "D"],
  [0x04, "T"],
  [0x08, "t"],
  [0x10, "X"],
  [0x20, "Z"],
  [0x40, "P"],
  [0x80, "I"],
];

/** prev_state as sched_switch prints it: `S`, `D`, `I`, `R`, `R+`, `D|...`. */
export function formatPrevState(state: number): string {
  const bits = state & (TASK_REPORT_MAX - 1);
  const names = bits ? STATE_NAMES.filter(([b]) => bits & b).map(([, n]) => n).join("|") : "R";
  return names + (state & TASK_REPORT_MAX ? "+" : "");
}

/**
 * __task_state_index() as a report bit: S 0x1, D 0x2, I 0x80 (TASK_REPORT_IDLE);
 * an exited kthread is EXIT_DEAD (X, auto-reaped), a user task EXIT_ZOMBIE (Z).
 */
export function taskReportState(t: Task): number {
  switch (t.state) {
    case "S":
      return 0x01;
    case "D":
      return 0x02;
    case "I":
      return 0x80;
    case "X":
      return t.kthread ? 0x10 : 0x20;
    default:
      return 0;
  }
}

/** sched:sched_switch */
export const sched_switch: TraceEventType<SchedSwitchArgs> = defineTraceEvent<SchedSwitchArgs>(
  "sched",
  "sched_switch",
  (a) =>
    `prev_comm=${a.prev_comm} prev_pid=${a.prev_pid} prev_prio=${a.prev_prio} prev_state=${
      formatPrevState(a.prev_state)
    } ==> next_comm=${a.next_comm} next_pid=${a.next_pid} next_prio=${a.next_prio}`,
);

/** Arguments of the sched_wakeup_template events. */
export interface SchedWakeupArgs {
  /** Task name (`comm`, at most 15 characters shown). */
  comm: string;
  /** Process id. */
  pid: number;
  /** Kernel priority (120 + nice, or 99 - rt_priority). */
  prio: number;
  /** CPU the task is woken on. */
  target_cpu: number;
}
const wakeupFormat = (a: SchedWakeupArgs) =>
  `comm=${a.comm} pid=${a.pid} prio=${a.prio} target_cpu=${String(a.target_cpu).padStart(3, "0")}`;
/** sched:sched_waking — in try_to_wake_up(), from the waking context. */
export const sched_waking: TraceEventType<SchedWakeupArgs> = defineTraceEvent<SchedWakeupArgs>(
  "sched",
  "sched_waking",
  wakeupFormat,
);
/** sched:sched_wakeup — the task is TASK_RUNNING again (ttwu_do_wakeup). */
export const sched_wakeup: TraceEventType<SchedWakeupArgs> = defineTraceEvent<SchedWakeupArgs>(
  "sched",
  "sched_wakeup",
  wakeupFormat,
);
/** sched:sched_wakeup_new — wake_up_new_task(). */
export const sched_wakeup_new: TraceEventType<SchedWakeupArgs> = defineTraceEvent<SchedWakeupArgs>(
  "sched",
  "sched_wakeup_new",
  wakeupFormat,
);

/** Scheduling policy. */
export type Policy = "normal" | "fifo" | "rr" | "idle";

/**
 * Task states as `ps` and sched_switch print them; `t` is TASK_TRACED, a
 * tracee stopped for its tracer (fs/proc/array.c "t (tracing stop)").
 */
export type TaskState = "R" | "S" | "D" | "I" | "t" | "X";

// kernel/sched/core.c sched_prio_to_weight[]
// deno-fmt-ignore
const PRIO_TO_WEIGHT = [
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
  9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
  1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
  110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
];
/** Load weight of a nice level (kernel/sched/core.c). */
export function niceToWeight(nice: number): number {
  return PRIO_TO_WEIGHT[Math.max(-20, Math.min(19, nice)) + 20];
}

// kernel/sched/fair.c defaults (scaled by 1 + ilog2(ncpus) in the kernel; unscaled here)
const SCHED_LATENCY_NS = 6_000_000;
const SCHED_MIN_GRANULARITY_NS = 750_000;
const SCHED_WAKEUP_GRANULARITY_NS = 1_000_000;

/** What creating a task takes. */
export interface TaskOptions {
  /** Task name (`comm`, at most 15 characters shown). */
  comm: string;
  /** The task's code: a generator, or a ready body. */
  body: BodyGenerator | Body;
  /** Scheduling policy (default SCHED_NORMAL). */
  policy?: Policy;
  /** Nice level for SCHED_NORMAL (default 0). */
  nice?: number;
  /** rt_priority for SCHED_FIFO/RR (1..99). */
  rtPriority?: number;
  /** CPU to start on (default: the creating CPU, or 0). */
  cpu?: number;
  /** CPUs it may run on (`p->cpus_mask`; default: all). Per-CPU threads pass one CPU. */
  cpusAllowed?: number[];
  /** Kernel thread (true) or user task (false). */
  kthread?: boolean;
  /** An explicit pid: 1 for init. Default: the next free pid from 2. */
  pid?: number;
  /** Start runnable (default) or asleep until woken (kthread_create without wake_up). */
  start?: "runnable" | "sleeping";
}

/** A task (`struct task_struct` in small). */
export class Task {
  /** Task state letter as `ps` shows it (R, S, D, I, t, Z...). */
  state: TaskState = "R";
  /** The task's call chain (its kernel stack). */
  readonly frame = new Frame("task");
  /** CFS virtual runtime, ns weighted by nice. */
  vruntime = 0;
  /** Total ns this task has been current. */
  sumExecNs = 0;
  /** When it last became current. */
  execStart = 0;
  /** True while on a run queue. */
  onRq = false;
  /** Timer that ends a timed sleep. */
  wakeEvent: EventHandle = NO_EVENT;
  /** Set when the task was switched out while runnable (for sched_switch `R+`). */
  preempted = false;
  /** Exit code once dead (the body's return value). */
  exitCode = 0;
  /** kthread_should_stop(): set by kthread_stop(). */
  shouldStop = false;
  /** State the next schedule() sleeps in (set_current_state); "R" just yields the CPU. */
  nextState: TaskState = "R";
  /** Tasks waiting in kthread_stop() for this one to exit. */
  readonly exitWaiters: Task[] = [];
  /** Plugin data. */
  readonly local = new Map<symbol, unknown>();
  /**
   * `p->cpus_mask` as a sorted CPU list; empty means every CPU. A per-CPU
   * kthread (`kthread_bind`) has one CPU here.
   */
  cpusAllowed: number[] = [];

  /** Create a Task. */
  constructor(
    readonly pid: number,
    public comm: string,
    public policy: Policy,
    public nice: number,
    public rtPriority: number,
    public cpu: number,
    readonly kthread: boolean,
  ) {}

  /** Kernel prio as traces print it: FIFO/RR 99 - rt_priority, normal 120 + nice. */
  get prio(): number {
    if (this.policy === "fifo" || this.policy === "rr") return 99 - this.rtPriority;
    return 120 + this.nice;
  }

  /** True for SCHED_FIFO / SCHED_RR. */
  get rt(): boolean {
    return this.policy === "fifo" || this.policy === "rr";
  }
}

/** Payload of the sched_switch hook. */
export interface SwitchInfo {
  /** The CPU of the switch. */
  cpu: Cpu;
  /** The task switched out. */
  prev: Task;
  /** The task switched in. */
  next: Task;
}

/**
 * How a wake-up reaches another CPU. The default pokes it directly; an arch
 * plugin (x86 LAPIC, BCM2836 mailboxes) replaces it to send the reschedule IPI
 * (`smp_send_reschedule`) through its hardware, so the IPI is counted.
 */
export type ReschedIpi = (from: Cpu, to: Cpu) => void;

/** The scheduler of one machine. */
export class Scheduler {
  /** Every task, in creation order. */
  readonly tasks: Task[] = [];
  /** Pid 1 is init's (is_global_init); every other task takes the next free one from 2. */
  #nextPid = 2;
  #rq: Task[][] = [];
  #minVruntime: number[] = [];
  /** Hooks (tracepoints and plugins): called on each context switch and wake-up. */
  onSwitch: ((s: SwitchInfo) => void)[] = [];
  /** Listeners called when a task is woken on a CPU. */
  onWakeup: ((t: Task, cpu: Cpu) => void)[] = [];
  /**
   * Called when the current task blocks, before the switch (the kernel's
   * sched_submit_work(): wq_worker_sleeping() for workqueue workers). A hook
   * may wake other tasks; they compete for the CPU this task gives up.
   */
  onSleep: ((t: Task, cpu: Cpu) => void)[] = [];
  /** smp_send_reschedule(): set by an arch plugin; the default pokes the CPU. */
  sendReschedIpi: ReschedIpi = (_from, to) => to.poke();

  /** Create a Scheduler. */
  constructor(readonly kernel: Kernel) {}

  /** Create the idle task of each CPU (pid 0, `swapper/N`). */
  initCpus(cpus: Cpu[]): void {
    for (const cpu of cpus) {
      const idle = new Task(0, `swapper/${cpu.id}`, "idle", 0, 0, cpu.id, true);
      idle.frame.push(new IdleBody());
      cpu.idleTask = idle;
      cpu.current = idle;
      this.#rq[cpu.id] = [];
      this.#minVruntime[cpu.id] = 0;
    }
  }

  /** Create a task (kthread_create + wake_up_process, or a user task). */
  create(opts: TaskOptions): Task {
    const k = this.kernel;
    const cpuId = opts.cpu ?? k.currentCpu?.id ?? 0;
    if (cpuId < 0 || cpuId >= k.cpus.length) {
      throw new RangeError(`Cannot create task ${opts.comm} on CPU ${cpuId}: no such CPU`);
    }
    if (opts.pid !== undefined && this.tasks.some((x) => x.pid === opts.pid && x.state !== "X")) {
      throw new RangeError(`Cannot create task ${opts.comm} as pid ${opts.pid}: the pid is in use`);
    }
    const t = new Task(
      opts.pid ?? this.#nextPid++,
      opts.comm.slice(0, 15), // TASK_COMM_LEN 16
      opts.policy ?? "normal",
      opts.nice ?? 0,
      opts.rtPriority ?? 0,
      cpuId,
      opts.kthread ?? true,
    );
    const body = "step" in opts.body ? opts.body : new GeneratorBody(opts.body, opts.comm);
    t.frame.push(body);
    if (opts.cpusAllowed) t.cpusAllowed = [...opts.cpusAllowed].sort((a, b) => a - b);
    t.vruntime = this.#minVruntime[cpuId];
    this.tasks.push(t);
    if (opts.start === "sleeping") t.state = "S";
    else {
      t.state = "S";
      this.#wakeUp(t, true);
    }
    return t;
  }

  /** Tasks waiting to run on `cpu` (not counting the current one). */
  runqueue(cpu: number): readonly Task[] {
    return this.#rq[cpu];
  }

  /**
   * wake_up_process(): make a sleeping task runnable. Returns false when it was
   * not sleeping. Sets need_resched on its CPU when it should preempt.
   */
  wakeUp(t: Task): boolean {
    return this.#wakeUp(t, false);
  }

  #wakeUp(t: Task, isNew: boolean): boolean {
    if (t.state === "R" || t.state === "X") return false;
    const k = this.kernel;
    k.sleepTimers?.cancel(t);
    // try_to_wake_up() traces sched_waking after its preempt_disable() and
    // under p->pi_lock (depth 2, irqs off); ttwu_do_wakeup() traces
    // sched_wakeup under the rq lock too (depth 3). wake_up_new_task()
    // traces only sched_wakeup_new, under pi_lock and the rq lock (depth 2).
    const waker = k.currentCpu;
    if (k.trace.enabled && !isNew) this.#traceWake(sched_waking, t, waker, 2);
    if (t.wakeEvent !== NO_EVENT) {
      k.clock.cancel(t.wakeEvent);
      t.wakeEvent = NO_EVENT;
    }
    t.state = "R";
    // select_task_rq(): a sleeping task may move to another allowed CPU
    if (!t.onRq && k.cpus[t.cpu].current !== t) t.cpu = this.selectCpu(t);
    const cpu = k.cpus[t.cpu];
    if (!t.rt) {
      // place_entity(): a waking task gets at most half a latency of credit
      t.vruntime = Math.max(t.vruntime, this.#minVruntime[t.cpu] - SCHED_LATENCY_NS / 2);
    }
    if (cpu.current !== t) this.#enqueue(t);
    for (const h of this.onWakeup) h(t, cpu);
    const preempt = this.#shouldPreempt(cpu.current, t, cpu);
    if (preempt) cpu.needResched = true; // check_preempt_curr() comes before the tracepoint
    if (k.trace.enabled) {
      this.#traceWake(isNew ? sched_wakeup_new : sched_wakeup, t, waker, isNew ? 2 : 3);
    }
    if (preempt) {
      // resched_curr() on a remote CPU: smp_send_reschedule()
      const from = k.currentCpu;
      if (from && from !== cpu) {
        this.sendReschedIpi(from, cpu);
        return true;
      }
    }
    cpu.poke();
    return true;
  }

  #traceWake(
    ev: typeof sched_wakeup,
    t: Task,
    waker: Cpu | undefined,
    depth: number,
  ): void {
    const k = this.kernel;
    const on = waker ?? k.cpus[t.cpu];
    k.traceEvent(
      ev,
      { comm: t.comm, pid: t.pid, prio: t.prio, target_cpu: t.cpu },
      on,
      depth,
      true,
    );
  }

  /**
   * select_task_rq() in small: the task's previous CPU when allowed and not
   * busier than the others, else the first allowed idle CPU, else the
   * allowed CPU with the shortest run queue (lowest id on ties, so it is
   * deterministic).
   */
  selectCpu(t: Task): number {
    const k = this.kernel;
    const allowed = t.cpusAllowed;
    const ok = (c: number) => c < k.cpus.length && (allowed.length === 0 || allowed.includes(c));
    const idle = (c: number) =>
      k.cpus[c].current === k.cpus[c].idleTask && this.#rq[c].length === 0;
    if (ok(t.cpu) && idle(t.cpu)) return t.cpu;
    if (allowed.length === 1 && ok(allowed[0])) return allowed[0];
    const candidates = allowed.length === 0 ? k.cpus.map((c) => c.id) : allowed.filter(ok);
    if (candidates.length === 0) return t.cpu;
    for (const c of candidates) if (idle(c)) return c;
    if (ok(t.cpu)) return t.cpu;
    let best = candidates[0];
    for (const c of candidates) if (this.#rq[c].length < this.#rq[best].length) best = c;
    return best;
  }

  /**
   * set_cpus_allowed_ptr() / kthread_bind(): restrict a task to `cpus`
   * (empty: all). A runnable task not on an allowed CPU moves at once when it
   * is queued; the running one moves at its next wake-up.
   */
  setCpusAllowed(t: Task, cpus: number[]): void {
    t.cpusAllowed = [...cpus].sort((a, b) => a - b);
    if (t.cpusAllowed.length === 0 || t.cpusAllowed.includes(t.cpu)) return;
    if (t.onRq) {
      this.#dequeue(t);
      t.cpu = this.selectCpu(t);
      this.#enqueue(t);
      const cpu = this.kernel.cpus[t.cpu];
      if (this.#shouldPreempt(cpu.current, t, cpu)) cpu.needResched = true;
      cpu.poke();
    }
  }

  #shouldPreempt(curr: Task, t: Task, cpu: Cpu): boolean {
    if (curr === cpu.idleTask) return true;
    if (t.rt) return !curr.rt || t.rtPriority > curr.rtPriority;
    if (curr.rt) return false;
    this.#account(cpu);
    const gran = SCHED_WAKEUP_GRANULARITY_NS * 1024 / niceToWeight(t.nice);
    return curr.vruntime - t.vruntime > gran;
  }

  #enqueue(t: Task): void {
    if (t.onRq) return;
    t.onRq = true;
    this.#rq[t.cpu].push(t);
  }

  #dequeue(t: Task): void {
    if (!t.onRq) return;
    t.onRq = false;
    const q = this.#rq[t.cpu];
    const i = q.indexOf(t);
    if (i >= 0) q.splice(i, 1);
  }

  /** Charge the current task for the time since it was last accounted. */
  #account(cpu: Cpu): void {
    const t = cpu.current;
    const now = this.kernel.clock.now;
    const delta = now - t.execStart;
    if (delta <= 0) return;
    t.sumExecNs += delta;
    t.execStart = now;
    if (t.policy === "normal") {
      t.vruntime += delta * 1024 / niceToWeight(t.nice);
      this.#minVruntime[cpu.id] = Math.max(
        this.#minVruntime[cpu.id],
        Math.min(t.vruntime, ...this.#rq[cpu.id].filter((x) => !x.rt).map((x) => x.vruntime)),
      );
    }
  }

  #pickNext(cpu: Cpu): Task {
    const q = this.#rq[cpu.id];
    let best: Task | undefined;
    for (const t of q) {
      if (!best) best = t;
      else if (t.rt && (!best.rt || t.rtPriority > best.rtPriority)) best = t;
      else if (!t.rt && !best.rt && t.vruntime < best.vruntime) best = t;
    }
    return best ?? cpu.idleTask;
  }

  /**
   * __schedule(): pick the next task for `cpu` and switch to it.
   * `preempt` marks an involuntary switch (the previous task stays runnable).
   */
  schedule(cpu: Cpu, preempt: boolean): void {
    cpu.needResched = false;
    this.#account(cpu);
    const prev = cpu.current;
    if (prev !== cpu.idleTask && prev.state === "R") this.#enqueue(prev);
    const next = this.#pickNext(cpu);
    if (next === prev) {
      this.#dequeue(next);
      return;
    }
    this.#dequeue(next);
    prev.preempted = preempt && prev.state === "R";
    // __schedule(): irqs off, need_resched cleared, depth 2: schedule()'s
    // preempt_disable() (the idle task's own disabled preemption in
    // schedule_idle(), which traceEvent adds) and the rq lock
    if (this.kernel.trace.enabled) {
      this.kernel.traceEvent(
        sched_switch,
        {
          prev_comm: prev.comm,
          prev_pid: prev.pid,
          prev_prio: prev.prio,
          // the idle task leaves through schedule_idle() -> __schedule(SM_NONE): `R`
          prev_state: prev === cpu.idleTask
            ? 0
            : prev.preempted
            ? TASK_REPORT_MAX
            : taskReportState(prev),
          next_comm: next.comm,
          next_pid: next.pid,
          next_prio: next.prio,
        },
        cpu,
        prev === cpu.idleTask ? 1 : 2,
        true,
      );
    }
    for (const h of this.onSwitch) h({ cpu, prev, next });
    cpu.current = next;
    next.execStart = this.kernel.clock.now;
    const cost = this.kernel.costs.context_switch_ns;
    if (cost > 0) next.frame.remaining += cost;
  }

  /** The current task blocks (called by the executor for a sleep token). */
  sleepCurrent(cpu: Cpu, tok: SleepToken): void {
    const t = cpu.current;
    t.state = tok.state;
    if (tok.timeout && this.kernel.sleepTimers?.arm(t, tok, cpu)) {
      // a kernel timer (timer wheel or hrtimer) wakes the task
    } else if (Number.isFinite(tok.ns)) {
      t.wakeEvent = this.kernel.clock.scheduleIn(Math.max(0, Math.round(tok.ns)), (pid) => {
        const task = this.tasks.find((x) => x.pid === pid);
        if (task) {
          task.wakeEvent = NO_EVENT;
          this.wakeUp(task);
        }
      }, t.pid);
    }
    for (const h of this.onSleep) h(t, cpu);
    this.schedule(cpu, false);
  }

  /** The current task's body returned: the task exits. */
  exitCurrent(cpu: Cpu): void {
    const t = cpu.current;
    t.state = "X";
    t.exitCode = cpu.retval;
    for (const w of t.exitWaiters.splice(0)) this.wakeUp(w);
    this.schedule(cpu, false);
  }

  /** Find a task by pid. */
  byPid(pid: number): Task | undefined {
    return this.tasks.find((t) => t.pid === pid);
  }

  /** Called on each scheduler tick (scheduler_tick): time-slice preemption of fair tasks. */
  tick(cpu: Cpu): void {
    const curr = cpu.current;
    if (curr === cpu.idleTask || curr.policy !== "normal") return;
    this.#account(cpu);
    const q = this.#rq[cpu.id];
    const fair = q.filter((t) => !t.rt);
    if (q.some((t) => t.rt)) {
      cpu.needResched = true;
      return;
    }
    if (fair.length === 0) return;
    const nr = fair.length + 1;
    const slice = Math.max(SCHED_MIN_GRANULARITY_NS, SCHED_LATENCY_NS / nr);
    const ran = curr.sumExecNs - (curr.local.get(sliceStart) as number ?? 0);
    if (ran >= slice) {
      curr.local.set(sliceStart, curr.sumExecNs);
      cpu.needResched = true;
    }
  }
}

const sliceStart = Symbol("sliceStart");
