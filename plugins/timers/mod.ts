/**
 * The timers plugin: jiffies conversions, `timer_list` on the timer wheel
 * run by TIMER_SOFTIRQ, driven by the machine's tick (`run_local_timers()`
 * on every TickEvent), and hrtimers (hard ones from the tick in
 * low-resolution mode, or from an arch's one-shot clock event; soft ones on
 * HRTIMER_SOFTIRQ), as Linux 6.1 has them (kernel/time/timer.c,
 * kernel/time/hrtimer.c). Provides {@linkcode TimersKey} and
 * {@linkcode HrtimersKey}.
 *
 * @example
 * ```yaml
 * plugins:
 *   - genirq
 *   - softirq
 *   - timers
 * ```
 * @module
 */

import { TickEvent } from "../../core/kernel.ts";
import type { Plugin } from "../../core/plugin.ts";
import { HRTIMER_SOFTIRQ, SoftirqKey, TIMER_SOFTIRQ } from "../softirq/mod.ts";
import { Hrtimers, HrtimersKey } from "./hrtimer.ts";
import { TaskSleepTimers } from "./sleep.ts";
import { Timers, TimersKey } from "./wheel.ts";

export * from "./jiffies.ts";
export * from "./wheel.ts";
export * from "./trace.ts";
export * from "./api.ts";
export * from "./hrtimer.ts";
export * from "./hrtimer_api.ts";
export * from "./sleep.ts";

/**
 * Options of the timers plugin (named `TimersOptions` because the root
 * mod.ts re-exports several plugins). None yet.
 */
export type TimersOptions = Record<string, never>;

/** Default options. */
export const timersDefaults: TimersOptions = {} satisfies TimersOptions;

/** The timers plugin factory. */
export function timers(_options: Partial<TimersOptions> = {}): Plugin {
  return {
    name: "timers",
    requires: ["softirq"],
    setup(ctx) {
      const k = ctx.kernel;
      const s = k.bus.get(SoftirqKey);
      const t = new Timers(k, s);
      k.bus.provide(TimersKey, t, "timers");
      // init_timers(): open_softirq(TIMER_SOFTIRQ, run_timer_softirq)
      s.open_softirq(TIMER_SOFTIRQ, () => t.runTimerSoftirq(k.thisCpu()));
      // hrtimers_init(): open_softirq(HRTIMER_SOFTIRQ, hrtimer_run_softirq)
      const h = new Hrtimers(k, s);
      k.bus.provide(HrtimersKey, h, "timers");
      s.open_softirq(HRTIMER_SOFTIRQ, () => h.runSoftirq(k.thisCpu()));
      // run_local_timers(): hrtimer_run_queues() first
      t.tickHooks.push((cpu) => h.runQueues(cpu));
      // schedule_timeout / msleep / usleep_range end by these timers
      k.sleepTimers = new TaskSleepTimers(k, t, h);
      // update_process_times() -> run_local_timers(), in the tick's hardirq
      k.bus.on(TickEvent, (cpu) => t.runLocalTimers(cpu));
    },
  };
}
