/**
 * "How to find out if we are in an interrupt context?" (seed notes),
 * ported line by line: alloc_mem() asks in_interrupt() and allocates with
 * GFP_ATOMIC in interrupt context, GFP_KERNEL in process context. The
 * module parameter `always_gfp_kernel` (a lab addition) skips the check and
 * always uses GFP_KERNEL, to show what the check prevents: might_alloc()
 * reports "BUG: sleeping function called from invalid context".
 *
 * @module
 */
import {
  free_irq,
  GFP_ATOMIC,
  GFP_KERNEL,
  in_interrupt,
  IRQ_NONE,
  IRQF_SHARED,
  type irqreturn_t,
  kfree,
  kmalloc,
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
const always_gfp_kernel = module_param("always_gfp_kernel", false); /* lab addition */

function alloc_mem(size: number) {
  // depending on the value of in_Interrupt()
  // we can allocate memory or not.
  if (in_interrupt() && !always_gfp_kernel) {
    pr_info("alloc_mem: in interrupt context, GFP_ATOMIC\n"); /* lab addition */
    return kmalloc(size, GFP_ATOMIC); // iGFP_ATOMIC n case of interrupt context
  } else {
    pr_info("alloc_mem: GFP_KERNEL\n"); /* lab addition */
    return kmalloc(size, GFP_KERNEL); // GFP_KERNEL in case of process context
  }
}

function my_interrupt(_irq: number, _dev_id: unknown): irqreturn_t {
  const mem = alloc_mem(1024);
  kfree(mem);
  return IRQ_NONE; /* we return IRQ_NONE because we are just observing */
}

function my_init(): number {
  const mem = alloc_mem(1024);
  kfree(mem);
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
