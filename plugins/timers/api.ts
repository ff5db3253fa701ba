/**
 * The timer API for kernel modules, in the kernel's names
 * (include/linux/timer.h, include/linux/jiffies.h). Every call acts on the
 * machine whose code is running; "this CPU" is the CPU running the caller.
 *
 * @example
 * ```ts
 * const t = new timer_list();
 * function tick(t: timer_list) {
 *   pr_info("tick at %lu\n", jiffies());
 *   mod_timer(t, jiffies() + msecs_to_jiffies(100)); // re-arm
 * }
 * timer_setup(t, tick, 0);
 * mod_timer(t, jiffies() + msecs_to_jiffies(100));
 * // module exit:
 * del_timer_sync(t);
 * ```
 * @module
 */

import { msleep, noteSleep, udelay, usleep_range } from "../../linux/api.ts";
import { type BusyToken, type CallToken, type SleepToken, sleepToken } from "../../core/body.ts";
import { SpinWait, waitToken } from "./_wait.ts";
import { type Kernel, kernel } from "../../core/kernel.ts";
import {
  type BitsPerLong,
  jiffiesToMsecs,
  jiffiesToUsecs,
  maxJiffyOffset,
  msecsToJiffies,
  nsecsToJiffies,
  time_after,
  time_after_eq,
  time_before,
  time_before_eq,
  usecsToJiffies,
} from "./jiffies.ts";
import { timer_list, type TimerFn, type Timers, TimersKey } from "./wheel.ts";

export {
  TIMER_CPUMASK,
  TIMER_DEFERRABLE,
  TIMER_INIT_FLAGS,
  TIMER_IRQSAFE,
  TIMER_PINNED,
} from "./trace.ts";
export {
  time_after,
  time_after_eq,
  time_before,
  time_before_eq,
  time_in_range,
} from "./jiffies.ts";

function tm(): Timers {
  return kernel().bus.get(TimersKey);
}

/**
 * BITS_PER_LONG of a machine: 64 on arm64, 32 otherwise (the PC profile is
 * a Pentium III; a 64-bit x86 machine would need an `arch` of its own).
 */
export function bitsPerLong(k: Kernel): BitsPerLong {
  return k.config.arch === "arm64" ? 64 : 32;
}

// ---- jiffies ----

/** MAX_JIFFY_OFFSET of the running machine. */
export function MAX_JIFFY_OFFSET(): number {
  return maxJiffyOffset(bitsPerLong(kernel()));
}
/** msecs_to_jiffies(m): rounds up; negative means MAX_JIFFY_OFFSET. */
export function msecs_to_jiffies(m: number): number {
  const k = kernel();
  return msecsToJiffies(m, k.config.hz, bitsPerLong(k));
}
/** usecs_to_jiffies(u): rounds up. */
export function usecs_to_jiffies(u: number): number {
  const k = kernel();
  return usecsToJiffies(u, k.config.hz, bitsPerLong(k));
}
/** nsecs_to_jiffies(n): rounds down. */
export function nsecs_to_jiffies(n: number | bigint): number {
  const k = kernel();
  return nsecsToJiffies(n, k.config.hz, bitsPerLong(k));
}
/** jiffies_to_msecs(j): rounds up. */
export function jiffies_to_msecs(j: number): number {
  const k = kernel();
  return jiffiesToMsecs(j, k.config.hz, bitsPerLong(k));
}
/** jiffies_to_usecs(j): rounds down. */
export function jiffies_to_usecs(j: number): number {
  const k = kernel();
  return jiffiesToUsecs(j, k.config.hz, bitsPerLong(k));
}

// ---- timer_list ----

/**
 * timer_setup(timer, callback, flags): initialise a timer on this CPU.
 * `flags` may hold TIMER_DEFERRABLE, TIMER_PINNED, TIMER_IRQSAFE (others
 * are dropped with a WARN_ON_ONCE, as in do_init_timer).
 */
