/**
 * Kernel threads for modules, with the kernel's names (kernel/kthread.c,
 * kernel/sched/core.c): `kthread_create`, `kthread_run`, `wake_up_process`,
 * `kthread_should_stop`, `kthread_stop`, `sched_set_fifo`,
 * `sched_set_fifo_low`, `sched_set_normal`, `set_user_nice`,
 * `set_current_state` + `schedule()`.
 *
 * A thread function is a generator function (it sleeps and lets time pass by
 * yielding) or a plain function (it runs once and returns).
 *
 * @example
 * ```ts
 * function* worker(_data: unknown) {
 *   while (!kthread_should_stop()) {
 *     pr_info("tick\n");
 *     yield msleep(100);
 *   }
 *   return 0;
 * }
 * const t = kthread_run(worker, null, "my_worker/%d", 0);
 * sched_set_fifo(t);
 * // later, from a generator body: yield kthread_stop(t); t.exitCode is worker's return value
 * ```
 * @module
 */

import { type BodyGenerator, type SleepToken, sleepToken } from "../core/body.ts";
import { kernel } from "../core/kernel.ts";
import { kprintf } from "../core/printk.ts";
import type { Task, TaskState } from "../core/sched.ts";
import { noteSleep } from "./api.ts";

/** A kthread function: returns its exit code; may be a generator. */
export type kthread_fn = (data: unknown) => number | BodyGenerator<number>;

/** Task states for set_current_state() (include/linux/sched.h). */
export const TASK_RUNNING: TaskState = "R";
/** Sleeping, woken by a signal or wake_up (`S`). */
export const TASK_INTERRUPTIBLE: TaskState = "S";
/** Sleeping, not woken by signals (`D`). */
export const TASK_UNINTERRUPTIBLE: TaskState = "D";
/** Uninterruptible sleep that does not count as load (`I`). */
export const TASK_IDLE: TaskState = "I";

/** MAX_RT_PRIO (include/linux/sched/prio.h). */
export const MAX_RT_PRIO = 100;

function* threadBody(fn: kthread_fn, data: unknown): BodyGenerator<number> {
  const r = fn(data);
  if (typeof r === "number") return r;
  return (yield* r) ?? 0;
}

/**
 * kthread_create(threadfn, data, namefmt, ...): a new kernel thread, not yet
 * running (wake it with wake_up_process). SCHED_NORMAL, nice 0, on the
 * calling CPU.
 */
export function kthread_create(
  threadfn: kthread_fn,
  data: unknown,
  namefmt: string,
  ...args: unknown[]
): Task {
  const k = kernel();
  return k.sched.create({
    comm: kprintf(namefmt, args),
    body: threadBody(threadfn, data),
    kthread: true,
    start: "sleeping",
  });
}

/** kthread_run(): kthread_create() + wake_up_process(). */
export function kthread_run(
  threadfn: kthread_fn,
  data: unknown,
  namefmt: string,
  ...args: unknown[]
): Task {
  const t = kthread_create(threadfn, data, namefmt, ...args);
  wake_up_process(t);
  return t;
}

/** wake_up_process(): 1 if the task was woken, 0 if it was already running. */
export function wake_up_process(t: Task): number {
  return kernel().sched.wakeUp(t) ? 1 : 0;
}

/** kthread_should_stop(): true once kthread_stop() was called on the current thread. */
export function kthread_should_stop(): boolean {
  return kernel().thisCpu().current.shouldStop;
}

/**
 * kthread_stop(t): ask `t` to stop, wake it, and wait for it to exit. Yield
 * the returned token from a generator body (undefined when `t` already
 * exited); the thread's return value is then `t.exitCode`.
 */
export function kthread_stop(t: Task): SleepToken | undefined {
  const k = kernel();
  t.shouldStop = true;
  if (t.state === "X") return undefined;
  k.sched.wakeUp(t);
  t.exitWaiters.push(k.thisCpu().current);
  return noteSleep(sleepToken(Infinity, "D", "kthread_stop"));
}

/** sched_set_fifo(t): SCHED_FIFO at MAX_RT_PRIO / 2 (prio 49 in traces). */
export function sched_set_fifo(t: Task): void {
  t.policy = "fifo";
  t.rtPriority = MAX_RT_PRIO / 2;
}

/** sched_set_fifo_low(t): SCHED_FIFO at priority 1. */
export function sched_set_fifo_low(t: Task): void {
  t.policy = "fifo";
  t.rtPriority = 1;
}

/** sched_set_normal(t, nice): SCHED_NORMAL at `nice`. */
export function sched_set_normal(t: Task, nice: number): void {
  t.policy = "normal";
  t.rtPriority = 0;
  t.nice = Math.max(-20, Math.min(19, nice));
}

/** set_user_nice(t, nice) */
export function set_user_nice(t: Task, nice: number): void {
  t.nice = Math.max(-20, Math.min(19, nice));
}

/** set_current_state(state): the state the next schedule() sleeps in. */
export function set_current_state(state: TaskState): void {
  kernel().thisCpu().current.nextState = state;
}

/** __set_current_state() */
export const __set_current_state: (state: TaskState) => void = set_current_state;
