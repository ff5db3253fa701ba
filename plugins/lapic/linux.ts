/**
 * Linux's side of the local APIC (arch/x86/kernel/apic/apic.c, ipi.c,
 * arch/x86/kernel/smp.c, kernel/smp.c, arch/x86/mm/tlb.c,
 * kernel/watchdog_hld.c): setup_local_APIC() on every CPU, the system
 * vector handlers (local timer, reschedule, call function, irq work,
 * spurious, error), IPIs through the ICR, the LAPIC timer as the per-CPU
 * periodic tick, and the perf-based hard-lockup detector's NMI.
 *
 * All LAPIC accesses go through MMIO at APIC_DEFAULT_PHYS_BASE from the CPU
 * doing them, as the kernel's apic_read()/apic_write() do (xAPIC mode).
 *
 * @module
 */

import { readl, writel } from "../../linux/api.ts";
import type { Cpu } from "../../core/cpu.ts";
import { type Kernel, kernel } from "../../core/kernel.ts";
import { Timer } from "../../core/scheduler.ts";
import {
  CALL_FUNCTION_SINGLE_VECTOR,
  CALL_FUNCTION_VECTOR,
  ERROR_APIC_VECTOR,
  IRQ_WORK_VECTOR,
  LOCAL_TIMER_VECTOR,
  RESCHEDULE_VECTOR,
  SPURIOUS_APIC_VECTOR,
  type X86Arch,
  X86Key,
} from "../x86/mod.ts";
import {
  APIC_DEFAULT_PHYS_BASE,
  APIC_DEST_ALLBUT,
  APIC_DEST_PHYSICAL,
  APIC_DEST_SELF,
  APIC_DM_EXTINT,
  APIC_DM_FIXED,
  APIC_DM_NMI,
  APIC_EOI,
  APIC_ESR,
  APIC_ICR,
  APIC_ICR2,
  APIC_ISR,
  APIC_LVT0,
  APIC_LVT1,
  APIC_LVT_MASKED,
  APIC_LVT_TIMER_PERIODIC,
  APIC_LVTERR,
  APIC_LVTPC,
  APIC_LVTT,
  APIC_SPIV,
  APIC_SPIV_APIC_ENABLED,
  APIC_TASKPRI,
  APIC_TDCR,
  APIC_TDR_DIV_16,
  APIC_TMICT,
  APIC_VECTOR_MASK,
} from "./apic.ts";
import { type ApicSystem, onCpu } from "./system.ts";

/** APIC_DIVISOR (arch/x86/kernel/apic/apic.c): the timer runs with divide-by-16. */
export const APIC_DIVISOR = 16;
/** LAPIC_CAL_LOOPS = HZ / 10: calibration runs on the PIT for 100 ms. */
export function lapicCalLoops(hz: number): number {
  return Math.floor(hz / 10);
}

/** apic_read(reg) on the current CPU. */
export function apic_read(reg: number): number {
  return readl(APIC_DEFAULT_PHYS_BASE + reg);
}
/** apic_write(reg, v) on the current CPU. */
export function apic_write(reg: number, v: number): void {
  writel(v >>> 0, APIC_DEFAULT_PHYS_BASE + reg);
}
/** apic_eoi() / ack_APIC_irq(): write 0 to the EOI register. Interrupt context. */
export function apic_eoi(): void {
  apic_write(APIC_EOI, 0);
}

/**
 * __default_send_IPI_dest_field() / __default_send_IPI_shortcut(): write the
 * destination to ICR2, then the command to ICR (which sends).
 */
export function sendIpi(dest: number, vector: number, mode = APIC_DM_FIXED, shorthand = 0): void {
  if (shorthand === 0) apic_write(APIC_ICR2, (dest & 0xff) << 24);
  apic_write(APIC_ICR, shorthand | mode | APIC_DEST_PHYSICAL | vector);
}

/** A queued cross-CPU function call (call_single_data_t in small). */
interface Csd {
  fn: (info: unknown) => void;
  info: unknown;
}

/** Per-machine state of the Linux LAPIC code. */
export class LinuxApic {
  /** call_single_queue per CPU. */
  readonly callQueue: Csd[][];
  /** irq_work list per CPU. */
  readonly irqWork: ((cpu: number) => void)[][];
  /** lapic_timer_period: bus clocks per jiffy (calibrated). */
  readonly lapicTimerPeriod: number;
  /** Hard-lockup detector: LOC count seen at the previous NMI, per CPU (hrtimer_interrupts_saved). */
  readonly hrtimerSaved: number[];
  /** watchdog_thresh in seconds (0: the detector is off). */
  watchdogThresh: number;
  readonly #pmc: Timer[] = [];

  constructor(
    readonly k: Kernel,
    readonly sys: ApicSystem,
    readonly x86: X86Arch,
    busHz: number,
    watchdogThresh: number,
  ) {
    const n = k.cpus.length;
    this.callQueue = Array.from({ length: n }, () => []);
    this.irqWork = Array.from({ length: n }, () => []);
    this.lapicTimerPeriod = Math.round(busHz / k.config.hz);
    this.hrtimerSaved = new Array(n).fill(-1);
    this.watchdogThresh = watchdogThresh;
  }

