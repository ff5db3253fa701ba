/**
 * Flow handlers (kernel/irq/chip.c) and the action dispatch of
 * kernel/irq/handle.c, as resumable bodies.
 *
 * A flow handler is split where the kernel calls `handle_irq_event()`:
 * `begin` is everything before (mask/ack, the disabled/in-progress checks,
 * the kstat count), `end` everything after (unmask / EOI, the edge loop).
 * {@linkcode FlowRun} runs begin -> actions -> end on a CPU, letting each
 * handler's time pass in between. FlowRuns are pooled per CPU and nesting
 * level, so the hot path allocates nothing for plain-function handlers.
 *
 * Everything here runs in interrupt context.
 *
 * @module
 */

import { type Body, CALL, DONE, GeneratorBody } from "../../core/body.ts";
import type { Cpu } from "../../core/cpu.ts";
import {
  IRQ_HANDLED,
  IRQ_NONE,
  IRQ_WAKE_THREAD,
  IRQCHIP_EOI_IF_HANDLED,
  IRQCHIP_EOI_THREADED,
  IRQD_IRQ_INPROGRESS,
  IRQD_WAKEUP_ARMED,
  IRQS_ONESHOT,
  IRQS_PENDING,
  IRQS_REPLAY,
  IRQS_WAITING,
} from "./constants.ts";
import type { IrqAction, IrqDesc } from "./desc.ts";
import type { GenIrq } from "./genirq.ts";

/** A flow handler split at handle_irq_event(). */
export interface FlowHandler {
  /** Kernel function name (`handle_level_irq`). */
  readonly name: string;
  /** Before the actions. Returns true to run them. */
  begin(gi: GenIrq, desc: IrqDesc, cpu: Cpu): boolean;
  /** After the actions. Returns true to run them again (the edge loop). */
  end(gi: GenIrq, desc: IrqDesc, cpu: Cpu): boolean;
  /** Per-CPU flows dispatch without the INPROGRESS bookkeeping. */
  readonly percpu?: boolean;
}

// ---- chip helpers (kernel/irq/chip.c) ----

/** mask_irq(): no-op when already masked. */
export function mask_irq(desc: IrqDesc): void {
  if (desc.masked) return;
  const chip = desc.irq_data.chip;
  if (chip.irq_mask) {
    chip.irq_mask(desc.irq_data);
    desc.irq_data.state |= 1 << 17; // IRQD_IRQ_MASKED
  }
}

/** unmask_irq(): no-op when not masked. */
export function unmask_irq(desc: IrqDesc): void {
  if (!desc.masked) return;
  const chip = desc.irq_data.chip;
  if (chip.irq_unmask) {
    chip.irq_unmask(desc.irq_data);
    desc.irq_data.state &= ~(1 << 17);
  }
}

/** mask_ack_irq(): irq_mask_ack if the chip has it, else mask then ack. */
export function mask_ack_irq(desc: IrqDesc): void {
  const chip = desc.irq_data.chip;
  if (chip.irq_mask_ack) {
    chip.irq_mask_ack(desc.irq_data);
    desc.irq_data.state |= 1 << 17;
  } else {
    mask_irq(desc);
    chip.irq_ack?.(desc.irq_data);
  }
}

/** irq_may_run(): not while in progress or armed for wakeup. */
function irq_may_run(desc: IrqDesc): boolean {
  return (desc.irq_data.state & (IRQD_IRQ_INPROGRESS | IRQD_WAKEUP_ARMED)) === 0;
}

function kstat_incr(desc: IrqDesc, cpu: Cpu): void {
  desc.kstat_irqs[cpu.id]++;
  desc.tot_count++;
}

/**
 * cond_unmask_irq(): unmask unless disabled or a oneshot thread is pending
 * (threads_oneshot tested as the bigint itself: no Number() per interrupt).
 */
function cond_unmask_irq(desc: IrqDesc): void {
  if (!desc.disabled && desc.masked && desc.oneshotMask === 0n) unmask_irq(desc);
}

/** handle_level_irq (kernel/irq/chip.c). */
export const handle_level_irq: FlowHandler = {
  name: "handle_level_irq",
  begin(_gi, desc, cpu) {
    mask_ack_irq(desc);
    if (!irq_may_run(desc)) return false;
    desc.istate &= ~(IRQS_REPLAY | IRQS_WAITING);
    if (!desc.action || desc.disabled) {
      desc.istate |= IRQS_PENDING;
      return false;
    }
    kstat_incr(desc, cpu);
    return true;
  },
  end(_gi, desc) {
    cond_unmask_irq(desc);
    return false;
  },
};

