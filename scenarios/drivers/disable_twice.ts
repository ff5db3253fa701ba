/**
 * "What happens if I call disable_irq twice and enable_irq once?" (seed
 * notes): disable_irq() nests (desc->depth). After two disables and one
 * enable the keyboard line stays disabled (depth 1): a key typed then is
 * not handled — not by the i8042 driver, not by this observer. The second
 * enable_irq() brings depth to 0, unmasks the line and replays the
 * interrupt left pending (IRQS_PENDING, check_irq_resend()). A third
 * enable_irq() is unbalanced: __enable_irq() warns "Unbalanced enable for
 * IRQ 1" (kernel/irq/manage.c).
 *
 * x86 only: IRQ 1 is the i8042 keyboard.
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

const irq = 1, dev = { value: 0 };

function kbd_observer(_irq: number, _dev: unknown): irqreturn_t {
  pr_info("keyboard interrupt handled\n");
  return IRQ_NONE;
}

function* my_init() {
  const ret = request_irq(irq, kbd_observer, IRQF_SHARED, "kbd_observer", dev);
  if (ret) return ret;
  yield disable_irq(irq);
  yield disable_irq(irq);
  enable_irq(irq);
  pr_info("disabled twice, enabled once: line still disabled\n");
  yield msleep(200); /* a key is typed meanwhile */
  pr_info("second enable_irq\n");
  enable_irq(irq);
  yield msleep(20);
  pr_info("third enable_irq\n");
  enable_irq(irq);
  return 0;
}

function my_exit() {
  free_irq(irq, dev);
}

MODULE_LICENSE("GPL");
module_init(my_init);
module_exit(my_exit);
