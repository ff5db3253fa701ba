/**
 * "Can we use current macro inside interrupt handler?" (seed notes), ported
 * line by line: an observer on the mouse line prints current->pid and
 * current->comm. `current` is whatever task the interrupt interrupted: the
 * idle task swapper/0 (pid 0) when the CPU was idle, the user program when
 * it was running.
 *
 * @module
 */
import {
  current,
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
let irq_counter = 0;
const irq = module_param("irq", SHARED_IRQ), my_dev_id = { value: 0 };

function my_interrupt(_irq: number, _dev_id: unknown): irqreturn_t {
  irq_counter++;
  pr_info("In the ISR: counter = %d\n", irq_counter);
  pr_info("current pid : %d , current process : %s\n", current().pid, current().comm);
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
