/**
 * Softirqs as Linux 6.1 runs them (kernel/softirq.c): the vectors, the
 * per-CPU pending mask, raising, `__do_softirq` (as a {@linkcode Body}),
 * `invoke_softirq` at irq_exit, `ksoftirqd/N`, and bottom-half disabling.
 *
 * Where pending softirqs run (kernel/softirq.c, §3.4 of the reference):
 * 1. at irq_exit, inline, when the CPU leaves its outermost hardirq and is
 *    not serving softirqs nor BH-disabled (6.1: unless ksoftirqd is runnable
 *    and neither HI nor TASKLET is pending; `threadirqs`: ksoftirqd instead);
 * 2. at local_bh_enable() from task context;
 * 3. in ksoftirqd/N, woken by a raise from task context or when
 *    __do_softirq runs out of its restart/time budget.
 *
 * @example
 * ```ts
 * const s = kernel.bus.get(SoftirqKey);
 * s.open_softirq(NET_RX_SOFTIRQ, () => pr_info("rx\n"));
 * // later, in a hardirq handler:
 * s.raise_softirq(NET_RX_SOFTIRQ); // runs at this interrupt's irq_exit
 * ```
 * @module
 */

import {
  type Body,
  type BodyGenerator,
  CALL,
  DONE,
  GeneratorBody,
  type SleepToken,
  sleepToken,
} from "../../core/body.ts";
import { type ServiceKey, serviceKey } from "../../core/bus.ts";
import { type Cpu, HARDIRQ_MASK, SOFTIRQ_DISABLE_OFFSET, SOFTIRQ_OFFSET } from "../../core/cpu.ts";
import type { Kernel, SoftirqHooks } from "../../core/kernel.ts";
import type { Task } from "../../core/sched.ts";
import { defineTraceEvent, type TraceEventType } from "../../core/trace.ts";

// ---- vectors (include/linux/interrupt.h) ----
/** High-priority tasklets. */
export const HI_SOFTIRQ = 0;
/** Timer wheel. */
export const TIMER_SOFTIRQ = 1;
/** Network transmit completion. */
export const NET_TX_SOFTIRQ = 2;
/** Network receive. */
export const NET_RX_SOFTIRQ = 3;
/** Block layer completions. */
export const BLOCK_SOFTIRQ = 4;
/** irq_poll (blk-iopoll). */
export const IRQ_POLL_SOFTIRQ = 5;
/** Normal tasklets. */
export const TASKLET_SOFTIRQ = 6;
/** Scheduler load balancing. */
export const SCHED_SOFTIRQ = 7;
/** Unused since 4.x, kept for the numbering (and /proc/softirqs rows). */
export const HRTIMER_SOFTIRQ = 8;
/** RCU callbacks. Stays last in the kernel's enum. */
export const RCU_SOFTIRQ = 9;
/** NR_SOFTIRQS of a kernel without added vectors. */
export const NR_SOFTIRQS = 10;

/** softirq_to_name[] (kernel/softirq.c): names in /proc/softirqs and traces. */
export const softirq_to_name: readonly string[] = Object.freeze([
  "HI",
  "TIMER",
  "NET_TX",
  "NET_RX",
  "BLOCK",
  "IRQ_POLL",
  "TASKLET",
  "SCHED",
  "HRTIMER",
  "RCU",
]);

/**
 * MAX_SOFTIRQ_RESTART (kernel/softirq.c): __do_softirq makes at most this
 * many passes (`--max_restart` is a pre-decrement: 10 passes, not 11).
 */
export const MAX_SOFTIRQ_RESTART = 10;
/** MAX_SOFTIRQ_TIME (kernel/softirq.c) = msecs_to_jiffies(2): the budget in ms. */
export const MAX_SOFTIRQ_TIME_MS = 2;

/**
 * `struct softirq_action`: what open_softirq() stores. The action gets it
 * back as its argument, as `void (*action)(struct softirq_action *)` does.
 */
export interface softirq_action {
  /** The vector's action (open_softirq). */
  action: SoftirqActionFn;
}

/**
 * A softirq action. Runs in softirq context (in_serving_softirq(), hardirqs
 * enabled). A plain function costs its `cost_ns` (see `withCost`) or the
 * machine's `handler_ns`, plus its kernel calls; a generator function lets
 * time pass where it yields (`yield mdelay(1)`), and hardirqs nest there.
 */
