/**
 * Linux's BCM2835 ARMCTRL driver (drivers/irqchip/irq-bcm2835.c, 6.1):
 * a linear domain with every bank's sources mapped at boot (8 + 32 + 32
 * consecutive Linux IRQs), the `ARMCTRL-level` chip (mask = write the
 * disable register, unmask = write the enable register; no irq_set_type, no
 * irq_set_affinity), `handle_level_irq`, and the dispatch loop
 * `get_next_armctrl_hwirq()` run as a chained handler of the BCM2836 GPU
 * interrupt (Pi 2/3) or as the root `handle_arch_irq` (Pi 1).
 *
 * @module
 */

import { readl, writel } from "../../linux/api.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { ArmArch, ChainedHandler } from "../arm/mod.ts";
import { type Bcm2836Linux, LOCAL_IRQ_GPU_FAST, mapLocalIrq } from "../bcm2836/mod.ts";
import {
  handle_level_irq,
  IRQ_NOPROBE,
  type IrqChip,
  type IrqData,
  type IrqDomain,
} from "../genirq/mod.ts";
import {
  BANK1_HWIRQ,
  BANK2_HWIRQ,
  DISABLE_BASIC_IRQS,
  DISABLE_IRQS_1,
  DISABLE_IRQS_2,
  ENABLE_BASIC_IRQS,
  ENABLE_IRQS_1,
  ENABLE_IRQS_2,
  FIQ_CONTROL,
  FIQ_CONTROL_ENABLE,
  IRQ_BASIC_PENDING,
  IRQ_PENDING_1,
  IRQ_PENDING_2,
  SHORTCUT1_MASK,
  SHORTCUT2_MASK,
  SHORTCUT_SHIFT,
  SHORTCUTS,
} from "./armctrl.ts";

/** MAKE_HWIRQ(b, n): bank in bits 5+, bit in 0-4. */
export function MAKE_HWIRQ(b: number, n: number): number {
  return (b << 5) | n;
}
/** HWIRQ_BANK(i) */
export function HWIRQ_BANK(i: number): number {
  return i >> 5;
}
/** HWIRQ_BIT(i) */
export function HWIRQ_BIT(i: number): number {
  return (1 << (i & 0x1f)) >>> 0;
}
/** The hwirq of GPU interrupt `n`: bank 1 for 0-31, bank 2 for 32-63 (= n + 32). */
export function gpuHwirq(n: number): number {
  return MAKE_HWIRQ(1 + (n >> 5), n & 31);
}

export const NR_IRQS_BANK0 = 8;
export const BANK0_HWIRQ_MASK = 0xff;
export const BANK0_VALID_MASK = BANK0_HWIRQ_MASK | BANK1_HWIRQ | BANK2_HWIRQ | SHORTCUT1_MASK |
  SHORTCUT2_MASK;
export const NR_BANKS = 3;
export const IRQS_PER_BANK = 32;
const reg_pending = [IRQ_BASIC_PENDING, IRQ_PENDING_1, IRQ_PENDING_2];
const reg_enable = [ENABLE_BASIC_IRQS, ENABLE_IRQS_1, ENABLE_IRQS_2];
const reg_disable = [DISABLE_BASIC_IRQS, DISABLE_IRQS_1, DISABLE_IRQS_2];
const bank_irqs = [8, 32, 32];

function ffs(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x & -x);
}

/** The driver's state. */
export interface ArmctrlLinux {
  readonly base: number;
  readonly domain: IrqDomain;
  readonly chip: IrqChip;
  /** The Linux IRQ of a GPU interrupt number. */
  gpuIrq(n: number): number;
}

/**
 * get_next_armctrl_hwirq(): bank-0 sources first, then the bank-1 and
 * bank-2 shortcuts, then the lowest bit of pending 1, then of pending 2;
 * ~0 (here -1) when nothing is pending. Interrupt context.
 */
