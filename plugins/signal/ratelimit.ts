/**
 * printk rate limiting as lib/ratelimit.c `___ratelimit()` does it, with the
 * one state `printk_ratelimit()` shares (kernel/printk/printk.c:
 * `DEFINE_RATELIMIT_STATE(printk_ratelimit_state, 5 * HZ, 10)`): at most
 * `burst` messages per `interval` jiffies; the first call after an interval
 * that suppressed some prints `"%s: %d callbacks suppressed"` (KERN_WARNING)
 * naming the caller's function, then starts a new interval.
 *
 * @module
 */

import type { Kernel } from "../../core/kernel.ts";

/** DEFAULT_RATELIMIT_INTERVAL in units of HZ (include/linux/ratelimit_types.h). */
export const DEFAULT_RATELIMIT_INTERVAL_S = 5;
/** DEFAULT_RATELIMIT_BURST (include/linux/ratelimit_types.h). */
export const DEFAULT_RATELIMIT_BURST = 10;

/** struct ratelimit_state in small. */
export class RatelimitState {
  /** Start of the current interval, in jiffies (0: not started, as `!rs->begin`). */
  begin = 0;
  printed = 0;
  missed = 0;

  /** `interval` in jiffies; 0 disables limiting. */
  constructor(public interval: number, public burst: number) {}

  /**
   * ___ratelimit(rs, func): true when the caller may print. Prints the
   * "callbacks suppressed" line through `k` when an interval with misses
   * ends.
   */
  check(k: Kernel, func: string): boolean {
    if (!this.interval) return true;
    const jiffies = k.jiffies;
    if (!this.begin) this.begin = jiffies;
    // time_is_before_jiffies(rs->begin + interval): begin + interval < jiffies
    if (this.begin + this.interval < jiffies) {
      if (this.missed) {
        k.printk(4, `${func}: ${this.missed} callbacks suppressed`);
        this.missed = 0;
      }
      this.begin = jiffies;
      this.printed = 0;
    }
    if (this.burst && this.burst > this.printed) {
      this.printed++;
      return true;
    }
    this.missed++;
    return false;
  }
}

const states = new WeakMap<Kernel, RatelimitState>();

/** printk_ratelimit_state of a machine (5 * HZ, burst 10). */
export function printkRatelimitState(k: Kernel): RatelimitState {
  let s = states.get(k);
  if (!s) {
    s = new RatelimitState(DEFAULT_RATELIMIT_INTERVAL_S * k.config.hz, DEFAULT_RATELIMIT_BURST);
    states.set(k, s);
  }
  return s;
}

/** printk_ratelimit() called from kernel function `func` (`__printk_ratelimit(__func__)`). */
export function printk_ratelimit(k: Kernel, func: string): boolean {
  return printkRatelimitState(k).check(k, func);
}
