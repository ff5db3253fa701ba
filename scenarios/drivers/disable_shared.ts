/**
 * "What happens if I disable an interrupt line shared among multiple
 * interrupt handlers?" (seed notes): two observers share the mouse line
 * (IRQ 12) with the i8042 driver. disable_irq(12) disables the line, not a
 * handler: while it is disabled no handler of the line runs, the i8042's
 * own included; enable_irq() replays the pending interrupt and all three
 * run again.
 *
 * x86 only: IRQ 12 is the i8042 AUX port.
 *
 * @module
 */
import {
  disable_irq,
  enable_irq,
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

const irq = 12, dev_a = { value: 0xa }, dev_b = { value: 0xb };

function observer_a(_irq: number, _dev: unknown): irqreturn_t {
  pr_info("observer_a: irq %d\n", _irq);
  return IRQ_NONE;
}

function observer_b(_irq: number, _dev: unknown): irqreturn_t {
  pr_info("observer_b: irq %d\n", _irq);
  return IRQ_NONE;
}

function* my_init() {
  if (request_irq(irq, observer_a, IRQF_SHARED, "observer_a", dev_a)) return -1;
  if (request_irq(irq, observer_b, IRQF_SHARED, "observer_b", dev_b)) return -1;
  yield msleep(50);
  pr_info("disable_irq(%d)\n", irq);
  yield disable_irq(irq);
  yield msleep(100); /* the mouse moves meanwhile */
  pr_info("enable_irq(%d)\n", irq);
  enable_irq(irq);
  return 0;
}

function my_exit() {
  free_irq(irq, dev_b);
  free_irq(irq, dev_a);
}

MODULE_LICENSE("GPL");
module_init(my_init);
module_exit(my_exit);
