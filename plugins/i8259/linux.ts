/**
 * Linux's side of the legacy PIC (arch/x86/kernel/i8259.c): the `XT-PIC`
 * irq_chip, `init_8259A()` and the legacy IRQ descriptors 0-15 with
 * handle_level_irq (init_ISA_irqs, arch/x86/kernel/irqinit.c). All access
 * to the chips goes through port I/O, as the kernel does.
 *
 * @module
 */

import { inb, outb, udelay } from "../../linux/api.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { OutputPin } from "../../core/line.ts";
import { IRQF_NO_THREAD } from "../genirq/constants.ts";
import type { IrqChip, IrqData } from "../genirq/desc.ts";
import { handle_level_irq } from "../genirq/flow.ts";
import { GenIrqKey } from "../genirq/genirq.ts";
import { no_action } from "../genirq/api.ts";
import { ISA_IRQ_VECTOR, X86Key } from "../x86/mod.ts";
import {
  I8259,
  OCW3_RIS,
  OCW3_RR,
  OCW3_SELECT,
  PIC_CASCADE_IR,
  PIC_MASTER_CMD,
  PIC_MASTER_IMR,
  PIC_SLAVE_CMD,
  PIC_SLAVE_IMR,
  SPECIFIC_EOI,
} from "./chip.ts";

/** OCW3 "read IRR on the next command-port read" (0x0a). */
const OCW3_READ_IRR = OCW3_SELECT | OCW3_RR;
/** OCW3 "read ISR on the next command-port read" (0x0b). */
const OCW3_READ_ISR = OCW3_SELECT | OCW3_RR | OCW3_RIS;

/** ICW4 of the master: 8086 mode, normal EOI. */
export const MASTER_ICW4_DEFAULT = 0x01;
/** ICW4: 8086 mode, normal EOI. */
export const SLAVE_ICW4_DEFAULT = 0x01;
/** ICW4 with auto-EOI. */
export const PIC_ICW4_AEOI = 2;

/**
 * outb_pic() (arch/x86/include/asm/i8259.h): "delay for some accesses to
 * PIC on motherboard or in chipset must be at least one microsecond".
 */
function outb_pic(value: number, port: number): void {
  outb(value, port);
  udelay(2);
}

/** The kernel state of the legacy PIC driver. */
export class LegacyPic {
  /** cached_irq_mask: starts with everything masked. */
  cachedIrqMask = 0xffff;
  /** Spurious IRQs already reported (printk once per irq). */
  spuriousIrqMask = 0;
  readonly chip: IrqChip;

  constructor(readonly kernel: Kernel, readonly autoEoi = false) {
    this.chip = {
      name: "XT-PIC",
      irq_mask: (d) => this.disable(d),
      irq_disable: (d) => this.disable(d),
      irq_unmask: (d) => this.enable(d),
      irq_mask_ack: (d) => this.maskAndAck(d),
    };
  }

  get cachedMasterMask(): number {
    return this.cachedIrqMask & 0xff;
  }
  get cachedSlaveMask(): number {
    return (this.cachedIrqMask >> 8) & 0xff;
  }

  /** disable_8259A_irq() */
  disable(d: IrqData): void {
    const irq = d.irq;
    this.cachedIrqMask |= 1 << irq;
    if (irq & 8) outb(this.cachedSlaveMask, PIC_SLAVE_IMR);
    else outb(this.cachedMasterMask, PIC_MASTER_IMR);
  }

  /** enable_8259A_irq() */
  enable(d: IrqData): void {
    const irq = d.irq;
    this.cachedIrqMask &= ~(1 << irq);
    if (irq & 8) outb(this.cachedSlaveMask, PIC_SLAVE_IMR);
    else outb(this.cachedMasterMask, PIC_MASTER_IMR);
  }

  /** i8259A_irq_real(): is the irq really in service (read ISR via OCW3)? */
  irqReal(irq: number): boolean {
    const irqmask = 1 << irq;
    if (irq < 8) {
      outb(OCW3_READ_ISR, PIC_MASTER_CMD); // 0x0b: ISR register
      const v = inb(PIC_MASTER_CMD) & irqmask;
      outb(OCW3_READ_IRR, PIC_MASTER_CMD); // 0x0a: back to the IRR register
      return v !== 0;
    }
    outb(OCW3_READ_ISR, PIC_SLAVE_CMD);
    const v = inb(PIC_SLAVE_CMD) & (irqmask >> 8);
    outb(OCW3_READ_IRR, PIC_SLAVE_CMD);
    return v !== 0;
  }

