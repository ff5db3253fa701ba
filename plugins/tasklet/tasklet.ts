/**
 * Tasklets as Linux 6.1 runs them (kernel/softirq.c, include/linux/interrupt.h):
 * `struct tasklet_struct` with its `state` bits and disable `count`, the
 * per-CPU `tasklet_vec` / `tasklet_hi_vec` lists served by TASKLET_SOFTIRQ
 * and HI_SOFTIRQ, `tasklet_action_common`, and the waits of
 * `tasklet_disable`, `tasklet_unlock_wait` and `tasklet_kill`.
 *
 * Rules the model keeps (kernel/softirq.c):
 * - scheduling is run-once: `tasklet_schedule` queues only when it sets
 *   TASKLET_STATE_SCHED itself, on the CPU that calls it;
 * - a tasklet never runs on two CPUs at once: `tasklet_action_common` takes
 *   TASKLET_STATE_RUN with a trylock, and a tasklet running elsewhere (or
 *   disabled) is put back on this CPU's list with its softirq raised again,
 *   so a scheduled-but-disabled tasklet spins between `__do_softirq` passes
 *   and then in ksoftirqd until it is enabled;
 * - SCHED is cleared just before the callback runs, so the callback may
 *   reschedule its own tasklet.
 *
 * The kernel is modelled with CONFIG_SMP (as every x86 and arm64 distro
 * kernel, even on one CPU): TASKLET_STATE_RUN is always tracked.
 *
 * @example
 * ```ts
 * const t = DECLARE_TASKLET("my_tasklet", (t) => pr_info("tasklet ran\n"));
 * function handler(_irq: number, _dev: unknown) {
 *   tasklet_schedule(t); // runs in TASKLET_SOFTIRQ at this interrupt's irq_exit
 *   return IRQ_HANDLED;
 * }
 * ```
 * @module
 */

import { noteCall, noteSleep } from "../../linux/api.ts";
import {
  type Body,
  type BodyGenerator,
  BUSY,
  type BusyToken,
  CALL,
  type CallToken,
  DONE,
  GeneratorBody,
  sleepToken,
} from "../../core/body.ts";
import { type ServiceKey, serviceKey } from "../../core/bus.ts";
import type { Cpu } from "../../core/cpu.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { Task } from "../../core/sched.ts";
import { defineTraceEvent, type TraceEventType } from "../../core/trace.ts";
import type { Softirq } from "../softirq/mod.ts";

// ---- include/linux/interrupt.h ----
/** Bit number in `state`: the tasklet is queued on some CPU's list. */
export const TASKLET_STATE_SCHED = 0;
/** Bit number in `state`: the tasklet is running (SMP and PREEMPT_RT kernels). */
export const TASKLET_STATE_RUN = 1;

const SCHED = 1 << TASKLET_STATE_SCHED;
const RUN = 1 << TASKLET_STATE_RUN;

/**
 * Time charged for putting one tasklet back on the list (local_irq_disable,
 * two stores, __raise_softirq_irqoff, local_irq_enable). Not a machine cost:
 * it only keeps a disabled tasklet's spinning from happening in zero time,
 * like genirq's cpu_relax() wait (100 ns).
 */
export const TASKLET_REQUEUE_NS = 100;
/** One cpu_relax() round of a spinning wait (tasklet_unlock_spin_wait). */
const SPIN_NS = 100;

/**
 * A tasklet callback (tasklet_setup / DECLARE_TASKLET): gets the tasklet.
 * Runs in softirq context. A plain function costs its `cost_ns` (see
 * `withCost`) or the machine's `handler_ns`, plus its kernel calls; a
 * generator function lets time pass where it yields.
 */
export type TaskletCallback = (t: tasklet_struct) => void | BodyGenerator<unknown>;
/** An old-style tasklet function (tasklet_init / DECLARE_TASKLET_OLD): gets `data`. */
export type TaskletFunc = (data: unknown) => void | BodyGenerator<unknown>;

/**
 * `struct tasklet_struct`. `state` holds the TASKLET_STATE_* bits, `count`
 * the disable depth (0: enabled). To reach the object a tasklet is embedded
 * in from its callback (the kernel's container_of / from_tasklet), create it
 * with that object: `tasklet = new tasklet_struct(this)`.
 */
