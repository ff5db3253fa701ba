/**
 * The e1000 driver's interrupt path in small
 * (drivers/net/ethernet/intel/e1000/e1000_main.c): request the INTx line as
 * IRQF_SHARED under the netdev's name, enable the causes in IMS, and in
 * e1000_intr() read ICR — which clears it and so deasserts INTx# — and
 * return IRQ_NONE when it is zero ("Not our interrupt"), as every driver on
 * a shared PCI line must.
 *
 * @module
 */

import { readl, writel } from "../../linux/api.ts";
import { withCost } from "../../core/body.ts";
import type { Kernel } from "../../core/kernel.ts";
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, type irqreturn_t } from "../genirq/constants.ts";
import { request_irq } from "../genirq/api.ts";
import { E1000_ICR, E1000_ICR_RXT0, E1000_IMS, IMS_ENABLE_MASK, type PciNic } from "./bus.ts";

/** struct e1000_adapter in small. */
export interface E1000Adapter {
  netdev: string;
  nic: PciNic;
  irq: number;
  /** Interrupts that were this adapter's. */
  handled: number;
  /** Interrupts on the shared line that were not (ICR read as 0). */
  notOurs: number;
  rxPackets: number;
}

/** e1000_intr(): read ICR; zero means another device on the line. Interrupt context. */
export const e1000_intr = withCost(function e1000_intr(_irq: number, data: unknown): irqreturn_t {
  const a = data as E1000Adapter;
  const icr = readl(a.nic.options.bar0 + E1000_ICR);
  if (!icr) {
    a.notOurs++;
    return IRQ_NONE; // Not our interrupt
  }
  a.handled++;
  if (icr & E1000_ICR_RXT0) a.rxPackets++;
  return IRQ_HANDLED;
}, 800);

/** e1000_probe() + e1000_open() → e1000_request_irq() and e1000_irq_enable(). */
export function e1000Probe(k: Kernel, nic: PciNic, irq: number, netdev: string): E1000Adapter {
  const a: E1000Adapter = { netdev, nic, irq, handled: 0, notOurs: 0, rxPackets: 0 };
  k.enter(() => {
    k.printk(6, `e1000 ${nic.pciName} ${netdev}: Intel(R) PRO/1000 Network Connection`);
    const err = request_irq(irq, e1000_intr, IRQF_SHARED, netdev, a);
    if (err) {
      k.printk(3, `e1000 ${nic.pciName} ${netdev}: Unable to allocate interrupt Error: ${err}`);
      return;
    }
    writel(IMS_ENABLE_MASK, nic.options.bar0 + E1000_IMS);
  });
  return a;
}