  /**
   * setup_local_APIC() on `cpu` (arch/x86/kernel/apic/apic.c, 6.1), with the
   * IOAPIC in use (not PIC mode).
   */
  setupLocalApic(cpu: number): void {
    onCpu(this.k, cpu, () => {
      // "Set Task Priority to 'accept all except vectors 0-31'. An APIC vector
      // in the 16-31 range could be delivered if TPR == 0, but we would think
      // it's an exception and terrible things will happen."
      apic_write(APIC_TASKPRI, (apic_read(APIC_TASKPRI) & ~0xff) | 0x10);
      // Now that we are all set up, enable the APIC; the spurious vector is 0xff.
      let value = apic_read(APIC_SPIV);
      value &= ~APIC_VECTOR_MASK;
      value |= APIC_SPIV_APIC_ENABLED | SPURIOUS_APIC_VECTOR;
      apic_write(APIC_SPIV, value);
      // LINT0: ExtINT only in PIC / virtual wire mode; with the IOAPIC it is masked.
      apic_write(APIC_LVT0, APIC_DM_EXTINT | APIC_LVT_MASKED);
      // "Only the BSP sees the LINT1 NMI signal by default."
      apic_write(APIC_LVT1, cpu === 0 ? APIC_DM_NMI : APIC_DM_NMI | APIC_LVT_MASKED);
      // lapic_setup_esr(): the error vector, then clear the ESR (write twice)
      apic_write(APIC_LVTERR, ERROR_APIC_VECTOR);
      apic_write(APIC_ESR, 0);
      apic_write(APIC_ESR, 0);
      // the timer stays masked until the clockevent is set up
      apic_write(APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_MASKED);
    });
  }

  /**
   * lapic_timer_set_periodic() → __setup_APIC_LVTT(lapic_timer_period, 0, 1):
   * periodic mode, divide by 16, initial count period / 16.
   */
  startPeriodicTimer(cpu: number): void {
    onCpu(this.k, cpu, () => {
      apic_write(APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_PERIODIC);
      const tdcr = apic_read(APIC_TDCR);
      apic_write(APIC_TDCR, (tdcr & ~0xf) | APIC_TDR_DIV_16);
      apic_write(APIC_TMICT, Math.floor(this.lapicTimerPeriod / APIC_DIVISOR));
    });
  }

  // ---- system vectors (arch/x86/kernel/apic/apic.c, smp.c, irq_work.c) ----

  /** Register the system vector handlers with the x86 entry code. */
  installSystemVectors(): void {
    const x86 = this.x86;
    const k = this.k;
    const sv = x86.systemVectors;
    // sysvec_apic_timer_interrupt(): ack first, then the clockevent handler
    sv.set(LOCAL_TIMER_VECTOR, (cpu) => {
      apic_eoi();
      x86.irqStat[cpu.id].apic_timer_irqs++;
      // local_apic_timer_interrupt() → tick_handle_periodic()
      cpu.accum += k.costs.handler_ns;
      k.tick(cpu);
    });
    // sysvec_reschedule_ipi(): the waker set need_resched; the return path reschedules
    sv.set(RESCHEDULE_VECTOR, (cpu) => {
      apic_eoi();
      x86.irqStat[cpu.id].irq_resched_count++;
    });
    const callFunction = (cpu: Cpu) => {
      apic_eoi();
      x86.irqStat[cpu.id].irq_call_count++;
      this.flushCallQueue(cpu.id);
    };
    sv.set(CALL_FUNCTION_VECTOR, callFunction);
    sv.set(CALL_FUNCTION_SINGLE_VECTOR, callFunction);
    // sysvec_irq_work(): irq_work_run()
    sv.set(IRQ_WORK_VECTOR, (cpu) => {
      apic_eoi();
      x86.irqStat[cpu.id].apic_irq_work_irqs++;
      const list = this.irqWork[cpu.id].splice(0);
      for (const f of list) f(cpu.id);
    });
    // sysvec_spurious_apic_interrupt() → handle_spurious_interrupt()
    sv.set(SPURIOUS_APIC_VECTOR, (cpu) => {
      x86.irqStat[cpu.id].irq_spurious_count++;
      // "If this is a spurious interrupt then do not acknowledge"
      k.printk(
        6,
        `Spurious APIC interrupt (vector 0xFF) on CPU#${cpu.id}, should never happen.`,
      );
    });
    // sysvec_error_interrupt(): read the ESR (write first: Pentium erratum 3AP), ack, count
    sv.set(ERROR_APIC_VECTOR, (cpu) => {
      apic_write(APIC_ESR, 0);
      const v = apic_read(APIC_ESR);
      apic_eoi();
      x86.irqErrCount++;
      // apic_printk(APIC_DEBUG, ...): printed only with apic=debug
      if (k.config.cmdline.includes("apic=debug")) {
        k.printk(7, `APIC error on CPU${cpu.id}: ${v.toString(16).padStart(2, "0")}(00)`);
      }
    });
  }