export type SoftirqActionFn = (h: softirq_action) => void | BodyGenerator<unknown>;

// ---- tracepoints (include/trace/events/irq.h) ----
/** Arguments of the softirq tracepoints. */
export interface SoftirqTraceArgs {
  /** Vector number. */
  vec: number;
  /** show_softirq_name(vec), resolved when recorded. */
  name: string;
}
const softirqFormat = (a: SoftirqTraceArgs) => `vec=${a.vec} [action=${a.name}]`;
/** irq:softirq_raise */
export const softirq_raise: TraceEventType<SoftirqTraceArgs> = defineTraceEvent<SoftirqTraceArgs>(
  "irq",
  "softirq_raise",
  softirqFormat,
);
/** irq:softirq_entry */
export const softirq_entry: TraceEventType<SoftirqTraceArgs> = defineTraceEvent<SoftirqTraceArgs>(
  "irq",
  "softirq_entry",
  softirqFormat,
);
/** irq:softirq_exit */
export const softirq_exit: TraceEventType<SoftirqTraceArgs> = defineTraceEvent<SoftirqTraceArgs>(
  "irq",
  "softirq_exit",
  softirqFormat,
);

/** Name of the per-CPU counter of pending vectors the timeline draws. */
export const PENDING_COUNTER = "pending softirqs";

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v &= v - 1) n++;
  return n;
}

/** Service key of the softirq layer. */
export const SoftirqKey: ServiceKey<Softirq> = serviceKey<Softirq>("softirq");

/** Raised for a misuse of the vector table by module code (a configuration fault). */
export class SoftirqVectorError extends Error {
  /** Error name. */
  override name = "SoftirqVectorError";
}

/** The softirq layer of one machine. */
export class Softirq implements SoftirqHooks {
  /** softirq_to_name[] of this kernel (with vectors modules added). */
  readonly names: string[] = [...softirq_to_name];
  /** softirq_vec[]: the opened actions. */
  readonly vec: (softirq_action | undefined)[] = new Array(NR_SOFTIRQS).fill(undefined);
  /** irq_stat[cpu].__softirq_pending */
  readonly pendingMask: number[];
  /** kstat_softirqs[cpu][vec]: executions (incremented before the action runs). */
  readonly counts: number[][];
  /** ksoftirqd/N, once started. */
  readonly ksoftirqd: (Task | undefined)[];
  /** HI and TASKLET bits: pending work that 6.1's ksoftirqd_running() never defers. */
  #noDeferMask = (1 << HI_SOFTIRQ) | (1 << TASKLET_SOFTIRQ);
  /** One __do_softirq body per CPU (it cannot nest on a CPU: SOFTIRQ_OFFSET stops it). */
  readonly #runs: DoSoftirq[];
  /** One local_bh_enable() tail per CPU (pooled like #runs). */
  readonly #bhRuns: BhEnableRun[];
  #warnedNoAction = new Set<number>();
  #warnedBhHardirq = false;

  /** Create a Softirq. */
  constructor(readonly kernel: Kernel) {
    const n = kernel.cpus.length;
    this.pendingMask = new Array(n).fill(0);
    this.counts = kernel.cpus.map(() => new Array(NR_SOFTIRQS).fill(0));
    this.ksoftirqd = new Array(n).fill(undefined);
    this.#runs = kernel.cpus.map(() => new DoSoftirq(this));
    this.#bhRuns = kernel.cpus.map(() => new BhEnableRun(this));
  }

  /** NR_SOFTIRQS of this kernel. */
  get nr(): number {
    return this.names.length;
  }

