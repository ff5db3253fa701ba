/**
 * The x86 architecture: interrupt entry (IDT -> common_interrupt ->
 * vector_irq -> the IRQ's flow handler), the vector layout of
 * arch/x86/include/asm/irq_vectors.h, per-CPU irq_stat counters and the
 * architecture rows of /proc/interrupts (arch/x86/kernel/irq.c).
 *
 * In PIC mode the vector comes from an interrupt-acknowledge cycle of the
 * device driving the CPU's INTR pin (the master i8259).
 *
 * Exceptions 0–31 and user mode (the `traps:` lines, signals, ioperm) are
 * in traps.ts.
 *
 * @module
 */

import { type Body, CALL, DONE } from "../../core/body.ts";
import { serviceKey } from "../../core/bus.ts";
import type { Cpu } from "../../core/cpu.ts";
import { type Kernel, kernel } from "../../core/kernel.ts";
import type { InputPin } from "../../core/line.ts";
import { hasInta, type InterruptAcknowledge, type Plugin } from "../../core/plugin.ts";
import { type GenIrq, GenIrqKey } from "../genirq/genirq.ts";
import { defineTraceEvent, type TraceEventType } from "../../core/trace.ts";
import { setupTraps } from "./traps.ts";

export * from "./traps.ts";
import { NmiDispatch, type NmiHandler } from "./nmi.ts";

export * from "./nmi.ts";

// arch/x86/include/asm/irq_vectors.h
export const NMI_VECTOR = 0x02;
export const FIRST_EXTERNAL_VECTOR = 0x20;
export const IRQ_MOVE_CLEANUP_VECTOR = FIRST_EXTERNAL_VECTOR;
export const ISA_IRQ_VECTOR_BASE = 0x30;
/** ISA_IRQ_VECTOR(irq) */
export function ISA_IRQ_VECTOR(irq: number): number {
  return ISA_IRQ_VECTOR_BASE + irq;
}
export const IA32_SYSCALL_VECTOR = 0x80;
export const SPURIOUS_APIC_VECTOR = 0xff;
export const ERROR_APIC_VECTOR = 0xfe;
export const RESCHEDULE_VECTOR = 0xfd;
export const CALL_FUNCTION_VECTOR = 0xfc;
export const CALL_FUNCTION_SINGLE_VECTOR = 0xfb;
export const THERMAL_APIC_VECTOR = 0xfa;
export const THRESHOLD_APIC_VECTOR = 0xf9;
export const REBOOT_VECTOR = 0xf8;
export const X86_PLATFORM_IPI_VECTOR = 0xf7;
export const IRQ_WORK_VECTOR = 0xf6;
export const DEFERRED_ERROR_VECTOR = 0xf4;
export const HYPERVISOR_CALLBACK_VECTOR = 0xf3;
export const POSTED_INTR_VECTOR = 0xf2;
export const POSTED_INTR_WAKEUP_VECTOR = 0xf1;
export const POSTED_INTR_NESTED_VECTOR = 0xf0;
export const MANAGED_IRQ_SHUTDOWN_VECTOR = 0xef;
export const HYPERV_REENLIGHTENMENT_VECTOR = 0xee;
export const HYPERV_STIMER0_VECTOR = 0xed;
export const LOCAL_TIMER_VECTOR = 0xec;
export const FIRST_SYSTEM_VECTOR = LOCAL_TIMER_VECTOR;
export const NR_VECTORS = 256;
export const NR_IRQS_LEGACY = 16;