export function timer_setup(timer: timer_list, callback: TimerFn, flags: number): void {
  tm().timerSetup(timer, callback, flags);
}

/**
 * DEFINE_TIMER(name, function): a statically initialised timer
 * (__TIMER_INITIALIZER(function, 0): flags 0, so its base is CPU 0's until
 * it is first armed). In TypeScript: `const my_timer = DEFINE_TIMER(my_fn)`.
 */
export function DEFINE_TIMER(fn: TimerFn, owner?: unknown): timer_list {
  const t = new timer_list(owner);
  t.function = fn;
  return t;
}

/**
 * from_timer(var, timer, field): the object the timer is embedded in
 * (container_of). TypeScript has no container_of, so the timer must have
 * been made with its owner: `timer = new timer_list(this)`; the owner's
 * `field` must be that timer.
 */
export function from_timer<T>(_var: T | undefined | null, timer: timer_list, field: string): T {
  const o = timer.owner as Record<string, unknown> | undefined;
  if (!o || o[field] !== timer) {
    throw new TypeError(
      `Cannot from_timer(..., timer, "${field}"): the timer was not made with its container ` +
        `(write \`${field} = new timer_list(this)\` in the container)`,
    );
  }
  return o as T;
}

/** timer_pending(timer): queued on a wheel. */
export function timer_pending(timer: timer_list): boolean {
  return timer._bucket !== undefined;
}

/** add_timer(timer): start an inactive timer at timer.expires (WARN_ON_ONCE if pending). */
export function add_timer(timer: timer_list): void {
  tm().addTimer(timer);
}

/** add_timer_on(timer, cpu): start an inactive timer on `cpu`'s wheel. */
export function add_timer_on(timer: timer_list, cpu: number): void {
  tm().addTimerOn(timer, cpu);
}

/**
 * mod_timer(timer, expires): (re)arm on this CPU; 0 when the timer was
 * inactive, 1 when it was pending (and re-queued or left in its bucket).
 * May be called in interrupt context and from the timer's own callback.
 */
export function mod_timer(timer: timer_list, expires: number): number {
  return tm().modTimer(timer, expires);
}

/** mod_timer_pending(timer, expires): like mod_timer, but never activates an inactive timer. */
export function mod_timer_pending(timer: timer_list, expires: number): number {
  return tm().modTimerPending(timer, expires);
}

/** timer_reduce(timer, expires): mod_timer that only ever moves the expiry earlier. */
export function timer_reduce(timer: timer_list, expires: number): number {
  return tm().timerReduce(timer, expires);
}

/** del_timer(timer): 1 if it was pending. Does not wait for a running callback. */
export function del_timer(timer: timer_list): number {
  return tm().delTimer(timer);
}

/** try_to_del_timer_sync(timer): 0/1 as del_timer, -1 while its callback runs. */
export function try_to_del_timer_sync(timer: timer_list): number {
  return tm().tryToDelTimerSync(timer);
}

/** How long one spin of del_timer_sync()'s wait loop (try + cpu_relax) takes, ns. */
export const DEL_TIMER_SYNC_SPIN_NS = 100;

/**
 * del_timer_sync(timer): deactivate and make sure the callback is not
 * running on any CPU. Returns 0/1 as del_timer when the callback is not
 * running; while it runs (on another CPU) it returns a token: `yield` it
 * in a generator body and the CPU spins (as the kernel's cpu_relax loop)
 * until the callback returned; the yield's value is then 0 or 1. From a
 * plain function the spin runs right after the function returns.
 * WARNs in hardirq context unless the timer is TIMER_IRQSAFE.
 *
 * @example
 * ```ts
 * function* my_exit() {
 *   yield del_timer_sync(my_timer);
 * }
 * ```
 */
