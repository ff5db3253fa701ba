/**
 * Delayed work (kernel/workqueue.c, include/linux/workqueue.h, 6.1): a work
 * item queued by a TIMER_IRQSAFE `timer_list` when its delay ends. PENDING
 * is set for the whole delay, so queueing it again meanwhile returns false;
 * a delay of 0 queues at once.
 *
 * @example
 * ```ts
 * const dw = DECLARE_DELAYED_WORK(function my_fn(_w) {
 *   pr_info("5 s later\n");
 * });
 * schedule_delayed_work(dw, msecs_to_jiffies(5000)); // true
 * // module exit:
 * yield cancel_delayed_work_sync(dw);
 * ```
 * @module
 */

import { kernel, kernelOrUndefined } from "../../core/kernel.ts";
import {
  add_timer,
  add_timer_on,
  del_timer,
  from_timer,
  TIMER_IRQSAFE,
  timer_list,
  timer_pending,
  timer_setup,
} from "../timers/mod.ts";
import { WORK_CPU_UNBOUND, WORK_STRUCT_PENDING } from "./constants.ts";
import { delayed_work, INIT_WORK, type work_func_t, type work_struct } from "./work.ts";
import { WorkqueueKey, type Workqueues, type WorkWait, type wq_ref } from "./workqueue.ts";
import { system_wq } from "./api.ts";

function wqs(): Workqueues {
  return kernel().bus.get(WorkqueueKey);
}

/**
 * delayed_work_timer_fn(): the timer callback; queues the work on the
 * workqueue and CPU recorded when it was armed. Runs in softirq context.
 */
export function delayed_work_timer_fn(t: timer_list): void {
  const dwork = from_timer<delayed_work>(null, t, "timer");
  const w = wqs();
  w.__queue_work(dwork.cpu, w.resolve(dwork.wq as wq_ref), dwork.work);
}

/** INIT_DELAYED_WORK(dwork, func): INIT_WORK + a TIMER_IRQSAFE timer calling delayed_work_timer_fn. */
export function INIT_DELAYED_WORK(dwork: delayed_work, func: work_func_t): void {
  INIT_WORK(dwork.work, func);
  if (kernelOrUndefined()) timer_setup(dwork.timer, delayed_work_timer_fn, TIMER_IRQSAFE);
  else {
    dwork.timer.function = delayed_work_timer_fn;
    dwork.timer.flags = TIMER_IRQSAFE;
  }
}

/**
 * DECLARE_DELAYED_WORK(n, f): a statically initialised delayed work. In
 * TypeScript: `const my_dwork = DECLARE_DELAYED_WORK(my_fn)`.
 */
export function DECLARE_DELAYED_WORK(func: work_func_t): delayed_work {
  const dw = new delayed_work(undefined, func);
  // __TIMER_INITIALIZER(delayed_work_timer_fn, TIMER_IRQSAFE)
  dw.timer.function = delayed_work_timer_fn;
  dw.timer.flags = TIMER_IRQSAFE;
  return dw;
}

/**
 * __queue_delayed_work(): delay 0 queues at once; else record wq and CPU
 * and arm the timer at jiffies + delay (on `cpu` unless WORK_CPU_UNBOUND).
 */
function queueDelayed(cpu: number, wq: wq_ref, dwork: delayed_work, delay: number): void {
  const k = kernel();
  const w = wqs();
  const timer = dwork.timer;
  if (timer.function !== delayed_work_timer_fn || timer_pending(timer)) {
    // WARN_ON_ONCE(timer->function != delayed_work_timer_fn) / (timer_pending(timer)):
    // e.g. `new delayed_work(this)` without INIT_DELAYED_WORK. Warn, then repair the timer
    // rather than call an undefined function later.
    k.warn(undefined, "__queue_delayed_work", "kernel/workqueue.c");
    if (timer.function !== delayed_work_timer_fn) {
      timer.function = delayed_work_timer_fn;
      timer.flags |= TIMER_IRQSAFE;
    }
    if (timer_pending(timer)) return;
  }
  if (!delay) {
    w.__queue_work(cpu, w.resolve(wq), dwork.work);
    return;
  }
  dwork.wq = wq;
  dwork.cpu = cpu;
  timer.expires = k.jiffies + delay;
  if (cpu !== WORK_CPU_UNBOUND) add_timer_on(timer, cpu);
  else add_timer(timer);
}

