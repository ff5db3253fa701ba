/**
 * The 32-bit ARM architecture as Linux 6.1 runs it on a Raspberry Pi:
 * the IRQ exception entry (`__irq_svc` -> `generic_handle_arch_irq()`, which
 * brackets the root irqchip's `handle_arch_irq` with irq_enter/irq_exit),
 * chained flow handlers (`irq_set_chained_handler_and_data`), per-CPU
 * interrupts (`request_percpu_irq`, `enable_percpu_irq`,
 * `handle_percpu_devid_irq`), the IPIs of arch/arm/kernel/smp.c as
 * interrupts of an IPI domain (`set_smp_ipi_range`), the IRQ number
 * allocator of kernel/irq/irqdomain.c, and the architecture rows of
 * /proc/interrupts (`show_ipi_list`, `Err:`).
 *
 * The root interrupt controller (BCM2836 per-core controller, or the BCM2835
 * ARMCTRL on a Pi 1) installs itself with {@linkcode ArmArch.set_handle_irq}.
 *
 * @module
 */

import { type Body, CALL, DONE } from "../../core/body.ts";
import { serviceKey } from "../../core/bus.ts";
import type { Cpu } from "../../core/cpu.ts";
import { type Kernel, kernel } from "../../core/kernel.ts";
import type { Plugin } from "../../core/plugin.ts";
import { defineTraceEvent } from "../../core/trace.ts";
import {
  EBUSY,
  EINVAL,
  type FlowHandler,
  type GenIrq,
  GenIrqKey,
  IRQ_HIDDEN,
  IRQ_NO_DEBUG,
  IRQ_NOAUTOEN,
  IRQ_NOPROBE,
  IRQ_NOREQUEST,
  IRQ_NOTHREAD,
  IRQ_PER_CPU,
  IRQ_PER_CPU_DEVID,
  IrqAction,
  type IrqChip,
  IRQD_ACTIVATED,
  IRQD_IRQ_DISABLED,
  IRQD_IRQ_MASKED,
  IRQD_PER_CPU,
  type IrqData,
  type IrqDesc,
  IrqDomain,
  IRQF_NO_SUSPEND,
  IRQF_PERCPU,
  type IrqHandler,
} from "../genirq/mod.ts";

/** NR_IRQS of a SPARSE_IRQ ARM kernel: NR_IRQS_LEGACY (arch/arm/include/asm/irq.h). */
export const NR_IRQS_LEGACY = 16;

// arch/arm/kernel/smp.c (6.1): enum ipi_msg_type
export const IPI_WAKEUP = 0;
export const IPI_TIMER = 1;
export const IPI_RESCHEDULE = 2;
export const IPI_CALL_FUNC = 3;
export const IPI_CPU_STOP = 4;
export const IPI_IRQ_WORK = 5;
export const IPI_COMPLETION = 6;
/** NR_IPI: the IPIs show_ipi_list() prints. */
export const NR_IPI = 7;
/** MAX_IPI: IPI_CPU_BACKTRACE (= NR_IPI) included; at most 8 SGIs. */
export const MAX_IPI = 8;

/** ipi_types[] of arch/arm/kernel/smp.c, the names of the IPI rows. */
export const IPI_TYPES: readonly string[] = [
  "CPU wakeup interrupts",
  "Timer broadcast interrupts",
  "Rescheduling interrupts",
  "Function call interrupts",
  "CPU stop interrupts",
  "IRQ work interrupts",
  "completion interrupts",
];

/** ipi:ipi_entry — `(%s)` with the IPI's name (include/trace/events/ipi.h). */
export const ipi_entry = defineTraceEvent<{ reason: string }>(
  "ipi",
  "ipi_entry",
  (a) => `(${a.reason})`,
);
/** ipi:ipi_exit — `(%s)`. */
export const ipi_exit = defineTraceEvent<{ reason: string }>(
  "ipi",
  "ipi_exit",
  (a) => `(${a.reason})`,
);

/**
 * A chained flow handler (or the root `handle_arch_irq`), as a resumable
 * loop: `enter` does chained_irq_enter() and the first register reads,
 * `next` answers the Linux IRQ to handle next (-1: done) and is asked again
 * after each one returns, `exit` does chained_irq_exit(). `s` is scratch
 * state of this invocation (the loop's local variables). Interrupt context.
 */