// ---- tracepoints (arch/x86/include/asm/trace/irq_vectors.h, 6.1) ----
/** Arguments of the irq_vectors events. */
export interface IrqVectorArgs {
  vector: number;
}
const vectorFormat = (a: IrqVectorArgs) => `vector=${a.vector}`;
function vectorEvents(
  name: string,
): [TraceEventType<IrqVectorArgs>, TraceEventType<IrqVectorArgs>] {
  return [
    defineTraceEvent<IrqVectorArgs>("irq_vectors", `${name}_entry`, vectorFormat),
    defineTraceEvent<IrqVectorArgs>("irq_vectors", `${name}_exit`, vectorFormat),
  ];
}
/** irq_vectors:local_timer_entry / local_timer_exit (sysvec_apic_timer_interrupt). */
export const [local_timer_entry, local_timer_exit] = vectorEvents("local_timer");
/** irq_vectors:reschedule_entry / reschedule_exit (sysvec_reschedule_ipi). */
export const [reschedule_entry, reschedule_exit] = vectorEvents("reschedule");
/** irq_vectors:call_function_entry / call_function_exit. */
export const [call_function_entry, call_function_exit] = vectorEvents("call_function");
/** irq_vectors:call_function_single_entry / call_function_single_exit. */
export const [call_function_single_entry, call_function_single_exit] = vectorEvents(
  "call_function_single",
);
/** irq_vectors:spurious_apic_entry / spurious_apic_exit. */
export const [spurious_apic_entry, spurious_apic_exit] = vectorEvents("spurious_apic");
/** irq_vectors:error_apic_entry / error_apic_exit. */
export const [error_apic_entry, error_apic_exit] = vectorEvents("error_apic");
/** irq_vectors:x86_platform_ipi_entry / x86_platform_ipi_exit. */
export const [x86_platform_ipi_entry, x86_platform_ipi_exit] = vectorEvents("x86_platform_ipi");
/** irq_vectors:irq_work_entry / irq_work_exit. */
export const [irq_work_entry, irq_work_exit] = vectorEvents("irq_work");
/** irq_vectors:thermal_apic_entry / thermal_apic_exit. */
export const [thermal_apic_entry, thermal_apic_exit] = vectorEvents("thermal_apic");
/** irq_vectors:threshold_apic_entry / threshold_apic_exit. */
export const [threshold_apic_entry, threshold_apic_exit] = vectorEvents("threshold_apic");
/** irq_vectors:deferred_error_apic_entry / deferred_error_apic_exit. */
export const [deferred_error_apic_entry, deferred_error_apic_exit] = vectorEvents(
  "deferred_error_apic",
);

/**
 * The irq_vectors tracepoint pair a system vector's sysvec_* handler emits
 * around its work (arch/x86/kernel/{apic/apic.c,smp.c,irq.c,irq_work.c}),
 * in hardirq context after irq_enter.
 */
export const SYSTEM_VECTOR_EVENTS: ReadonlyMap<
  number,
  readonly [TraceEventType<IrqVectorArgs>, TraceEventType<IrqVectorArgs>]
> = new Map(
  [
    [LOCAL_TIMER_VECTOR, [local_timer_entry, local_timer_exit]],
    [RESCHEDULE_VECTOR, [reschedule_entry, reschedule_exit]],
    [CALL_FUNCTION_VECTOR, [call_function_entry, call_function_exit]],
    [CALL_FUNCTION_SINGLE_VECTOR, [call_function_single_entry, call_function_single_exit]],
    [SPURIOUS_APIC_VECTOR, [spurious_apic_entry, spurious_apic_exit]],
    [ERROR_APIC_VECTOR, [error_apic_entry, error_apic_exit]],
    [X86_PLATFORM_IPI_VECTOR, [x86_platform_ipi_entry, x86_platform_ipi_exit]],
    [IRQ_WORK_VECTOR, [irq_work_entry, irq_work_exit]],
    [THERMAL_APIC_VECTOR, [thermal_apic_entry, thermal_apic_exit]],
    [THRESHOLD_APIC_VECTOR, [threshold_apic_entry, threshold_apic_exit]],
    [DEFERRED_ERROR_VECTOR, [deferred_error_apic_entry, deferred_error_apic_exit]],
  ] as const,
);

