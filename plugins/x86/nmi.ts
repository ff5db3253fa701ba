/**
 * The NMI path of x86 (arch/x86/kernel/nmi.c): exc_nmi() enters NMI context
 * (nmi_enter(): preempt_count += NMI_OFFSET + HARDIRQ_OFFSET, so in_nmi()
 * is true), counts __nmi_count (the `NMI` row), runs the NMI_LOCAL handlers
 * (register_nmi_handler()) and reports an NMI nobody claimed as the kernel
 * does. An NMI is taken even with interrupts disabled (the CPU latches it;
 * core/cpu.ts takes it at the next step boundary whatever IF says).
 *
 * @module
 */

import { type Body, DONE } from "../../core/body.ts";
import { type Cpu, HARDIRQ_OFFSET, NMI_OFFSET } from "../../core/cpu.ts";
import type { Kernel } from "../../core/kernel.ts";

/** NMI handler types (arch/x86/include/asm/nmi.h). */
export const NMI_LOCAL = 0;
/** NMI_UNKNOWN: handlers for NMIs no NMI_LOCAL handler claimed. */
export const NMI_UNKNOWN = 1;
/** NMI_SERR: PCI SERR# (system error) NMIs. */
export const NMI_SERR = 2;
/** NMI_IO_CHECK: I/O channel check NMIs. */
export const NMI_IO_CHECK = 3;
/** Return values of an NMI handler: not mine. */
export const NMI_DONE = 0;
/** Return value of an NMI handler: claimed. */
export const NMI_HANDLED = 1;

/** An NMI handler: returns NMI_HANDLED (or a count) when it claimed the NMI. NMI context. */
export type NmiHandler = (type: number, cpu: Cpu) => number;

/** The registered NMI handlers and the entry body. */
export class NmiDispatch {
  readonly handlers: { type: number; fn: NmiHandler; name: string }[] = [];
  /** Per-CPU "unknown" NMIs (nmi_stats.unknown). */
  readonly unknown: number[];
  readonly #bodies: NmiEntry[][];

  constructor(readonly kernel: Kernel, readonly countNmi: (cpu: Cpu) => void) {
    this.unknown = new Array(kernel.cpus.length).fill(0);
    this.#bodies = kernel.cpus.map(() => []);
  }

  /** register_nmi_handler(type, fn, flags, name) */
  register(type: number, fn: NmiHandler, name: string): number {
    if (this.handlers.some((h) => h.type === type && h.name === name)) return -16; // -EBUSY
    this.handlers.push({ type, fn, name });
    return 0;
  }

  /** unregister_nmi_handler(type, name) */
  unregister(type: number, name: string): void {
    const i = this.handlers.findIndex((h) => h.type === type && h.name === name);
    if (i >= 0) this.handlers.splice(i, 1);
  }

  /** The body run for an NMI on `cpu` (one per nesting level). */
  entry(cpu: Cpu, level: number): Body {
    const pool = this.#bodies[cpu.id];
    return (pool[level] ??= new NmiEntry(this)).reset();
  }

  /**
   * default_do_nmi(): the NMI_LOCAL handlers; when none claims it and the
   * platform reports no reason, unknown_nmi_error(). NMI context.
   */
  doNmi(cpu: Cpu): void {
    let handled = 0;
    for (const h of this.handlers) if (h.type === NMI_LOCAL) handled += h.fn(NMI_LOCAL, cpu);
    if (handled) return;
    this.unknown[cpu.id]++;
    for (const h of this.handlers) if (h.type === NMI_UNKNOWN) handled += h.fn(NMI_UNKNOWN, cpu);
    if (handled) return;
    // unknown_nmi_error(): reason 0 on a modern chipset (port 0x61 bits clear)
    this.kernel.printk(0, `Uhhuh. NMI received for unknown reason 00 on CPU ${cpu.id}.`);
    this.kernel.printk(0, "Dazed and confused, but trying to continue");
  }
}

const ENTER = 0, EXIT = 1, DONE_PHASE = 2;

/** exc_nmi(): entry cost, nmi_enter, count, handlers, nmi_exit, return. */
class NmiEntry implements Body {
  readonly label = "exc_nmi";
  #phase = ENTER;
  constructor(readonly nmi: NmiDispatch) {}
  reset(): this {
    this.#phase = ENTER;
    return this;
  }
  step(cpu: Cpu): number {
    const k = this.nmi.kernel;
    switch (this.#phase) {
      case ENTER:
        this.#phase = EXIT;
        cpu.preemptCount += NMI_OFFSET + HARDIRQ_OFFSET; // nmi_enter()
        this.nmi.countNmi(cpu); // inc_irq_stat(__nmi_count)
        this.nmi.doNmi(cpu);
        return k.costs.irq_entry_ns;
      case EXIT:
        this.#phase = DONE_PHASE;
        cpu.preemptCount -= NMI_OFFSET + HARDIRQ_OFFSET; // nmi_exit()
        return k.costs.irq_exit_ns;
      default:
        this.#phase = ENTER;
        return DONE;
    }
  }
}