/** handle_edge_irq (kernel/irq/chip.c), with its loop while IRQS_PENDING. */
export const handle_edge_irq: FlowHandler = {
  name: "handle_edge_irq",
  begin(_gi, desc, cpu) {
    desc.istate &= ~(IRQS_REPLAY | IRQS_WAITING);
    if (!irq_may_run(desc)) {
      desc.istate |= IRQS_PENDING;
      mask_ack_irq(desc);
      return false;
    }
    if (desc.disabled || !desc.action) {
      desc.istate |= IRQS_PENDING;
      mask_ack_irq(desc);
      return false;
    }
    kstat_incr(desc, cpu);
    desc.irq_data.chip.irq_ack?.(desc.irq_data);
    return edgeLoopTop(desc);
  },
  end(_gi, desc) {
    if ((desc.istate & IRQS_PENDING) && !desc.disabled) return edgeLoopTop(desc);
    return false;
  },
};

function edgeLoopTop(desc: IrqDesc): boolean {
  if (!desc.action) {
    mask_irq(desc);
    return false;
  }
  // When another irq arrived while we were handling one, we could have
  // masked the irq; reenable it if it was not disabled in the meantime.
  if ((desc.istate & IRQS_PENDING) && !desc.disabled && desc.masked) unmask_irq(desc);
  return true;
}

/** handle_fasteoi_irq (kernel/irq/chip.c). */
export const handle_fasteoi_irq: FlowHandler = {
  name: "handle_fasteoi_irq",
  begin(gi, desc, cpu) {
    const chip = desc.irq_data.chip;
    if (!irq_may_run(desc)) {
      if (gi.kernelVersion === "6.6") desc.istate |= IRQS_PENDING; // RESEND_WHEN_IN_PROGRESS
      if (!(chip.flags! & IRQCHIP_EOI_IF_HANDLED)) chip.irq_eoi?.(desc.irq_data);
      return false;
    }
    desc.istate &= ~(IRQS_REPLAY | IRQS_WAITING);
    if (!desc.action || desc.disabled) {
      desc.istate |= IRQS_PENDING;
      mask_irq(desc);
      if (!(chip.flags! & IRQCHIP_EOI_IF_HANDLED)) chip.irq_eoi?.(desc.irq_data);
      return false;
    }
    kstat_incr(desc, cpu);
    if (desc.istate & IRQS_ONESHOT) mask_irq(desc);
    return true;
  },
  end(gi, desc) {
    const chip = desc.irq_data.chip;
    // cond_unmask_eoi_irq()
    if (!(desc.istate & IRQS_ONESHOT)) {
      chip.irq_eoi?.(desc.irq_data);
    } else if (!desc.disabled && desc.masked && desc.oneshotMask === 0n) {
      chip.irq_eoi?.(desc.irq_data);
      unmask_irq(desc);
    } else if (!((chip.flags ?? 0) & IRQCHIP_EOI_THREADED)) {
      chip.irq_eoi?.(desc.irq_data);
    }
    if (gi.kernelVersion === "6.6" && (desc.istate & IRQS_PENDING)) {
      gi.check_irq_resend(desc, false);
    }
    return false;
  },
};

/** handle_simple_irq (kernel/irq/chip.c): no chip calls. */
export const handle_simple_irq: FlowHandler = {
  name: "handle_simple_irq",
  begin(_gi, desc, cpu) {
    if (!irq_may_run(desc)) return false;
    desc.istate &= ~(IRQS_REPLAY | IRQS_WAITING);
    if (!desc.action || desc.disabled) {
      desc.istate |= IRQS_PENDING;
      return false;
    }
    kstat_incr(desc, cpu);
    return true;
  },
  end() {
    return false;
  },
};

/** handle_percpu_irq (kernel/irq/chip.c): ack, actions, eoi; no in-progress state. */
export const handle_percpu_irq: FlowHandler = {
  name: "handle_percpu_irq",
  percpu: true,
  begin(_gi, desc, cpu) {
    desc.kstat_irqs[cpu.id]++; // __kstat_incr_irqs_this_cpu: no tot_count
    desc.irq_data.chip.irq_ack?.(desc.irq_data);
    return true;
  },
  end(_gi, desc) {
    desc.irq_data.chip.irq_eoi?.(desc.irq_data);
    return false;
  },
};

