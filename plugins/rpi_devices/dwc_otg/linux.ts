/**
 * The Raspberry Pi kernel's dwc_otg host driver, as far as its interrupt
 * goes: three shared actions on the USB interrupt, in the order the driver
 * requests them — `dwc_otg` (dwc_otg_common_irq: OTG/mode interrupts, none
 * in host mode), `dwc_otg_pcd` (the peripheral side: IRQ_NONE in host
 * mode) and `dwc_otg_hcd:usb1` (usb_hcd_irq -> dwc_otg_hcd_handle_intr:
 * acknowledges SOF, and on HCINT completes the finished transfers: usbhid's
 * hid_irq_in(), usbnet's rx_complete()).
 *
 * The downstream driver's FIQ split (fiq_fsm, which moves most SOF work to
 * the FIQ and a "soft" IRQ at hwirq 64) is not modelled: every microframe
 * reaches the IRQ, as with `dwc_otg.fiq_enable=0`.
 *
 * @module
 */

import { readl, writel } from "../../../linux/api.ts";
import { withCost } from "../../../core/body.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, request_irq } from "../../genirq/mod.ts";
import {
  type DwcOtg,
  GAHBCFG,
  GAHBCFG_GLBL_INTR_EN,
  GINTMSK,
  GINTSTS,
  GINTSTS_HCINT,
  GINTSTS_PRTINT,
  GINTSTS_SOF,
} from "./mod.ts";

/** Handler costs on a 1.2 GHz Cortex-A53 (ns), the HCD part doing the SOF bookkeeping. */
export interface DwcOtgCosts {
  common_ns: number;
  pcd_ns: number;
  hcd_ns: number;
}

/** Defaults of {@linkcode DwcOtgCosts}. */
export const dwcOtgCosts: DwcOtgCosts = { common_ns: 400, pcd_ns: 200, hcd_ns: 1500 };

/**
 * dwc_otg_driver_probe(): request the three actions on `irq`, unmask SOF,
 * port and channel interrupts, enable the global interrupt and start the
 * host (the root port powered, the first microframe 125 µs later).
 */
export function dwc_otg_probe(k: Kernel, dev: DwcOtg, irq: number, costs = dwcOtgCosts): void {
  const base = dev.options.base;
  const otg = { dev };
  k.enter(() => {
    const dwc_otg_common_irq = withCost(function dwc_otg_common_irq(_irq: number, _d: unknown) {
      // Common interrupts (OTG, mode mismatch, connector ID...): none in host mode.
      readl(base + GINTSTS);
      return IRQ_NONE;
    }, costs.common_ns);
    const dwc_otg_pcd_irq = withCost(function dwc_otg_pcd_irq(_irq: number, _d: unknown) {
      return IRQ_NONE; // host mode: the peripheral controller has nothing
    }, costs.pcd_ns);
    const usb_hcd_irq = withCost(function usb_hcd_irq(_irq: number, _d: unknown) {
      const sts = readl(base + GINTSTS) & readl(base + GINTMSK);
      if (!sts) return IRQ_NONE;
      writel(sts & (GINTSTS_SOF | GINTSTS_HCINT | GINTSTS_PRTINT), base + GINTSTS);
      if (sts & GINTSTS_HCINT) {
        // dwc_otg_hcd_handle_hc_intr() -> urb->complete() of each finished transfer
        const done = dev.done.splice(0);
        for (const fn of done) fn();
      }
      return IRQ_HANDLED;
    }, costs.hcd_ns);
    request_irq(irq, dwc_otg_common_irq, IRQF_SHARED, "dwc_otg", otg);
    request_irq(irq, dwc_otg_pcd_irq, IRQF_SHARED, "dwc_otg_pcd", otg);
    request_irq(irq, usb_hcd_irq, IRQF_SHARED, "dwc_otg_hcd:usb1", otg);
    writel(GINTSTS_SOF | GINTSTS_HCINT | GINTSTS_PRTINT, base + GINTMSK);
    writel(readl(base + GAHBCFG) | GAHBCFG_GLBL_INTR_EN, base + GAHBCFG);
  });
  dev.startHost();
}