/**
 * queue_delayed_work_on(cpu, wq, dwork, delay): false if already pending
 * (queued or its timer armed), else arm it for `delay` jiffies and true.
 * May run in interrupt context.
 */
export function queue_delayed_work_on(
  cpu: number,
  wq: wq_ref,
  dwork: delayed_work,
  delay: number,
): boolean {
  const work = dwork.work;
  if (work.data & WORK_STRUCT_PENDING) return false;
  work.data |= WORK_STRUCT_PENDING;
  queueDelayed(cpu, wq, dwork, delay);
  return true;
}

/** queue_delayed_work(wq, dwork, delay) */
export function queue_delayed_work(wq: wq_ref, dwork: delayed_work, delay: number): boolean {
  return queue_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay);
}

/** schedule_delayed_work(dwork, delay): queue_delayed_work(system_wq, ...). */
export function schedule_delayed_work(dwork: delayed_work, delay: number): boolean {
  return queue_delayed_work(system_wq, dwork, delay);
}

/** schedule_delayed_work_on(cpu, dwork, delay) */
export function schedule_delayed_work_on(cpu: number, dwork: delayed_work, delay: number): boolean {
  return queue_delayed_work_on(cpu, system_wq, dwork, delay);
}

/** try_to_grab_pending(work, is_dwork=true): a pending timer is stolen first (1). */
function grabDelayed(dwork: delayed_work): (w: work_struct) => number {
  return (w) => {
    if (del_timer(dwork.timer)) return 1;
    return wqs().tryToGrabPending(w);
  };
}

/**
 * mod_delayed_work_on(cpu, wq, dwork, delay): take the pending instance
 * (timer or queue) and re-arm with the new delay. Returns false if it was
 * idle (now queued), true if it was pending (modified) — and true when
 * another task is cancelling it (-ENOENT), without queueing.
 * May run in interrupt context.
 */
export function mod_delayed_work_on(
  cpu: number,
  wq: wq_ref,
  dwork: delayed_work,
  delay: number,
): boolean {
  const ret = grabDelayed(dwork)(dwork.work);
  if (ret >= 0 || ret === -11) queueDelayed(cpu, wq, dwork, delay);
  return ret !== 0 && ret !== -11;
}

/** mod_delayed_work(wq, dwork, delay) */
export function mod_delayed_work(wq: wq_ref, dwork: delayed_work, delay: number): boolean {
  return mod_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay);
}

/** cancel_delayed_work(dwork): stop the timer or unqueue; no waiting; true if it was pending. */
export function cancel_delayed_work(dwork: delayed_work): boolean {
  const w = wqs();
  const ret = grabDelayed(dwork)(dwork.work);
  if (ret < 0) return false;
  // set_work_pool_and_clear_pending()
  w.cancel_work_clear(dwork.work);
  return ret === 1;
}

/** cancel_delayed_work_sync(dwork): cancel and wait for a running instance (yield it). */
export function cancel_delayed_work_sync(dwork: delayed_work): WorkWait {
  return wqs().cancel_work_sync(dwork.work, grabDelayed(dwork));
}

/**
 * flush_delayed_work(dwork): a pending timer is killed and the work queued
 * at once, then flush_work(). Yield it; true if it waited.
 */
export function flush_delayed_work(dwork: delayed_work): WorkWait {
  const w = wqs();
  if (del_timer(dwork.timer)) w.__queue_work(dwork.cpu, w.resolve(dwork.wq as wq_ref), dwork.work);
  return w.flush_work(dwork.work);
}
