/**
 * A one-port AHCI SATA controller at register level (Serial ATA AHCI 1.3.1
 * spec, names as drivers/ata/ahci.h has them) and the interrupt path of
 * Linux's ahci driver (drivers/ata/libahci.c ahci_single_level_irq_intr(),
 * ahci_port_intr()): HOST_IRQ_STAT (IS) is write-1-to-clear and summarises
 * the ports whose PxIS & PxIE is non-zero; the function interrupts while
 * GHC.IE is set and IS is non-zero. A `request` stimulus completes a read
 * after `sectors x read_delay_us` and posts a D2H Register FIS interrupt
 * (PxIS.DHRS). Linux requests the IRQ as `ahci[0000:00:1f.2]`
 * (ata_host_activate(): "%s[%s]", driver name and device name).
 *
 * @module
 */

import { z } from "zod";
import { readl, writel } from "../../linux/api.ts";
import { withCost } from "../../core/body.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { DeviceKind, StimulusKind } from "../../core/plugin.ts";
import { IRQ_RETVAL, IRQF_SHARED, type irqreturn_t } from "../genirq/constants.ts";
import { request_irq } from "../genirq/api.ts";
import { PciFunction } from "./bus.ts";

/** Generic host registers. */
export const HOST_CAP = 0x00;
export const HOST_CTL = 0x04;
export const HOST_IRQ_STAT = 0x08;
export const HOST_PORTS_IMPL = 0x0c;
export const HOST_VERSION = 0x10;
/** HOST_CTL bits. */
export const HOST_IRQ_EN = 1 << 1;
export const HOST_AHCI_EN = 1 << 31;
/** Port 0 registers (port n at 0x100 + 0x80 n). */
export const PORT0 = 0x100;
export const PORT_IRQ_STAT = 0x10;
export const PORT_IRQ_MASK = 0x14;
/** PxIS / PxIE: D2H Register FIS interrupt. */
export const PORT_IRQ_D2H_REG_FIS = 1 << 0;
/** AHCI version 1.3.1. */
export const AHCI_VERSION_1_3_1 = 0x00010301;
/** CAP: 32 command slots (NCS 31), 1 port (NP 0), 6 Gbps (ISS 3), 64-bit (S64A). */
export const AHCI_CAP_DEFAULT = (1 << 31) | (3 << 20) | (31 << 8);