export class tasklet_struct {
  /** Next on a per-CPU list. */
  next: tasklet_struct | null = null;
  /** TASKLET_STATE_SCHED and TASKLET_STATE_RUN bits. */
  state = 0;
  /** Disable count (atomic_t): 0 = enabled. */
  count = 0;
  /** True for tasklet_setup()/DECLARE_TASKLET tasklets (callback gets the tasklet). */
  use_callback = false;
  /** Old-style function, called with `data` (tasklet_init). */
  func: TaskletFunc | null = null;
  /** New-style callback, called with the tasklet (tasklet_setup). */
  callback: TaskletCallback | null = null;
  /** Argument of an old-style `func`. */
  data: unknown = 0;
  /** The variable name of a DECLARE_TASKLET*, printed by traces (%ps). */
  name: string | undefined;
  /** Tasks in wait_var_event(&t->state, ...). */
  readonly waiters: Task[] = [];

  /** `container`: the object this tasklet is embedded in (see {@linkcode from_tasklet}). */
  constructor(readonly container?: object) {}
}

/** Raised for a misuse a C compiler or container_of would not survive (a configuration fault). */
export class TaskletError extends Error {
  /** Error name. */
  override name = "TaskletError";
}

/**
 * from_tasklet(var, t, field): the object `t` is embedded in as `field`
 * (container_of). TypeScript cannot compute it from an address: the
 * tasklet must have been created as `new tasklet_struct(container)`.
 *
 * @example
 * ```ts
 * class MyDev { tasklet = new tasklet_struct(this); events = 0; }
 * const cb = (t: tasklet_struct) => { from_tasklet<MyDev>(t, "tasklet").events++; };
 * ```
 */
export function from_tasklet<T extends object>(t: tasklet_struct, field: keyof T & string): T {
  const c = t.container as Record<string, unknown> | undefined;
  if (!c || c[field] !== t) {
    throw new TaskletError(
      `Cannot get the container of tasklet ${t.name ?? "(unnamed)"} by field "${field}": ` +
        (c ? `its container's "${field}" is not this tasklet` : "it was created without one") +
        "; create it with new tasklet_struct(container) and store it in that field",
    );
  }
  return c as T;
}

/** tasklet_init(t, func, data): an old-style tasklet, enabled, not scheduled. */
export function tasklet_init(t: tasklet_struct, func: TaskletFunc, data: unknown): void {
  t.next = null;
  t.state = 0;
  t.count = 0;
  t.func = func;
  t.callback = null;
  t.use_callback = false;
  t.data = data;
}

/** tasklet_setup(t, callback): enabled, not scheduled; the callback gets the tasklet. */
export function tasklet_setup(t: tasklet_struct, callback: TaskletCallback): void {
  t.next = null;
  t.state = 0;
  t.count = 0;
  t.callback = callback;
  t.func = null;
  t.use_callback = true;
  t.data = 0;
}

/** DECLARE_TASKLET(name, callback): a static tasklet, enabled (count 0). */
export function DECLARE_TASKLET(name: string, callback: TaskletCallback): tasklet_struct {
  const t = new tasklet_struct();
  tasklet_setup(t, callback);
  t.name = name;
  return t;
}

/** DECLARE_TASKLET_DISABLED(name, callback): a static tasklet, disabled (count 1). */
export function DECLARE_TASKLET_DISABLED(name: string, callback: TaskletCallback): tasklet_struct {
  const t = DECLARE_TASKLET(name, callback);
  t.count = 1;
  return t;
}

/** DECLARE_TASKLET_OLD(name, func): an old-style static tasklet (data 0), enabled. */
export function DECLARE_TASKLET_OLD(name: string, func: TaskletFunc): tasklet_struct {
  const t = new tasklet_struct();
  tasklet_init(t, func, 0);
  t.name = name;
  return t;
}

// ---- tracepoints (include/trace/events/irq.h, v6.4+; absent in 6.1) ----
/** Arguments of the tasklet tracepoints, resolved for %ps when recorded. */
export interface TaskletTraceArgs {
  /** The tasklet, as `%p` prints it. */
  tasklet: string;
  /** Old-style function, called with `data` (tasklet_init). */
  func: string;
}
const taskletFormat = (a: TaskletTraceArgs) => `tasklet=${a.tasklet} function=${a.func}`;
/** irq:tasklet_entry (6.6 only: added in v6.4, not in 6.1.0). */
export const tasklet_entry: TraceEventType<TaskletTraceArgs> = defineTraceEvent<TaskletTraceArgs>(
  "irq",
  "tasklet_entry",
  taskletFormat,
  { versions: ["6.6"] },
);
/** irq:tasklet_exit (6.6 only). */
export const tasklet_exit: TraceEventType<TaskletTraceArgs> = defineTraceEvent<TaskletTraceArgs>(
  "irq",
  "tasklet_exit",
  taskletFormat,
  { versions: ["6.6"] },
);

