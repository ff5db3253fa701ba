/**
 * The workqueue API for kernel modules, in the kernel's names
 * (include/linux/workqueue.h). Each call acts on the machine whose code is
 * running.
 *
 * Calls that may sleep (`flush_work`, `cancel_work_sync`,
 * `flush_workqueue`, `drain_workqueue`, `destroy_workqueue`,
 * `flush_scheduled_work`, and the delayed-work ones) return a wait token:
 * yield it from a generator body, and the value of the `yield` is the
 * function's return value as 1 or 0 (`.ret` on the token has the same
 * answer). The part that does not sleep (stealing a pending item) happens
 * at the call; a plain function that does not yield the token does not wait.
 *
 * @example
 * ```ts
 * const my_work = DECLARE_WORK(function my_work_fn(_w) {
 *   pr_info("in %s on CPU %d\n", current().comm, smp_processor_id());
 * });
 * function* init() {
 *   const wq = alloc_workqueue("my_wq", WQ_UNBOUND, 1)!;
 *   queue_work(wq, my_work); // true: it was not pending
 *   queue_work(wq, my_work); // false: already pending
 *   yield flush_work(my_work);
 *   yield destroy_workqueue(wq);
 *   return 0;
 * }
 * ```
 * @module
 */

import { kernel } from "../../core/kernel.ts";
import {
  __WQ_LEGACY,
  __WQ_ORDERED,
  __WQ_ORDERED_EXPLICIT,
  WORK_CPU_UNBOUND,
  WQ_FREEZABLE,
  WQ_MEM_RECLAIM,
  WQ_UNBOUND,
} from "./constants.ts";
import type { work_struct } from "./work.ts";
import {
  SystemWorkqueue,
  type workqueue_struct,
  WorkqueueKey,
  type Workqueues,
  type WorkWait,
  type wq_ref,
} from "./workqueue.ts";

function wqs(): Workqueues {
  return kernel().bus.get(WorkqueueKey);
}

// ---- system workqueues (kernel/workqueue.c workqueue_init_early) ----
/** `events`: schedule_work() and friends. */
export const system_wq: wq_ref = new SystemWorkqueue("events");
/** `events_highpri` (WQ_HIGHPRI): kworker/N:xH. */
export const system_highpri_wq: wq_ref = new SystemWorkqueue("events_highpri");
/** `events_long`: for items that may run long. */
export const system_long_wq: wq_ref = new SystemWorkqueue("events_long");
/** `events_unbound` (WQ_UNBOUND, WQ_UNBOUND_MAX_ACTIVE). */
export const system_unbound_wq: wq_ref = new SystemWorkqueue("events_unbound");
/** `events_freezable` (WQ_FREEZABLE). */
export const system_freezable_wq: wq_ref = new SystemWorkqueue("events_freezable");
/** `events_power_efficient` (WQ_POWER_EFFICIENT). */
export const system_power_efficient_wq: wq_ref = new SystemWorkqueue("events_power_efficient");
/** `events_freezable_power_efficient` (WQ_FREEZABLE | WQ_POWER_EFFICIENT). */
export const system_freezable_power_efficient_wq: wq_ref = new SystemWorkqueue(
  "events_freezable_power_efficient",
);

// ---- allocation ----
/**
 * alloc_workqueue(fmt, flags, max_active, ...args): a new workqueue named
 * by the printf-style `fmt` (23 characters kept); max_active 0 means
 * WQ_DFL_ACTIVE, out-of-range values are clamped with the kernel's warning.
 * Returns null where the kernel fails (WQ_SYSFS on an explicitly ordered one).
 */
export function alloc_workqueue(
  fmt: string,
  flags: number,
  max_active: number,
  ...args: unknown[]
): workqueue_struct | null {
  return wqs().alloc_workqueue(fmt, flags, max_active, ...args);
}

/** alloc_ordered_workqueue(fmt, flags, ...args): unbound, ordered, max_active 1. */
export function alloc_ordered_workqueue(
  fmt: string,
  flags: number,
  ...args: unknown[]
): workqueue_struct | null {
  return alloc_workqueue(
    fmt,
    WQ_UNBOUND | __WQ_ORDERED | __WQ_ORDERED_EXPLICIT | flags,
    1,
    ...args,
  );
}

