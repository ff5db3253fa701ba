/**
 * The generic IRQ layer of one machine: descriptors and domains
 * (kernel/irq/irqdesc.c, irqdomain.c), request/free/enable/disable and irq
 * threads (kernel/irq/manage.c), startup/shutdown (kernel/irq/chip.c), resend
 * (kernel/irq/resend.c), and the tracepoints of include/trace/events/irq.h.
 *
 * @module
 */

import { type Body, BUSY, CALL, sleepToken } from "../../core/body.ts";
import { serviceKey } from "../../core/bus.ts";
import { type Cpu, SOFTIRQ_DISABLE_OFFSET } from "../../core/cpu.ts";
import type { Costs, Kernel } from "../../core/kernel.ts";
import type { Task } from "../../core/sched.ts";
import { defineTraceEvent, type TraceBuffer } from "../../core/trace.ts";
import {
  EBUSY,
  EINVAL,
  ENOSYS,
  ENOTCONN,
  IRQ_HANDLED,
  IRQ_LEVEL,
  IRQ_NESTED_THREAD,
  IRQ_NO_BALANCING,
  IRQ_NO_DEBUG,
  IRQ_NOAUTOEN,
  IRQ_NOREQUEST,
  IRQ_NOTCONNECTED,
  IRQ_NOTHREAD,
  IRQ_PER_CPU,
  IRQ_PER_CPU_DEVID,
  IRQ_TYPE_LEVEL_MASK,
  IRQ_TYPE_SENSE_MASK,
  IRQ_WAKE_THREAD,
  IRQCHIP_EOI_THREADED,
  IRQCHIP_ONESHOT_SAFE,
  IRQD_IRQ_DISABLED,
  IRQD_IRQ_INPROGRESS,
  IRQD_IRQ_MASKED,
  IRQD_IRQ_STARTED,
  IRQD_LEVEL,
  IRQD_NO_BALANCING,
  IRQD_PER_CPU,
  IRQD_TRIGGER_MASK,
  IRQF_COND_SUSPEND,
  IRQF_NO_AUTOEN,
  IRQF_NO_DEBUG,
  IRQF_NO_SUSPEND,
  IRQF_NO_THREAD,
  IRQF_NOBALANCING,
  IRQF_ONESHOT,
  IRQF_PERCPU,
  IRQF_PROBE_SHARED,
  IRQF_SHARED,
  IRQF_TRIGGER_MASK,
  type irqreturn_t,
  IRQS_AUTODETECT,
  IRQS_ONESHOT,
  IRQS_PENDING,
  IRQS_REPLAY,
  IRQS_SPURIOUS_DISABLED,
  IRQS_SUSPENDED,
  IRQS_WAITING,
  IRQTF_FORCED_THREAD,
  IRQTF_RUNTHREAD,
  IRQTF_WARNED,
} from "./constants.ts";
import {
  IrqAction,
  type IrqChip,
  IrqDesc,
  IrqDomain,
  type IrqHandler,
  no_irq_chip,
} from "./desc.ts";
import { type FlowHandler, FlowRun, handle_bad_irq, mask_irq, unmask_irq } from "./flow.ts";
import { note_interrupt } from "./spurious.ts";

/** irq:irq_handler_entry — `irq=%d name=%s`. */
export const irq_handler_entry = defineTraceEvent<{ irq: number; name: string }>(
  "irq",
  "irq_handler_entry",
  (a) => `irq=${a.irq} name=${a.name}`,
);
/** irq:irq_handler_exit — `irq=%d ret=%s`. */
export const irq_handler_exit = defineTraceEvent<{ irq: number; ret: number }>(
  "irq",
  "irq_handler_exit",
  (a) => `irq=${a.irq} ret=${a.ret ? "handled" : "unhandled"}`,
);

/** irq_default_primary_handler (kernel/irq/manage.c): just wake the thread. */
export function irq_default_primary_handler(_irq: number, _dev_id: unknown): irqreturn_t {
  return IRQ_WAKE_THREAD;
}

/** irq_nested_primary_handler: must never run. */
function irq_nested_primary_handler(irq: number, _dev: unknown): irqreturn_t {
  const k = currentGenirq?.kernel;
  k?.warn(
    `Primary handler called for nested irq ${irq}`,
    "irq_nested_primary_handler",
    "kernel/irq/manage.c",
  );
  return 0;
}