  /**
   * Add a vector as a patch to `enum { HI_SOFTIRQ, ... }` would: insert
   * `name` before vector `before` (default: at the end) and renumber the
   * vectors after it, with their actions, counts and pending bits. Returns
   * the new vector's number; the name of an existing vector returns its
   * number. The classic `MY_SOFTIRQ` goes before RCU_SOFTIRQ (RCU stays
   * last): `softirq_register_vector("MY", RCU_SOFTIRQ)` returns 9 and RCU
   * becomes 10 — code that raises RCU must then look it up with
   * {@linkcode Softirq.vectorOf}, as a rebuilt kernel would renumber it.
   */
  softirq_register_vector(name: string, before: number = this.nr): number {
    const have = this.names.indexOf(name);
    if (have >= 0) return have;
    if (!Number.isInteger(before) || before < 0 || before > this.nr) {
      throw new SoftirqVectorError(
        `Cannot insert softirq vector ${name} before ${before}: vectors are 0..${this.nr}`,
      );
    }
    if (this.nr >= 32) {
      throw new SoftirqVectorError(
        `Cannot insert softirq vector ${name}: the pending mask has 32 bits, all used`,
      );
    }
    this.names.splice(before, 0, name);
    this.vec.splice(before, 0, undefined);
    for (const c of this.counts) c.splice(before, 0, 0);
    const low = (1 << before) - 1;
    const shift = (m: number) => ((m & low) | ((m & ~low) << 1)) >>> 0;
    for (let i = 0; i < this.pendingMask.length; i++) {
      this.pendingMask[i] = shift(this.pendingMask[i]);
    }
    this.#noDeferMask = shift(this.#noDeferMask);
    return before;
  }

  /** The number of the vector named `name` (HI, TIMER, ..., or an added one), or -1. */
  vectorOf(name: string): number {
    return this.names.indexOf(name);
  }