/** handle_bad_irq (kernel/irq/handle.c): count, print, ack_bad_irq. */
export const handle_bad_irq: FlowHandler = {
  name: "handle_bad_irq",
  begin(gi, desc, cpu) {
    kstat_incr(desc, cpu);
    gi.ackBadIrq(desc.irq);
    return false;
  },
  end() {
    return false;
  },
};

const START = 0, ACTION = 1, ACTION_EXIT = 2, END = 3;

/** Runs one flow handler invocation on a CPU (pooled; see GenIrq.flowBody). */
export class FlowRun implements Body {
  readonly label = "flow";
  /** The descriptor being handled. */
  desc!: IrqDesc;
  #phase = START;
  #action: IrqAction | null = null;
  #ret = 0;
  #res = 0;
  #generator = false;

  /** Create a FlowRun. */
  constructor(readonly gi: GenIrq, readonly cpu: Cpu) {}

  /**
   * What this runs, for dump_stack(): the flow handler, handle_irq_event()
   * and __handle_irq_event_percpu() with the action's handler while one runs
   * (handle_irq_event_percpu() is inlined in 6.1 x86 builds).
   */
  symbols(): readonly string[] {
    const a = this.#action;
    if (!a || (this.#phase !== ACTION && this.#phase !== ACTION_EXIT)) {
      return [this.desc.handle_irq.name];
    }
    return [
      this.desc.handle_irq.name,
      "handle_irq_event",
      "__handle_irq_event_percpu",
      a.handler.name || a.name,
    ];
  }

  /** Prepare to run `desc`'s flow handler. */
  reset(desc: IrqDesc): this {
    this.desc = desc;
    this.#phase = START;
    this.#action = null;
    this.#ret = 0;
    return this;
  }

  /** Run the flow: begin, each action, end; see Body.step. */
  step(cpu: Cpu): number {
    const desc = this.desc, gi = this.gi, flow = desc.handle_irq;
    for (;;) {
      switch (this.#phase) {
        case START:
          if (!flow.begin(gi, desc, cpu)) return this.#finish();
          this.#startEvent();
          continue;
        case ACTION: {
          const a = this.#action;
          if (!a) {
            this.#phase = END;
            continue;
          }
          if (gi.trace.enabled) gi.traceHandlerEntry(desc.irq, a.name, cpu);
          const r = a.handler(desc.irq, a.dev_id);
          this.#phase = ACTION_EXIT;
          if (typeof r === "number") {
            this.#res = r;
            this.#generator = false;
            const cost = (a.handler as { cost_ns?: number }).cost_ns;
            return cost ?? gi.costs.handler_ns;
          }
          this.#generator = true;
          cpu.callee = new GeneratorBody(r as Generator<never, number, unknown>, a.name);
          return CALL;
        }
        case ACTION_EXIT: {
          const a = this.#action!;
          const res = this.#generator ? cpu.retval : this.#res;
          if (gi.trace.enabled) gi.traceHandlerExit(desc.irq, res, cpu);
          if (!cpu.irqsDisabled) {
            gi.warnHandlerEnabledIrqs(desc.irq, a);
            cpu.irqsDisabled = true;
          }
          // switch (res) { case IRQ_WAKE_THREAD: ... } — only the exact value
          // wakes the thread (kernel/irq/handle.c __handle_irq_event_percpu)
          if (res === IRQ_WAKE_THREAD) {
            if (!a.thread_fn) gi.warnNoThread(desc.irq, a);
            else gi.wakeThread(desc, a);
          }
          this.#ret |= res;
          this.#action = a.next;
          this.#phase = ACTION;
          continue;
        }
        case END: {
          // handle_irq_event(): note_interrupt() runs inside
          // handle_irq_event_percpu(), before IRQD_IRQ_INPROGRESS is cleared
          gi.noteInterrupt(desc, this.#ret);
          if (!flow.percpu) desc.irq_data.state &= ~IRQD_IRQ_INPROGRESS;
          if (flow.end(gi, desc, cpu)) {
            this.#startEvent();
            continue;
          }
          gi.hardirqDone(desc);
          return this.#finish();
        }
      }
    }
  }

  /** handle_irq_event(): clear PENDING, mark in progress, start at the first action. */
  #startEvent(): void {
    const desc = this.desc;
    if (!desc.handle_irq.percpu) {
      desc.istate &= ~IRQS_PENDING;
      desc.irq_data.state |= IRQD_IRQ_INPROGRESS;
    }
    this.#ret = IRQ_NONE;
    this.#action = desc.action;
    this.#phase = ACTION;
  }

  #finish(): number {
    this.gi.releaseFlow(this.cpu);
    return DONE;
  }
}

export { IRQ_HANDLED };
