/**
 * The hrtimer and ktime API for kernel modules, in the kernel's names
 * (include/linux/hrtimer.h, include/linux/ktime.h).
 *
 * @example
 * ```ts
 * const t = new hrtimer();
 * function every_ms(t: hrtimer) {
 *   hrtimer_forward_now(t, ms_to_ktime(1));
 *   return HRTIMER_RESTART;
 * }
 * hrtimer_init(t, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
 * t.function = every_ms;
 * hrtimer_start(t, ms_to_ktime(1), HRTIMER_MODE_REL);
 * ```
 * @module
 */

import type { CallToken } from "../../core/body.ts";
import { SpinWait, waitToken } from "./_wait.ts";
import { kernel } from "../../core/kernel.ts";
import {
  hrtimer,
  type HrtimerFn,
  type Hrtimers,
  HrtimersKey,
  KTIME_MAX,
  type ktime_t,
} from "./hrtimer.ts";

function hr(): Hrtimers {
  return kernel().bus.get(HrtimersKey);
}

// ---- ktime (include/linux/ktime.h) ----
/** NSEC_PER_SEC */
export const NSEC_PER_SEC = 1_000_000_000;
/** NSEC_PER_MSEC */
export const NSEC_PER_MSEC = 1_000_000;
/** NSEC_PER_USEC */
export const NSEC_PER_USEC = 1000;

/** ktime_get(): CLOCK_MONOTONIC now, in ns. */
export function ktime_get(): ktime_t {
  return kernel().now;
}
/** ktime_get_ns() */
export const ktime_get_ns: () => number = ktime_get;
/** ktime_set(secs, nsecs); KTIME_MAX past KTIME_SEC_MAX. */
export function ktime_set(secs: number, nsecs: number): ktime_t {
  if (secs >= KTIME_MAX / NSEC_PER_SEC) return KTIME_MAX;
  return secs * NSEC_PER_SEC + nsecs;
}
/** ms_to_ktime(ms) */
export function ms_to_ktime(ms: number): ktime_t {
  return ms * NSEC_PER_MSEC;
}
/** us_to_ktime(us) */
export function us_to_ktime(us: number): ktime_t {
  return us * NSEC_PER_USEC;
}
/** ns_to_ktime(ns) */
export function ns_to_ktime(ns: number): ktime_t {
  return ns;
}
/** ktime_add(a, b) */
export function ktime_add(a: ktime_t, b: ktime_t): ktime_t {
  return a + b;
}
/** ktime_sub(a, b) */
export function ktime_sub(a: ktime_t, b: ktime_t): ktime_t {
  return a - b;
}
/** ktime_add_ns(kt, ns) */
export function ktime_add_ns(kt: ktime_t, ns: number): ktime_t {
  return kt + ns;
}
/** ktime_add_us(kt, us) */
export function ktime_add_us(kt: ktime_t, us: number): ktime_t {
  return kt + us * NSEC_PER_USEC;
}
/** ktime_to_ns(kt) */
export function ktime_to_ns(kt: ktime_t): number {
  return kt;
}
/** ktime_to_us(kt): truncates toward zero (ktime_divns). */
export function ktime_to_us(kt: ktime_t): number {
  return Math.trunc(kt / NSEC_PER_USEC);
}
/** ktime_to_ms(kt): truncates toward zero. */
export function ktime_to_ms(kt: ktime_t): number {
  return Math.trunc(kt / NSEC_PER_MSEC);
}
/** ktime_before(a, b) */
export function ktime_before(a: ktime_t, b: ktime_t): boolean {
  return a < b;
}
/** ktime_after(a, b) */
export function ktime_after(a: ktime_t, b: ktime_t): boolean {
  return a > b;
}
/** ktime_compare(a, b): -1, 0, 1 */
export function ktime_compare(a: ktime_t, b: ktime_t): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- hrtimer ----