let currentGenirq: GenIrq | undefined;

/** Service key of the generic IRQ layer. */
export const GenIrqKey = serviceKey<GenIrq>("genirq");

/** Options of the generic IRQ layer. */
export interface GenIrqOptions {
  /** Initial IRQ_* settings of every desc (ARM: IRQ_NOREQUEST | IRQ_NOPROBE). */
  initFlags: number;
}

/** The generic IRQ layer. */
export class GenIrq {
  readonly descs: (IrqDesc | undefined)[] = [];
  /** nr_irqs: decides the width of /proc/interrupts' first column. */
  nr_irqs = 16;
  readonly domains: IrqDomain[] = [];
  /** `noirqdebug` on the command line. */
  readonly noirqdebug: boolean;
  /** Remaining reports of bogus return values (report_bad_irq's count of 100). */
  badIrqReports = 100;
  /** Rows appended by the architecture (arch_show_interrupts). */
  archShowInterrupts: ((prec: number) => string) | undefined;
  /** ack_bad_irq of the architecture. */
  archAckBadIrq: ((irq: number) => void) | undefined;
  /** Default affinity (CPU ids). */
  defaultAffinity: number[];
  /**
   * Controller inputs and the Linux IRQ each is mapped to (the platform's
   * interrupt resources, as ACPI or the device tree give them to drivers).
   */
  readonly inputIrq = new Map<unknown, number>();
  #pools: FlowRun[][] = [];
  #depth: number[] = [];
  #warnedEnabled = new Set<number>();

  constructor(readonly kernel: Kernel, readonly options: GenIrqOptions = { initFlags: 0 }) {
    this.noirqdebug = kernel.config.cmdline.includes("noirqdebug");
    this.defaultAffinity = kernel.cpus.map((c) => c.id);
    for (const cpu of kernel.cpus) {
      this.#pools[cpu.id] = [];
      this.#depth[cpu.id] = 0;
    }
    currentGenirq = this;
    if (this.noirqdebug) kernel.printk(6, "IRQ lockup detection disabled");
  }

  get trace(): TraceBuffer {
    return this.kernel.trace;
  }
  get costs(): Costs {
    return this.kernel.costs;
  }
  get kernelVersion(): string {
    return this.kernel.config.version;
  }

  // ---- descriptors ----

  /** irq_to_desc() */
  irq_to_desc(irq: number): IrqDesc | undefined {
    return irq >= 0 ? this.descs[irq] : undefined;
  }

  /** Allocate the desc of `irq` (irq_alloc_desc_at); returns the existing one if present. */
  allocDesc(irq: number): IrqDesc {
    let d = this.descs[irq];
    if (d) return d;
    d = new IrqDesc(irq, this.kernel.cpus.length, handle_bad_irq);
    d.status = this.options.initFlags;
    d.irq_data.affinity = [...this.defaultAffinity];
    d.irq_data.effective_affinity = [this.defaultAffinity[0] ?? 0];
    this.descs[irq] = d;
    if (irq >= this.nr_irqs) this.nr_irqs = irq + 1;
    return d;
  }

  /** Lowest free IRQ number at or above `from` (irq_alloc_descs). */
  allocFreeIrq(from: number): number {
    let irq = from;
    while (this.descs[irq]) irq++;
    this.allocDesc(irq);
    return irq;
  }

  /** irq_set_chip_and_handler_name() */
  irq_set_chip_and_handler_name(
    irq: number,
    chip: IrqChip,
    flow: FlowHandler,
    name?: string,
  ): void {
    const d = this.allocDesc(irq);
    d.irq_data.chip = chip;
    d.handle_irq = flow;
    d.name = name;
  }

  /** irq_set_status_flags() / irq_modify_status() */
  irq_modify_status(irq: number, clr: number, set: number): void {
    const d = this.irq_to_desc(irq);
    if (!d) return;
    d.status = (d.status & ~clr) | set;
  }

  /** irq_domain_add_legacy-style: map hwirq -> irq for a range (identity for x86 legacy). */
  addDomain(name: string, chip: IrqChip): IrqDomain {
    const dom = new IrqDomain(name, chip);
    this.domains.push(dom);
    return dom;
  }

