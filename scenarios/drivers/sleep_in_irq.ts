/**
 * "What happens if we sleep() in the interrupt handler?" (seed notes: "It
 * will crash"): an observer on the keyboard line calls msleep() in its
 * hardirq handler. schedule() from hardirq context is the kernel's
 * "BUG: scheduling while atomic" (kernel/sched/core.c __schedule_bug).
 *
 * @module
 */
import {
  free_irq,
  IRQ_NONE,
  IRQF_SHARED,
  type irqreturn_t,
  module_exit,
  module_init,
  MODULE_LICENSE,
  msleep,
  pr_info,
  request_irq,
} from "../../mod.ts";

const irq = 1, dev = { value: 0 };

function* sleepy_handler(_irq: number, _dev: unknown): Generator<unknown, irqreturn_t, unknown> {
  pr_info("sleepy_handler: going to sleep in hardirq context\n");
  yield msleep(10);
  return IRQ_NONE;
}

function my_init(): number {
  return request_irq(irq, sleepy_handler, IRQF_SHARED, "sleepy", dev);
}

function my_exit() {
  free_irq(irq, dev);
}

MODULE_LICENSE("GPL");
module_init(my_init);
module_exit(my_exit);