  #checkNr(nr: number, fn: string): void {
    if (!Number.isInteger(nr) || nr < 0 || nr >= this.nr) {
      throw new SoftirqVectorError(
        `Cannot ${fn}(${nr}): softirq vectors are 0..${this.nr - 1} ` +
          `(add one with softirq_register_vector)`,
      );
    }
  }

  /** open_softirq(nr, action): install the action of vector `nr`. */
  open_softirq(nr: number, action: SoftirqActionFn): void {
    this.#checkNr(nr, "open_softirq");
    this.vec[nr] = { action };
  }

  /** local_softirq_pending() of `cpu`. */
  local_softirq_pending(cpu: Cpu = this.kernel.thisCpu()): number {
    return this.pendingMask[cpu.id];
  }

  /**
   * __raise_softirq_irqoff(nr): trace softirq_raise and set the bit. Never
   * wakes anything. May run in interrupt context.
   */
  __raise_softirq_irqoff(nr: number, cpu: Cpu = this.kernel.thisCpu()): void {
    this.#checkNr(nr, "__raise_softirq_irqoff");
    const k = this.kernel;
    const was = this.pendingMask[cpu.id];
    this.pendingMask[cpu.id] = was | (1 << nr);
    if (k.trace.enabled) {
      k.traceEvent(softirq_raise, { vec: nr, name: this.names[nr] }, cpu);
      // timeline: the raise that made the vector pending starts an arrow to its entry
      if (!(was & (1 << nr))) k.traceFlow("softirq", `${cpu.id}:${nr}`, "start", cpu);
      k.traceCounter(PENDING_COUNTER, popcount(this.pendingMask[cpu.id]), cpu.id);
    }
  }

  /**
   * raise_softirq_irqoff(nr): set the bit; from plain task context
   * (!in_interrupt()) also wake ksoftirqd, since no irq_exit or
   * local_bh_enable is coming to run it. May run in interrupt context.
   */
  raise_softirq_irqoff(nr: number, cpu: Cpu = this.kernel.thisCpu()): void {
    this.__raise_softirq_irqoff(nr, cpu);
    // should_wake_ksoftirqd() is always true without PREEMPT_RT
    if (!cpu.inInterrupt()) this.wakeup_softirqd(cpu);
  }

  /** raise_softirq(nr): raise_softirq_irqoff() under local_irq_save(). May run in interrupt context. */
  raise_softirq(nr: number, cpu: Cpu = this.kernel.thisCpu()): void {
    const flags = cpu.irqsDisabled;
    cpu.irqsDisabled = true;
    this.raise_softirq_irqoff(nr, cpu);
    cpu.irqsDisabled = flags;
    if (!flags && cpu.intrPending) cpu.poke();
  }

  /** wakeup_softirqd(): wake this CPU's ksoftirqd (nothing before it exists). */
  wakeup_softirqd(cpu: Cpu = this.kernel.thisCpu()): void {
    const t = this.ksoftirqd[cpu.id];
    if (t) this.kernel.sched.wakeUp(t);
  }

  /**
   * ksoftirqd_running(pending) (kernel/softirq.c, 6.1 only): true when
   * ksoftirqd is TASK_RUNNING and the pending work has neither HI nor
   * TASKLET, so the caller leaves the work to ksoftirqd. Removed by the
   * revert of "softirq: Let ksoftirqd do its job" (before 6.6).
   */
  ksoftirqd_running(pending: number, cpu: Cpu): boolean {
    if (this.kernel.config.version !== "6.1") return false;
    const t = this.ksoftirqd[cpu.id];
    if (pending & this.#noDeferMask) return false;
    // task_is_running(tsk) && !__kthread_should_park(tsk) (no parking modelled)
    return t !== undefined && t.state === "R";
  }

  /** The __do_softirq body for `cpu` (pooled; a fresh one if the pooled one is in use). */
  doSoftirqBody(cpu: Cpu): Body {
    const r = this.#runs[cpu.id];
    return r.active ? new DoSoftirq(this).reset() : r.reset();
  }

  // ---- SoftirqHooks (called by Cpu.irqExit) ----

  /** local_softirq_pending() != 0. Runs in interrupt context. */
  pending(cpu: Cpu): boolean {
    return this.pendingMask[cpu.id] !== 0;
  }

  /**
   * invoke_softirq() (kernel/softirq.c), called by irq_exit with interrupts
   * off once !in_interrupt() and pending: the __do_softirq body to run
   * inline, or undefined when the work is left to ksoftirqd. Runs in
   * interrupt context.
   */
  onIrqExit(cpu: Cpu): Body | undefined {
    if (this.ksoftirqd_running(this.pendingMask[cpu.id], cpu)) return undefined;
    // force_irqthreads() (`threadirqs`): softirqs go to ksoftirqd, once it exists
    if (!this.kernel.config.threadirqs || !this.ksoftirqd[cpu.id]) return this.doSoftirqBody(cpu);
    this.wakeup_softirqd(cpu);
    return undefined;
  }

  // ---- bottom halves (kernel/softirq.c, include/linux/bottom_half.h) ----

  /** local_bh_disable(): preempt_count += SOFTIRQ_DISABLE_OFFSET. */
  local_bh_disable(cpu: Cpu = this.kernel.thisCpu()): void {
    cpu.preemptCount += SOFTIRQ_DISABLE_OFFSET;
  }

  /** _local_bh_enable(): drop the BH count without running pending softirqs. */
  _local_bh_enable(cpu: Cpu = this.kernel.thisCpu()): void {
    cpu.preemptCount -= SOFTIRQ_DISABLE_OFFSET;
  }

  /**
   * __local_bh_enable_ip(ip, SOFTIRQ_DISABLE_OFFSET) (kernel/softirq.c,
   * !PREEMPT_RT): drop the BH count keeping preemption off, run pending
   * softirqs if no longer in interrupt (do_softirq), then preempt_enable.
   *
   * Returns the body that runs the rest (do_softirq() and the final
   * preempt_enable()) when softirqs are due, so that their time passes
   * inside the caller and hardirqs nest in them: the caller must run it as
   * a sub-body (a call token). Returns undefined when nothing is due; the
   * whole enable is then done. See {@linkcode Softirq.local_bh_enable} for
   * callers that cannot run a sub-body.
   */
  bhEnableBody(cpu: Cpu = this.kernel.thisCpu()): Body | undefined {
    const k = this.kernel;
    if ((cpu.preemptCount & HARDIRQ_MASK) !== 0 && !this.#warnedBhHardirq) {
      // WARN_ON_ONCE(in_hardirq())
      this.#warnedBhHardirq = true;
      k.warn(undefined, "__local_bh_enable_ip", "kernel/softirq.c");
    }
    // "Keep preemption disabled until we are done with softirq processing"
    cpu.preemptCount -= SOFTIRQ_DISABLE_OFFSET - 1;
    if (!cpu.inInterrupt() && this.pendingMask[cpu.id] !== 0) {
      const r = this.#bhRuns[cpu.id];
      return r.active ? new BhEnableRun(this) : r;
    }
    this.#preemptEnable(cpu);
    return undefined;
  }

  /**
   * local_bh_enable() for callers that cannot run a sub-body: due softirqs
   * run at once ({@linkcode Softirq.runInline}: their time is charged to
   * the running step and hardirqs wait until it ends). Module code uses the
   * API's `local_bh_enable()`, which runs them as a sub-body instead.
   */
  local_bh_enable(cpu: Cpu = this.kernel.thisCpu()): void {
    const body = this.bhEnableBody(cpu);
    if (body) this.runInline(cpu, body);
  }

  /** The final preempt_count_dec() + preempt_check_resched() of __local_bh_enable_ip. */
  #preemptEnable(cpu: Cpu): void {
    cpu.preemptCount -= 1;
    if (cpu.preemptCount === 0 && cpu.needResched) cpu.poke(); // preempt_check_resched()
  }

  /** Called by {@linkcode BhEnableRun} when its softirqs are done. */
  bhEnableDone(cpu: Cpu): void {
    this.#preemptEnable(cpu);
  }

  /**
   * do_softirq() from task context, for callers outside a CPU's executor
   * (headless `kernel.enter` calls): run pending softirqs at once with
   * {@linkcode Softirq.runInline}. Returns at once in interrupt context and,
   * in 6.1, when ksoftirqd_running().
   */
  do_softirq(cpu: Cpu = this.kernel.thisCpu()): void {
    if (cpu.inInterrupt()) return;
    const flags = cpu.irqsDisabled;
    cpu.irqsDisabled = true;
    const pending = this.pendingMask[cpu.id];
    if (pending && !this.ksoftirqd_running(pending, cpu)) {
      this.runInline(cpu, this.doSoftirqBody(cpu));
    }
    cpu.irqsDisabled = flags;
    if (!flags && cpu.intrPending) cpu.poke();
  }

  /**
   * Run `body` to completion at the current instant (a small executor for
   * busy/CALL/DONE answers): its busy time is added to `cpu.accum`, so it is
   * charged to the running step, and hardirqs arriving meanwhile are taken
   * afterwards. Used only where no executor can run the body as a sub-body
   * (headless calls, a second local_bh_enable() in one plain-function step).
   * Sleeping here is atomic (a BUG the CPU already reported), so BLOCK/HALT
   * cannot come back; if they do the run stops with a one-time message.
   */
  runInline(cpu: Cpu, body: Body): void {
    const stack: Body[] = [body];
    const k = this.kernel;
    while (stack.length > 0 && !k.halted) {
      const r = stack[stack.length - 1].step(cpu);
      if (r >= 0) cpu.accum += r;
      else if (r === DONE) stack.pop();
      else if (r === CALL) {
        stack.push(cpu.callee!);
        cpu.callee = undefined;
      } else {
        k.notImplemented(`blocking in softirqs run by local_bh_enable() (step result ${r})`);
        return;
      }
    }
  }

  /** The action of `vec` is missing: the kernel would jump to NULL; say so once. */
  noAction(vec: number): void {
    if (this.#warnedNoAction.has(vec)) return;
    this.#warnedNoAction.add(vec);
    this.kernel.printk(
      3,
      `irqlab: softirq ${vec} ${this.names[vec]} raised with no action (open_softirq missing); ` +
        `the kernel would oops on a NULL call here`,
    );
  }

  /** /proc/softirqs (fs/proc/softirqs.c show_softirqs): all possible CPUs. */
  show(): string {
    const cpus = this.kernel.cpus;
    let s = " ".repeat(20);
    for (const c of cpus) s += `CPU${String(c.id).padEnd(8)}`;
    s += "\n";
    for (let i = 0; i < this.nr; i++) {
      s += `${this.names[i].padStart(12)}:`;
      for (const c of cpus) s += ` ${String(this.counts[c.id][i]).padStart(10)}`;
      s += "\n";
    }
    return s;
  }

  /** Create ksoftirqd/N on every CPU, asleep (spawn_ksoftirqd, an early_initcall). */
  spawnKsoftirqd(): void {
    for (const cpu of this.kernel.cpus) {
      if (this.ksoftirqd[cpu.id]) continue;
      this.ksoftirqd[cpu.id] = this.kernel.sched.create({
        comm: `ksoftirqd/${cpu.id}`,
        body: new KsoftirqdBody(this),
        policy: "normal",
        nice: 0,
        cpu: cpu.id,
        cpusAllowed: [cpu.id], // smpboot: a per-CPU thread
        kthread: true,
        start: "sleeping",
      });
    }
  }
}

