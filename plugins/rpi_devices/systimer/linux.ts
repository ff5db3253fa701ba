/**
 * Linux's bcm2835_timer clock event (drivers/clocksource/bcm2835_timer.c):
 * compare channel 3, the IRQ requested as the DT node name "timer" with
 * IRQF_TIMER | IRQF_SHARED; the interrupt acknowledges the match in CS and
 * runs the tick, which programs the next compare one period later. On a
 * Pi 1 this is the periodic tick (the ARM1176 has no generic timer).
 *
 * @module
 */

import { readl, writel } from "../../../linux/api.ts";
import { withCost } from "../../../core/body.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, IRQF_TIMER, request_irq } from "../../genirq/mod.ts";
import { ST_C0, ST_CLO, ST_CS, type SysTimer } from "./mod.ts";

/** DEFAULT_TIMER: the compare channel Linux uses. */
export const DEFAULT_TIMER = 3;

/**
 * bcm2835_timer_init(): request the IRQ and register the clock event
 * (rating 300). It ticks at HZ only when no better clock event device comes
 * (a Pi 2/3's per-core arch timer, rating 450, takes over the tick: the
 * `timer` row stays at 0 there).
 */
export function bcm2835_timer_init(
  k: Kernel,
  dev: SysTimer,
  irq: number,
  tick: boolean,
  tickNs = 3000,
): void {
  const base = dev.options.base;
  const period = Math.round(1e6 / k.config.hz); // µs
  const cmp = base + ST_C0 + DEFAULT_TIMER * 4;
  const match = 1 << DEFAULT_TIMER;
  let next = 0;
  k.enter(() => {
    const bcm2835_time_interrupt = withCost(function bcm2835_time_interrupt(
      _irq: number,
      _d: unknown,
    ) {
      if (!(readl(base + ST_CS) & match)) return IRQ_NONE;
      writel(match, base + ST_CS);
      k.tick(k.thisCpu());
      next = (next + period) >>> 0; // bcm2835_time_set_next_event()
      writel(next, cmp);
      return IRQ_HANDLED;
    }, tickNs);
    if (request_irq(irq, bcm2835_time_interrupt, IRQF_TIMER | IRQF_SHARED, "timer", dev) === 0) {
      k.printk(6, `bcm2835: system timer (irq = ${irq})`);
      if (tick) {
        next = (readl(base + ST_CLO) + period) >>> 0;
        writel(next, cmp);
      }
    }
  });
}
