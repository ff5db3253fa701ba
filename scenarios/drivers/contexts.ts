/**
 * What in_interrupt(), in_softirq() and irqs_disabled() say in each
 * context: a threaded handler shares the keyboard's interrupt (found with
 * role_irq("keyboard"): IRQ 1, the i8042's, on a PC; the dwc_otg USB host's
 * on a Pi); on the first interrupt its primary handler (hardirq) raises
 * MY_SOFTIRQ, schedules a tasklet and a work item and returns
 * IRQ_WAKE_THREAD. TASKLET_SOFTIRQ (6) runs before MY_SOFTIRQ (9) at
 * irq_exit, then the irq thread (SCHED_FIFO 50) and the kworker (nice 0).
 *
 * @module
 */
import {
  cancel_work_sync,
  current,
  DECLARE_TASKLET,
  free_irq,
  in_interrupt,
  in_softirq,
  INIT_WORK,
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
  role_irq,
  schedule_work,
  softirq_register_vector,
  synchronize_irq,
  tasklet_kill,
  tasklet_schedule,
  work_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

const dev = { id: 0x4358 };
let MY_SOFTIRQ = -1;
let first = true;

function say(where: string): void {
  pr_info(
    "contexts: %s: in_interrupt=%d in_softirq=%d irqs_disabled=%d (%s)\n",
    where,
    Number(in_interrupt()),
    Number(in_softirq()),
    Number(irqs_disabled()),
    current().comm,
  );
}

const my_tasklet = DECLARE_TASKLET("contexts_tasklet", () => say("tasklet"));
const my_work = new work_struct();
let irq = -1;

function primary(_irq: number, _dev: unknown): irqreturn_t {
  if (!first) return IRQ_NONE;
  first = false;
  say("hardirq");
  raise_softirq(MY_SOFTIRQ);
  tasklet_schedule(my_tasklet);
  schedule_work(my_work);
  return IRQ_WAKE_THREAD;
}

function thread_fn(_irq: number, _dev: unknown): irqreturn_t {
  say("thread");
  return IRQ_HANDLED;
}

function contexts_init(): number {
  MY_SOFTIRQ = softirq_register_vector("MY", RCU_SOFTIRQ);
  open_softirq(MY_SOFTIRQ, () => say("softirq"));
  INIT_WORK(my_work, () => say("work"));
  irq = role_irq("keyboard");
  if (irq < 0) return irq;
  return request_threaded_irq(irq, primary, thread_fn, IRQF_SHARED, "contexts", dev);
}

function* contexts_exit() {
  yield synchronize_irq(irq);
  free_irq(irq, dev);
  yield tasklet_kill(my_tasklet);
  yield cancel_work_sync(my_work);
}

module_init(contexts_init);
module_exit(contexts_exit);