  /**
   * mask_and_ack_8259A(): mask the irq, then specific EOI (slave then master
   * IR2 for irqs 8-15). An irq that was already masked is a suspect: when it
   * is not in service it is a spurious interrupt, reported once per irq and
   * counted in irq_err_count (ERR). Runs in interrupt context.
   */
  maskAndAck(d: IrqData): void {
    const irq = d.irq;
    const irqmask = 1 << irq;
    if (this.cachedIrqMask & irqmask) {
      if (!this.irqReal(irq)) {
        if (!(this.spuriousIrqMask & irqmask)) {
          this.kernel.printk(7, `spurious 8259A interrupt: IRQ${irq}.`);
          this.spuriousIrqMask |= irqmask;
        }
        const x86 = this.kernel.bus.get(X86Key);
        x86.irqErrCount++;
        // Theoretically we do not have to handle this IRQ, but in Linux this
        // does not cause problems and is simpler for us.
      }
    }
    this.cachedIrqMask |= irqmask;
    if (irq & 8) {
      inb(PIC_SLAVE_IMR); // DUMMY - (do we need this?)
      outb(this.cachedSlaveMask, PIC_SLAVE_IMR);
      outb(SPECIFIC_EOI + (irq & 7), PIC_SLAVE_CMD); // 'Specific EOI' to slave
      outb(SPECIFIC_EOI + PIC_CASCADE_IR, PIC_MASTER_CMD); // 'Specific EOI' to master-IRQ2
    } else {
      inb(PIC_MASTER_IMR); // DUMMY - (do we need this?)
      outb(this.cachedMasterMask, PIC_MASTER_IMR);
      outb(SPECIFIC_EOI + irq, PIC_MASTER_CMD); // 'Specific EOI' to master
    }
  }

  /**
   * init_8259A(auto_eoi) (arch/x86/kernel/i8259.c). The ICWs go through
   * outb_pic() (arch/x86/include/asm/i8259.h): outb then udelay(2),
   * "this has to work on a wide range of PC hardware".
   */
  init(): void {
    outb(0xff, PIC_MASTER_IMR); // mask all of 8259A-1
    outb_pic(0x11, PIC_MASTER_CMD); // ICW1: select 8259A-1 init
    outb_pic(ISA_IRQ_VECTOR(0), PIC_MASTER_IMR); // ICW2: IR0-7 mapped to ISA_IRQ_VECTOR(0)
    outb_pic(1 << PIC_CASCADE_IR, PIC_MASTER_IMR); // ICW3: 8259A-1 has a slave on IR2
    outb_pic(
      this.autoEoi ? MASTER_ICW4_DEFAULT | PIC_ICW4_AEOI : MASTER_ICW4_DEFAULT,
      PIC_MASTER_IMR,
    );
    outb_pic(0x11, PIC_SLAVE_CMD); // ICW1: select 8259A-2 init
    outb_pic(ISA_IRQ_VECTOR(8), PIC_SLAVE_IMR); // ICW2: IR0-7 mapped to ISA_IRQ_VECTOR(8)
    outb_pic(PIC_CASCADE_IR, PIC_SLAVE_IMR); // ICW3: 8259A-2 is a slave on master's IR2
    outb_pic(SLAVE_ICW4_DEFAULT, PIC_SLAVE_IMR); // (slave's support for AEOI in flat mode is to be investigated)
    if (this.autoEoi) {
      // In AEOI mode we just have to mask the interrupt when acking.
      this.chip.irq_mask_ack = (d) => this.disable(d);
    }
    udelay(100); // wait for 8259A to initialize
    outb(this.cachedMasterMask, PIC_MASTER_IMR); // restore master IRQ mask
    outb(this.cachedSlaveMask, PIC_SLAVE_IMR); // restore slave IRQ mask
  }
}

/**
 * Boot the legacy PIC as Linux does without an IOAPIC: init_8259A, legacy
 * descs 0-15 on XT-PIC with handle_level_irq, vectors 0x30-0x3f on CPU 0
 * (init_IRQ), and the `cascade` action on IRQ 2 (arch/x86/kernel/irqinit.c).
 */
export function bootLegacyPic(k: Kernel, autoEoi = false, legacy = true): LegacyPic {
  const gi = k.bus.get(GenIrqKey);
  const x86 = k.bus.get(X86Key);
  const pic = new LegacyPic(k, autoEoi);
  k.enter(() => pic.init());
  if (!legacy) return pic; // an IOAPIC owns the ISA IRQs: the PIC stays fully masked
  // The ISA IRQ resources: master IRn is IRQ n, slave IRn is IRQ 8 + n.
  for (const dev of k.devices.values()) {
    if (!(dev instanceof I8259)) continue;
    const int = dev.pins.get("int") as OutputPin;
    const isMaster = int.targets.some((t) => t.name.startsWith("cpu"));
    for (let n = 0; n < 8; n++) gi.inputIrq.set(dev.pins.get(`ir${n}`), isMaster ? n : 8 + n);
  }
  for (let irq = 0; irq < 16; irq++) {
    gi.irq_set_chip_and_handler_name(irq, pic.chip, handle_level_irq);
    // init_IRQ(): on CPU 0, assign ISA_IRQ_VECTOR(irq) to IRQ 0..15
    x86.vectorIrq[0][ISA_IRQ_VECTOR(irq)] = irq;
  }
  // native_init_IRQ(): IRQ2 is cascade interrupt to second interrupt controller
  const r = k.enter(() =>
    gi.request_threaded_irq(2, no_action, null, IRQF_NO_THREAD, "cascade", null)
  );
  if (r) k.printk(3, "%s: request_irq() failed", "cascade");
  return pic;
}