/** Per-CPU irq_stat (arch/x86/include/asm/hardirq.h). */
export interface IrqStat {
  __nmi_count: number;
  apic_timer_irqs: number;
  irq_spurious_count: number;
  apic_perf_irqs: number;
  apic_irq_work_irqs: number;
  icr_read_retry_count: number;
  irq_resched_count: number;
  irq_call_count: number;
  irq_tlb_count: number;
  irq_thermal_count: number;
  irq_threshold_count: number;
  irq_deferred_error_count: number;
  mce_exception_count: number;
  mce_poll_count: number;
}

function newIrqStat(): IrqStat {
  return {
    __nmi_count: 0,
    apic_timer_irqs: 0,
    irq_spurious_count: 0,
    apic_perf_irqs: 0,
    apic_irq_work_irqs: 0,
    icr_read_retry_count: 0,
    irq_resched_count: 0,
    irq_call_count: 0,
    irq_tlb_count: 0,
    irq_thermal_count: 0,
    irq_threshold_count: 0,
    irq_deferred_error_count: 0,
    mce_exception_count: 0,
    mce_poll_count: 0,
  };
}

/** What other x86 plugins use. */
export interface X86Arch {
  /** irq_stat per CPU. */
  readonly irqStat: IrqStat[];
  /** irq_err_count (ERR row). */
  irqErrCount: number;
  /** irq_mis_count (MIS row). */
  irqMisCount: number;
  /** vector_irq per CPU: vector -> Linux IRQ (-1 unused). */
  readonly vectorIrq: Int32Array[];
  /** True once an IOAPIC took over (changes MIS row and PIC handling). */
  ioapic: boolean;
  /** Override how a CPU acknowledges an interrupt (LAPIC mode); default: INTA of the INTR driver. */
  acknowledge: ((cpu: Cpu) => number) | undefined;
  /** Called after the handler with the vector (LAPIC EOI for system vectors, etc.). */
  systemVectors: Map<number, (cpu: Cpu) => void>;
  /** The NMI path (exc_nmi, register_nmi_handler). */
  readonly nmi: NmiDispatch;
  /** apic_eoi() of the local APIC, once one is in use (EOI of a vector with no handler). */
  apicEoi: ((cpu: Cpu) => void) | undefined;
}

/** Service key of the x86 architecture. */
export const X86Key = serviceKey<X86Arch>("x86");

const ENTRY = 0, DISPATCH = 1, EXIT = 2, EXIT_COST = 3, FINISH = 4;

/** common_interrupt: entry, irq_enter, vector dispatch, irq_exit, return. Interrupt context. */
class CommonInterrupt implements Body {
  readonly label = "common_interrupt";
  #phase = ENTRY;
  constructor(readonly x86: X86Impl, readonly cpu: Cpu) {}

  /** For dump_stack(): the IDT entry stub and the C entry (arch/x86/kernel/irq.c). */
  symbols(): readonly string[] {
    return ["asm_common_interrupt", "common_interrupt", "__common_interrupt"];
  }

  reset(): this {
    this.#phase = ENTRY;
    return this;
  }

  step(cpu: Cpu): number {
    const k = this.x86.kernel;
    for (;;) {
      switch (this.#phase) {
        case ENTRY:
          this.#phase = DISPATCH;
          if (k.costs.irq_entry_ns > 0) return k.costs.irq_entry_ns;
          continue;
        case DISPATCH: {
          this.#phase = EXIT;
          cpu.irqEnter();
          const vector = this.x86.acknowledgeVector(cpu);
          // No Map lookup per interrupt while no system vector is registered (PIC-only PC).
          const sysVectors = this.x86.systemVectors;
          const sys = sysVectors.size === 0 ? undefined : sysVectors.get(vector);
          if (sys) {
            const ev = k.trace.enabled ? SYSTEM_VECTOR_EVENTS.get(vector) : undefined;
            if (ev) k.traceEvent(ev[0], { vector }, cpu);
            sys(cpu);
            if (ev) k.traceEvent(ev[1], { vector }, cpu);
            continue;
          }
          const irq = vector >= 0 ? this.x86.vectorIrq[cpu.id][vector] : -1;
          const body = irq >= 0 ? this.x86.gi.flowBody(cpu, irq) : undefined;
          if (body) {
            cpu.callee = body;
            return CALL;
          }
          // __common_interrupt(): no irq handler for this vector; the
          // vector is acked so it does not block its priority class
          this.x86.apicEoi?.(cpu);
          k.printk(0, `__common_interrupt: ${cpu.id}.${vector} No irq handler for vector`);
          continue;
        }
        case EXIT: {
          this.#phase = EXIT_COST;
          const sb = cpu.irqExit();
          if (sb) {
            cpu.callee = sb;
            return CALL;
          }
          continue;
        }
        case EXIT_COST:
          this.#phase = FINISH;
          if (k.costs.irq_exit_ns > 0) return k.costs.irq_exit_ns;
          continue;
        default:
          this.#phase = ENTRY;
          return DONE;
      }
    }
  }
}

