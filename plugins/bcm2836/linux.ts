/**
 * Linux's side of the BCM2836 per-core controller
 * (drivers/irqchip/irq-bcm2836.c, 6.1: mailbox 0 as a chained interrupt
 * feeding an IPI domain) and of the ARM generic timer
 * (drivers/clocksource/arm_arch_timer.c) whose per-CPU interrupt is the
 * periodic tick of every core.
 *
 * @module
 */

import { readl, writel } from "../../linux/api.ts";
import { withCost } from "../../core/body.ts";
import type { Cpu } from "../../core/cpu.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { ArmArch, ChainedHandler, PercpuIrqChip } from "../arm/mod.ts";
import {
  IRQ_HANDLED,
  IRQ_NONE,
  IRQ_NOREQUEST,
  type IrqChip,
  type IrqData,
  type IrqDomain,
  type irqreturn_t,
} from "../genirq/mod.ts";
import {
  ARCH_TIMER_CTRL_IT_MASK,
  ARCH_TIMER_CTRL_IT_STAT,
  BITS_PER_MBOX,
  LOCAL_CONTROL,
  LOCAL_IRQ_CNTHPIRQ,
  LOCAL_IRQ_CNTPNSIRQ,
  LOCAL_IRQ_CNTPSIRQ,
  LOCAL_IRQ_CNTVIRQ,
  LOCAL_IRQ_GPU_FAST,
  LOCAL_IRQ_MAILBOX0,
  LOCAL_IRQ_PENDING0,
  LOCAL_IRQ_PMU_FAST,
  LOCAL_MAILBOX0_CLR0,
  LOCAL_MAILBOX0_SET0,
  LOCAL_MAILBOX_INT_CONTROL0,
  LOCAL_PM_ROUTING_CLR,
  LOCAL_PM_ROUTING_SET,
  LOCAL_PRESCALER,
  LOCAL_TIMER_INT_CONTROL0,
  type LocalIntc,
} from "./local_intc.ts";

/** What the driver leaves for the ARMCTRL driver and the timer. */
export interface Bcm2836Linux {
  readonly intc: LocalIntc;
  /** The local domain (hwirq 0-9). */
  readonly domain: IrqDomain;
  /** The IPI domain (BITS_PER_MBOX hwirqs). */
  ipiDomain: IrqDomain | undefined;
  /** Linux IRQs of the arch timer PPIs, in arch_timer_ppi[] order. */
  timerIrqs: number[];
  /** bcm2836_map()'s choice of chip for a hwirq. */
  readonly chipFor: (hw: number) => IrqChip;
}

function ffs(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x & -x);
}

/**
 * bcm2836_arm_irqchip_l1_intc_of_init(): local timer frequency, the
 * domain, the IPI domain on mailbox 0, set_handle_irq(). Runs at boot.
 */
