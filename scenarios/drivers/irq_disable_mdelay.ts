/**
 * "Why do we need to disable interrupts?" (seed notes), ported line by
 * line: module init disables local interrupts, busy-waits with mdelay() and
 * enables them again. The notes wait 10 s; this port waits 100 ms (a
 * scenario stays short) and, to make the late delivery visible, adds a
 * keyboard observer on IRQ 1 that prints jiffies when it finally runs, and
 * prints jiffies around the delay (lab additions, marked).
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
  jiffies,
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

/* lab addition: who runs late */
function kbd_observer(_irq: number, _dev: unknown): irqreturn_t {
  pr_info("keyboard interrupt handled, jiffies = %lu\n", jiffies());
  return IRQ_NONE;
}

function* my_init() {
  request_irq(1, kbd_observer, IRQF_SHARED, "kbd_observer", dev); /* lab addition */
  pr_info("module is loaded on processor:%d\n", smp_processor_id());
  local_irq_disable();
  pr_info("interrupts disabled on processor:%d\n", smp_processor_id());
  pr_info("jiffies before mdelay = %lu\n", jiffies()); /* lab addition */
  yield mdelay(100);
  pr_info("jiffies after mdelay = %lu\n", jiffies()); /* lab addition */
  local_irq_enable();
  return 0;
}

function my_exit() {
  free_irq(1, dev); /* lab addition */
}

MODULE_LICENSE("GPL");
module_init(my_init);
module_exit(my_exit);