const BH_START = 0, BH_AFTER = 1;

/**
 * The rest of __local_bh_enable_ip() once softirqs are due: do_softirq()
 * (local_irq_save, __do_softirq unless 6.1's ksoftirqd_running(),
 * local_irq_restore), then the final preempt_enable. Runs as a sub-body of
 * the caller (task context, preemption off, softirqs served on top of it).
 * Leaves `cpu.retval` as it found it.
 */
export class BhEnableRun implements Body {
  readonly label = "local_bh_enable";
  /** True between the first step and DONE. */
  active = false;
  #phase = BH_START;
  #flags = false;
  #retval = 0;
  /** Create a BhEnableRun. */
  constructor(readonly s: Softirq) {}

  /** See Body.step. */
  step(cpu: Cpu): number {
    const s = this.s;
    if (this.#phase === BH_START) {
      this.active = true;
      this.#retval = cpu.retval;
      this.#phase = BH_AFTER;
      // do_softirq(): if (in_interrupt()) return; local_irq_save(flags)
      if (cpu.inInterrupt()) return 0;
      this.#flags = cpu.irqsDisabled;
      cpu.irqsDisabled = true;
      const pending = s.pendingMask[cpu.id];
      if (pending && !s.ksoftirqd_running(pending, cpu)) {
        cpu.callee = s.doSoftirqBody(cpu);
        return CALL;
      }
      return 0;
    }
    // local_irq_restore(flags)
    cpu.irqsDisabled = this.#flags;
    if (!this.#flags && cpu.intrPending) cpu.poke();
    s.bhEnableDone(cpu);
    cpu.retval = this.#retval;
    this.#phase = BH_START;
    this.active = false;
    return DONE;
  }
}

const START = 0, RESTART = 1, NEXT = 2, ACTION_EXIT = 3, PASS_END = 4;

/**
 * __do_softirq() (kernel/softirq.c) as a body. Entered with interrupts
 * off; runs the actions with interrupts on (hardirqs nest; their irq_exit
 * sees SOFTIRQ_OFFSET and does not recurse). Runs in interrupt (softirq)
 * context.
 */
export class DoSoftirq implements Body {
  readonly label = "__do_softirq";
  /** True between the first step and DONE. */
  active = false;
  #phase = START;
  #pending = 0;
  #end = 0;
  #maxRestart = 0;
  #vec = 0;
  #prevCount = 0;