/** create_workqueue(name): alloc_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, 1, name). */
export function create_workqueue(name: string): workqueue_struct | null {
  return alloc_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, 1, name);
}

/** create_freezable_workqueue(name) */
export function create_freezable_workqueue(name: string): workqueue_struct | null {
  return alloc_workqueue("%s", __WQ_LEGACY | WQ_FREEZABLE | WQ_UNBOUND | WQ_MEM_RECLAIM, 1, name);
}

/** create_singlethread_workqueue(name): alloc_ordered_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, name). */
export function create_singlethread_workqueue(name: string): workqueue_struct | null {
  return alloc_ordered_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, name);
}

/** destroy_workqueue(wq): drains it first (may sleep: yield it). */
export function destroy_workqueue(wq: wq_ref): WorkWait {
  return wqs().destroy_workqueue(wq);
}

/** workqueue_set_max_active(wq, max_active) */
export function workqueue_set_max_active(wq: wq_ref, max_active: number): void {
  wqs().workqueue_set_max_active(wq, max_active);
}

// ---- queueing (may run in interrupt context) ----
/**
 * queue_work_on(cpu, wq, work): false if the work was already pending,
 * else queue it for `cpu` (a bound workqueue runs it there) and true.
 */
export function queue_work_on(cpu: number, wq: wq_ref, work: work_struct): boolean {
  return wqs().queue_work_on(cpu, wq, work);
}

/** queue_work(wq, work): queue_work_on(WORK_CPU_UNBOUND, ...) — the current CPU for a bound wq. */
export function queue_work(wq: wq_ref, work: work_struct): boolean {
  return queue_work_on(WORK_CPU_UNBOUND, wq, work);
}

/** schedule_work(work): queue_work(system_wq, work). */
export function schedule_work(work: work_struct): boolean {
  return queue_work(system_wq, work);
}

/** schedule_work_on(cpu, work): queue_work_on(cpu, system_wq, work). */
export function schedule_work_on(cpu: number, work: work_struct): boolean {
  return queue_work_on(cpu, system_wq, work);
}

// ---- flush and cancel (may sleep: yield the token) ----
/** flush_work(work): wait for it to finish; true if it waited. */
export function flush_work(work: work_struct): WorkWait {
  return wqs().flush_work(work);
}

/** cancel_work(work): remove a pending instance, no waiting; true if it was pending. */
export function cancel_work(work: work_struct): boolean {
  return wqs().cancel_work(work);
}

/** cancel_work_sync(work): cancel and wait for a running instance; true if it was pending. */
export function cancel_work_sync(work: work_struct): WorkWait {
  return wqs().cancel_work_sync(work);
}

/** flush_workqueue(wq): wait for every item queued before the call. */
export function flush_workqueue(wq: wq_ref): WorkWait {
  return wqs().flush_workqueue(wq);
}

/** drain_workqueue(wq): flush until empty, refusing new work from outside meanwhile. */
export function drain_workqueue(wq: wq_ref): WorkWait {
  return wqs().drain_workqueue(wq);
}

/**
 * flush_scheduled_work(): __flush_workqueue(system_wq). (6.1 wraps it in a
 * macro whose "Please avoid flushing system-wide workqueues." warning is a
 * compile-time one, disabled; nothing is printed at run time.)
 */
export function flush_scheduled_work(): WorkWait {
  return flush_workqueue(system_wq);
}

/** current_work(): the work item the current kworker runs, or null. */
export function current_work(): work_struct | null {
  return wqs().current_work();
}

/** WORK_BUSY_PENDING / WORK_BUSY_RUNNING: work_busy() bits. */
export const WORK_BUSY_PENDING = 1 << 0;
/** work_busy(): the item is running. */
export const WORK_BUSY_RUNNING = 1 << 1;

/** work_busy(work): WORK_BUSY_PENDING | WORK_BUSY_RUNNING (advisory). */
export function work_busy(work: work_struct): number {
  return wqs().work_busy(work);
}
