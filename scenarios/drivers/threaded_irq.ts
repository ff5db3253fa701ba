/**
 * The threaded-IRQ modules of the seed notes ("Threaded IRQs",
 * "Why is the threaded handler not being executed...", "printing call trace
 * in threaded irqs", "Printing PID and process name"), ported line by line
 * into one module with a `variant` parameter (the notes' IRQ 19 is a PCI
 * NIC; pc.yaml has none, so the irq parameter is the mouse line, 12):
 *
 * - `none`: the primary handler returns IRQ_NONE, so the thread created for
 *   thread_fn never runs — only IRQ_WAKE_THREAD wakes it
 *   (kernel/irq/handle.c __handle_irq_event_percpu);
 * - `handled` (lab addition): IRQ_HANDLED does not wake it either;
 * - `wake`: the primary returns IRQ_WAKE_THREAD and print_context() shows
 *   interrupt context there and process context in the thread, whose
 *   current is the irq thread `irq/12-my_interrupt`;
 * - `dump`: the thread function calls dump_stack(): a task stack (irq_thread,
 *   kthread), no <IRQ> section.
 *
 * @module
 */
import {
  current,
  dump_stack,
  free_irq,
  in_interrupt,
  IRQ_HANDLED,
  IRQ_NONE,
  IRQ_WAKE_THREAD,
  IRQF_SHARED,
  type irqreturn_t,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  pr_info,
  request_threaded_irq,
  synchronize_irq,
} from "../../mod.ts";

const SHARED_IRQ = 12;
const irq = module_param("irq", SHARED_IRQ), my_dev_id = { value: 0 };
const irq_counter = 0;
const variant: string = module_param<string>(
  "variant",
  "none",
); /* lab: which of the notes' modules */

function print_context(): void {
  if (in_interrupt()) {
    pr_info("Code is running in interrupt context\n");
  } else {
    pr_info("Code is running in process context\n");
  }
}

function my_interrupt(_irq: number, _dev_id: unknown): irqreturn_t {
  pr_info("%s\n", "my_interrupt");
  if (variant === "none") return IRQ_NONE;
  if (variant === "handled") return IRQ_HANDLED; /* lab: the same with IRQ_HANDLED */
  if (variant === "wake") print_context();
  return IRQ_WAKE_THREAD;
}

function my_threaded_interrupt(_irq: number, _dev_id: unknown): irqreturn_t {
  if (variant === "dump") {
    dump_stack();
    return IRQ_NONE;
  }
  pr_info("%s\n", "my_threaded_interrupt");
  print_context();
  pr_info("current pid : %d , current process : %s\n", current().pid, current().comm);
  return IRQ_NONE;
}

function my_init(): number {
  const ret = request_threaded_irq(
    irq,
    my_interrupt,
    my_threaded_interrupt,
    IRQF_SHARED,
    "my_interrupt",
    my_dev_id,
  );
  if (ret !== 0) {
    pr_info("Failed to reserve irq %d, ret:%d\n", irq, ret);
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
