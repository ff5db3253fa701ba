/**
 * Code that takes time. Everything a CPU runs (a task, the interrupt entry
 * path, a flow handler, a driver's handler) is a {@linkcode Body}: an object
 * whose `step()` does some work at the current instant and answers what comes
 * next: stay busy for n ns, call a sub-body, block, or done.
 *
 * Driver code is written one of two ways:
 * - a plain function: its cost is the declared cost (see {@linkcode withCost})
 *   or the machine's default, plus whatever the kernel calls it makes cost
 *   (`inb`, `udelay`, `pr_info`...), charged after it returns;
 * - a generator function (`function*`) that `yield`s `udelay(n)`/`mdelay(n)`
 *   to let time pass at that point, and `msleep(n)`/`schedule()` to sleep.
 *
 * @example
 * ```ts
 * // a hardirq handler that busy-waits 2 ms (bad style, but legal)
 * function* slow(_irq: number, _dev: unknown) {
 *   yield mdelay(2);
 *   return IRQ_HANDLED;
 * }
 * ```
 * @module
 */

import type { Cpu } from "./cpu.ts";

/** Step result: the body has finished (its result is in `cpu.retval`). */
export const DONE: number = -1;
/** Step result: the current task sleeps (only task bodies; see `cpu.sleep`). */
export const BLOCK: number = -2;
/** Step result: run `cpu.callee` to completion first, then step this body again. */
export const CALL: number = -3;
/** Step result: the CPU halts until an interrupt or a wake-up (idle task only). */
export const HALT: number = -4;

/** Resumable code run by a CPU. `step` returns ns to stay busy (>= 0) or DONE/BLOCK/CALL/HALT. */
export interface Body {
  /** Run until the next point where time passes: ns to stay busy (>= 0) or DONE/BLOCK/CALL/HALT. */
  step(cpu: Cpu): number;
  /** Name for traces and error messages. */
  readonly label?: string;
  /**
   * The kernel functions this body stands for while it runs, outermost
   * first (a flow handler: `handle_level_irq`, `handle_irq_event`, ...),
   * for dump_stack() (linux/dump_stack.ts). Optional: a body without it adds
   * no frame.
   */
  symbols?(): readonly string[];
}

/** Yielded by generator bodies to let accumulated busy time pass here. */
export interface BusyToken {
  /** Token discriminant. */
  readonly kind: "busy";
}

/**
 * How the kernel times a sleep out: a timer_list `jiffies` from now
 * (schedule_timeout, msleep) or an hrtimer range (usleep_range:
 * schedule_hrtimeout_range). A timers plugin arms the real timer
 * ({@linkcode SleepTimers} on the kernel); without one the sleep lasts `ns`.
 */
export type SleepTimeout =
  | { readonly kind: "jiffies"; readonly jiffies: number }
  | { readonly kind: "hrtimer"; readonly minNs: number; readonly slackNs: number };

/** Yielded by generator bodies to sleep. */
export interface SleepToken {
  /** Token discriminant. */
  readonly kind: "sleep";
  /** Timeout in ns; Infinity sleeps until woken. */
  readonly ns: number;
  /**
   * Task state while asleep: S (interruptible), D (uninterruptible), I (idle),
   * t (ptrace stop, TASK_TRACED: a tracee stopped for its tracer).
   */
  readonly state: "S" | "D" | "I" | "t";
  /** The kernel function that slept, for messages. */
  readonly caller: string;
  /** Set once the sleep was reported as a BUG (sleeping in atomic context). */
  reported?: boolean;
  /** The kernel timer that ends the sleep, when a timers plugin models it. */
  timeout?: SleepTimeout;
}

/**
 * Yielded by generator bodies to run another body to completion right here
 * (a nested call that takes time: `local_bh_enable()` running pending
 * softirqs, `flush_work()` running nothing but waiting...). The sub-body's
 * result lands in `cpu.retval` and is sent back as the value of the `yield`.
 */
export interface CallToken {
  /** Token discriminant. */
  readonly kind: "call";
  /** The sub-body to run to completion. */
  readonly body: Body;
}

/** Make a call token. */
export function callToken(body: Body): CallToken {
  return { kind: "call", body };
}

/** What a generator body may yield. */
export type Token = BusyToken | SleepToken | CallToken | undefined | void;

/**
 * A generator body: yields tokens ({@linkcode Token}), returns a result
 * (irqreturn_t for handlers). Typed loosely so `yield*` of driver generators
 * composes; anything yielded that is not a token counts as a busy point.
 */
export type BodyGenerator<R = unknown> = Generator<unknown, R, unknown>;

/** The one busy token (allocation-free). */
export const BUSY: BusyToken = Object.freeze({ kind: "busy" });

/** Make a sleep token. */
export function sleepToken(
  ns: number,
  state: "S" | "D" | "I" | "t",
  caller: string,
): SleepToken {
  return { kind: "sleep", ns, state, caller };
}

/** A function with a declared cost in ns (see {@linkcode withCost}). */
export type Costed<F> = F & { cost_ns?: number };

/**
 * Declare the cost of a plain function body, in ns, beyond what its kernel
 * calls cost.
 */
export function withCost<F extends (...args: never[]) => unknown>(fn: F, ns: number): Costed<F> {
  const f = fn as Costed<F>;
  f.cost_ns = ns;
  return f;
}

/** True when `fn` is a generator function. */
export function isGeneratorFunction(fn: unknown): boolean {
  return typeof fn === "function" && fn.constructor?.name === "GeneratorFunction";
}

/**
 * Runs a generator as a body. The generator's return value ends up in
 * `cpu.retval` (numbers) when it finishes.
 */
export class GeneratorBody implements Body {
  #called = false;
  /** Create a GeneratorBody. */
  constructor(readonly it: BodyGenerator, readonly label = "generator") {}

  /** Run until the next point where time passes: ns to stay busy (>= 0) or DONE/BLOCK/CALL/HALT. */
  step(cpu: Cpu): number {
    // after a call token, the callee's result is the value of the `yield`
    const sent = this.#called ? cpu.retval : undefined;
    this.#called = false;
    const r = this.it.next(sent);
    if (r.done) {
      cpu.retval = typeof r.value === "number" ? r.value : 0;
      return DONE;
    }
    const tok = r.value as Token;
    if (tok && tok.kind === "sleep") return cpu.sleep(tok);
    if (tok && tok.kind === "call") {
      if (cpu.madeCall === tok.body) cpu.madeCall = undefined;
      cpu.callee = tok.body;
      this.#called = true;
      return CALL;
    }
    if (tok === RESCHED_POINT) cpu.voluntaryPoint = true;
    return 0;
  }
}

/** A body that runs a plain function once, then stays busy for its cost. */
export class CallBody implements Body {
  #ran = false;
  /** Create a CallBody. */
  constructor(readonly fn: () => unknown, readonly cost = 0, readonly label = "call") {}
  /** Run until the next point where time passes: ns to stay busy (>= 0) or DONE/BLOCK/CALL/HALT. */
  step(cpu: Cpu): number {
    if (this.#ran) return DONE;
    this.#ran = true;
    const v = this.fn();
    cpu.retval = typeof v === "number" ? v : 0;
    return this.cost;
  }
}

/** Yielded by generator bodies at a voluntary preemption point (`cond_resched()`). */
export const RESCHED_POINT: BusyToken = Object.freeze({ kind: "busy" });