  /** flush_smp_call_function_queue(): run this CPU's queued calls. Interrupt context. */
  flushCallQueue(cpu: number): void {
    const q = this.callQueue[cpu].splice(0);
    for (const c of q) c.fn(c.info);
  }

  // ---- IPIs ----

  /** native_smp_send_reschedule(): RESCHEDULE_VECTOR to one CPU. */
  sendReschedule(from: Cpu, to: Cpu): void {
    onCpu(this.k, from, () => sendIpi(this.sys.lapics[to.id].id, RESCHEDULE_VECTOR));
  }

  /**
   * smp_call_function_many_cond() in small: queue `fn` on each target and
   * send CALL_FUNCTION_SINGLE to one CPU, CALL_FUNCTION with the
   * all-but-self shorthand to all others (native_send_call_func_ipi()), or
   * CALL_FUNCTION to each CPU of a smaller set. The calling CPU runs `fn`
   * itself when it is in the mask and `self` is true (on_each_cpu).
   */
  callFunctionMany(
    targets: readonly number[],
    fn: (info: unknown) => void,
    info: unknown,
    self: boolean,
  ): void {
    const k = this.k;
    const me = k.thisCpu().id;
    const others = [...new Set(targets)].filter((c) => c !== me && c >= 0 && c < k.cpus.length)
      .sort((a, b) => a - b);
    for (const c of others) this.callQueue[c].push({ fn, info });
    if (others.length === 1) {
      sendIpi(this.sys.lapics[others[0]].id, CALL_FUNCTION_SINGLE_VECTOR);
    } else if (others.length === k.cpus.length - 1 && others.length > 0) {
      sendIpi(0, CALL_FUNCTION_VECTOR, APIC_DM_FIXED, APIC_DEST_ALLBUT);
    } else {
      for (const c of others) sendIpi(this.sys.lapics[c].id, CALL_FUNCTION_VECTOR);
    }
    if (self && targets.includes(me)) {
      const cpu = k.thisCpu();
      const was = cpu.irqsDisabled;
      cpu.irqsDisabled = true; // local_irq_save() around the local call
      fn(info);
      cpu.irqsDisabled = was;
    }
  }

  /** irq_work_queue(): queue on this CPU and raise the IRQ_WORK self-IPI (arch_irq_work_raise). */
  irqWorkQueue(fn: (cpu: number) => void): void {
    const me = this.k.thisCpu().id;
    this.irqWork[me].push(fn);
    sendIpi(0, IRQ_WORK_VECTOR, APIC_DM_FIXED, APIC_DEST_SELF);
  }

  // ---- hard-lockup detector (kernel/watchdog_hld.c, arch/x86/events/core.c) ----

  /**
   * Start the perf counter of each CPU: a cycles event whose overflow every
   * watchdog_thresh seconds (hw_nmi_get_sample_period()) reaches the CPU as
   * an NMI through the LVT performance counter entry (APIC_DM_NMI).
   */
  startWatchdog(): void {
    if (this.watchdogThresh <= 0) return;
    const period = Math.round(this.watchdogThresh * 1e9);
    for (const cpu of this.k.cpus) {
      onCpu(this.k, cpu, () => apic_write(APIC_LVTPC, APIC_DM_NMI));
      const t = new Timer(() => {
        this.sys.lapics[cpu.id].perfOverflow();
        this.k.clock.armIn(t, period, cpu.id);
      });
      this.#pmc[cpu.id] = t;
      this.k.clock.armIn(t, period, cpu.id);
    }
  }

  /**
   * perf_event_nmi_handler() → x86_pmu_handle_irq() → watchdog_overflow_callback():
   * count PMI, re-arm the LVTPC (the LAPIC masks it on delivery), and report
   * a hard lockup when the CPU's timer interrupts have not moved since the
   * last NMI (is_hardlockup()). NMI context.
   */
  watchdogNmi(cpu: Cpu): boolean {
    const lapic = this.sys.lapics[cpu.id];
    if (!lapic.perfPending) return false;
    lapic.perfPending = false;
    this.x86.irqStat[cpu.id].apic_perf_irqs++;
    apic_write(APIC_LVTPC, APIC_DM_NMI);
    const now = this.x86.irqStat[cpu.id].apic_timer_irqs;
    if (this.hrtimerSaved[cpu.id] === now) {
      // pr_emerg with pr_fmt "NMI watchdog: " (kernel/watchdog_hld.c)
      kernel().printk(0, `NMI watchdog: Watchdog detected hard LOCKUP on cpu ${cpu.id}`);
    }
    this.hrtimerSaved[cpu.id] = now;
    return true;
  }

  /** Is `vector` in service on this CPU's LAPIC (read through the ISR registers)? */
  inService(vector: number): boolean {
    return (apic_read(APIC_ISR + ((vector & ~0x1f) >> 1)) & (1 << (vector & 0x1f))) !== 0;
  }
}

export { X86Key };
