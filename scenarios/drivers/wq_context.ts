/**
 * The classic top half / bottom half split: the keyboard handler (sharing
 * IRQ 1 with i8042) reads the scancode and queues a work item; the work item
 * runs later in a kworker. Both print what in_interrupt(), in_softirq() and
 * irqs_disabled() say there.
 *
 * @module
 */
import {
  cancel_work_sync,
  current,
  DECLARE_WORK,
  free_irq,
  in_interrupt,
  in_softirq,
  inb,
  IRQ_NONE,
  IRQF_SHARED,
  irqs_disabled,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  request_irq,
  schedule_work,
  synchronize_irq,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const dev = { id: 0xb1 };
let last_scancode = 0;

function where(): string {
  return `in_interrupt()=${+in_interrupt()} in_softirq()=${+in_softirq()} irqs_disabled()=${+irqs_disabled()}`;
}

const bh_work = DECLARE_WORK(function kbd_bottom_half() {
  pr_info("bottom half: scancode 0x%02x, %s, in %s\n", last_scancode, where(), current().comm);
});

function kbd_top_half(_irq: number, _dev: unknown) {
  last_scancode = inb(0x60);
  if (!(last_scancode & 0x80)) {
    pr_info("top half: %s, schedule_work %d\n", where(), schedule_work(bh_work));
  }
  return IRQ_NONE;
}

function ctx_init() {
  return request_irq(1, kbd_top_half, IRQF_SHARED, "my_kbd_bh", dev);
}

function* ctx_exit() {
  yield synchronize_irq(1);
  free_irq(1, dev);
  yield cancel_work_sync(bh_work);
}

module_init(ctx_init);
module_exit(ctx_exit);