/** hrtimer_init(timer, clock_id, mode): set the function afterwards (timer.function = fn). */
export function hrtimer_init(timer: hrtimer, clock_id: number, mode: number): void {
  hr().init(timer, clock_id, mode);
}

/** hrtimer_setup(timer, function, clock_id, mode): hrtimer_init + function (the 6.13+ form). */
export function hrtimer_setup(
  timer: hrtimer,
  fn: HrtimerFn,
  clock_id: number,
  mode: number,
): void {
  hr().init(timer, clock_id, mode);
  timer.function = fn;
}

/** hrtimer_start(timer, tim, mode) = hrtimer_start_range_ns(timer, tim, 0, mode). */
export function hrtimer_start(timer: hrtimer, tim: ktime_t, mode: number): void {
  hr().start(timer, tim, 0, mode);
}

/** hrtimer_start_range_ns(timer, tim, delta_ns, mode): soft expiry tim, hard expiry tim + delta. */
export function hrtimer_start_range_ns(
  timer: hrtimer,
  tim: ktime_t,
  delta_ns: number,
  mode: number,
): void {
  hr().start(timer, tim, delta_ns, mode);
}

/** hrtimer_try_to_cancel(timer): 0 inactive, 1 cancelled, -1 while the callback runs. */
export function hrtimer_try_to_cancel(timer: hrtimer): number {
  return hr().tryToCancel(timer);
}

/** How long one spin of hrtimer_cancel()'s wait loop takes, ns. */
export const HRTIMER_CANCEL_SPIN_NS = 100;

/**
 * hrtimer_cancel(timer): cancel and wait for a running callback. Returns
 * 0/1 when nothing runs; while the callback runs on another CPU, a token to
 * `yield` (the CPU spins until it returned; the yield's value is 0 or 1);
 * from a plain function the spin runs right after the function returns.
 */
export function hrtimer_cancel(timer: hrtimer): number | CallToken {
  const h = hr();
  const r = h.tryToCancel(timer);
  if (r >= 0) return r;
  return waitToken(
    new SpinWait("hrtimer_cancel", () => h.tryToCancel(timer), HRTIMER_CANCEL_SPIN_NS),
  );
}

/** hrtimer_forward(timer, now, interval): the overrun count. */
export function hrtimer_forward(timer: hrtimer, now: ktime_t, interval: ktime_t): number {
  return hr().forward(timer, now, interval);
}

/** hrtimer_forward_now(timer, interval) */
export function hrtimer_forward_now(timer: hrtimer, interval: ktime_t): number {
  const h = hr();
  return h.forward(timer, h.now(), interval);
}

/** hrtimer_get_remaining(timer): hard expiry minus now. */
export function hrtimer_get_remaining(timer: hrtimer): ktime_t {
  return timer.expires - hr().now();
}

/** hrtimer_active(timer): queued, or its callback running. */
export function hrtimer_active(timer: hrtimer): boolean {
  return hr().active(timer);
}

/** hrtimer_is_queued(timer) */
export function hrtimer_is_queued(timer: hrtimer): boolean {
  return (timer.state & 1) !== 0;
}

/** hrtimer_callback_running(timer) */
export function hrtimer_callback_running(timer: hrtimer): boolean {
  return hr().callbackRunning(timer);
}

/** hrtimer_get_expires(timer) */
export function hrtimer_get_expires(timer: hrtimer): ktime_t {
  return timer.expires;
}

/** hrtimer_get_softexpires(timer) */
export function hrtimer_get_softexpires(timer: hrtimer): ktime_t {
  return timer._softexpires;
}

/** hrtimer_set_expires(timer, time): both expiries. */
export function hrtimer_set_expires(timer: hrtimer, time: ktime_t): void {
  timer.expires = time;
  timer._softexpires = time;
}

/** hrtimer_resolution of the running CPU: TICK_NSEC in low-resolution mode, 1 ns in high. */
export function hrtimer_resolution(): number {
  return hr().resolution();
}

export { hrtimer };
