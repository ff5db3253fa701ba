/**
 * "Some debugging: printing the call stack" (seed notes), ported line by
 * line: an observer on the mouse line (IRQ 12) calls dump_stack() in its
 * handler. The trace shows the handler on the IRQ stack under the generic
 * IRQ layer and the x86 entry code, above the interrupted task.
 *
 * @module
 */
import {
  dump_stack,
  free_irq,
  IRQ_NONE,
  IRQF_SHARED,
  type irqreturn_t,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  pr_info,
  request_irq,
  synchronize_irq,
} from "../../mod.ts";

const SHARED_IRQ = 12;
const irq = module_param("irq", SHARED_IRQ), my_dev_id = { value: 0 };
const irq_counter = 0;

function my_interrupt(_irq: number, _dev_id: unknown): irqreturn_t {
  dump_stack();
  return IRQ_NONE; /* we return IRQ_NONE because we are just observing */
}

function my_init(): number {
  if (request_irq(irq, my_interrupt, IRQF_SHARED, "my_interrupt", my_dev_id)) {
    pr_info("Failed to reserve irq %d\n", irq);
    return -1;
  }
  pr_info("Successfully loading ISR handler\n");
  return 0;
}

function* my_exit() {
  yield synchronize_irq(irq);
  free_irq(irq, my_dev_id);
  pr_info("Successfully unloading,  irq_counter = %d\n", irq_counter);
}

MODULE_LICENSE("GPL");
module_init(my_init);
module_exit(my_exit);
