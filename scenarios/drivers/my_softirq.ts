/**
 * The classic "add your own softirq" experiment: a module adds MY_SOFTIRQ
 * to the softirq enum just before RCU_SOFTIRQ (as patching
 * include/linux/interrupt.h would), opens it, and raises it from a handler
 * sharing IRQ 1 with i8042. Each keyboard interrupt runs the action once at
 * irq_exit, and /proc/softirqs gets a "MY" row counting the executions.
 *
 * @module
 */
import {
  current,
  free_irq,
  in_serving_softirq,
  IRQ_NONE,
  IRQF_SHARED,
  type irqreturn_t,
  module_exit,
  module_init,
  MODULE_LICENSE,
  open_softirq,
  pr_info,
  raise_softirq,
  RCU_SOFTIRQ,
  request_irq,
  softirq_register_vector,
  synchronize_irq,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

const dev = { id: 0x4d59 };
let MY_SOFTIRQ = -1;
let runs = 0;

function my_softirq_action(): void {
  runs++;
  pr_info(
    "my_softirq: run %d on %s in_serving_softirq=%d\n",
    runs,
    current().comm,
    Number(in_serving_softirq()),
  );
}

function my_handler(_irq: number, _dev: unknown): irqreturn_t {
  raise_softirq(MY_SOFTIRQ); // in hardirq: only sets the bit; irq_exit runs it
  return IRQ_NONE;
}

function my_init(): number {
  MY_SOFTIRQ = softirq_register_vector("MY", RCU_SOFTIRQ);
  open_softirq(MY_SOFTIRQ, my_softirq_action);
  pr_info("my_softirq: MY_SOFTIRQ is vector %d\n", MY_SOFTIRQ);
  return request_irq(1, my_handler, IRQF_SHARED, "my_softirq", dev);
}

function* my_exit() {
  yield synchronize_irq(1);
  free_irq(1, dev);
  pr_info("my_softirq: %d runs\n", runs);
}

module_init(my_init);
module_exit(my_exit);