class X86Impl implements X86Arch {
  irqStat: IrqStat[];
  irqErrCount = 0;
  irqMisCount = 0;
  vectorIrq: Int32Array[];
  ioapic = false;
  acknowledge: ((cpu: Cpu) => number) | undefined;
  systemVectors = new Map<number, (cpu: Cpu) => void>();
  readonly nmi: NmiDispatch;
  apicEoi: ((cpu: Cpu) => void) | undefined;
  #entries: CommonInterrupt[][];
  #inta: (InterruptAcknowledge | undefined)[] = [];
  gi!: GenIrq;

  constructor(readonly kernel: Kernel) {
    const n = kernel.cpus.length;
    this.irqStat = Array.from({ length: n }, newIrqStat);
    this.vectorIrq = Array.from({ length: n }, () => new Int32Array(NR_VECTORS).fill(-1));
    this.#entries = Array.from({ length: n }, () => []);
    this.nmi = new NmiDispatch(kernel, (cpu) => this.irqStat[cpu.id].__nmi_count++);
  }

  entry(cpu: Cpu, level: number): Body {
    const pool = this.#entries[cpu.id];
    let e = pool[level];
    if (!e) {
      e = new CommonInterrupt(this, cpu);
      pool[level] = e;
    }
    return e.reset();
  }

  /** The vector of the interrupt being taken on `cpu`. */
  acknowledgeVector(cpu: Cpu): number {
    if (this.acknowledge) return this.acknowledge(cpu);
    const ack = this.#inta[cpu.id];
    if (!ack) return -1;
    return ack.inta();
  }

  bindInta(cpu: Cpu, pin: InputPin): void {
    const owner = pin.drivers[0]?.owner;
    this.#inta[cpu.id] = hasInta(owner) ? owner : undefined;
  }

  /** arch_show_interrupts() rows. */
  showInterrupts(prec: number): string {
    const online = this.kernel.cpus.filter((c) => c.online).map((c) => c.id);
    const row = (tag: string, f: (s: IrqStat) => number, name: string) =>
      `${tag.padStart(prec)}: ` + online.map((c) =>
        `${String(f(this.irqStat[c])).padStart(10)} `
      ).join("") +
      `  ${name}\n`;
    let out = "";
    out += row("NMI", (s) => s.__nmi_count, "Non-maskable interrupts");
    out += row("LOC", (s) => s.apic_timer_irqs, "Local timer interrupts");
    out += row("SPU", (s) => s.irq_spurious_count, "Spurious interrupts");
    out += row("PMI", (s) => s.apic_perf_irqs, "Performance monitoring interrupts");
    out += row("IWI", (s) => s.apic_irq_work_irqs, "IRQ work interrupts");
    out += row("RTR", (s) => s.icr_read_retry_count, "APIC ICR read retries");
    out += row("RES", (s) => s.irq_resched_count, "Rescheduling interrupts");
    out += row("CAL", (s) => s.irq_call_count, "Function call interrupts");
    out += row("TLB", (s) => s.irq_tlb_count, "TLB shootdowns");
    out += row("TRM", (s) => s.irq_thermal_count, "Thermal event interrupts");
    out += row("THR", (s) => s.irq_threshold_count, "Threshold APIC interrupts");
    out += row("DFR", (s) => s.irq_deferred_error_count, "Deferred Error APIC interrupts");
    out += row("MCE", (s) => s.mce_exception_count, "Machine check exceptions");
    out += row("MCP", (s) => s.mce_poll_count, "Machine check polls");
    out += `${"ERR".padStart(prec)}: ${String(this.irqErrCount).padStart(10)}\n`;
    out += `${"MIS".padStart(prec)}: ${String(this.irqMisCount).padStart(10)}\n`;
    return out;
  }
}

