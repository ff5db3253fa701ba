/**
 * "Saving interrupt state before disabling interrupts" (seed notes), ported
 * line by line, then nested once (a lab addition): the outer
 * local_irq_save() saves flags with IF set (x86 EFLAGS 0x246) and disables
 * interrupts; an inner save finds them already off (0x46) and its restore
 * leaves them off; only the outer restore turns them on again. A plain
 * local_irq_enable() in the inner section would have enabled them too early.
 *
 * @module
 */
import {
  irqs_disabled,
  local_irq_restore,
  local_irq_save,
  mdelay,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  smp_processor_id,
} from "../../mod.ts";

/* lab addition: the nested section */
function* inner() {
  const flags = local_irq_save();
  pr_info("inner flags:%02lx irqs_disabled:%d\n", flags, irqs_disabled() ? 1 : 0);
  yield mdelay(1);
  local_irq_restore(flags);
  pr_info("after inner restore irqs_disabled:%d\n", irqs_disabled() ? 1 : 0);
}

function* my_init() {
  pr_info("module is loaded on processor:%d\n", smp_processor_id());
  const flags = local_irq_save();
  pr_info("flags:%02lx\n", flags);
  yield* inner();
  yield mdelay(10); /* the notes wait 1000 ms */
  local_irq_restore(flags);
  pr_info("after outer restore irqs_disabled:%d\n", irqs_disabled() ? 1 : 0); /* lab addition */
  return 0;
}

function my_exit() {
}

MODULE_LICENSE("GPL");
module_init(my_init);
module_exit(my_exit);
