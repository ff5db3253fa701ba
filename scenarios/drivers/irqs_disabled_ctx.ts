/**
 * "irqs_disabled()" (seed notes), ported line by line, plus (lab addition)
 * the same check from a hardirq handler on the keyboard line: the CPU
 * entered the handler with interrupts off (genirq runs handlers with IRQs
 * disabled, kernel/irq/handle.c warns if one enables them).
 *
 * x86 only: the observer is on the i8042's IRQ 1.
 *
 * @module
 */
import {
  free_irq,
  IRQ_NONE,
  IRQF_SHARED,
  type irqreturn_t,
  irqs_disabled,
  local_irq_disable,
  local_irq_enable,
  mdelay,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  request_irq,
  smp_processor_id,
} from "../../mod.ts";

const dev = { value: 0 };

function is_irq_disabled(): void {
  if (irqs_disabled()) {
    pr_info("IRQ Disabled\n");
  } else {
    pr_info("IRQ Enabled\n");
  }
}

/* lab addition */
function kbd_observer(_irq: number, _dev: unknown): irqreturn_t {
  pr_info("in the keyboard handler:\n");
  is_irq_disabled();
  return IRQ_NONE;
}

function* my_init() {
  pr_info("module is loaded on processor:%d\n", smp_processor_id());
  local_irq_disable();
  is_irq_disabled();
  yield mdelay(10); /* the notes wait 10000 ms */
  local_irq_enable();
  is_irq_disabled();
  return request_irq(1, kbd_observer, IRQF_SHARED, "kbd_observer", dev); /* lab addition */
}

function my_exit() {
  free_irq(1, dev); /* lab addition */
}

MODULE_LICENSE("GPL");
module_init(my_init);
module_exit(my_exit);
