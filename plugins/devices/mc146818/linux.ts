/**
 * Linux's rtc-cmos in small (drivers/rtc/rtc-cmos.c): register rtc0 and
 * request IRQ 8 under the device name (`rtc0`); the handler reads register C,
 * which acknowledges the interrupt, and claims it when IRQF is set.
 *
 * @module
 */

import { inb, outb } from "../../../linux/api.ts";
import { withCost } from "../../../core/body.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { IRQ_HANDLED, IRQ_NONE, type irqreturn_t } from "../../genirq/constants.ts";
import { request_irq } from "../../genirq/api.ts";
import { RTC_IRQF, RTC_PORT, RTC_REG_C } from "./mod.ts";

/** The rtc class device. */
export interface RtcDevice {
  name: string;
  interrupts: number;
}

/** cmos_interrupt(): read (and so clear) register C. Interrupt context. */
export const cmos_interrupt = withCost(
  function cmos_interrupt(_irq: number, dev: unknown): irqreturn_t {
    outb(RTC_REG_C, RTC_PORT);
    const irqstat = inb(RTC_PORT + 1);
    if (irqstat & RTC_IRQF) {
      (dev as RtcDevice).interrupts++;
      return IRQ_HANDLED;
    }
    return IRQ_NONE;
  },
  1000,
);

/** cmos_do_probe(): register rtc0 and request its IRQ. */
export function probeRtc(k: Kernel, irq: number): RtcDevice {
  const rtc: RtcDevice = { name: "rtc0", interrupts: 0 };
  k.enter(() => {
    k.printk(6, "rtc_cmos 00:01: registered as rtc0");
    const r = request_irq(irq, cmos_interrupt, 0, rtc.name, rtc);
    if (r) k.printk(3, `rtc_cmos 00:01: IRQ ${irq} is already in use`);
    else k.printk(6, "rtc_cmos 00:01: alarms up to one day, 114 bytes nvram");
  });
  return rtc;
}
