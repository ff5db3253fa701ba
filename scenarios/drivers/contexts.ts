/**
 * What in_interrupt(), in_softirq() and irqs_disabled() say in each
 * context: a threaded handler shares IRQ 1 with i8042; on the first
 * keyboard interrupt its primary handler (hardirq) raises MY_SOFTIRQ,
 * schedules a tasklet and returns IRQ_WAKE_THREAD. TASKLET_SOFTIRQ (6)
 * runs before MY_SOFTIRQ (9) at irq_exit, then the irq thread runs.
 *
 * @module
 */
import {
  current,
  DECLARE_TASKLET,
  free_irq,
  in_interrupt,
  in_softirq,
  IRQ_HANDLED,
  IRQ_NONE,
  IRQ_WAKE_THREAD,
  IRQF_SHARED,
  type irqreturn_t,
  irqs_disabled,
  module_exit,
  module_init,
  MODULE_LICENSE,
  open_softirq,
  pr_info,
  raise_softirq,
  RCU_SOFTIRQ,
  request_threaded_irq,
  softirq_register_vector,
  synchronize_irq,
  tasklet_kill,
  tasklet_schedule,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

const dev = { id: 0x4358 };
let MY_SOFTIRQ = -1;
let first = true;

function say(where: string): void {
  pr_info(
    "contexts: %s (%s): in_interrupt=%d in_softirq=%d irqs_disabled=%d\n",
    where,
    current().comm,
    Number(in_interrupt()),
    Number(in_softirq()),
    Number(irqs_disabled()),
  );
}

const my_tasklet = DECLARE_TASKLET("contexts_tasklet", () => say("tasklet"));

function primary(_irq: number, _dev: unknown): irqreturn_t {
  if (!first) return IRQ_NONE;
  first = false;
  say("hardirq");
  raise_softirq(MY_SOFTIRQ);
  tasklet_schedule(my_tasklet);
  return IRQ_WAKE_THREAD;
}

function thread_fn(_irq: number, _dev: unknown): irqreturn_t {
  say("thread");
  return IRQ_HANDLED;
}

function contexts_init(): number {
  MY_SOFTIRQ = softirq_register_vector("MY", RCU_SOFTIRQ);
  open_softirq(MY_SOFTIRQ, () => say("softirq"));
  return request_threaded_irq(1, primary, thread_fn, IRQF_SHARED, "contexts", dev);
}

function* contexts_exit() {
  yield synchronize_irq(1);
  free_irq(1, dev);
  yield tasklet_kill(my_tasklet);
}

module_init(contexts_init);
module_exit(contexts_exit);
