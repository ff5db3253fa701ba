/**
 * The software IRQ resend of kernel/irq/resend.c (CONFIG_HARDIRQS_SW_RESEND):
 * when enable_irq() must replay an edge interrupt that came while the line
 * was (lazily) disabled and the chip cannot retrigger it in hardware,
 * irq_sw_resend() marks the IRQ in `irqs_resend` and schedules
 * `resend_tasklet`, whose resend_irqs() runs each marked IRQ's flow handler
 * with interrupts off, in softirq context.
 *
 * @module
 */

import { type BodyGenerator, BUSY, callToken } from "../../core/body.ts";
import {
  EINVAL,
  type GenIrq,
  IRQ_NESTED_THREAD,
  IRQD_HANDLE_ENFORCE_IRQCTX,
  type IrqDesc,
} from "../genirq/mod.ts";
import { DECLARE_TASKLET, type tasklet_struct, type Tasklets } from "./tasklet.ts";

/** Install irq_sw_resend() into genirq; returns the resend tasklet. */
export function installSwResend(gi: GenIrq, tl: Tasklets): tasklet_struct {
  const k = tl.kernel;
  /** irqs_resend: the IRQs waiting for a replay. */
  const irqsResend = new Set<number>();

  /** resend_irqs(): replay the marked IRQs, lowest first (find_first_bit). Softirq context. */
  function* resend_irqs(_t: tasklet_struct): BodyGenerator<void> {
    while (irqsResend.size > 0) {
      const irq = Math.min(...irqsResend);
      irqsResend.delete(irq);
      const cpu = k.thisCpu();
      const desc = gi.irq_to_desc(irq);
      if (!desc) continue;
      cpu.irqsDisabled = true; // local_irq_disable()
      const flow = gi.flowBody(cpu, irq); // desc->handle_irq(desc)
      if (flow) yield callToken(flow);
      cpu.irqsDisabled = false; // local_irq_enable()
      if (cpu.intrPending) cpu.poke();
      yield BUSY;
    }
  }
  const resend_tasklet = DECLARE_TASKLET("resend_tasklet", resend_irqs);

  /** irq_sw_resend(desc): 0, or -EINVAL when it cannot be injected from here. */
  gi.swResend = (desc: IrqDesc): number => {
    // handle_enforce_irqctx(): this interrupt must only be handled from a real hardirq
    if (desc.irq_data.state & IRQD_HANDLE_ENFORCE_IRQCTX) return -EINVAL;
    // A nested-thread IRQ would retrigger its parent_irq; no parent is
    // modelled, which is the kernel's "!desc->parent_irq" case.
    if (desc.status & IRQ_NESTED_THREAD) return -EINVAL;
    irqsResend.add(desc.irq);
    tl.tasklet_schedule(resend_tasklet);
    return 0;
  };
  return resend_tasklet;
}