export function del_timer_sync(timer: timer_list): number | CallToken {
  const k = kernel();
  const t = k.bus.get(TimersKey);
  const cpu = k.thisCpu();
  t.delTimerSyncChecks(timer, cpu);
  const r = t.tryToDelTimerSync(timer);
  if (r >= 0) return r;
  let reported = false;
  return waitToken(
    new SpinWait("del_timer_sync", (c) => {
      const r = t.tryToDelTimerSync(timer);
      if (r < 0 && !reported && t.timerBase(timer).cpu === c.id && c.inInterrupt()) {
        // waiting in interrupt context on the callback this CPU interrupted: never ends
        reported = true;
        k.printk(
          3,
          `irqlab: del_timer_sync() on CPU ${c.id} waits for the timer callback it interrupted: ` +
            `the kernel spins here forever`,
        );
      }
      return r;
    }, DEL_TIMER_SYNC_SPIN_NS),
  );
}

function shutdownIn61(k: ReturnType<typeof kernel>, fn: string): void {
  if (k.config.version === "6.1") {
    k.notImplemented(`${fn}() (Linux 6.2+) on a 6.1 machine: modelled as on 6.6`);
  }
}

/**
 * timer_shutdown(timer) (6.2+): deactivate the timer and clear its
 * function, so it can never be armed again (mod_timer then does nothing on
 * 6.6, and BUG()s on 6.1). Returns 1 if it was pending.
 */
export function timer_shutdown(timer: timer_list): number {
  const k = kernel();
  shutdownIn61(k, "timer_shutdown");
  return k.bus.get(TimersKey).timerShutdown(timer);
}

/**
 * timer_shutdown_sync(timer) (6.2+): timer_shutdown() and wait for a
 * running callback (a callback re-arming itself meanwhile cannot: its
 * function is already cleared). Returns 0/1, or a token to yield while the
 * callback runs on another CPU.
 */
export function timer_shutdown_sync(timer: timer_list): number | CallToken {
  const k = kernel();
  shutdownIn61(k, "timer_shutdown_sync");
  const t = k.bus.get(TimersKey);
  t.delTimerSyncChecks(timer, k.thisCpu());
  const r = t.tryToDelTimerSync(timer, true);
  if (r >= 0) return r;
  return waitToken(
    new SpinWait(
      "timer_shutdown_sync",
      () => t.tryToDelTimerSync(timer, true),
      DEL_TIMER_SYNC_SPIN_NS,
    ),
  );
}

/** timer_delete(timer): the 6.2+ name of del_timer (provided for ported code). */
export const timer_delete: (timer: timer_list) => number = del_timer;
/** timer_delete_sync(timer): the 6.2+ name of del_timer_sync. */
export const timer_delete_sync: (timer: timer_list) => number | CallToken = del_timer_sync;

export { timer_list };

// ---- more jiffies helpers (include/linux/jiffies.h, kernel/time/timer.c) ----

/** time_is_after_jiffies(a): `a` is still in the future. */
export function time_is_after_jiffies(a: number): boolean {
  return time_before(kernel().jiffies, a);
}
/** time_is_before_jiffies(a): `a` is in the past. */
export function time_is_before_jiffies(a: number): boolean {
  return time_after(kernel().jiffies, a);
}
/** time_is_after_eq_jiffies(a) */
export function time_is_after_eq_jiffies(a: number): boolean {
  return time_before_eq(kernel().jiffies, a);
}
/** time_is_before_eq_jiffies(a) */
export function time_is_before_eq_jiffies(a: number): boolean {
  return time_after_eq(kernel().jiffies, a);
}

/**
 * round_jiffies_common() (kernel/time/timer.c): round an absolute jiffies
 * value to a whole second, skewed by 3 jiffies per CPU so CPUs do not all
 * fire at once; down when just past a second (by less than HZ/4) unless
 * `forceUp`; the original value when the result would not be in the future.
 */
export function roundJiffiesCommon(
  j: number,
  cpu: number,
  forceUp: boolean,
  hz: number,
  now: number,
): number {
  const original = j;
  j += cpu * 3;
  const rem = j % hz;
  if (rem < Math.floor(hz / 4) && !forceUp) j = j - rem; // round down
  else j = j - rem + hz; // round up
  j -= cpu * 3;
  return time_before(now, j) ? j : original; // time_is_after_jiffies(j)
}