export function bcm2836_arm_irqchip_l1_intc_of_init(
  k: Kernel,
  arm: ArmArch,
  intc: LocalIntc,
): Bcm2836Linux {
  const base = intc.options.base;
  const thisCpu = () => k.thisCpu().id;
  const maskPerCpu = (reg: number, bit: number, cpu: number) => {
    const a = base + reg + 4 * cpu;
    writel(readl(a) & ~(1 << bit), a);
  };
  const unmaskPerCpu = (reg: number, bit: number, cpu: number) => {
    const a = base + reg + 4 * cpu;
    writel(readl(a) | (1 << bit), a);
  };
  const timerChip: PercpuIrqChip = {
    name: "bcm2836-timer",
    irq_mask: (d) => maskPerCpu(LOCAL_TIMER_INT_CONTROL0, d.hwirq - LOCAL_IRQ_CNTPSIRQ, thisCpu()),
    irq_unmask: (d) =>
      unmaskPerCpu(LOCAL_TIMER_INT_CONTROL0, d.hwirq - LOCAL_IRQ_CNTPSIRQ, thisCpu()),
    irq_mask_cpu: (d, cpu) =>
      maskPerCpu(LOCAL_TIMER_INT_CONTROL0, d.hwirq - LOCAL_IRQ_CNTPSIRQ, cpu),
    irq_unmask_cpu: (d, cpu) =>
      unmaskPerCpu(LOCAL_TIMER_INT_CONTROL0, d.hwirq - LOCAL_IRQ_CNTPSIRQ, cpu),
  };
  const pmuChip: PercpuIrqChip = {
    name: "bcm2836-pmu",
    irq_mask: () => writel(1 << thisCpu(), base + LOCAL_PM_ROUTING_CLR),
    irq_unmask: () => writel(1 << thisCpu(), base + LOCAL_PM_ROUTING_SET),
    irq_mask_cpu: (_d, cpu) => writel(1 << cpu, base + LOCAL_PM_ROUTING_CLR),
    irq_unmask_cpu: (_d, cpu) => writel(1 << cpu, base + LOCAL_PM_ROUTING_SET),
  };
  // The GPU interrupt is routed by the firmware; nothing to mask per core.
  const gpuChip: PercpuIrqChip = {
    name: "bcm2836-gpu",
    irq_mask: () => {},
    irq_unmask: () => {},
    irq_mask_cpu: () => {},
    irq_unmask_cpu: () => {},
  };
  // Mailbox 0 itself: a chained parent whose chip only needs an eoi (no-op),
  // so chained_irq_enter() does nothing.
  const dummyChip: PercpuIrqChip = {
    name: "bcm2836-dummy",
    irq_eoi: () => {},
    irq_mask_cpu: (_d, cpu) => maskPerCpu(LOCAL_MAILBOX_INT_CONTROL0, 0, cpu),
    irq_unmask_cpu: (_d, cpu) => unmaskPerCpu(LOCAL_MAILBOX_INT_CONTROL0, 0, cpu),
  };

  const chipFor = (hw: number): IrqChip => {
    switch (hw) {
      case LOCAL_IRQ_CNTPSIRQ:
      case LOCAL_IRQ_CNTPNSIRQ:
      case LOCAL_IRQ_CNTHPIRQ:
      case LOCAL_IRQ_CNTVIRQ:
        return timerChip;
      case LOCAL_IRQ_MAILBOX0:
        return dummyChip;
      case LOCAL_IRQ_GPU_FAST:
        return gpuChip;
      case LOCAL_IRQ_PMU_FAST:
        return pmuChip;
    }
    return gpuChip;
  };

  let domain!: IrqDomain;
  const linux: Bcm2836Linux = {
    intc,
    get domain() {
      return domain;
    },
    ipiDomain: undefined,
    timerIrqs: [],
    chipFor,
  };

  k.enter(() => {
    // bcm2835_init_local_timer_frequency(): 19.2 MHz crystal, increment by 1,
    // prescaler 1:1 (timer freq = input freq * 2**31 / prescaler).
    writel(0, base + LOCAL_CONTROL);
    writel(0x80000000, base + LOCAL_PRESCALER);
    domain = arm.irq_domain_add_linear("bcm2836-l1-intc", gpuChip);

    // bcm2836_arm_irqchip_smp_init(): mailbox 0 becomes a chained interrupt
    // demultiplexing the IPI domain.
    const mux = mapLocal(arm, domain, LOCAL_IRQ_MAILBOX0, chipFor);
    const ipiChip: IrqChip = {
      name: "IPI",
      irq_mask: () => {},
      irq_unmask: () => {},
      // bcm2836_arm_irqchip_ipi_ack(): clear the bit in this core's mailbox 0
      irq_ack: (d: IrqData) => writel(1 << d.hwirq, base + LOCAL_MAILBOX0_CLR0 + 16 * thisCpu()),
    };
    const ipiDomain = arm.irq_domain_add_linear("bcm2836-ipi", ipiChip);
    linux.ipiDomain = ipiDomain;
    // irq_domain_alloc_irqs(ipi_domain, BITS_PER_MBOX, ...): one block
    const ipiBase = arm.irq_domain_alloc_descs(BITS_PER_MBOX, 0);
    for (let i = 0; i < BITS_PER_MBOX; i++) {
      const irq = ipiBase + i;
      const desc = arm.gi.irq_to_desc(irq)!;
      desc.irq_data.hwirq = i;
      desc.irq_data.domain = ipiDomain;
      desc.irq_data.chip = ipiChip;
      ipiDomain.map.set(i, irq);
      arm.irq_set_percpu_devid(irq);
      desc.status &= ~IRQ_NOREQUEST; // cleared by the domain association
    }
    // bcm2836_arm_irqchip_ipi_send_mask()
    arm.set_smp_ipi_range(ipiBase, BITS_PER_MBOX, (cpus, hwirq) => {
      for (const c of cpus) writel(1 << hwirq, base + LOCAL_MAILBOX0_SET0 + 16 * c);
    });
    arm.irq_set_chained_handler_and_data(mux, bcm2836_arm_irqchip_handle_ipi(base, ipiDomain));
    // bcm2836_cpu_starting() on every core: unmask mailbox 0's IRQ.
    for (const c of k.cpus) {
      if (c.id < intc.options.cores) unmaskPerCpu(LOCAL_MAILBOX_INT_CONTROL0, 0, c.id);
    }
    arm.set_handle_irq(bcm2836_arm_irqchip_handle_irq(arm, base, domain));
  });
  return linux;
}

/** bcm2836_map(): a per-CPU (percpu_devid) interrupt with the hwirq's chip, IRQ_NOAUTOEN. */
export function mapLocal(
  arm: ArmArch,
  domain: IrqDomain,
  hwirq: number,
  chipFor: (hw: number) => IrqChip,
): number {
  const have = arm.irq_find_mapping(domain, hwirq);
  if (have) return have;
  const irq = arm.irq_create_mapping(domain, hwirq, chipFor(hwirq));
  arm.irq_set_percpu_devid(irq);
  return irq;
}

