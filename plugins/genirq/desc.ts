/**
 * irq_desc, irq_data, irqaction, irq_chip and irq domains
 * (include/linux/irqdesc.h, include/linux/irq.h, include/linux/interrupt.h,
 * kernel/irq/irqdomain.c).
 *
 * @module
 */

import type { Task } from "../../core/sched.ts";
import {
  IRQCHIP_SKIP_SET_WAKE,
  IRQD_DEFAULT_TRIGGER_SET,
  IRQD_IRQ_DISABLED,
  IRQD_IRQ_MASKED,
  IRQD_LEVEL,
  IRQD_TRIGGER_MASK,
  type irqreturn_t,
} from "./constants.ts";
import type { FlowHandler } from "./flow.ts";

/** Chip operations a controller gives genirq. All run in interrupt context or with the desc locked. */
export interface IrqChip {
  /** Shown in /proc/interrupts (`XT-PIC`, `IO-APIC`, `ARMCTRL-level`). */
  readonly name: string;
  /** Start up the interrupt (default: unmask); returns 0 or a negative errno. */
  irq_startup?(d: IrqData): number;
  /** Shut down the interrupt (default: mask). */
  irq_shutdown?(d: IrqData): void;
  /** Enable the interrupt (default: unmask). */
  irq_enable?(d: IrqData): void;
  /** Disable the interrupt (without it, disable_irq is lazy). */
  irq_disable?(d: IrqData): void;
  /** Acknowledge the start of a new interrupt. */
  irq_ack?(d: IrqData): void;
  /** Mask the interrupt source. */
  irq_mask?(d: IrqData): void;
  /** Acknowledge and mask in one operation. */
  irq_mask_ack?(d: IrqData): void;
  /** Unmask the interrupt source. */
  irq_unmask?(d: IrqData): void;
  /** End of interrupt (fasteoi flows). */
  irq_eoi?(d: IrqData): void;
  /** Returns 0 or a negative errno. */
  irq_set_affinity?(d: IrqData, mask: number[], force: boolean): number;
  /** Re-send an edge interrupt in hardware; returns non-zero on success. */
  irq_retrigger?(d: IrqData): number;
  /** Program the trigger type; returns 0 or a negative errno. */
  irq_set_type?(d: IrqData, type: number): number;
  /** Called from request_irq(): claim what the line needs; 0 or a negative errno. */
  irq_request_resources?(d: IrqData): number;
  /** Called from free_irq(): release them. */
  irq_release_resources?(d: IrqData): void;
  /** Custom /proc/interrupts chip column. */
  irq_print_chip?(d: IrqData): string;
  /** IRQCHIP_* flags. */
  readonly flags?: number;
}

/**
 * The chip that means "no chip" (requests fail with -ENOSYS). As in
 * kernel/irq/dummychip.c its startup/shutdown/enable/disable are no-ops, so
 * the core still updates the disabled/masked state around them.
 */
export const no_irq_chip: IrqChip = {
  name: "none",
  irq_startup: () => 0,
  irq_shutdown: () => {},
  irq_enable: () => {},
  irq_disable: () => {},
  flags: IRQCHIP_SKIP_SET_WAKE,
};

/** An irq domain: hwirq -> Linux IRQ number. */
export class IrqDomain {
  /** hwirq -> Linux IRQ. */
  readonly map = new Map<number, number>();
  /** Create a IrqDomain. */
  constructor(readonly name: string, readonly chip: IrqChip) {}
  /** irq_find_mapping() */
  findMapping(hwirq: number): number {
    return this.map.get(hwirq) ?? 0;
  }
}

/** struct irq_data. */
export class IrqData {
  /** IRQD_* bits (irq_common_data.state_use_accessors). */
  state = IRQD_IRQ_DISABLED | IRQD_IRQ_MASKED;
  /** The irq_chip of the interrupt. */
  chip: IrqChip = no_irq_chip;
  /** The domain that maps it, if any. */
  domain: IrqDomain | undefined;
  /** Controller private data. */
  chip_data: unknown;
  /** Affinity mask (CPU ids). */
  affinity: number[] = [];
  /** Effective affinity (CPU ids). */
  effective_affinity: number[] = [];
  /** Create a IrqData. */
  constructor(readonly irq: number, public hwirq: number, readonly desc: IrqDesc) {}

  /** irqd_is_level_type() */
  isLevel(): boolean {
    return (this.state & IRQD_LEVEL) !== 0;
  }
  /** irqd_get_trigger_type() */
  triggerType(): number {
    return this.state & IRQD_TRIGGER_MASK;
  }
  /**
   * irqd_set_trigger_type(): record the type and mark it as set
   * (IRQD_DEFAULT_TRIGGER_SET), without touching the chip.
   */
  setTriggerType(type: number): void {
    this.state = (this.state & ~IRQD_TRIGGER_MASK) | (type & IRQD_TRIGGER_MASK) |
      IRQD_DEFAULT_TRIGGER_SET;
  }
}