export interface ChainedHandler {
  /** Kernel function name (`bcm2835_gpio_irq_handler`). */
  readonly name: string;
  enter?(cpu: Cpu, desc: IrqDesc | undefined, s: Int32Array): void;
  next(cpu: Cpu, desc: IrqDesc | undefined, s: Int32Array): number;
  exit?(cpu: Cpu, desc: IrqDesc | undefined, s: Int32Array): void;
}

/** An irq_chip with per-CPU mask/unmask (percpu_devid interrupts: they act on one CPU). */
export interface PercpuIrqChip extends IrqChip {
  irq_mask_cpu(d: IrqData, cpu: number): void;
  irq_unmask_cpu(d: IrqData, cpu: number): void;
}

/** Sends IPI `ipi` (its hwirq in the IPI domain) to the CPUs in `cpus` (ipi_send_mask). */
export type IpiSender = (cpus: readonly number[], hwirq: number) => void;

/** A handler of one IPI number (do_handle_IPI's switch). Interrupt context. */
export type IpiHandler = (cpu: Cpu) => void;

const START = 0, NEXT = 1;

/** Runs a chained handler on a CPU (pooled per CPU and nesting level). */
class ChainRun implements Body {
  label = "chained";
  handler!: ChainedHandler;
  desc: IrqDesc | undefined;
  readonly s = new Int32Array(8);
  #phase = START;
  constructor(readonly arm: ArmImpl, readonly cpu: Cpu) {}

  reset(handler: ChainedHandler, desc: IrqDesc | undefined): this {
    this.handler = handler;
    this.desc = desc;
    this.label = handler.name;
    this.s.fill(0);
    this.#phase = START;
    return this;
  }

  step(cpu: Cpu): number {
    const h = this.handler;
    if (this.#phase === START) {
      this.#phase = NEXT;
      h.enter?.(cpu, this.desc, this.s);
    }
    for (;;) {
      const irq = h.next(cpu, this.desc, this.s);
      if (irq < 0) {
        h.exit?.(cpu, this.desc, this.s);
        this.arm.releaseChain(cpu);
        return DONE;
      }
      const b = this.arm.dispatch(cpu, irq);
      if (b) {
        cpu.callee = b;
        return CALL;
      }
    }
  }
}

const ENTRY = 0, DISPATCH = 1, EXIT = 2, EXIT_COST = 3, FINISH = 4;

/**
 * The IRQ exception: vector entry and register save, then
 * generic_handle_arch_irq() = irq_enter(); handle_arch_irq(); irq_exit().
 * Interrupt context.
 */
class IrqException implements Body {
  readonly label = "__irq_svc";
  #phase = ENTRY;
  constructor(readonly arm: ArmImpl) {}

  reset(): this {
    this.#phase = ENTRY;
    return this;
  }

