/**
 * Linux's ata_piix in small (drivers/ata/ata_piix.c, libata-sff.c): one
 * host with two legacy channels, each requesting its IRQ (14, 15) as shared
 * "ata_piix". The handler reads the Status register, which acknowledges the
 * device's interrupt, and claims it when the device is not busy.
 *
 * @module
 */

import { inb } from "../../../linux/api.ts";
import { withCost } from "../../../core/body.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { IRQ_RETVAL, IRQF_SHARED, type irqreturn_t } from "../../genirq/constants.ts";
import { request_irq } from "../../genirq/api.ts";
import { ATA_BUSY, ATA_REG_STATUS } from "./mod.ts";

/** One ata port (channel) as libata sees it. */
export interface AtaPort {
  name: string;
  cmd: number;
  ctl: number;
  completions: number;
}

/** ata_bmdma_interrupt() for one port: read Status to ack. Interrupt context. */
export const ata_bmdma_interrupt = withCost(function ata_bmdma_interrupt(
  _irq: number,
  dev: unknown,
): irqreturn_t {
  const ap = dev as AtaPort;
  const status = inb(ap.cmd + ATA_REG_STATUS);
  if (status & ATA_BUSY) return IRQ_RETVAL(0);
  ap.completions++;
  return IRQ_RETVAL(1);
}, 2000);

/** ata_pci_sff_activate_host() for one channel. */
export function probeAtaPort(
  k: Kernel,
  index: number,
  cmd: number,
  ctl: number,
  irq: number,
): AtaPort {
  const ap: AtaPort = { name: `ata${index + 1}`, cmd, ctl, completions: 0 };
  k.enter(() => {
    const r = request_irq(irq, ata_bmdma_interrupt, IRQF_SHARED, "ata_piix", ap);
    if (r) return;
    k.printk(
      6,
      `${ap.name}: PATA max UDMA/33 cmd 0x${cmd.toString(16)} ctl 0x${ctl.toString(16)} bmdma 0x${
        (0xc000 + 8 * index).toString(16)
      } irq ${irq}`,
    );
  });
  return ap;
}