function roundNow(j: number, up: boolean, relative: boolean, cpu?: number): number {
  const k = kernel();
  const c = cpu ?? k.thisCpu().id;
  const j0 = k.jiffies;
  if (!relative) return roundJiffiesCommon(j, c, up, k.config.hz, j0);
  return roundJiffiesCommon(j + j0, c, up, k.config.hz, j0) - j0;
}

/** __round_jiffies(j, cpu) */
export function __round_jiffies(j: number, cpu: number): number {
  return roundNow(j, false, false, cpu);
}
/** __round_jiffies_relative(j, cpu) */
export function __round_jiffies_relative(j: number, cpu: number): number {
  return roundNow(j, false, true, cpu);
}
/** round_jiffies(j): an absolute timeout rounded to a whole second (this CPU's skew). */
export function round_jiffies(j: number): number {
  return roundNow(j, false, false);
}
/** round_jiffies_relative(j): a relative timeout rounded so it ends on a whole second. */
export function round_jiffies_relative(j: number): number {
  return roundNow(j, false, true);
}
/** round_jiffies_up(j): like round_jiffies, never rounding down. */
export function round_jiffies_up(j: number): number {
  return roundNow(j, true, false);
}
/** round_jiffies_up_relative(j) */
export function round_jiffies_up_relative(j: number): number {
  return roundNow(j, true, true);
}

// ---- sleeps in the kernel's other names ----

/**
 * schedule_timeout_uninterruptible(timeout): TASK_UNINTERRUPTIBLE, then
 * schedule_timeout (a timer_list at jiffies + timeout). Yield it.
 */
export function schedule_timeout_uninterruptible(timeout: number): SleepToken {
  return timeoutSleep(timeout, "D", "schedule_timeout_uninterruptible");
}
/** schedule_timeout_interruptible(timeout): TASK_INTERRUPTIBLE + schedule_timeout. Yield it. */
export function schedule_timeout_interruptible(timeout: number): SleepToken {
  return timeoutSleep(timeout, "S", "schedule_timeout_interruptible");
}
/** schedule_timeout_idle(timeout): TASK_IDLE + schedule_timeout. Yield it. */
export function schedule_timeout_idle(timeout: number): SleepToken {
  return timeoutSleep(timeout, "I", "schedule_timeout_idle");
}
/** ssleep(seconds) = msleep(seconds * 1000) (include/linux/delay.h). Yield it. */
export function ssleep(seconds: number): SleepToken {
  return msleep(seconds * 1000);
}

function timeoutSleep(timeout: number, state: "S" | "D" | "I", caller: string): SleepToken {
  const k = kernel();
  const tok = sleepToken(timeout * 1e9 / k.config.hz, state, caller);
  tok.timeout = { kind: "jiffies", jiffies: timeout };
  return noteSleep(tok);
}

/**
 * fsleep(us) (include/linux/delay.h): the right wait for the length —
 * udelay up to 10 µs, usleep_range(us, 2 * us) up to 20 ms, else
 * msleep(DIV_ROUND_UP(us, 1000)). Yield it.
 */
export function fsleep(usecs: number): BusyToken | SleepToken {
  if (usecs <= 10) return udelay(usecs);
  if (usecs <= 20_000) return usleep_range(usecs, 2 * usecs);
  return msleep(Math.ceil(usecs / 1000));
}

/** usleep_range_state(min, max, state): usleep_range sleeping in `state` (S, D or I). Yield it. */
export function usleep_range_state(min: number, max: number, state: "S" | "D" | "I"): SleepToken {
  const tok = sleepToken(min * 1000, state, "usleep_range_state");
  tok.timeout = { kind: "hrtimer", minNs: min * 1000, slackNs: Math.max(0, max - min) * 1000 };
  return noteSleep(tok);
}