/** A primary or threaded handler: plain function or generator function. */
export type IrqHandler = (irq: number, dev_id: unknown) =>
  | irqreturn_t
  | Generator<
    unknown,
    irqreturn_t,
    unknown
  >;

/** struct irqaction. */
export class IrqAction {
  /** Next action on a shared line. */
  next: IrqAction | null = null;
  /** IRQTF_* bits. */
  thread_flags = 0;
  /**
   * Oneshot bit of this action (`1UL << ffz(...)`, __setup_irq). A bigint
   * because an unsigned long has 64 bits on x86_64 and arm64.
   */
  thread_mask = 0n;
  /** The irq thread (`irq/N-name`), if any. */
  thread: Task | undefined;
  /** Secondary action of a forced-threaded handler that also had a thread_fn. */
  secondary: IrqAction | undefined;
  /** Set by free_irq: the thread exits after its current run. */
  stopping = false;

  /** Create a IrqAction. */
  constructor(
    readonly irq: number,
    public handler: IrqHandler,
    public thread_fn: IrqHandler | null,
    public flags: number,
    readonly name: string,
    readonly dev_id: unknown,
  ) {}
}

/** struct irq_desc. */
export class IrqDesc {
  /** Chip-facing data of the descriptor. */
  readonly irq_data: IrqData;
  /** The flow handler (handle_level_irq, handle_edge_irq...). */
  handle_irq: FlowHandler;
  /** First action, or null when nothing is requested. */
  action: IrqAction | null = null;
  /** IRQ_* settings (status_use_accessors). */
  status = 0;
  /** IRQS_* internal state. */
  istate = 0;
  /** The mask of a deferred affinity change (IRQD_SETAFFINITY_PENDING), CPU ids. */
  pending_mask: number[] = [];
  /** Nested disable depth; a fresh desc starts disabled (kernel/irq/irqdesc.c desc_set_defaults). */
  depth = 1;
  /** Per-CPU delivery counts (kstat_irqs). */
  readonly kstat_irqs: Uint32Array;
  /** Interrupts handled, all CPUs (desc->tot_count). */
  tot_count = 0;
  /** Interrupts counted towards spurious detection. */
  irq_count = 0;
  /** Of those, unhandled ones (IRQ_NONE from every action). */
  irqs_unhandled = 0;
  /** jiffies of the last unhandled interrupt. */
  last_unhandled = 0;
  /** desc->threads_oneshot: oneshot bits of the woken threads (unsigned long, see IrqAction.thread_mask). */
  oneshotMask = 0n;
  /** IRQ threads currently running a handler (synchronize_irq waits for 0). */
  threads_active = 0;
  /** Handled count of threaded handlers (SPURIOUS_DEFERRED accounting). */
  threads_handled = 0;
  /** threads_handled as last seen by note_interrupt(). */
  threads_handled_last = 0;
  /** Flow name printed as `-%-8s` (x86: "edge", "fasteoi"); undefined for most. */
  name: string | undefined;
  /** Parent of a chained handler (not shown in /proc/interrupts). */
  chained = false;
  /** Tasks waiting in synchronize_irq(). */
  readonly waiters: Task[] = [];
  /** spurious file: set when the desc was ever requested. */
  procCreated = false;

  /** Create a IrqDesc. */
  constructor(readonly irq: number, nrCpus: number, flow: FlowHandler) {
    this.irq_data = new IrqData(irq, irq, this);
    this.kstat_irqs = new Uint32Array(nrCpus);
    this.handle_irq = flow;
  }

  /**
   * desc->threads_oneshot as a number, for tests against zero (non-zero
   * exactly when a oneshot thread still holds the line masked).
   */
  get threads_oneshot(): number {
    return Number(this.oneshotMask);
  }

  /** irqd_irq_disabled() */
  get disabled(): boolean {
    return (this.irq_data.state & IRQD_IRQ_DISABLED) !== 0;
  }
  /** irqd_irq_masked() */
  get masked(): boolean {
    return (this.irq_data.state & IRQD_IRQ_MASKED) !== 0;
  }
  /** Sum of per-CPU counts. */
  totalCount(): number {
    let n = 0;
    for (const c of this.kstat_irqs) n += c;
    return n;
  }
  /** Action names as /proc/interrupts lists them. */
  actionNames(): string[] {
    const names: string[] = [];
    for (let a = this.action; a; a = a.next) names.push(a.name);
    return names;
  }
}