/** The local domain's map op, for the ARMCTRL driver and the timer. */
export function mapLocalIrq(arm: ArmArch, linux: Bcm2836Linux, hwirq: number): number {
  return mapLocal(arm, linux.domain, hwirq, linux.chipFor);
}

/**
 * bcm2836_arm_irqchip_handle_irq(): the root handler. One source per
 * exception: the lowest pending bit of this core. Interrupt context.
 */
export function bcm2836_arm_irqchip_handle_irq(
  arm: ArmArch,
  base: number,
  domain: IrqDomain,
): ChainedHandler {
  return {
    name: "bcm2836_arm_irqchip_handle_irq",
    next(cpu: Cpu, _desc, s) {
      if (s[0]) return -1;
      s[0] = 1;
      const stat = readl(base + LOCAL_IRQ_PENDING0 + 4 * cpu.id);
      if (!stat) return -1;
      const hwirq = ffs(stat) - 1;
      const irq = domain.findMapping(hwirq);
      if (irq) return irq;
      // generic_handle_domain_irq() of an unmapped hwirq: -EINVAL, counted
      // as an error (irq_err_count) by the ARM entry code.
      arm.irqErrCount++;
      return -1;
    },
  };
}

/**
 * bcm2836_arm_irqchip_handle_ipi(): read this core's mailbox 0 and handle
 * its lowest set bit as an IPI. Interrupt context.
 */
export function bcm2836_arm_irqchip_handle_ipi(base: number, ipiDomain: IrqDomain): ChainedHandler {
  return {
    name: "bcm2836_arm_irqchip_handle_ipi",
    next(cpu: Cpu, _desc, s) {
      if (s[0]) return -1;
      s[0] = 1;
      const mbox = readl(base + LOCAL_MAILBOX0_CLR0 + 16 * cpu.id);
      if (!mbox) return -1;
      return ipiDomain.findMapping(ffs(mbox) - 1) || -1;
    },
  };
}

/** The tick work done in the timer interrupt (tick_handle_periodic), ns. */
export const ARCH_TIMER_HANDLER_NS = 2000;

/**
 * arch_timer_of_init() + arch_timer_starting_cpu() on every core: map the
 * four PPIs in device-tree order (secure phys 0, non-secure phys 1, virt 3,
 * hyp 2), request the physical ones as "arch_timer" (a 32-bit kernel not in
 * HYP mode uses the physical timer: arch_timer_select_ppi() answers
 * ARCH_TIMER_PHYS_SECURE_PPI and the non-secure PPI is requested with it),
 * enable them per core and start each core's periodic tick at HZ.
 */
export function arch_timer_of_init(
  k: Kernel,
  arm: ArmArch,
  linux: Bcm2836Linux,
  handlerNs = ARCH_TIMER_HANDLER_NS,
): void {
  const intc = linux.intc;
  const period = Math.round(1e9 / k.config.hz);
  k.enter(() => {
    const ppi = [LOCAL_IRQ_CNTPSIRQ, LOCAL_IRQ_CNTPNSIRQ, LOCAL_IRQ_CNTVIRQ, LOCAL_IRQ_CNTHPIRQ]
      .map((hw) => mapLocalIrq(arm, linux, hw));
    linux.timerIrqs = ppi;
    const mhz = (intc.options.cntfrq / 1e6).toFixed(2);
    k.printk(6, `arch_timer: cp15 timer(s) running at ${mhz}MHz (phys).`);
    // arch_timer_handler_phys() -> timer_handler(): if ISTATUS, set IMASK and
    // run the clock event handler (tick_handle_periodic, which programs the
    // next expiry one period after the last). Interrupt context.
    const arch_timer_handler_phys = withCost(function arch_timer_handler_phys(
      _irq: number,
      _dev: unknown,
    ): irqreturn_t {
      const cpu = k.thisCpu();
      const t = intc.timers[cpu.id];
      const ctrl = t.readCtl();
      if (!(ctrl & ARCH_TIMER_CTRL_IT_STAT)) return IRQ_NONE;
      t.writeCtl(ctrl | ARCH_TIMER_CTRL_IT_MASK);
      k.tick(cpu);
      t.setNextEvent(t.expires + period - k.now);
      return IRQ_HANDLED;
    }, handlerNs);
    const evt = k.cpus.map((c) => ({ cpu: c.id }));
    arm.request_percpu_irq(ppi[0], arch_timer_handler_phys, "arch_timer", evt);
    arm.request_percpu_irq(ppi[1], arch_timer_handler_phys, "arch_timer", evt);
    for (const c of k.cpus) {
      if (c.id >= intc.options.cores) continue;
      arm.enable_percpu_irq(ppi[0], c.id);
      arm.enable_percpu_irq(ppi[1], c.id);
      intc.timers[c.id].setNextEvent(period);
    }
  });
}