/** x86 plugin options. */
export interface Options {
  /** Number of GSIs (gsi_top) for nr_irqs; 0 on a PIC-only PC. */
  gsi_top: number;
}

/** Defaults for a PIC-only PC. */
export const defaults = { gsi_top: 0 } satisfies Options;

/**
 * The x86 architecture plugin. Provides {@linkcode X86Key}; sets each CPU's
 * interrupt entry; wires arch rows and ack_bad_irq into genirq.
 */
export function x86(options: Partial<Options> = {}): Plugin {
  const opts = { ...defaults, ...options };
  return {
    name: "x86",
    requires: ["genirq"],
    setup(ctx) {
      const k = ctx.kernel;
      const impl = new X86Impl(k);
      k.bus.provide(X86Key, impl, "x86");
      impl.gi = k.bus.get(GenIrqKey);
      for (const cpu of k.cpus) {
        cpu.arch = {
          irqEntry: (c, level) => impl.entry(c, level),
          nmiEntry: (c, level) => impl.nmi.entry(c, level),
        };
      }
      impl.gi.archShowInterrupts = (prec) => impl.showInterrupts(prec);
      setupTraps(k, impl.irqStat); // exceptions 0-31 and user mode (traps.ts)
      impl.gi.archAckBadIrq = (irq) =>
        k.printk(3, `unexpected IRQ trap at vector ${irq.toString(16).padStart(2, "0")}`);
      // arch_probe_nr_irqs() (arch/x86/kernel/apic/vector.c):
      //   nr_irqs = min(nr_irqs, NR_VECTORS * nr_cpu_ids);
      //   nr = (gsi_top + nr_legacy_irqs()) + 8 * nr_cpu_ids;
      //   nr += gsi_top <= NR_IRQS_LEGACY ? 8 * nr_cpu_ids : gsi_top * 16;  (CONFIG_PCI_MSI)
      //   if (nr < nr_irqs) nr_irqs = nr;
      // NR_IRQS of an x86_64 build is far above both bounds.
      const n = k.cpus.length;
      let nr = opts.gsi_top + NR_IRQS_LEGACY + 8 * n;
      nr += opts.gsi_top <= NR_IRQS_LEGACY ? 8 * n : opts.gsi_top * 16;
      nr = Math.min(nr, NR_VECTORS * n);
      impl.gi.nr_irqs = Math.max(impl.gi.nr_irqs, nr);
    },
    start(k) {
      const impl = k.bus.get(X86Key) as X86Impl;
      for (const cpu of k.cpus) {
        const dev = k.devices.get(cpu.name);
        const pin = dev?.pins.get("intr");
        if (pin && "drivers" in pin) impl.bindInta(cpu, pin as InputPin);
      }
    },
  };
}

/**
 * register_nmi_handler(type, handler, flags, name) (arch/x86/include/asm/nmi.h):
 * add an NMI handler of `type` (NMI_LOCAL, NMI_UNKNOWN...). The handler runs
 * in NMI context and returns NMI_HANDLED when the NMI was its own.
 */
export function register_nmi_handler(
  type: number,
  handler: NmiHandler,
  _flags: number,
  name: string,
): number {
  return kernel().bus.get(X86Key).nmi.register(type, handler, name);
}

/** unregister_nmi_handler(type, name) */
export function unregister_nmi_handler(type: number, name: string): void {
  kernel().bus.get(X86Key).nmi.unregister(type, name);
}
