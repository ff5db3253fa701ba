/**
 * The generic IRQ layer of one machine: descriptors and domains
 * (kernel/irq/irqdesc.c, irqdomain.c), request/free/enable/disable and irq
 * threads (kernel/irq/manage.c), startup/shutdown (kernel/irq/chip.c), resend
 * (kernel/irq/resend.c), and the tracepoints of include/trace/events/irq.h.
 *
 * @module
 */

import { setupAffinity } from "./affinity.ts";
import { type Body, BUSY, CALL, sleepToken } from "../../core/body.ts";
import { noteSleep } from "../../linux/api.ts";
import { setTaskStack } from "../../linux/dump_stack.ts";
import { type ServiceKey, serviceKey } from "../../core/bus.ts";
import { type Cpu, SOFTIRQ_DISABLE_OFFSET } from "../../core/cpu.ts";
import { type Costs, type Kernel, kernelOrUndefined } from "../../core/kernel.ts";
import type { Task } from "../../core/sched.ts";
import { defineTraceEvent, type TraceBuffer, type TraceEventType } from "../../core/trace.ts";
import { callToken } from "../../core/body.ts";
import { SoftirqKey } from "../softirq/mod.ts";
import {
  EBUSY,
  EINVAL,
  ENOSYS,
  ENOTCONN,
  IRQ_DISABLE_UNLAZY,
  IRQ_HANDLED,
  IRQ_LEVEL,
  IRQ_MOVE_PCNTXT,
  IRQ_NESTED_THREAD,
  IRQ_NO_BALANCING,
  IRQ_NO_DEBUG,
  IRQ_NOAUTOEN,
  IRQ_NOPROBE,
  IRQ_NOREQUEST,
  IRQ_NOTCONNECTED,
  IRQ_NOTHREAD,
  IRQ_PER_CPU,
  IRQ_PER_CPU_DEVID,
  IRQ_SET_MASK_OK,
  IRQ_SET_MASK_OK_DONE,
  IRQ_SET_MASK_OK_NOCOPY,
  IRQ_TYPE_LEVEL_MASK,
  IRQ_TYPE_SENSE_MASK,
  IRQ_WAKE_THREAD,
  IRQCHIP_EOI_THREADED,
  IRQCHIP_ONESHOT_SAFE,
  IRQCHIP_SET_TYPE_MASKED,
  IRQD_ACTIVATED,
  IRQD_DEFAULT_TRIGGER_SET,
  IRQD_IRQ_DISABLED,
  IRQD_IRQ_INPROGRESS,
  IRQD_IRQ_MASKED,
  IRQD_IRQ_STARTED,
  IRQD_LEVEL,
  IRQD_MOVE_PCNTXT,
  IRQD_NO_BALANCING,
  IRQD_PER_CPU,
  IRQD_TRIGGER_MASK,
  IRQF_COND_SUSPEND,
  IRQF_MODIFY_MASK,
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
  IRQS_NMI,
  IRQS_ONESHOT,
  IRQS_PENDING,
  IRQS_REPLAY,
  IRQS_SPURIOUS_DISABLED,
  IRQS_SUSPENDED,
  IRQS_WAITING,
  IRQTF_FORCED_THREAD,
  IRQTF_READY,
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
import { hashedPointer, note_interrupt } from "./spurious.ts";

/** irq:irq_handler_entry — `irq=%d name=%s`. */
export const irq_handler_entry: TraceEventType<{ irq: number; name: string }> = defineTraceEvent<
  { irq: number; name: string }
>(
  "irq",
  "irq_handler_entry",
  (a) => `irq=${a.irq} name=${a.name}`,
);
/** irq:irq_handler_exit — `irq=%d ret=%s`. */
export const irq_handler_exit: TraceEventType<{ irq: number; ret: number }> = defineTraceEvent<
  { irq: number; ret: number }
>(
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
  kernelOrUndefined()?.warn(
    `Primary handler called for nested irq ${irq}`,
    "irq_nested_primary_handler",
    "kernel/irq/manage.c",
  );
  return 0;
}

/** WARN_ON() / WARN_ON_ONCE(): the warning block of a condition-only WARN (no message line). */
function warnOn(k: Kernel, fn: string, file: string): void {
  k.warn(undefined, fn, file);
}

/** Name printed for a function pointer with %ps / %pS. */
function symbolName(f: unknown): string {
  return (typeof f === "function" && f.name) ? f.name : "0x0";
}

/** Service key of the generic IRQ layer. */
export const GenIrqKey: ServiceKey<GenIrq> = serviceKey<GenIrq>("genirq");

/** Options of the generic IRQ layer. */
export interface GenIrqOptions {
  /** Initial IRQ_* settings of every desc (ARM: IRQ_NOREQUEST | IRQ_NOPROBE). */
  initFlags: number;
}

/** The generic IRQ layer. */
export class GenIrq {
  /** irq_desc by Linux IRQ number (sparse). */
  readonly descs: (IrqDesc | undefined)[] = [];
  /** nr_irqs: decides the width of /proc/interrupts' first column. */
  nr_irqs = 16;
  /** Registered irq domains. */
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
  /**
   * Controller inputs whose Linux IRQ is mapped on first use (a GPIO line:
   * gpiochip_to_irq() creates the mapping), for role_irq().
   */
  readonly lazyInputIrq = new Map<unknown, () => number>();
  /**
   * Devices without an interrupt line of their own, behind a bus host whose
   * interrupt serves them (a USB keyboard behind the HCD): the host's IRQ,
   * for role_irq().
   */
  readonly busDeviceIrq = new Map<unknown, () => number>();
  #pools: FlowRun[][] = [];
  #depth: number[] = [];
  /** WARN_ONCE / WARN_ON_ONCE sites that already fired (their static __warned flags). */
  #warnedOnce = new Set<string>();
  /** print_irq_desc()'s DEFINE_RATELIMIT_STATE(ratelimit, 5 * HZ, 5). */
  #printDescRl = { begin: -1, printed: 0, missed: 0 };

  /** Create a GenIrq. */
  constructor(readonly kernel: Kernel, readonly options: GenIrqOptions = { initFlags: 0 }) {
    this.noirqdebug = kernel.config.cmdline.includes("noirqdebug");
    this.defaultAffinity = kernel.cpus.map((c) => c.id);
    for (const cpu of kernel.cpus) {
      this.#pools[cpu.id] = [];
      this.#depth[cpu.id] = 0;
    }
    if (this.noirqdebug) kernel.printk(6, "IRQ lockup detection disabled");
  }

  /** BITS_PER_LONG: 64 on x86_64 and arm64, 32 on 32-bit ARM. */
  get bitsPerLong(): number {
    return this.kernel.config.arch === "arm" ? 32 : 64;
  }

  /** WARN_ON_ONCE(cond) at a call site named `site`: returns cond. */
  #warnOnOnce(cond: boolean, site: string, fn: string, file: string): boolean {
    if (cond && !this.#warnedOnce.has(site)) {
      this.#warnedOnce.add(site);
      warnOn(this.kernel, fn, file);
    }
    return cond;
  }

  /** The kernel's trace buffer. */
  get trace(): TraceBuffer {
    return this.kernel.trace;
  }
  /** The machine's cost model. */
  get costs(): Costs {
    return this.kernel.costs;
  }
  /** Modelled kernel version (`6.1`, `6.6`). */
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
    // desc_smp_init() (kernel/irq/irqdesc.c) clears the effective affinity;
    // only chips that route the irq (x86 vector domain, GIC...) fill it in.
    d.irq_data.effective_affinity = [];
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

  /**
   * irq_set_status_flags() / irq_modify_status() (kernel/irq/chip.c): only
   * the IRQF_MODIFY_MASK settings change, and the IRQD_* mirrors of the
   * settings (no balancing, per CPU, move in process context, level,
   * trigger type) are recomputed.
   */
  irq_modify_status(irq: number, clr: number, set: number): void {
    const desc = this.irq_to_desc(irq);
    if (!desc) return;
    // Warn when a driver sets the no autoenable flag on an already active interrupt.
    this.#warnOnOnce(
      !desc.depth && (set & IRQ_NOAUTOEN) !== 0,
      "irq_modify_status",
      "irq_modify_status",
      "kernel/irq/chip.c",
    );
    // irq_settings_clr_and_set()
    desc.status = (desc.status & ~(clr & IRQF_MODIFY_MASK)) | (set & IRQF_MODIFY_MASK);
    const d = desc.irq_data;
    let trigger = d.triggerType();
    d.state &= ~(IRQD_NO_BALANCING | IRQD_PER_CPU | IRQD_TRIGGER_MASK | IRQD_LEVEL |
      IRQD_MOVE_PCNTXT);
    if (desc.status & IRQ_NO_BALANCING) d.state |= IRQD_NO_BALANCING;
    if (desc.status & IRQ_PER_CPU) d.state |= IRQD_PER_CPU;
    if (desc.status & IRQ_MOVE_PCNTXT) d.state |= IRQD_MOVE_PCNTXT;
    if (desc.status & IRQ_LEVEL) d.state |= IRQD_LEVEL;
    const tmp = desc.status & IRQ_TYPE_SENSE_MASK;
    if (tmp !== 0) trigger = tmp;
    d.state |= trigger;
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

  /**
   * The Linux IRQs that serve a device, in the order of its output pins (a
   * platform device's interrupt resources, as platform_get_irq() indexes
   * them): each wired pin's IRQ, mapped on first use for a GPIO line; for a
   * device with no line of its own, its bus host's IRQ.
   */
  irqsOfDevice(dev: { pins: ReadonlyMap<string, unknown> }): number[] {
    const out: number[] = [];
    for (const pin of dev.pins.values()) {
      const targets = (pin as { targets?: readonly unknown[] }).targets;
      if (!targets) continue; // an input pin
      let irq = this.irqOfOutput({ targets });
      if (irq < 0) {
        for (const t of targets) {
          const lazy = this.lazyInputIrq.get(t);
          if (lazy) {
            irq = lazy();
            break;
          }
        }
      }
      if (irq >= 0) out.push(irq);
    }
    if (!out.length) {
      const bus = this.busDeviceIrq.get(dev);
      const irq = bus ? bus() : -1;
      if (irq >= 0) out.push(irq);
    }
    return out;
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

  /**
   * WARN_ONCE "irq %u handler %pS enabled interrupts" (kernel/irq/handle.c
   * __handle_irq_event_percpu): WARN_ONCE has one static flag for the call
   * site, so only the first offending handler of any irq is reported.
   */
  warnHandlerEnabledIrqs(irq: number, a: IrqAction): void {
    if (this.#warnedOnce.has("handler-enabled-irqs")) return;
    this.#warnedOnce.add("handler-enabled-irqs");
    this.kernel.warn(
      `irq ${irq} handler ${symbolName(a.handler)} enabled interrupts`,
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

  /** note_interrupt(), called by the flow run before it clears IRQD_IRQ_INPROGRESS. */
  noteInterrupt(desc: IrqDesc, ret: number): void {
    note_interrupt(this, desc, ret);
  }

  /**
   * The flow handler returned: a synchronize_irq() waiter may proceed
   * (__synchronize_hardirq() spins until INPROGRESS is clear). Called once
   * the flow is done, so an edge loop that goes round again keeps the waiter
   * waiting, as the desc lock does in the kernel. Interrupt context.
   */
  hardirqDone(desc: IrqDesc): void {
    if (desc.waiters.length) this.#wakeWaiters(desc);
  }

  /**
   * ack_bad_irq() of the architecture, from handle_bad_irq(), which first
   * prints the desc (print_irq_desc, kernel/irq/handle.c). handle_bad_irq
   * counts the irq between the two; the printed fields do not include that
   * count, so printing here is equivalent.
   */
  ackBadIrq(irq: number): void {
    const desc = this.descs[irq];
    if (desc) this.#printIrqDesc(desc);
    if (this.archAckBadIrq) this.archAckBadIrq(irq);
    else {this.kernel.printk(
        2,
        `unexpected IRQ trap at vector ${irq.toString(16).padStart(2, "0")}`,
      );}
  }

  /** print_irq_desc() (kernel/irq/debug.h): plain printk, ratelimited to 5 per 5*HZ. */
  #printIrqDesc(desc: IrqDesc): void {
    const k = this.kernel;
    const rl = this.#printDescRl;
    // ___ratelimit() (lib/ratelimit.c)
    if (rl.begin < 0) rl.begin = k.jiffies;
    if (k.jiffies > rl.begin + 5 * k.config.hz) {
      if (rl.missed) {
        k.printk(4, `print_irq_desc: ${rl.missed} callbacks suppressed`);
        rl.missed = 0;
      }
      rl.begin = k.jiffies;
      rl.printed = 0;
    }
    if (rl.printed >= 5) {
      rl.missed++;
      return;
    }
    rl.printed++;
    const ptr = (x: string) => hashedPointer(x);
    k.printk(
      4,
      `irq ${desc.irq}, desc: ${
        ptr(`irq_desc/${desc.irq}`)
      }, depth: ${desc.depth}, count: ${desc.irq_count}, unhandled: ${desc.irqs_unhandled}`,
    );
    k.printk(4, `->handle_irq():  ${ptr(desc.handle_irq.name)}, ${desc.handle_irq.name}`);
    const chip = desc.irq_data.chip;
    const chipSym = chip === no_irq_chip ? "no_irq_chip" : chip.name;
    k.printk(4, `->irq_data.chip(): ${ptr(chipSym)}, ${chipSym}`);
    const a = desc.action;
    k.printk(4, `->action(): ${a ? ptr(`irqaction/${desc.irq}/${a.name}`) : "0000000000000000"}`);
    if (a) {
      k.printk(4, `->action->handler(): ${ptr(symbolName(a.handler))}, ${symbolName(a.handler)}`);
    }
    const flag = (set: number, name: string) => {
      if (set) k.printk(4, `${name.padStart(14)} set`);
    };
    flag(desc.status & IRQ_LEVEL, "IRQ_LEVEL");
    flag(desc.status & IRQ_PER_CPU, "IRQ_PER_CPU");
    flag(desc.status & IRQ_NOPROBE, "IRQ_NOPROBE");
    flag(desc.status & IRQ_NOREQUEST, "IRQ_NOREQUEST");
    flag(desc.status & IRQ_NOTHREAD, "IRQ_NOTHREAD");
    flag(desc.status & IRQ_NOAUTOEN, "IRQ_NOAUTOEN");
    flag(desc.istate & IRQS_AUTODETECT, "IRQS_AUTODETECT");
    flag(desc.istate & IRQS_REPLAY, "IRQS_REPLAY");
    flag(desc.istate & IRQS_WAITING, "IRQS_WAITING");
    flag(desc.istate & IRQS_PENDING, "IRQS_PENDING");
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

  /**
   * irq_disable(): lazy unless the chip has irq_disable or the desc is
   * IRQ_DISABLE_UNLAZY (`__irq_disable(desc, irq_settings_disable_unlazy(desc))`).
   */
  irq_disable(desc: IrqDesc): void {
    this.#irqDisable(desc, (desc.status & IRQ_DISABLE_UNLAZY) !== 0);
  }

  /** __irq_disable(desc, mask) (kernel/irq/chip.c). */
  #irqDisable(desc: IrqDesc, mask: boolean): void {
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
      // __irq_startup(): "Warn if this interrupt is not activated but try nevertheless"
      this.#warnOnOnce(
        !(d.state & IRQD_ACTIVATED),
        "__irq_startup",
        "__irq_startup",
        "kernel/irq/chip.c",
      );
      if (d.chip.irq_startup) {
        d.chip.irq_startup(d);
        d.state &= ~(IRQD_IRQ_DISABLED | IRQD_IRQ_MASKED);
      } else this.irq_enable(desc);
      d.state |= IRQD_IRQ_STARTED;
      // __irq_startup() → irq_setup_affinity() (IRQCHIP_AFFINITY_PRE_STARTUP
      // chips get it before startup; the order is not visible here)
      setupAffinity(this, desc);
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
    } else this.#irqDisable(desc, true);
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
    // CONFIG_HARDIRQS_SW_RESEND: irq_sw_resend() has a tasklet run the flow handler.
    if (this.swResend) {
      const err = this.swResend(desc);
      // "If the retrigger was successful, mark it with the REPLAY bit"
      if (!err) desc.istate |= IRQS_REPLAY;
      return err;
    }
    this.kernel.notImplemented("software IRQ resend (needs the tasklet plugin)");
    return -EINVAL;
  }

  /**
   * Software resend hook: irq_sw_resend() (kernel/irq/resend.c), 0 or a
   * negative errno. The tasklet plugin installs the resend tasklet here.
   */
  swResend: ((desc: IrqDesc) => number) | undefined;

  /**
   * __irq_set_trigger() (kernel/irq/manage.c). Returns 0 or the chip's
   * error. It does not set IRQD_DEFAULT_TRIGGER_SET: only
   * irqd_set_trigger_type() does (see __setup_irq's sharing check).
   */
  irq_set_trigger(desc: IrqDesc, flags: number): number {
    const chip = desc.irq_data.chip;
    const d = desc.irq_data;
    // No irq_set_type: only a pr_debug ("No set_type function for IRQ %d (%s)").
    if (!chip.irq_set_type) return 0;
    let unmask = false;
    if ((chip.flags ?? 0) & IRQCHIP_SET_TYPE_MASKED) {
      if (!desc.masked) mask_irq(desc);
      if (!desc.disabled) unmask = true;
    }
    // Mask all flags except trigger mode
    flags &= IRQ_TYPE_SENSE_MASK;
    let ret = chip.irq_set_type(d, flags);
    switch (ret) {
      case IRQ_SET_MASK_OK:
      case IRQ_SET_MASK_OK_DONE:
        d.state = (d.state & ~IRQD_TRIGGER_MASK) | flags;
      // falls through
      case IRQ_SET_MASK_OK_NOCOPY: {
        const type = d.triggerType();
        // irq_settings_set_trigger_mask(), then the level setting and state bit
        desc.status = (desc.status & ~IRQ_TYPE_SENSE_MASK & ~IRQ_LEVEL) | type;
        d.state &= ~IRQD_LEVEL;
        if (type & IRQ_TYPE_LEVEL_MASK) {
          desc.status |= IRQ_LEVEL;
          d.state |= IRQD_LEVEL;
        }
        ret = 0;
        break;
      }
      default:
        this.kernel.printk(
          3,
          `genirq: Setting trigger mode ${flags} for irq ${desc.irq} failed (${
            symbolName(chip.irq_set_type)
          })`,
        );
    }
    if (unmask) unmask_irq(desc);
    return ret;
  }

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
    // WARN_ON(irq_settings_is_per_cpu_devid(desc)): a bare WARN_ON, no message
    if (desc.status & IRQ_PER_CPU_DEVID) {
      warnOn(this.kernel, "request_threaded_irq", "kernel/irq/manage.c");
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
    // setup_irq_thread(): the kthreads are created before any of the checks
    // below (so a refused request still used up their pids); every later
    // failure stops them again (out_thread: kthread_stop()).
    if (nw.thread_fn && !nested) {
      this.#createThread(desc, nw, false);
      if (nw.secondary) this.#createThread(desc, nw.secondary, true);
    }
    const ret = this.#setupIrqLocked(desc, nw);
    if (ret) {
      for (const a of [nw, nw.secondary]) this.#stopThread(a);
      return ret;
    }
    // wake_up_and_wait_for_irq_thread_ready() (commit 8707898e22fd, v5.18):
    // each new thread is woken, sets IRQTF_READY and sleeps in
    // irq_wait_for_interrupt(). The kernel's requester also sleeps until
    // READY; this synchronous call cannot, so the thread runs at the next
    // preemption point instead of before request_threaded_irq() returns.
    for (const a of [nw, nw.secondary]) if (a?.thread) this.kernel.sched.wakeUp(a.thread);
    desc.procCreated = true; // register_irq_proc()
    return 0;
  }

  /** The part of __setup_irq() under the request mutex and desc lock. */
  #setupIrqLocked(desc: IrqDesc, nw: IrqAction): number {
    const k = this.kernel;
    const irq = desc.irq;
    const d = desc.irq_data;
    const chip = d.chip;
    if ((chip.flags ?? 0) & IRQCHIP_ONESHOT_SAFE) nw.flags &= ~IRQF_ONESHOT;
    // First installed action requests resources.
    if (!desc.action && chip.irq_request_resources) {
      const r = chip.irq_request_resources(d);
      if (r) {
        k.printk(
          3,
          `genirq: Failed to request resources for ${nw.name} (irq ${irq}) on irqchip ${chip.name}`,
        );
        return r;
      }
    }
    const ret = this.#installAction(desc, nw);
    // out_unlock: "if (!desc->action) irq_release_resources(desc);"
    if (ret && !desc.action) chip.irq_release_resources?.(d);
    return ret;
  }

  #installAction(desc: IrqDesc, nw: IrqAction): number {
    const k = this.kernel;
    const irq = desc.irq;
    const d = desc.irq_data;
    const chip = d.chip;
    let shared = false;
    let threadMask = 0n;
    let last: IrqAction | null = null;
    const old = desc.action;
    if (old) {
      if (desc.istate & IRQS_NMI) {
        k.printk(
          3,
          `genirq: Invalid attempt to share NMI for ${nw.name} (irq ${irq}) on irqchip ${chip.name}.`,
        );
        return -EINVAL;
      }
      // "If nobody did set the configuration before, inherit the one
      // provided by the requester." Only irqd_set_trigger_type() marks the
      // type as set (IRQD_DEFAULT_TRIGGER_SET), not __irq_set_trigger().
      let oldtype: number;
      if (d.state & IRQD_DEFAULT_TRIGGER_SET) oldtype = d.triggerType();
      else {
        oldtype = nw.flags & IRQF_TRIGGER_MASK;
        d.setTriggerType(oldtype);
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
      // "Unlikely to have 32 resp 64 irqs sharing one line, but who knows."
      // thread_mask is an unsigned long: 64 bits on x86_64 and arm64.
      const bits = BigInt(this.bitsPerLong);
      if (threadMask === (1n << bits) - 1n) return -EBUSY;
      let bit = 0n;
      while (threadMask & (1n << bit)) bit++; // ffz()
      nw.thread_mask = 1n << bit;
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
      // irq_activate() -> irq_domain_activate_irq(): marks the irq activated
      d.state |= IRQD_ACTIVATED;
      desc.istate &= ~(IRQS_AUTODETECT | IRQS_SPURIOUS_DISABLED | IRQS_ONESHOT | IRQS_WAITING);
      d.state &= ~IRQD_IRQ_INPROGRESS;
      if (nw.flags & IRQF_PERCPU) {
        d.state |= IRQD_PER_CPU;
        desc.status |= IRQ_PER_CPU;
        if (nw.flags & IRQF_NO_DEBUG) desc.status |= IRQ_NO_DEBUG;
      }
      if (this.noirqdebug) desc.status |= IRQ_NO_DEBUG;
      if (nw.flags & IRQF_ONESHOT) desc.istate |= IRQS_ONESHOT;
      if (nw.flags & IRQF_NOBALANCING) {
        desc.status |= IRQ_NO_BALANCING;
        d.state |= IRQD_NO_BALANCING;
      }
      if (!(nw.flags & IRQF_NO_AUTOEN) && !(desc.status & IRQ_NOAUTOEN)) {
        this.irq_startup(desc, true);
      } else {
        // "Shared interrupts do not go well with disabling auto enable.
        // The sharing interrupt might request it while it's still disabled
        // and then wait for interrupts forever."
        this.#warnOnOnce(
          (nw.flags & IRQF_SHARED) !== 0,
          "__setup_irq/noautoen",
          "__setup_irq",
          "kernel/irq/manage.c",
        );
        // Undo nested disables:
        desc.depth = 1;
      }
    } else if (nw.flags & IRQF_TRIGGER_MASK) {
      const nmsk = nw.flags & IRQF_TRIGGER_MASK, omsk = d.triggerType();
      if (nmsk !== omsk) {
        k.printk(4, `genirq: irq ${irq} uses trigger mode ${omsk}; requested ${nmsk}`);
      }
    }
    if (last) last.next = nw;
    else desc.action = nw;
    desc.irq_count = 0;
    desc.irqs_unhandled = 0;
    if (shared && (desc.istate & IRQS_SPURIOUS_DISABLED)) {
      desc.istate &= ~IRQS_SPURIOUS_DISABLED;
      this.#enableIrqDesc(desc);
    }
    return 0;
  }

  /**
   * irq_setup_forced_threading() with `threadirqs`. The secondary action is
   * kzalloc()ed: it gets handler, thread_fn, dev_id, irq and name only (no
   * flags, no IRQTF_FORCED_THREAD), so its thread runs irq_thread_fn().
   */
  #setupForcedThreading(nw: IrqAction): void {
    if (!this.kernel.config.threadirqs) return;
    if (nw.flags & (IRQF_NO_THREAD | IRQF_PERCPU | IRQF_ONESHOT)) return;
    if (nw.handler === irq_default_primary_handler) return;
    nw.flags |= IRQF_ONESHOT;
    if (nw.thread_fn) {
      // Keep the original thread handler in a secondary action (irq/%d-s-%s).
      nw.secondary = new IrqAction(
        nw.irq,
        irq_forced_secondary_handler,
        nw.thread_fn,
        0,
        nw.name,
        nw.dev_id,
      );
    }
    nw.thread_flags |= IRQTF_FORCED_THREAD;
    nw.thread_fn = nw.handler;
    nw.handler = irq_default_primary_handler;
  }

  /** free_irq(): returns the devname, or null. */
  free_irq(irq: number, dev_id: unknown): string | null {
    const desc = this.irq_to_desc(irq);
    if (!desc) return null;
    const k = this.kernel;
    // if (!desc || WARN_ON(irq_settings_is_per_cpu_devid(desc))) return NULL;
    if (desc.status & IRQ_PER_CPU_DEVID) {
      warnOn(k, "free_irq", "kernel/irq/manage.c");
      return null;
    }
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
    // If this was the last handler, shut down the IRQ line:
    if (!desc.action) {
      desc.status &= ~IRQ_DISABLE_UNLAZY; // irq_settings_clr_disable_unlazy()
      this.irq_shutdown(desc);
    }
    // kthread_stop(): a pending run still happens first. The kernel's
    // free_irq() also sleeps until the hardirq on other CPUs is done
    // (__synchronize_hardirq) and the threads have exited; here the caller
    // does not wait (free_irq returns at once).
    this.#stopThread(a);
    this.#stopThread(a.secondary);
    // Last action releases resources (after irq_domain_deactivate_irq()).
    if (!desc.action) {
      desc.irq_data.state &= ~IRQD_ACTIVATED;
      desc.irq_data.chip.irq_release_resources?.(desc.irq_data);
    }
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
        // Prevent probing on this irq:
        desc.status |= IRQ_NOPROBE;
        this.irq_startup(desc, true);
        break;
      default:
        desc.depth--;
    }
  }

  /**
   * enable_irq(). Its `WARN(!desc->irq_data.chip, "enable_irq before
   * setup/request_irq: irq %u")` cannot fire here: a desc without a chip
   * has no_irq_chip, never NULL. Enabling an irq that was never requested
   * (or was freed) starts it up and hits __irq_startup()'s
   * WARN_ON_ONCE(!irqd_is_activated()).
   */
  enable_irq(irq: number): void {
    const desc = this.irq_to_desc(irq);
    // irq_get_desc_buslock(irq, &flags, IRQ_GET_DESC_CHECK_GLOBAL)
    if (!desc || (desc.status & IRQ_PER_CPU_DEVID)) return;
    this.#enableIrqDesc(desc);
  }

  /** disable_irq_nosync(): `if (depth++ == 0) irq_disable()`. Returns 0 or -EINVAL. */
  disable_irq_nosync(irq: number): number {
    const desc = this.irq_to_desc(irq);
    // irq_get_desc_buslock(irq, &flags, IRQ_GET_DESC_CHECK_GLOBAL)
    if (!desc || (desc.status & IRQ_PER_CPU_DEVID)) return -EINVAL;
    if (desc.depth++ === 0) this.irq_disable(desc);
    return 0;
  }

  /**
   * synchronize_irq(): returns a sleep token to yield when the caller must
   * wait for a running handler or thread, or undefined when the irq is idle.
   * (The kernel spins while a hardirq handler runs and sleeps only for the
   * threads; here the caller sleeps for both.)
   */
  synchronize_irq(irq: number): ReturnType<typeof sleepToken> | undefined {
    const desc = this.irq_to_desc(irq);
    if (!desc) return undefined;
    const busy = (desc.irq_data.state & IRQD_IRQ_INPROGRESS) !== 0 || desc.threads_active > 0;
    if (!busy) return undefined;
    const cpu = this.kernel.thisCpu();
    desc.waiters.push(cpu.current);
    return noteSleep(sleepToken(Infinity, "D", "synchronize_irq"));
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
    desc.oneshotMask |= a.thread_mask;
    desc.threads_active++;
    // irq_thread_check_affinity(): the thread follows the CPU handling the irq.
    if (t.state !== "R") t.cpu = this.kernel.thisCpu().id;
    this.kernel.sched.wakeUp(t);
  }

  /** setup_irq_thread(): kthread_create() (asleep until woken) with sched_set_fifo(). */
  #createThread(desc: IrqDesc, a: IrqAction, secondary: boolean): void {
    const comm = secondary ? `irq/${desc.irq}-s-${a.name}` : `irq/${desc.irq}-${a.name}`;
    a.thread = this.kernel.sched.create({
      comm,
      body: this.#irqThread(desc, a),
      policy: "fifo",
      rtPriority: 50, // sched_set_fifo(): MAX_RT_PRIO / 2
      kthread: true,
      start: "sleeping",
      cpu: desc.irq_data.effective_affinity[0] ?? desc.irq_data.affinity[0] ?? 0,
      // irq_thread_check_affinity(): the thread follows the IRQ's affinity
      cpusAllowed: desc.irq_data.effective_affinity.length
        ? desc.irq_data.effective_affinity
        : desc.irq_data.affinity,
    });
    // what dump_stack() shows under the thread function (kernel/irq/manage.c)
    const fnName = a.thread_fn?.name || a.name;
    setTaskStack(a.thread, () => [
      "ret_from_fork",
      "kthread",
      "irq_thread",
      a.thread_flags & IRQTF_FORCED_THREAD ? "irq_forced_thread_fn" : "irq_thread_fn",
      fnName,
    ]);
  }

  /** kthread_stop() of an action's thread: it exits after a pending run. */
  #stopThread(a: IrqAction | undefined): void {
    if (!a?.thread) return;
    a.stopping = true;
    this.kernel.sched.wakeUp(a.thread);
  }

  /** irq_thread() (kernel/irq/manage.c), process context. */
  *#irqThread(desc: IrqDesc, a: IrqAction): Generator<unknown, number, unknown> {
    const k = this.kernel;
    // irq_thread_set_ready()
    a.thread_flags |= IRQTF_READY;
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
      // force_irqthreads() && IRQTF_FORCED_THREAD: irq_forced_thread_fn()
      const forced = (a.thread_flags & IRQTF_FORCED_THREAD) !== 0;
      const cpu0 = k.thisCpu();
      if (forced) {
        // local_bh_disable(); local_irq_disable() (!PREEMPT_RT)
        const sq = k.bus.tryGet(SoftirqKey);
        if (sq) sq.local_bh_disable(cpu0);
        else cpu0.preemptCount += SOFTIRQ_DISABLE_OFFSET;
        cpu0.irqsDisabled = true;
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
        cpu.irqsDisabled = false; // local_irq_enable()
        if (cpu.intrPending) cpu.poke();
        // local_bh_enable(): softirqs the handler raised run here, in this
        // thread, as a sub-body (without the softirq plugin nothing is pending).
        const sq = k.bus.tryGet(SoftirqKey);
        if (!sq) cpu.preemptCount -= SOFTIRQ_DISABLE_OFFSET;
        else {
          const run = sq.bhEnableBody(cpu);
          if (run) yield callToken(run);
        }
      }
      // irq_wake_secondary(): WARN_ON_ONCE(!secondary)
      if (ret === IRQ_WAKE_THREAD) {
        if (
          !this.#warnOnOnce(
            !a.secondary,
            "irq_wake_secondary",
            "irq_wake_secondary",
            "kernel/irq/manage.c",
          )
        ) this.wakeThread(desc, a.secondary!);
      }
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
    desc.oneshotMask &= ~a.thread_mask;
    if (desc.oneshotMask === 0n && !desc.disabled && desc.masked) {
      // unmask_threaded_irq()
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
  kernelOrUndefined()?.warn(
    `Secondary action handler called for irq ${irq}`,
    "irq_forced_secondary_handler",
    "kernel/irq/manage.c",
  );
  return 0;
}

export { mask_irq, unmask_irq };