/** Service key of the tasklet layer. */
export const TaskletKey: ServiceKey<Tasklets> = serviceKey<Tasklets>("tasklet");

/** `struct tasklet_head`: a FIFO list (head and tail). */
export interface tasklet_head {
  /** First tasklet of the list. */
  head: tasklet_struct | null;
  /** Last tasklet of the list. */
  tail: tasklet_struct | null;
}

/** %ps of a function pointer: its symbol name. */
function fnName(f: unknown): string {
  return (typeof f === "function" && f.name) ? f.name : "0x0";
}

/** The tasklet layer of one machine. */
export class Tasklets {
  /** per-CPU tasklet_vec (TASKLET_SOFTIRQ). */
  readonly tasklet_vec: tasklet_head[];
  /** per-CPU tasklet_hi_vec (HI_SOFTIRQ). */
  readonly tasklet_hi_vec: tasklet_head[];
  /** Callbacks run so far (all CPUs), for reports and tests. */
  runs = 0;
  #warnedClear = false;
  #ptrs = new WeakMap<tasklet_struct, string>();
  #nextPtr = 0;

  /** Create a Tasklets. */
  constructor(readonly kernel: Kernel, readonly softirq: Softirq) {
    this.tasklet_vec = kernel.cpus.map(() => ({ head: null, tail: null }));
    this.tasklet_hi_vec = kernel.cpus.map(() => ({ head: null, tail: null }));
  }

  /** softirq_init(): open TASKLET_SOFTIRQ and HI_SOFTIRQ with the tasklet actions. */
  softirq_init(): void {
    const s = this.softirq;
    s.open_softirq(s.vectorOf("TASKLET"), () => this.#action(this.tasklet_vec, "TASKLET"));
    s.open_softirq(s.vectorOf("HI"), () => this.#action(this.tasklet_hi_vec, "HI"));
  }

  // ---- scheduling ----

  /**
   * __tasklet_schedule_common(): append `t` to this CPU's list and raise
   * the vector with raise_softirq_irqoff (so from task context ksoftirqd
   * is woken), under local_irq_save. May run in interrupt context.
   */
  #scheduleCommon(t: tasklet_struct, heads: tasklet_head[], vec: string, cpu: Cpu): void {
    const flags = cpu.irqsDisabled;
    cpu.irqsDisabled = true;
    append(heads[cpu.id], t);
    // timeline: an arrow from tasklet_schedule to the run of this tasklet
    if (this.kernel.trace.enabled) this.kernel.traceFlow("tasklet", this.#flowKey(t), "start", cpu);
    this.softirq.raise_softirq_irqoff(this.softirq.vectorOf(vec), cpu);
    cpu.irqsDisabled = flags;
    if (!flags && cpu.intrPending) cpu.poke();
  }

  /**
   * tasklet_schedule(t): queue on this CPU unless TASKLET_STATE_SCHED was
   * already set (then nothing: no second queueing, no counting). Returns
   * whether it queued (the kernel's returns void). May run in interrupt context.
   */
  tasklet_schedule(t: tasklet_struct, cpu: Cpu = this.kernel.thisCpu()): boolean {
    if (t.state & SCHED) return false; // test_and_set_bit(TASKLET_STATE_SCHED)
    t.state |= SCHED;
    this.#scheduleCommon(t, this.tasklet_vec, "TASKLET", cpu);
    return true;
  }

  /** tasklet_hi_schedule(t): the same on tasklet_hi_vec / HI_SOFTIRQ. May run in interrupt context. */
  tasklet_hi_schedule(t: tasklet_struct, cpu: Cpu = this.kernel.thisCpu()): boolean {
    if (t.state & SCHED) return false;
    t.state |= SCHED;
    this.#scheduleCommon(t, this.tasklet_hi_vec, "HI", cpu);
    return true;
  }

  // ---- state bits ----

  /** tasklet_trylock(): test_and_set_bit(TASKLET_STATE_RUN) succeeded. */
  tasklet_trylock(t: tasklet_struct): boolean {
    if (t.state & RUN) return false;
    t.state |= RUN;
    return true;
  }

  /** tasklet_unlock(): clear TASKLET_STATE_RUN and wake_up_var(&t->state). */
  tasklet_unlock(t: tasklet_struct): void {
    t.state &= ~RUN;
    this.#wakeVar(t);
  }

  /**
   * tasklet_clear_sched(): test_and_clear_bit(TASKLET_STATE_SCHED) and wake
   * waiters; when it was not set, WARN_ONCE "tasklet SCHED state not set"
   * and return false (the callback is then not run). 6.1 warns here; the
   * BUG() of older kernels became this WARN_ONCE in 5.13.
   */
  tasklet_clear_sched(t: tasklet_struct): boolean {
    if (t.state & SCHED) {
      t.state &= ~SCHED;
      this.#wakeVar(t);
      return true;
    }
    if (!this.#warnedClear) {
      this.#warnedClear = true;
      this.kernel.warn(
        `tasklet SCHED state not set: ${t.use_callback ? "callback" : "func"} ${
          fnName(t.use_callback ? t.callback : t.func)
        }`,
        "tasklet_clear_sched",
        "kernel/softirq.c",
      );
    }
    return false;
  }

  /** tasklet_disable_nosync(): count++ (does not dequeue). */
  tasklet_disable_nosync(t: tasklet_struct): void {
    t.count++;
  }

  /** tasklet_enable(): count-- (a queued tasklet runs at its next softirq pass). */
  tasklet_enable(t: tasklet_struct): void {
    t.count--;
  }

  /** wake_up_var(&t->state): every waiter re-checks its condition. */
  #wakeVar(t: tasklet_struct): void {
    if (t.waiters.length === 0) return;
    for (const w of t.waiters.splice(0)) this.kernel.sched.wakeUp(w);
  }

  // ---- waits (bodies; the API wraps them in call tokens) ----

  /**
   * wait_var_event(&t->state, cond): sleep TASK_UNINTERRUPTIBLE until
   * `cond()` holds, re-checking at every wake_up_var. In atomic context the
   * sleep is the kernel's BUG (reported once); the CPU then spins instead.
   */
  *#waitVar(t: tasklet_struct, cond: () => boolean, caller: string): BodyGenerator<void> {
    const k = this.kernel;
    let reported = false;
    while (!cond()) {
      const cpu = k.thisCpu();
      if (cpu.inAtomic() || cpu.irqsDisabled || cpu.irqDepth > 0) {
        if (!reported) {
          reported = true;
          yield noteSleep(sleepToken(0, "D", caller));
        }
        cpu.accum += SPIN_NS;
        yield BUSY;
        continue;
      }
      const me = cpu.current;
      if (!t.waiters.includes(me)) t.waiters.push(me);
      yield noteSleep(sleepToken(Infinity, "D", caller));
    }
  }