  /** Create a DoSoftirq. */
  constructor(readonly s: Softirq) {}

  /** Prepare a fresh run. */
  reset(): this {
    this.#phase = START;
    this.active = false;
    return this;
  }

  /** See Body.step. */
  step(cpu: Cpu): number {
    const s = this.s, k = s.kernel;
    for (;;) {
      switch (this.#phase) {
        case START: {
          this.active = true;
          // end = jiffies + MAX_SOFTIRQ_TIME, msecs_to_jiffies(2) rounds up
          this.#end = k.jiffies + Math.ceil(MAX_SOFTIRQ_TIME_MS * k.config.hz / 1000);
          this.#maxRestart = MAX_SOFTIRQ_RESTART;
          this.#pending = s.pendingMask[cpu.id];
          cpu.preemptCount += SOFTIRQ_OFFSET; // __local_bh_disable_ip(_RET_IP_, SOFTIRQ_OFFSET)
          this.#phase = RESTART;
          continue;
        }
        case RESTART:
          s.pendingMask[cpu.id] = 0; // set_softirq_pending(0)
          if (k.trace.enabled) k.traceCounter(PENDING_COUNTER, 0, cpu.id);
          cpu.irqsDisabled = false; // local_irq_enable(): a pending irq is taken next boundary
          this.#phase = NEXT;
          return 0;
        case NEXT: {
          const p = this.#pending;
          if (p === 0) {
            this.#phase = PASS_END;
            continue;
          }
          const vec = 31 - Math.clz32(p & -p); // lowest set bit first (ffs)
          this.#pending = p & (p - 1);
          this.#vec = vec;
          this.#prevCount = cpu.preemptCount;
          s.counts[cpu.id][vec]++; // kstat_incr_softirqs_this_cpu()
          if (k.trace.enabled) {
            k.traceEvent(softirq_entry, { vec, name: s.names[vec] }, cpu);
            k.traceFlow("softirq", `${cpu.id}:${vec}`, "end", cpu);
          }
          this.#phase = ACTION_EXIT;
          const h = s.vec[vec];
          if (!h) {
            s.noAction(vec);
            continue;
          }
          const r = h.action(h);
          if (r && typeof (r as BodyGenerator).next === "function") {
            cpu.callee = new GeneratorBody(r as BodyGenerator, s.names[vec]);
            return CALL;
          }
          return (h.action as { cost_ns?: number }).cost_ns ?? k.costs.handler_ns;
        }
        case ACTION_EXIT: {
          const vec = this.#vec;
          if (k.trace.enabled) k.traceEvent(softirq_exit, { vec, name: s.names[vec] }, cpu);
          if (cpu.preemptCount !== this.#prevCount) {
            k.printk(
              3,
              `huh, entered softirq ${vec} ${s.names[vec]} ${actionPtr(vec)} with preempt_count ${
                hex8(this.#prevCount)
              }, exited with ${hex8(cpu.preemptCount)}?`,
            );
            cpu.preemptCount = this.#prevCount;
          }
          this.#phase = NEXT;
          continue;
        }
        case PASS_END: {
          // (ksoftirqd: rcu_softirq_qs() — RCU is not modelled)
          cpu.irqsDisabled = true; // local_irq_disable()
          const pending = s.pendingMask[cpu.id];
          if (pending) {
            // time_before(jiffies, end) && !need_resched() && --max_restart
            if (k.jiffies - this.#end < 0 && !cpu.needResched && --this.#maxRestart) {
              this.#pending = pending;
              this.#phase = RESTART;
              continue;
            }
            s.wakeup_softirqd(cpu);
          }
          cpu.preemptCount -= SOFTIRQ_OFFSET; // __local_bh_enable(SOFTIRQ_OFFSET)
          this.active = false;
          this.#phase = START;
          return DONE;
        }
      }
    }
  }
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

/** %p of the action: hashed pointers print as 16 hex digits; a stable stand-in per vector. */
function actionPtr(vec: number): string {
  return (0x1000 + vec).toString(16).padStart(16, "0");
}

const LOOP = 0, RUN = 1, AFTER = 2;

/**
 * ksoftirqd/N: smpboot_thread_fn() around run_ksoftirqd() (kernel/smpboot.c,
 * kernel/softirq.c). Sleeps (TASK_INTERRUPTIBLE) while nothing is pending;
 * otherwise runs __do_softirq with interrupts off on entry, then
 * cond_resched().
 */
class KsoftirqdBody implements Body {
  readonly label = "ksoftirqd";
  #phase = LOOP;
  /** smpboot_thread_fn's schedule() in TASK_INTERRUPTIBLE (one token, reused). */
  readonly #sleep: SleepToken = sleepToken(Infinity, "S", "smpboot_thread_fn");
  constructor(readonly s: Softirq) {}

  step(cpu: Cpu): number {
    const s = this.s;
    switch (this.#phase) {
      case LOOP:
        // ksoftirqd_should_run(): local_softirq_pending()
        if (s.pendingMask[cpu.id] === 0) {
          return cpu.sleep(this.#sleep);
        }
        this.#phase = RUN;
        return 0;
      case RUN:
        cpu.irqsDisabled = true; // local_irq_disable()
        this.#phase = AFTER;
        if (s.pendingMask[cpu.id] !== 0) {
          cpu.callee = s.doSoftirqBody(cpu);
          return CALL;
        }
        return 0;
      default:
        cpu.irqsDisabled = false; // local_irq_enable()
        if (cpu.intrPending) cpu.poke();
        cpu.voluntaryPoint = true; // cond_resched()
        this.#phase = LOOP;
        return 0;
    }
  }
}
