/**
 * The timers plugin: jiffies conversions, `timer_list` on the timer wheel
 * run by TIMER_SOFTIRQ, driven by the machine's tick (`run_local_timers()`
 * on every TickEvent), as Linux 6.1 has them (kernel/time/timer.c).
 * Provides {@linkcode TimersKey}.
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
import { SoftirqKey, TIMER_SOFTIRQ } from "../softirq/mod.ts";
import { Timers, TimersKey } from "./wheel.ts";

export * from "./jiffies.ts";
export * from "./wheel.ts";
export * from "./trace.ts";
export * from "./api.ts";

/**
 * Options of the timers plugin (named `TimersOptions` because the root
 * mod.ts re-exports several plugins). None yet.
 */
export type TimersOptions = Record<string, never>;

/** Default options. */
export const timersDefaults = {} satisfies TimersOptions;

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
      // update_process_times() -> run_local_timers(), in the tick's hardirq
      k.bus.on(TickEvent, (cpu) => t.runLocalTimers(cpu));
    },
  };
}