  /** tasklet_unlock_wait(t): sleep until TASKLET_STATE_RUN is clear. */
  unlockWait(t: tasklet_struct): BodyGenerator<void> {
    return this.#waitVar(t, () => !(t.state & RUN), "tasklet_unlock_wait");
  }

  /** tasklet_unlock_spin_wait(t): spin (cpu_relax) until TASKLET_STATE_RUN is clear. */
  *unlockSpinWait(t: tasklet_struct): BodyGenerator<void> {
    while (t.state & RUN) {
      this.kernel.thisCpu().accum += SPIN_NS;
      yield BUSY;
    }
  }

  /**
   * tasklet_kill(t) after its notice: wait until no longer scheduled (a
   * queued tasklet runs first), set SCHED so it cannot be queued again,
   * wait until not running, then clear SCHED. A scheduled tasklet that
   * stays disabled makes this wait forever, as in the kernel.
   */
  *killBody(t: tasklet_struct): BodyGenerator<void> {
    for (;;) {
      if (!(t.state & SCHED)) { // test_and_set_bit(TASKLET_STATE_SCHED)
        t.state |= SCHED;
        break;
      }
      yield* this.#waitVar(t, () => !(t.state & SCHED), "tasklet_kill");
    }
    yield* this.unlockWait(t);
    this.tasklet_clear_sched(t);
  }

  /** "Attempt to kill tasklet from interrupt" when in_interrupt() (pr_notice). */
  killNotice(cpu: Cpu): void {
    if (cpu.inInterrupt()) this.kernel.printk(5, "Attempt to kill tasklet from interrupt");
  }