/** Options of a `pci_ahci`. */
export const pciAhciOptions = z.object({
  bdf: z.string().regex(/^[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/).default("00:1f.2").describe(
    "bus:device.function (lower-case hex)",
  ),
  abar: z.number().int().min(0).default(0xf7300000).describe("AHCI base address (BAR5)"),
  msi: z.boolean().default(true).describe("MSI capability enabled by the driver"),
  read_delay_us: z.number().min(0).default(20).describe("time per sector of a read"),
}).strict();

/** Validated options of a `pci_ahci`. */
export type PciAhciOptions = z.output<typeof pciAhciOptions>;

/** A one-port AHCI controller. */
export class PciAhci extends PciFunction {
  readonly kind = "pci_ahci";
  ghc = 0;
  is = 0;
  pxis = 0;
  pxie = 0;
  /** Commands completed. */
  completed = 0;
  readonly stimuli: Record<string, StimulusKind<unknown>>;

  constructor(name: string, readonly options: PciAhciOptions, readonly k: Kernel) {
    super(name, options.bdf);
    k.mmio.map(options.abar, 0x800, {
      read: (off) => this.read(off),
      write: (off, v) => this.write(off, v),
    }, name);
    this.stimuli = {
      request: {
        description: "the disk completes a read of `sectors` sectors and posts a D2H FIS interrupt",
        args: z.object({
          sectors: z.number().int().min(1).max(256).default(1).describe(
            "sectors the disk reads before it interrupts",
          ),
        }).strict(),
        apply: (a, at) => {
          const { sectors } = a as { sectors: number };
          const t = at + Math.round(sectors * options.read_delay_us * 1000);
          k.clock.schedule(t, () => this.complete());
        },
      } satisfies StimulusKind<{ sectors: number }>,
    };
  }

  /** A command finished: PxIS.DHRS. */
  complete(): void {
    this.completed++;
    this.pxis |= PORT_IRQ_D2H_REG_FIS;
    this.update();
  }

  /** IS bit 0 follows PxIS & PxIE; the function interrupts while GHC.IE and IS. */
  protected update(): void {
    if (this.pxis & this.pxie) this.is |= 1;
    this.setInterrupt((this.ghc & HOST_IRQ_EN) !== 0 && this.is !== 0);
  }

  read(off: number): number {
    switch (off) {
      case HOST_CAP:
        return AHCI_CAP_DEFAULT >>> 0;
      case HOST_CTL:
        return this.ghc >>> 0;
      case HOST_IRQ_STAT:
        return this.is >>> 0;
      case HOST_PORTS_IMPL:
        return 1;
      case HOST_VERSION:
        return AHCI_VERSION_1_3_1;
      case PORT0 + PORT_IRQ_STAT:
        return this.pxis >>> 0;
      case PORT0 + PORT_IRQ_MASK:
        return this.pxie >>> 0;
      default:
        return 0;
    }
  }

  write(off: number, v: number): void {
    switch (off) {
      case HOST_CTL:
        this.ghc = (v & (HOST_IRQ_EN | HOST_AHCI_EN)) >>> 0;
        break;
      case HOST_IRQ_STAT:
        this.is &= ~v; // write 1 to clear
        break;
      case PORT0 + PORT_IRQ_STAT:
        this.pxis &= ~v; // write 1 to clear
        break;
      case PORT0 + PORT_IRQ_MASK:
        this.pxie = v >>> 0;
        break;
      default:
        return;
    }
    this.update();
  }
}

/** The `pci_ahci` device kind. */
export const pciAhciKind: DeviceKind<PciAhciOptions> = {
  kind: "pci_ahci",
  description: "One-port AHCI SATA controller (MSI or INTx# intx; IS/PxIS/PxIE at abar)",
  options: pciAhciOptions,
  create(name, options, kernel) {
    return new PciAhci(name, options, kernel);
  },
};

/** struct ahci_host_priv in small. */
export interface AhciHost {
  dev: PciAhci;
  irq: number;
  /** Interrupts that were this host's. */
  handled: number;
  notOurs: number;
}

/**
 * ahci_single_level_irq_intr(): read HOST_IRQ_STAT; zero is not ours; serve
 * each port (ahci_port_intr(): read PxIS and write it back to clear), then
 * clear HOST_IRQ_STAT. Interrupt context.
 */
export const ahci_single_level_irq_intr = withCost(
  function ahci_single_level_irq_intr(_irq: number, data: unknown): irqreturn_t {
    const h = data as AhciHost;
    const mmio = h.dev.options.abar;
    const irqStat = readl(mmio + HOST_IRQ_STAT);
    if (!irqStat) {
      h.notOurs++;
      return IRQ_RETVAL(0);
    }
    if (irqStat & 1) {
      const status = readl(mmio + PORT0 + PORT_IRQ_STAT);
      writel(status, mmio + PORT0 + PORT_IRQ_STAT);
    }
    // "HOST_IRQ_STAT behaves as level triggered latch meaning that if the
    // port has a pending interrupt, it will be set again": clear it last
    writel(irqStat, mmio + HOST_IRQ_STAT);
    h.handled++;
    return IRQ_RETVAL(1);
  },
  1500,
);

/** ahci_init_one() + ahci_host_activate(): enable AHCI and interrupts, request the IRQ. */
export function ahciProbe(k: Kernel, dev: PciAhci, irq: number): AhciHost {
  const h: AhciHost = { dev, irq, handled: 0, notOurs: 0 };
  const mmio = dev.options.abar;
  k.enter(() => {
    const vers = readl(mmio + HOST_VERSION);
    const cap = readl(mmio + HOST_CAP);
    const slots = ((cap >> 8) & 0x1f) + 1;
    const ports = (cap & 0x1f) + 1;
    const hex2 = (n: number) => n.toString(16).padStart(2, "0");
    // ahci_print_info()
    k.printk(
      6,
      `ahci ${dev.pciName}: AHCI ${hex2(vers >>> 24)}${hex2((vers >> 16) & 0xff)}.${
        hex2((vers >> 8) & 0xff)
      }${hex2(vers & 0xff)} ${slots} slots ${ports} ports 6 Gbps 0x${
        readl(mmio + HOST_PORTS_IMPL).toString(16)
      } impl SATA mode`,
    );
    const name = `ahci[${dev.pciName}]`;
    if (request_irq(irq, ahci_single_level_irq_intr, IRQF_SHARED, name, h)) return;
    writel(PORT_IRQ_D2H_REG_FIS, mmio + PORT0 + PORT_IRQ_MASK);
    writel(HOST_AHCI_EN | HOST_IRQ_EN, mmio + HOST_CTL);
  });
  return h;
}