  /** irq_create_mapping(): allocate a Linux IRQ for a hwirq in a domain. */
  irq_create_mapping(dom: IrqDomain, hwirq: number, firstIrq = 1): number {
    const have = dom.findMapping(hwirq);
    if (have) return have;
    const irq = this.allocFreeIrq(firstIrq);
    const d = this.descs[irq]!;
    d.irq_data.hwirq = hwirq;
    d.irq_data.domain = dom;
    d.irq_data.chip = dom.chip;
    dom.map.set(hwirq, irq);
    return irq;
  }

  /**
   * The Linux IRQ a device output is wired to (its interrupt resource), or
   * -1 when the pin reaches no mapped controller input.
   */
  irqOfOutput(pin: { targets: readonly unknown[] }): number {
    for (const t of pin.targets) {
      const irq = this.inputIrq.get(t);
      if (irq !== undefined) return irq;
    }
    return -1;
  }

  // ---- dispatch ----

  /**
   * generic_handle_irq() as a body: returns the pooled flow run for `irq`, to
   * be CALLed by the arch entry code. Runs in interrupt context.
   */
  flowBody(cpu: Cpu, irq: number): Body | undefined {
    const desc = this.descs[irq];
    if (!desc) return undefined;
    const pool = this.#pools[cpu.id];
    const depth = this.#depth[cpu.id]++;
    let run = pool[depth];
    if (!run) {
      run = new FlowRun(this, cpu);
      pool[depth] = run;
    }
    return run.reset(desc);
  }

  /** Called by a finished FlowRun. */
  releaseFlow(cpu: Cpu): void {
    this.#depth[cpu.id]--;
  }

  /** Trace irq_handler_entry (interrupt context). */
  traceHandlerEntry(irq: number, name: string, cpu: Cpu): void {
    this.kernel.traceEvent(irq_handler_entry, { irq, name }, cpu);
  }

  /** Trace irq_handler_exit (interrupt context). */
  traceHandlerExit(irq: number, ret: number, cpu: Cpu): void {
    this.kernel.traceEvent(irq_handler_exit, { irq, ret }, cpu);
  }

