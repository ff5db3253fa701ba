/**
 * Linux's PIT clockevent and the legacy timer interrupt
 * (drivers/clocksource/i8253.c, arch/x86/kernel/time.c): program channel 0
 * as a periodic rate generator at HZ and request IRQ 0 as "timer". Each
 * interrupt runs the periodic tick (tick_handle_periodic).
 *
 * @module
 */

import { outb_p } from "../../../linux/api.ts";
import { withCost } from "../../../core/body.ts";
import { type Kernel, kernel } from "../../../core/kernel.ts";
import {
  IRQ_HANDLED,
  IRQF_IRQPOLL,
  IRQF_NOBALANCING,
  IRQF_TIMER,
  type irqreturn_t,
} from "../../genirq/constants.ts";
import { request_irq } from "../../genirq/api.ts";
import { PIT_CH0, PIT_MODE, PIT_TICK_RATE } from "./mod.ts";

/** PIT_LATCH = (PIT_TICK_RATE + HZ/2) / HZ (include/linux/i8253.h). */
export function pitLatch(hz: number): number {
  return Math.floor((PIT_TICK_RATE + Math.floor(hz / 2)) / hz);
}

/**
 * timer_interrupt(): the clock event handler, tick_handle_periodic().
 * Interrupt context. Cost: the tick work of a small machine.
 */
export const timer_interrupt = withCost(function timer_interrupt(
  _irq: number,
  _dev: unknown,
): irqreturn_t {
  const k = kernel();
  k.tick(k.thisCpu());
  return IRQ_HANDLED;
}, 2000);

/** pit_set_periodic() + setup_default_timer_irq(). */
export function bootPitTimer(k: Kernel): void {
  k.enter(() => {
    const latch = pitLatch(k.config.hz);
    // binary, mode 2, LSB/MSB, ch 0
    outb_p(0x34, PIT_MODE);
    outb_p(latch & 0xff, PIT_CH0);
    outb_p(latch >> 8, PIT_CH0);
    const flags = IRQF_NOBALANCING | IRQF_IRQPOLL | IRQF_TIMER;
    if (request_irq(0, timer_interrupt, flags, "timer", null)) {
      k.printk(6, "Failed to register legacy timer interrupt");
    }
  });
}