  /**
   * Turn a wait into what the driver API returns: nothing to wait for gives
   * a busy token; otherwise a call token whose sub-body waits (a plain
   * function's wait runs right after its step). Outside a CPU's executor
   * nothing can wait: the model says so once and does not wait.
   */
  waitToken(needed: boolean, make: () => BodyGenerator<void>, what: string): BusyToken | CallToken {
    if (!needed) return BUSY;
    const cpu = this.kernel.thisCpu();
    if (!cpu.executing || cpu.madeCall !== undefined) {
      this.kernel.notImplemented(
        `${what}() waiting outside a running body (headless call, or a second wait in one ` +
          `plain-function step): it returns without waiting`,
      );
      return BUSY;
    }
    return noteCall(new KeepRetval(new GeneratorBody(make(), what), what));
  }

  // ---- the softirq actions ----

  /** %ps of a tasklet pointer: its DECLARE_TASKLET name, else a stable kernel address. */
  /** The key pairing a tasklet's schedule and run in the timeline's flow arrows. */
  #flowKey(t: tasklet_struct): number {
    let key = this.#flowKeys.get(t);
    if (key === undefined) this.#flowKeys.set(t, key = this.#flowKeys.size + 1);
    return key;
  }
  #flowKeys = new Map<tasklet_struct, number>();

  #ptr(t: tasklet_struct): string {
    if (t.name) return t.name;
    let p = this.#ptrs.get(t);
    if (!p) {
      p = "0xffff8880" + (0x01000000 + 0x40 * this.#nextPtr++).toString(16).padStart(8, "0");
      this.#ptrs.set(t, p);
    }
    return p;
  }

  /**
   * tasklet_action_common() (kernel/softirq.c): detach this CPU's list with
   * interrupts off, then for each tasklet in order: if it takes the RUN lock
   * and is enabled, clear SCHED and run it; otherwise put it back and raise
   * the vector again. Runs in softirq context.
   */
  *#action(heads: tasklet_head[], vec: string): BodyGenerator<void> {
    const k = this.kernel;
    const s = this.softirq;
    const cpu = k.thisCpu();
    const head = heads[cpu.id];
    // local_irq_disable(); list = head; reset head; local_irq_enable()
    let list = head.head;
    head.head = head.tail = null;
    while (list) {
      const t: tasklet_struct = list;
      list = list.next;
      if (this.tasklet_trylock(t)) {
        if (t.count === 0) {
          if (this.tasklet_clear_sched(t)) {
            const fn = t.use_callback ? t.callback : t.func;
            if (k.trace.enabled) k.traceFlow("tasklet", this.#flowKey(t), "end", cpu);
            const trace = k.trace.enabled && k.config.version !== "6.1";
            if (trace) {
              k.traceEvent(tasklet_entry, { tasklet: this.#ptr(t), func: fnName(fn) }, cpu);
            }
            this.runs++;
            const r = t.use_callback ? t.callback!(t) : t.func!(t.data);
            if (r && typeof (r as BodyGenerator).next === "function") {
              yield* r as BodyGenerator;
            } else {
              k.thisCpu().accum += (fn as { cost_ns?: number }).cost_ns ?? k.costs.handler_ns;
              yield BUSY;
            }
            if (trace) {
              k.traceEvent(tasklet_exit, { tasklet: this.#ptr(t), func: fnName(fn) }, cpu);
            }
          }
          this.tasklet_unlock(t);
          continue;
        }
        this.tasklet_unlock(t);
      }
      // running on another CPU, or disabled: back on this CPU's list
      append(head, t);
      s.__raise_softirq_irqoff(s.vectorOf(vec), cpu);
      cpu.accum += TASKLET_REQUEUE_NS;
    }
  }
}

/**
 * Runs `inner` as a sub-body and leaves `cpu.retval` as it found it: a wait
 * made by a plain function runs after the function returned, when the
 * caller's result (a handler's irqreturn_t) may sit in `cpu.retval`.
 */
class KeepRetval implements Body {
  #started = false;
  #saved = 0;
  constructor(readonly inner: Body, readonly label: string) {}
  step(cpu: Cpu): number {
    if (!this.#started) {
      this.#started = true;
      this.#saved = cpu.retval;
      cpu.callee = this.inner;
      return CALL;
    }
    cpu.retval = this.#saved;
    return DONE;
  }
}

/** Append `t` at the tail of `h` (t->next = NULL; *head->tail = t). */
function append(h: tasklet_head, t: tasklet_struct): void {
  t.next = null;
  if (h.tail) h.tail.next = t;
  else h.head = t;
  h.tail = t;
}