  step(cpu: Cpu): number {
    const k = this.arm.kernel;
    for (;;) {
      switch (this.#phase) {
        case ENTRY:
          this.#phase = DISPATCH;
          if (k.costs.irq_entry_ns > 0) return k.costs.irq_entry_ns;
          continue;
        case DISPATCH: {
          this.#phase = EXIT;
          cpu.irqEnter();
          const root = this.arm.handleArchIrq;
          if (!root) continue;
          cpu.callee = this.arm.chainBody(cpu, root, undefined);
          return CALL;
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

/**
 * handle_percpu_devid_irq (kernel/irq/chip.c): count on this CPU
 * (__kstat_incr_irqs_this_cpu: no desc->tot_count), ack, the one action
 * with the per-CPU dev_id, eoi. No IRQD_IRQ_INPROGRESS, no note_interrupt
 * (the descs carry IRQ_NO_DEBUG so genirq's shared dispatch skips it).
 * Interrupt context.
 */
export const handle_percpu_devid_irq: FlowHandler = {
  name: "handle_percpu_devid_irq",
  percpu: true,
  begin(gi, desc, cpu) {
    desc.kstat_irqs[cpu.id]++;
    const chip = desc.irq_data.chip;
    chip.irq_ack?.(desc.irq_data);
    if (desc.action) return true;
    // No action: disable on this CPU, report once (pr_err_once).
    const arm = gi.kernel.bus.get(ArmKey) as ArmImpl;
    const enabled = arm.percpuEnabled(desc, cpu.id);
    if (enabled) arm.disable_percpu_irq(desc.irq, cpu.id);
    arm.once(
      `spurious-percpu`,
      `Spurious${enabled ? " and unmasked" : ""} percpu IRQ${desc.irq} on CPU${cpu.id}`,
    );
    chip.irq_eoi?.(desc.irq_data);
    return false;
  },
  end(_gi, desc) {
    desc.irq_data.chip.irq_eoi?.(desc.irq_data);
    return false;
  },
};

/** The flow handler installed with a chained handler: never run through genirq's flow path. */
function chainedFlow(name: string): FlowHandler {
  return {
    name,
    begin() {
      return false;
    },
    end() {
      return false;
    },
  };
}

/** What the ARM architecture gives the irqchip drivers of a Pi. */
export interface ArmArch {
  readonly kernel: Kernel;
  readonly gi: GenIrq;
  /** set_handle_irq(): the root interrupt controller's handler. */
  set_handle_irq(h: ChainedHandler): void;
  /** irq_domain_add_linear() */
  irq_domain_add_linear(name: string, chip: IrqChip): IrqDomain;
  /**
   * irq_create_mapping(): the Linux IRQ of `hwirq` in `dom`, allocated as
   * irq_domain_alloc_descs() does when new; `chip`/`flow` as the domain's
   * map op sets them (irq_domain_set_info / irq_set_chip_and_handler).
   */
  irq_create_mapping(dom: IrqDomain, hwirq: number, chip?: IrqChip, flow?: FlowHandler): number;
  /** irq_domain_alloc_descs(-1, cnt, hwirq): first IRQ of `cnt` new consecutive descs. */
  irq_domain_alloc_descs(cnt: number, hwirq: number): number;
  /** irq_find_mapping() */
  irq_find_mapping(dom: IrqDomain, hwirq: number): number;
  /** irq_set_chained_handler_and_data(): the desc becomes a hidden, started chained parent. */
  irq_set_chained_handler_and_data(irq: number, h: ChainedHandler): void;
  /** irq_set_percpu_devid() + handle_percpu_devid_irq + IRQ_NOAUTOEN, as the map ops of per-CPU domains do. */
  irq_set_percpu_devid(irq: number): void;
  /** request_percpu_irq(): 0 or a negative errno. */
  request_percpu_irq(irq: number, handler: IrqHandler, devname: string, dev_id: unknown): number;
  /** enable_percpu_irq() on CPU `cpu`. */
  enable_percpu_irq(irq: number, cpu: number): void;
  /** disable_percpu_irq() on CPU `cpu`. */
  disable_percpu_irq(irq: number, cpu: number): void;
  /** generic_handle_irq() as a body to CALL (chained parents run their handler). */
  dispatch(cpu: Cpu, irq: number): Body | undefined;
  /** set_smp_ipi_range(): request the IPIs at `base`, hidden from /proc/interrupts. */
  set_smp_ipi_range(base: number, n: number, send: IpiSender): void;
  /** smp_send_reschedule() etc.: send IPI `ipi` to `cpus`. */
  send_ipi(cpus: readonly number[], ipi: number): void;
  /** Handlers of the IPIs by number (do_handle_IPI); replaceable by other plugins. */
  readonly ipiHandlers: (IpiHandler | undefined)[];
  /** irq_err_count (the Err: row). */
  irqErrCount: number;
  /**
   * Register a boot step (set up in `setup`, run by the arm plugin's
   * `start` in level order, then registration order): the kernel's boot
   * order decides which IRQ numbers the domains get.
   */
  initcall(level: InitLevel, name: string, fn: () => void): void;
}

/**
 * Boot phases in the order start_kernel() runs them: init_IRQ() ->
 * of_irq_init() (root controller first, then its children), time_init()
 * (the clock event devices), then the initcalls that probe drivers.
 */
export const INIT_IRQCHIP_ROOT = 10;
export const INIT_IRQCHIP = 11;
export const INIT_TIMER = 20;
export const INIT_ARCH = 30;
export const INIT_DEVICE = 40;
/** A boot phase. */
export type InitLevel = number;

/** Service key of the ARM architecture. */
export const ArmKey = serviceKey<ArmArch>("arm");

class ArmImpl implements ArmArch {
  handleArchIrq: ChainedHandler | undefined;
  readonly chained = new Map<number, ChainedHandler>();
  readonly ipiHandlers: (IpiHandler | undefined)[] = [];
  irqErrCount = 0;
  readonly initcalls: { level: number; seq: number; name: string; fn: () => void }[] = [];
  ipiBase = -1;
  nrIpi = 0;
  #send: IpiSender | undefined;
  #entries: IrqException[][];
  #chains: ChainRun[][];
  #chainDepth: number[];
  #percpuEnabled = new Map<number, boolean[]>();
  #once = new Set<string>();

  constructor(readonly kernel: Kernel, readonly gi: GenIrq) {
    const n = kernel.cpus.length;
    this.#entries = Array.from({ length: n }, () => []);
    this.#chains = Array.from({ length: n }, () => []);
    this.#chainDepth = new Array(n).fill(0);
  }

  once(key: string, text: string): void {
    if (this.#once.has(key)) return;
    this.#once.add(key);
    this.kernel.printk(3, text);
  }

  entry(cpu: Cpu, level: number): Body {
    const pool = this.#entries[cpu.id];
    let e = pool[level];
    if (!e) {
      e = new IrqException(this);
      pool[level] = e;
    }
    return e.reset();
  }

  chainBody(cpu: Cpu, h: ChainedHandler, desc: IrqDesc | undefined): Body {
    const pool = this.#chains[cpu.id];
    const depth = this.#chainDepth[cpu.id]++;
    let r = pool[depth];
    if (!r) {
      r = new ChainRun(this, cpu);
      pool[depth] = r;
    }
    return r.reset(h, desc);
  }

  releaseChain(cpu: Cpu): void {
    this.#chainDepth[cpu.id]--;
  }

  initcall(level: InitLevel, name: string, fn: () => void): void {
    this.initcalls.push({ level, seq: this.initcalls.length, name, fn });
  }

  runInitcalls(): void {
    const calls = this.initcalls.splice(0).sort((a, b) => a.level - b.level || a.seq - b.seq);
    for (const c of calls) c.fn();
  }

  set_handle_irq(h: ChainedHandler): void {
    this.handleArchIrq = h;
  }

  irq_domain_add_linear(name: string, chip: IrqChip): IrqDomain {
    return this.gi.addDomain(name, chip);
  }

  irq_domain_alloc_descs(cnt: number, hwirq: number): number {
    // kernel/irq/irqdomain.c irq_domain_alloc_descs(): hint = hwirq % nr_irqs,
    // never 0; __irq_alloc_descs() takes the first free area at or above it
    // (bitmap_find_next_zero_area), retrying from 1 if that fails.
    const gi = this.gi;
    let hint = hwirq % gi.nr_irqs;
    if (hint === 0) hint++;
    let start = hint;
    for (;;) {
      let ok = true;
      for (let i = 0; i < cnt; i++) {
        if (gi.descs[start + i]) {
          ok = false;
          start = start + i + 1;
          break;
        }
      }
      if (ok) break;
    }
    for (let i = 0; i < cnt; i++) gi.allocDesc(start + i);
    return start;
  }

  irq_find_mapping(dom: IrqDomain, hwirq: number): number {
    return dom.findMapping(hwirq);
  }

  irq_create_mapping(dom: IrqDomain, hwirq: number, chip?: IrqChip, flow?: FlowHandler): number {
    const have = dom.findMapping(hwirq);
    if (have) return have;
    const irq = this.irq_domain_alloc_descs(1, hwirq);
    this.#associate(dom, irq, hwirq, chip ?? dom.chip, flow);
    return irq;
  }

  #associate(dom: IrqDomain, irq: number, hwirq: number, chip: IrqChip, flow?: FlowHandler): void {
    const desc = this.gi.descs[irq]!;
    desc.irq_data.hwirq = hwirq;
    desc.irq_data.domain = dom;
    desc.irq_data.chip = chip;
    if (flow) desc.handle_irq = flow;
    dom.map.set(hwirq, irq);
    // irq_domain_associate_locked(): irq_clear_status_flags(virq, IRQ_NOREQUEST)
    desc.status &= ~IRQ_NOREQUEST;
  }

  irq_set_chained_handler_and_data(irq: number, h: ChainedHandler): void {
    const desc = this.gi.irq_to_desc(irq);
    if (!desc) return;
    // __irq_do_set_handler(is_chained): noprobe, norequest, nothread, then
    // irq_activate_and_startup(desc, IRQ_RESEND).
    this.chained.set(irq, h);
    desc.chained = true;
    desc.handle_irq = chainedFlow(h.name);
    desc.status |= IRQ_NOPROBE | IRQ_NOREQUEST | IRQ_NOTHREAD;
    desc.irq_data.state |= IRQD_ACTIVATED;
    if (desc.status & IRQ_PER_CPU_DEVID) {
      // A per-CPU parent (the BCM2836 GPU_FAST line): enable it on every CPU.
      for (const c of this.kernel.cpus) this.enable_percpu_irq(irq, c.id);
      desc.depth = 0;
    } else this.gi.irq_startup(desc, true);
  }

  irq_set_percpu_devid(irq: number): void {
    const desc = this.gi.irq_to_desc(irq);
    if (!desc) return;
    // irq_set_percpu_devid_flags(): NOAUTOEN, PER_CPU, NOTHREAD, NOPROBE, PER_CPU_DEVID
    desc.status |= IRQ_NOAUTOEN | IRQ_PER_CPU | IRQ_NOTHREAD | IRQ_NOPROBE | IRQ_PER_CPU_DEVID |
      IRQ_NO_DEBUG;
    desc.irq_data.state |= IRQD_PER_CPU;
    desc.handle_irq = handle_percpu_devid_irq;
    this.#percpuEnabled.set(irq, new Array(this.kernel.cpus.length).fill(false));
  }

  percpuEnabled(desc: IrqDesc, cpu: number): boolean {
    return this.#percpuEnabled.get(desc.irq)?.[cpu] ?? false;
  }

  request_percpu_irq(irq: number, handler: IrqHandler, devname: string, dev_id: unknown): number {
    // __request_percpu_irq() (kernel/irq/manage.c)
    const desc = this.gi.irq_to_desc(irq);
    if (!desc || !(desc.status & IRQ_PER_CPU_DEVID) || !dev_id) return -EINVAL;
    if (desc.action) return -EBUSY; // __setup_irq(): a per-CPU irq cannot be shared
    desc.action = new IrqAction(
      irq,
      handler,
      null,
      IRQF_PERCPU | IRQF_NO_SUSPEND,
      devname,
      dev_id,
    );
    desc.irq_data.state |= IRQD_ACTIVATED;
    desc.procCreated = true;
    // IRQ_NOAUTOEN: not started; each CPU enables it with enable_percpu_irq().
    return 0;
  }

  enable_percpu_irq(irq: number, cpu: number): void {
    const desc = this.gi.irq_to_desc(irq);
    const en = this.#percpuEnabled.get(irq);
    if (!desc || !en) return;
    // irq_percpu_enable(): chip irq_enable or irq_unmask on this CPU
    const chip = desc.irq_data.chip as Partial<PercpuIrqChip>;
    chip.irq_unmask_cpu?.(desc.irq_data, cpu);
    en[cpu] = true;
    desc.irq_data.state &= ~(IRQD_IRQ_DISABLED | IRQD_IRQ_MASKED);
  }

  disable_percpu_irq(irq: number, cpu: number): void {
    const desc = this.gi.irq_to_desc(irq);
    const en = this.#percpuEnabled.get(irq);
    if (!desc || !en) return;
    const chip = desc.irq_data.chip as Partial<PercpuIrqChip>;
    chip.irq_mask_cpu?.(desc.irq_data, cpu);
    en[cpu] = false;
  }

  dispatch(cpu: Cpu, irq: number): Body | undefined {
    const h = this.chained.get(irq);
    if (h) return this.chainBody(cpu, h, this.gi.descs[irq]);
    const b = this.gi.flowBody(cpu, irq);
    if (!b) {
      // generic_handle_domain_irq() of an unmapped hwirq: the arch counts
      // it as an error (ack_bad_irq: irq_err_count++).
      this.irqErrCount++;
    }
    return b;
  }

  set_smp_ipi_range(base: number, n: number, send: IpiSender): void {
    // arch/arm/kernel/smp.c set_smp_ipi_range(): WARN_ON(n < MAX_IPI);
    // nr_ipi = min(n, MAX_IPI); request each as a per-CPU "IPI", hide it.
    this.nrIpi = Math.min(n, MAX_IPI);
    this.ipiBase = base;
    this.#send = send;
    for (let i = 0; i < this.nrIpi; i++) {
      const irq = base + i;
      const err = this.request_percpu_irq(irq, this.ipi_handler, "IPI", this.ipiHandlers);
      if (err) this.kernel.warn(undefined, "set_smp_ipi_range", "arch/arm/kernel/smp.c");
      const desc = this.gi.irq_to_desc(irq)!;
      desc.status |= IRQ_HIDDEN;
    }
    // ipi_setup() on the boot CPU, then on each secondary as it comes up.
    for (const c of this.kernel.cpus) {
      for (let i = 0; i < this.nrIpi; i++) this.enable_percpu_irq(base + i, c.id);
    }
  }

  /**
   * ipi_handler() -> do_handle_IPI(ipinr) (arch/arm/kernel/smp.c): the IPI
   * number is the desc's offset from the IPI base. Interrupt context.
   */
  readonly ipi_handler = (irq: number, _dev_id: unknown): number => {
    const ipinr = irq - this.ipiBase;
    const k = this.kernel;
    const cpu = k.thisCpu();
    const traced = ipinr < NR_IPI && k.trace.enabled;
    if (traced) k.traceEvent(ipi_entry, { reason: IPI_TYPES[ipinr] }, cpu);
    const h = this.ipiHandlers[ipinr];
    if (h) h(cpu);
    else if (ipinr >= NR_IPI) {
      k.printk(2, `CPU${cpu.id}: Unknown IPI message 0x${ipinr.toString(16)}`);
    }
    if (traced) k.traceEvent(ipi_exit, { reason: IPI_TYPES[ipinr] }, cpu);
    return 1; // IRQ_HANDLED
  };

  /** Functions queued for each CPU by smp_call_function_single() (its call_single_queue). */
  readonly callQueue: (() => void)[][] = [];

  /**
   * generic_exec_single(): run `fn` on `cpu` — at once with interrupts off
   * when it is this CPU, else queued and IPI_CALL_FUNC sent (the target
   * runs it in hardirq context from generic_smp_call_function_interrupt()).
   */
  callFunctionSingle(cpu: number, fn: () => void): number {
    const k = this.kernel;
    if (cpu < 0 || cpu >= k.cpus.length || !k.cpus[cpu].online) return -6; // -ENXIO
    const me = k.thisCpu();
    if (cpu === me.id) {
      const f = me.irqsDisabled;
      me.irqsDisabled = true;
      fn();
      me.irqsDisabled = f;
      return 0;
    }
    (this.callQueue[cpu] ??= []).push(fn);
    this.send_ipi([cpu], IPI_CALL_FUNC);
    return 0;
  }

  send_ipi(cpus: readonly number[], ipi: number): void {
    if (this.#send && ipi < this.nrIpi) this.#send(cpus, ipi);
    else for (const c of cpus) this.kernel.cpus[c]?.poke();
  }

  /** show_ipi_list() + the Err row of arch_show_interrupts() (arch/arm/kernel/irq.c, smp.c). */
  showInterrupts(prec: number): string {
    const online = this.kernel.cpus.filter((c) => c.online).map((c) => c.id);
    let out = "";
    for (let i = 0; i < NR_IPI && i < this.nrIpi; i++) {
      const desc = this.gi.irq_to_desc(this.ipiBase + i);
      if (!desc) continue;
      // seq_printf(p, "%*s%u: ", prec - 1, "IPI", i);
      out += `${"IPI".padStart(prec - 1)}${i}: `;
      for (const c of online) out += `${String(desc.kstat_irqs[c]).padStart(10)} `;
      out += ` ${IPI_TYPES[i]}\n`;
    }
    // seq_printf(p, "%*s: %10lu\n", prec, "Err", irq_err_count);
    out += `${"Err".padStart(prec)}: ${String(this.irqErrCount).padStart(10)}\n`;
    return out;
  }
}

/**
 * smp_call_function_single(cpu, func, info, wait): run `func(info)` on
 * `cpu` in hardirq context through IPI_CALL_FUNC (on this CPU: directly,
 * interrupts off). Returns 0 or -ENXIO. `wait` is not modelled: the caller
 * does not spin until the function has run. May not be called with
 * interrupts disabled in the kernel (a WARN there; not checked here).
 */
export function smp_call_function_single<T>(
  cpu: number,
  func: (info: T) => void,
  info: T,
  _wait: boolean,
): number {
  const k = kernel();
  return (k.bus.get(ArmKey) as ArmImpl).callFunctionSingle(cpu, () => func(info));
}

/** Options of the arm plugin. */
export interface Options {
  /** Print the boot line about preallocated IRQs (early_irq_init). */
  bootLog: boolean;
}

/** Defaults of {@linkcode Options}. */
export const defaults = { bootLog: true } satisfies Options;

/**
 * The ARM architecture plugin. Provides {@linkcode ArmKey}; sets each CPU's
 * IRQ exception entry; preallocates the 16 legacy descs as a SPARSE_IRQ ARM
 * kernel does; appends the IPI and Err rows to /proc/interrupts.
 */
export function arm(options: Partial<Options> = {}): Plugin {
  const opts = { ...defaults, ...options };
  return {
    name: "arm",
    requires: ["genirq"],
    setup(ctx) {
      const k = ctx.kernel;
      const gi = k.bus.get(GenIrqKey);
      const impl = new ArmImpl(k, gi);
      k.bus.provide(ArmKey, impl, "arm");
      // ARCH_IRQ_INIT_FLAGS (arch/arm/include/asm/hw_irq.h): every desc starts
      // IRQ_NOREQUEST | IRQ_NOPROBE; mapping it in a domain clears NOREQUEST.
      gi.options.initFlags = IRQ_NOREQUEST | IRQ_NOPROBE;
      // early_irq_init() (kernel/irq/irqdesc.c) with arch_probe_nr_irqs()
      // (arch/arm/kernel/irq.c): nr_irqs = NR_IRQS = 16 descs preallocated.
      for (let i = 0; i < NR_IRQS_LEGACY; i++) gi.allocDesc(i);
      if (opts.bootLog) {
        k.printk(
          6,
          `NR_IRQS: ${NR_IRQS_LEGACY}, nr_irqs: ${NR_IRQS_LEGACY}, preallocated irqs: ${NR_IRQS_LEGACY}`,
        );
      }
      for (const cpu of k.cpus) cpu.arch = { irqEntry: (c, level) => impl.entry(c, level) };
      gi.archShowInterrupts = (prec) => impl.showInterrupts(prec);
      gi.archAckBadIrq = () => {
        impl.irqErrCount++;
      };
      // smp_send_reschedule(): the IPI_RESCHEDULE IPI, so it is counted.
      k.sched.sendReschedIpi = (_from, to) => impl.send_ipi([to.id], IPI_RESCHEDULE);
      // scheduler_ipi(): need_resched is already set; look at it on return.
      impl.ipiHandlers[IPI_RESCHEDULE] = (cpu) => cpu.poke();
      // generic_smp_call_function_interrupt(): flush this CPU's queue.
      impl.ipiHandlers[IPI_CALL_FUNC] = (cpu) => {
        const q = impl.callQueue[cpu.id];
        if (!q) return;
        for (const fn of q.splice(0)) fn();
      };
    },
    start(k) {
      // Every plugin's setup has registered its boot steps by now.
      (k.bus.get(ArmKey) as ArmImpl).runInitcalls();
    },
  };
}