export function get_next_armctrl_hwirq(base: number): number {
  const stat = readl(base + IRQ_BASIC_PENDING) & BANK0_VALID_MASK;
  if (stat === 0) return -1;
  if (stat & BANK0_HWIRQ_MASK) return MAKE_HWIRQ(0, ffs(stat & BANK0_HWIRQ_MASK) - 1);
  if (stat & SHORTCUT1_MASK) {
    return MAKE_HWIRQ(1, SHORTCUTS[ffs((stat & SHORTCUT1_MASK) >> SHORTCUT_SHIFT) - 1]);
  }
  if (stat & SHORTCUT2_MASK) {
    return MAKE_HWIRQ(2, SHORTCUTS[ffs((stat & SHORTCUT2_MASK) >> SHORTCUT_SHIFT) - 1]);
  }
  if (stat & BANK1_HWIRQ) return MAKE_HWIRQ(1, ffs(readl(base + reg_pending[1])) - 1);
  if (stat & BANK2_HWIRQ) return MAKE_HWIRQ(2, ffs(readl(base + reg_pending[2])) - 1);
  return -1; // BUG() in the kernel: unreachable with BANK0_VALID_MASK
}

/**
 * armctrl_of_init(): map every source, disable what the bootloader left
 * enabled, then hook the dispatch loop to the parent (BCM2836 GPU_FAST) or
 * make it the root handler. Runs at boot.
 */
export function armctrl_of_init(
  k: Kernel,
  arm: ArmArch,
  base: number,
  parent: Bcm2836Linux | undefined,
): ArmctrlLinux {
  const chip: IrqChip = {
    name: "ARMCTRL-level",
    // armctrl_mask_irq() / armctrl_unmask_irq()
    irq_mask: (d: IrqData) => writel(HWIRQ_BIT(d.hwirq), base + reg_disable[HWIRQ_BANK(d.hwirq)]),
    irq_unmask: (d: IrqData) => writel(HWIRQ_BIT(d.hwirq), base + reg_enable[HWIRQ_BANK(d.hwirq)]),
  };
  let domain!: IrqDomain;
  k.enter(() => {
    domain = arm.irq_domain_add_linear("ARMCTRL", chip);
    for (let b = 0; b < NR_BANKS; b++) {
      for (let i = 0; i < bank_irqs[b]; i++) {
        const irq = arm.irq_create_mapping(domain, MAKE_HWIRQ(b, i), chip, handle_level_irq);
        arm.gi.irq_to_desc(irq)!.status &= ~IRQ_NOPROBE; // irq_set_probe()
      }
      const reg = readl(base + reg_enable[b]);
      if (reg) {
        writel(reg, base + reg_disable[b]);
        k.printk(3, `[Firmware Bug]: Bootloader left irq enabled: bank ${b} irq ${bitList(reg)}`);
      }
    }
    const fiq = readl(base + FIQ_CONTROL);
    if (fiq & FIQ_CONTROL_ENABLE) {
      writel(0, base + FIQ_CONTROL);
      k.printk(3, "[Firmware Bug]: Bootloader left fiq enabled");
    }
    const next: ChainedHandler["next"] = () => {
      const hwirq = get_next_armctrl_hwirq(base);
      if (hwirq < 0) return -1;
      const irq = domain.findMapping(hwirq);
      if (irq) return irq;
      arm.irqErrCount++;
      return -1;
    };
    if (parent) {
      // bcm2836_chained_handle_irq(): while ((hwirq = get_next_armctrl_hwirq()) != ~0)
      //     generic_handle_domain_irq(intc.domain, hwirq);
      const parentIrq = mapLocalIrq(arm, parent, LOCAL_IRQ_GPU_FAST);
      arm.irq_set_chained_handler_and_data(parentIrq, { name: "bcm2836_chained_handle_irq", next });
    } else {
      // bcm2835_handle_irq(): the same loop as the root handler (Pi 1)
      arm.set_handle_irq({ name: "bcm2835_handle_irq", next });
    }
  });
  return {
    base,
    domain,
    chip,
    gpuIrq: (n) => domain.findMapping(gpuHwirq(n)),
  };
}

/** `%*pbl` of one 32-bit word. */
function bitList(v: number): string {
  const out: string[] = [];
  for (let i = 0; i < 32;) {
    if (!(v & (1 << i))) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < 32 && (v & (1 << (j + 1)))) j++;
    out.push(i === j ? `${i}` : `${i}-${j}`);
    i = j + 1;
  }
  return out.join(",");
}