  /** WARN_ONCE "irq %u handler %pS enabled interrupts" (kernel/irq/handle.c). */
  warnHandlerEnabledIrqs(irq: number, a: IrqAction): void {
    if (this.#warnedEnabled.has(irq)) return;
    this.#warnedEnabled.add(irq);
    this.kernel.warn(
      `irq ${irq} handler ${a.handler.name || "0x0"} enabled interrupts`,
      "__handle_irq_event_percpu",
      "kernel/irq/handle.c",
    );
  }

  /** warn_no_thread() (kernel/irq/handle.c). */
  warnNoThread(irq: number, a: IrqAction): void {
    if (a.thread_flags & IRQTF_WARNED) return;
    a.thread_flags |= IRQTF_WARNED;
    this.kernel.printk(
      4,
      `IRQ ${irq} device ${a.name} returned IRQ_WAKE_THREAD but no thread function available.`,
    );
  }

  /** note_interrupt() */
  noteInterrupt(desc: IrqDesc, ret: number): void {
    note_interrupt(this, desc, ret);
  }

  /** ack_bad_irq() of the architecture. */
  ackBadIrq(irq: number): void {
    if (this.archAckBadIrq) this.archAckBadIrq(irq);
    else {this.kernel.printk(
        2,
        `unexpected IRQ trap at vector ${irq.toString(16).padStart(2, "0")}`,
      );}
  }

  /** dump_stack(), short form: the CPU line and the call trace of the interrupt path. */
  dumpStack(frames: string[]): void {
    const k = this.kernel;
    const cpu = k.thisCpu();
    k.printk(
      4,
      `CPU: ${cpu.id} PID: ${cpu.current.pid} Comm: ${cpu.current.comm} Not tainted ${k.config.version}.0 #1`,
    );
    k.printk(4, "Call Trace:");
    const inIrq = cpu.inHardirq();
    if (inIrq) k.printk(4, " <IRQ>");
    for (const f of ["dump_stack_lvl", ...frames]) k.printk(4, ` ${f}`);
    if (inIrq) k.printk(4, " </IRQ>");
  }

  /** Arm the spurious poll timer (not modelled: needs timer softirq). */
  armSpuriousPoll(): void {
    this.kernel.notImplemented("poll_spurious_irqs (polling of spurious-disabled IRQs)");
  }

  // ---- chip state (kernel/irq/chip.c) ----

  /** irq_enable() */
  irq_enable(desc: IrqDesc): void {
    if (!desc.disabled) {
      unmask_irq(desc);
      return;
    }
    desc.irq_data.state &= ~IRQD_IRQ_DISABLED;
    const chip = desc.irq_data.chip;
    if (chip.irq_enable) {
      chip.irq_enable(desc.irq_data);
      desc.irq_data.state &= ~IRQD_IRQ_MASKED;
    } else unmask_irq(desc);
  }

  /** irq_disable(): lazy unless the chip has irq_disable or the desc is unlazy. */
  irq_disable(desc: IrqDesc, mask = false): void {
    if (desc.disabled) {
      if (mask) mask_irq(desc);
      return;
    }
    desc.irq_data.state |= IRQD_IRQ_DISABLED;
    const chip = desc.irq_data.chip;
    if (chip.irq_disable) {
      chip.irq_disable(desc.irq_data);
      desc.irq_data.state |= IRQD_IRQ_MASKED;
    } else if (mask) mask_irq(desc);
  }

  /** irq_startup(desc, resend, force) */
  irq_startup(desc: IrqDesc, resend: boolean): void {
    desc.depth = 0;
    const d = desc.irq_data;
    if (d.state & IRQD_IRQ_STARTED) this.irq_enable(desc);
    else {
      if (d.chip.irq_startup) {
        d.chip.irq_startup(d);
        d.state &= ~(IRQD_IRQ_DISABLED | IRQD_IRQ_MASKED);
      } else this.irq_enable(desc);
      d.state |= IRQD_IRQ_STARTED;
    }
    if (resend) this.check_irq_resend(desc, false);
  }

  /** irq_shutdown() */
  irq_shutdown(desc: IrqDesc): void {
    const d = desc.irq_data;
    if (!(d.state & IRQD_IRQ_STARTED)) return;
    desc.depth = 1;
    if (d.chip.irq_shutdown) {
      d.chip.irq_shutdown(d);
      d.state |= IRQD_IRQ_DISABLED | IRQD_IRQ_MASKED;
    } else this.irq_disable(desc, true);
    d.state &= ~IRQD_IRQ_STARTED;
  }

  /** check_irq_resend() (kernel/irq/resend.c). Returns 0 or a negative errno. */
  check_irq_resend(desc: IrqDesc, inject: boolean): number {
    // Level type interrupts are never replayed: the line re-asserts by itself.
    if (desc.status & IRQ_LEVEL) {
      desc.istate &= ~IRQS_PENDING;
      return -EINVAL;
    }
    if (desc.istate & IRQS_REPLAY) return -EBUSY;
    if (!(desc.istate & IRQS_PENDING) && !inject) return 0;
    desc.istate &= ~IRQS_PENDING;
    const chip = desc.irq_data.chip;
    if (chip.irq_retrigger && chip.irq_retrigger(desc.irq_data)) {
      desc.istate |= IRQS_REPLAY;
      return 0;
    }
    // CONFIG_HARDIRQS_SW_RESEND: a tasklet runs the flow handler.
    if (this.swResend) {
      this.swResend(desc);
      desc.istate |= IRQS_REPLAY;
      return 0;
    }
    this.kernel.notImplemented("software IRQ resend (needs the tasklet plugin)");
    return -EINVAL;
  }

  /** Software resend hook (the tasklet plugin installs the resend tasklet here). */
  swResend: ((desc: IrqDesc) => void) | undefined;

  /** __irq_set_trigger() */
  irq_set_trigger(desc: IrqDesc, flags: number): number {
    const chip = desc.irq_data.chip;
    if (!chip.irq_set_type) return 0;
    flags &= IRQ_TYPE_SENSE_MASK;
    const ret = chip.irq_set_type(desc.irq_data, flags);
    if (ret < 0) {
      this.kernel.printk(
        3,
        `genirq: Setting trigger mode ${flags} for irq ${desc.irq} failed (${chip.name})`,
      );
      return ret;
    }
    const d = desc.irq_data;
    d.state = (d.state & ~IRQD_TRIGGER_MASK & ~IRQD_LEVEL) | flags;
    desc.status &= ~IRQ_LEVEL;
    if (flags & IRQ_TYPE_LEVEL_MASK) {
      desc.status |= IRQ_LEVEL;
      d.state |= IRQD_LEVEL;
    }
    this.#triggerSet.add(desc.irq);
    return 0;
  }
  #triggerSet = new Set<number>();

  // ---- request / free (kernel/irq/manage.c) ----

  /** request_threaded_irq(): 0 or a negative errno. */
  request_threaded_irq(
    irq: number,
    handler: IrqHandler | null,
    thread_fn: IrqHandler | null,
    irqflags: number,
    devname: string,
    dev_id: unknown,
  ): number {
    if (irq === IRQ_NOTCONNECTED) return -ENOTCONN;
    if (
      ((irqflags & IRQF_SHARED) && !dev_id) ||
      ((irqflags & IRQF_SHARED) && (irqflags & IRQF_NO_AUTOEN)) ||
      (!(irqflags & IRQF_SHARED) && (irqflags & IRQF_COND_SUSPEND)) ||
      ((irqflags & IRQF_NO_SUSPEND) && (irqflags & IRQF_COND_SUSPEND))
    ) return -EINVAL;
    const desc = this.irq_to_desc(irq);
    if (!desc) return -EINVAL;
    if (desc.status & IRQ_NOREQUEST) return -EINVAL;
    if (desc.status & IRQ_PER_CPU_DEVID) {
      this.kernel.warn(
        "WARN_ON(irq_settings_is_per_cpu_devid(desc))",
        "request_threaded_irq",
        "kernel/irq/manage.c",
      );
      return -EINVAL;
    }
    if (!handler) {
      if (!thread_fn) return -EINVAL;
      handler = irq_default_primary_handler;
    }
    const action = new IrqAction(irq, handler, thread_fn, irqflags, devname, dev_id);
    return this.#setupIrq(desc, action);
  }

  /** __setup_irq() */
  #setupIrq(desc: IrqDesc, nw: IrqAction): number {
    const k = this.kernel;
    const irq = desc.irq;
    const chip = desc.irq_data.chip;
    if (chip === no_irq_chip) return -ENOSYS;
    if (!(nw.flags & IRQF_TRIGGER_MASK)) nw.flags |= desc.irq_data.triggerType();
    const nested = (desc.status & IRQ_NESTED_THREAD) !== 0;
    if (nested) {
      if (!nw.thread_fn) return -EINVAL;
      nw.handler = irq_nested_primary_handler;
    } else if (!(desc.status & IRQ_NOTHREAD)) {
      this.#setupForcedThreading(nw);
    }
    if ((chip.flags ?? 0) & IRQCHIP_ONESHOT_SAFE) nw.flags &= ~IRQF_ONESHOT;
    if (!desc.action && chip.irq_request_resources) {
      const r = chip.irq_request_resources(desc.irq_data);
      if (r) {
        k.printk(
          3,
          `genirq: Failed to request resources for ${nw.name} (irq ${irq}) on irqchip ${chip.name}`,
        );
        return r;
      }
    }
    let shared = false;
    let threadMask = 0;
    let last: IrqAction | null = null;
    const old = desc.action;
    if (old) {
      let oldtype: number;
      if (this.#triggerSet.has(irq)) oldtype = desc.irq_data.triggerType();
      else {
        oldtype = nw.flags & IRQF_TRIGGER_MASK;
        desc.irq_data.state = (desc.irq_data.state & ~IRQD_TRIGGER_MASK) | oldtype;
        this.#triggerSet.add(irq);
      }
      const mismatch = !((old.flags & nw.flags) & IRQF_SHARED) ||
        oldtype !== (nw.flags & IRQF_TRIGGER_MASK) ||
        ((old.flags ^ nw.flags) & IRQF_ONESHOT) ||
        ((old.flags & IRQF_PERCPU) !== (nw.flags & IRQF_PERCPU));
      if (mismatch) {
        if (!(nw.flags & IRQF_PROBE_SHARED)) {
          k.printk(
            3,
            "genirq: Flags mismatch irq %d. %08x (%s) vs. %08x (%s)",
            irq,
            nw.flags >>> 0,
            nw.name,
            old.flags >>> 0,
            old.name,
          );
        }
        return -EBUSY;
      }
      for (let a: IrqAction | null = old; a; a = a.next) {
        threadMask |= a.thread_mask;
        last = a;
      }
      shared = true;
    }
    if (nw.flags & IRQF_ONESHOT) {
      if ((threadMask >>> 0) === 0xffffffff) return -EBUSY;
      let bit = 0;
      while (threadMask & (1 << bit)) bit++;
      nw.thread_mask = (1 << bit) >>> 0;
    } else if (
      nw.handler === irq_default_primary_handler && !((chip.flags ?? 0) & IRQCHIP_ONESHOT_SAFE)
    ) {
      k.printk(
        3,
        `genirq: Threaded irq requested with handler=NULL and !ONESHOT for ${nw.name} (irq ${irq})`,
      );
      return -EINVAL;
    }
    if (!shared) {
      if (nw.flags & IRQF_TRIGGER_MASK) {
        const r = this.irq_set_trigger(desc, nw.flags & IRQF_TRIGGER_MASK);
        if (r) return r;
      }
      desc.istate &= ~(IRQS_AUTODETECT | IRQS_SPURIOUS_DISABLED | IRQS_ONESHOT | IRQS_WAITING);
      desc.irq_data.state &= ~IRQD_IRQ_INPROGRESS;
      if (nw.flags & IRQF_PERCPU) {
        desc.irq_data.state |= IRQD_PER_CPU;
        desc.status |= IRQ_PER_CPU;
        if (nw.flags & IRQF_NO_DEBUG) desc.status |= IRQ_NO_DEBUG;
      }
      if (this.noirqdebug) desc.status |= IRQ_NO_DEBUG;
      if (nw.flags & IRQF_ONESHOT) desc.istate |= IRQS_ONESHOT;
      if (nw.flags & IRQF_NOBALANCING) {
        desc.status |= IRQ_NO_BALANCING;
        desc.irq_data.state |= IRQD_NO_BALANCING;
      }
      if (!(nw.flags & IRQF_NO_AUTOEN) && !(desc.status & IRQ_NOAUTOEN)) {
        this.irq_startup(desc, true);
      } else desc.depth = 1;
    } else if (nw.flags & IRQF_TRIGGER_MASK) {
      const nmsk = nw.flags & IRQF_TRIGGER_MASK, omsk = desc.irq_data.triggerType();
      if (nmsk !== omsk) {
        k.printk(4, `genirq: irq ${irq} uses trigger mode ${omsk}; requested ${nmsk}`);
      }
    }
    if (nw.thread_fn && !nested) {
      this.#createThread(desc, nw, false);
      if (nw.secondary) this.#createThread(desc, nw.secondary, true);
    }
    if (last) last.next = nw;
    else desc.action = nw;
    desc.irq_count = 0;
    desc.irqs_unhandled = 0;
    if (shared && (desc.istate & IRQS_SPURIOUS_DISABLED)) {
      desc.istate &= ~IRQS_SPURIOUS_DISABLED;
      this.#enableIrqDesc(desc);
    }
    desc.procCreated = true;
    return 0;
  }

  /** irq_setup_forced_threading() with `threadirqs`. */
  #setupForcedThreading(nw: IrqAction): void {
    if (!this.kernel.config.threadirqs) return;
    if (nw.flags & (IRQF_NO_THREAD | IRQF_PERCPU | IRQF_ONESHOT)) return;
    if (nw.handler === irq_default_primary_handler) return;
    nw.flags |= IRQF_ONESHOT;
    if (nw.thread_fn) {
      // Keep the original thread handler in a secondary action (irq/%d-s-%s).
      const sec = new IrqAction(
        nw.irq,
        irq_forced_secondary_handler,
        nw.thread_fn,
        nw.flags,
        nw.name,
        nw.dev_id,
      );
      sec.thread_flags |= IRQTF_FORCED_THREAD;
      nw.secondary = sec;
    }
    nw.thread_flags |= IRQTF_FORCED_THREAD;
    nw.thread_fn = nw.handler;
    nw.handler = irq_default_primary_handler;
  }

  /** free_irq(): returns the devname, or null. */
  free_irq(irq: number, dev_id: unknown): string | null {
    const desc = this.irq_to_desc(irq);
    if (!desc) return null;
    if (desc.status & IRQ_PER_CPU_DEVID) return null;
    const k = this.kernel;
    const cpu = k.thisCpu();
    if (cpu.inInterrupt()) {
      k.warn(`Trying to free IRQ ${irq} from IRQ context!`, "__free_irq", "kernel/irq/manage.c");
    }
    let prev: IrqAction | null = null;
    let a = desc.action;
    while (a && a.dev_id !== dev_id) {
      prev = a;
      a = a.next;
    }
    if (!a) {
      k.warn(`Trying to free already-free IRQ ${irq}`, "__free_irq", "kernel/irq/manage.c");
      return null;
    }
    if (prev) prev.next = a.next;
    else desc.action = a.next;
    if (!desc.action) this.irq_shutdown(desc);
    for (const act of [a, a.secondary]) {
      if (act?.thread) {
        act.stopping = true;
        k.sched.wakeUp(act.thread);
      }
    }
    if (!desc.action) desc.irq_data.chip.irq_release_resources?.(desc.irq_data);
    return a.name;
  }

  // ---- enable / disable ----

  /** __enable_irq() */
  #enableIrqDesc(desc: IrqDesc): void {
    switch (desc.depth) {
      case 0:
        this.kernel.warn(
          `Unbalanced enable for IRQ ${desc.irq}`,
          "__enable_irq",
          "kernel/irq/manage.c",
        );
        break;
      case 1:
        if (desc.istate & IRQS_SUSPENDED) {
          this.kernel.warn(
            `Unbalanced enable for IRQ ${desc.irq}`,
            "__enable_irq",
            "kernel/irq/manage.c",
          );
          break;
        }
        this.irq_startup(desc, true);
        break;
      default:
        desc.depth--;
    }
  }

  /** enable_irq() */
  enable_irq(irq: number): void {
    const desc = this.irq_to_desc(irq);
    if (!desc) return;
    if (desc.irq_data.chip === no_irq_chip) {
      this.kernel.warn(
        `enable_irq before setup/request_irq: irq ${irq}`,
        "enable_irq",
        "kernel/irq/manage.c",
      );
      return;
    }
    this.#enableIrqDesc(desc);
  }

  /** disable_irq_nosync(): `if (depth++ == 0) irq_disable()`. Returns 0 or -EINVAL. */
  disable_irq_nosync(irq: number): number {
    const desc = this.irq_to_desc(irq);
    if (!desc) return -EINVAL;
    if (desc.depth++ === 0) this.irq_disable(desc);
    return 0;
  }

  /**
   * synchronize_irq(): returns a sleep token to yield when the caller must
   * wait for a running handler or thread, or undefined when the irq is idle.
   */
  synchronize_irq(irq: number): ReturnType<typeof sleepToken> | undefined {
    const desc = this.irq_to_desc(irq);
    if (!desc) return undefined;
    const busy = (desc.irq_data.state & IRQD_IRQ_INPROGRESS) !== 0 || desc.threads_active > 0;
    if (!busy) return undefined;
    const cpu = this.kernel.thisCpu();
    desc.waiters.push(cpu.current);
    return sleepToken(Infinity, "D", "synchronize_irq");
  }

  /** Wake synchronize_irq() waiters once nothing runs. */
  #wakeWaiters(desc: IrqDesc): void {
    if (desc.threads_active > 0 || (desc.irq_data.state & IRQD_IRQ_INPROGRESS)) return;
    const ws = desc.waiters.splice(0);
    for (const t of ws) this.kernel.sched.wakeUp(t);
  }

  // ---- irq threads ----

  /** __irq_wake_thread() (interrupt context). */
  wakeThread(desc: IrqDesc, a: IrqAction): void {
    const t = a.thread;
    if (!t || t.state === "X" || a.stopping) return;
    if (a.thread_flags & IRQTF_RUNTHREAD) return; // wakeups coalesce
    a.thread_flags |= IRQTF_RUNTHREAD;
    desc.threads_oneshot |= a.thread_mask;
    desc.threads_active++;
    // irq_thread_check_affinity(): the thread follows the CPU handling the irq.
    if (t.state !== "R") t.cpu = this.kernel.thisCpu().id;
    this.kernel.sched.wakeUp(t);
  }

  #createThread(desc: IrqDesc, a: IrqAction, secondary: boolean): void {
    const comm = secondary ? `irq/${desc.irq}-s-${a.name}` : `irq/${desc.irq}-${a.name}`;
    a.thread = this.kernel.sched.create({
      comm,
      body: this.#irqThread(desc, a, secondary),
      policy: "fifo",
      rtPriority: 50, // sched_set_fifo(): MAX_RT_PRIO / 2
      kthread: true,
      start: "sleeping",
      cpu: desc.irq_data.effective_affinity[0] ?? 0,
    });
  }

  /** irq_thread() (kernel/irq/manage.c), process context. */
  *#irqThread(
    desc: IrqDesc,
    a: IrqAction,
    _secondary: boolean,
  ): Generator<unknown, number, unknown> {
    const k = this.kernel;
    for (;;) {
      // irq_wait_for_interrupt()
      for (;;) {
        if (a.thread_flags & IRQTF_RUNTHREAD) {
          a.thread_flags &= ~IRQTF_RUNTHREAD;
          break;
        }
        if (a.stopping) return 0;
        yield sleepToken(Infinity, "S", "irq_thread");
      }
      const forced = (a.thread_flags & IRQTF_FORCED_THREAD) !== 0;
      const cpu0 = k.thisCpu();
      if (forced) {
        cpu0.preemptCount += SOFTIRQ_DISABLE_OFFSET; // local_bh_disable()
        cpu0.irqsDisabled = true; // local_irq_disable() (!PREEMPT_RT)
      }
      const fn = a.thread_fn!;
      const r = fn(desc.irq, a.dev_id);
      let ret: number;
      if (typeof r === "number") {
        k.thisCpu().accum += (fn as { cost_ns?: number }).cost_ns ?? k.costs.handler_ns;
        yield BUSY;
        ret = r;
      } else {
        ret = (yield* r as Generator<unknown, number, unknown>) ?? 0;
      }
      if (ret === IRQ_HANDLED) desc.threads_handled++;
      yield* this.#finalizeOneshot(desc, a);
      if (forced) {
        const cpu = k.thisCpu();
        cpu.irqsDisabled = false;
        cpu.preemptCount -= SOFTIRQ_DISABLE_OFFSET; // local_bh_enable()
      }
      if (ret === IRQ_WAKE_THREAD && a.secondary) this.wakeThread(desc, a.secondary);
      // wake_threads_waitq()
      desc.threads_active--;
      this.#wakeWaiters(desc);
    }
  }

  /** irq_finalize_oneshot() */
  *#finalizeOneshot(desc: IrqDesc, a: IrqAction): Generator<unknown, void, unknown> {
    if (!(desc.istate & IRQS_ONESHOT) || a.handler === irq_forced_secondary_handler) return;
    // Wait for a hardirq in progress on another CPU (cpu_relax loop).
    while (desc.irq_data.state & IRQD_IRQ_INPROGRESS) {
      this.kernel.thisCpu().accum += 100;
      yield BUSY;
    }
    if (a.thread_flags & IRQTF_RUNTHREAD) return;
    desc.threads_oneshot &= ~a.thread_mask;
    if (desc.threads_oneshot === 0 && !desc.disabled && desc.masked) {
      const chip = desc.irq_data.chip;
      if ((chip.flags ?? 0) & IRQCHIP_EOI_THREADED) chip.irq_eoi?.(desc.irq_data);
      unmask_irq(desc);
    }
  }

  /** Tasks of irq threads (for ps-style lists). */
  threads(): Task[] {
    const out: Task[] = [];
    for (const d of this.descs) {
      for (let a = d?.action ?? null; a; a = a.next) {
        if (a.thread) out.push(a.thread);
        if (a.secondary?.thread) out.push(a.secondary.thread);
      }
    }
    return out;
  }

  /** A body that runs generic_handle_irq(irq) as a call (for chained handlers). */
  handleIrqCall(cpu: Cpu, irq: number): number {
    const b = this.flowBody(cpu, irq);
    if (!b) return 0;
    cpu.callee = b;
    return CALL;
  }
}

/** irq_forced_secondary_handler: must never run as a primary. */
function irq_forced_secondary_handler(irq: number, _dev: unknown): irqreturn_t {
  currentGenirq?.kernel.warn(
    `Secondary action handler called for irq ${irq}`,
    "irq_forced_secondary_handler",
    "kernel/irq/manage.c",
  );
  return 0;
}

export { mask_irq, unmask_irq };
