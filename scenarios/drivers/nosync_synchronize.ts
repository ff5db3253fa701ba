/**
 * disable_irq_nosync() and synchronize_irq() (seed notes): nosync disables
 * the line and returns at once, even while a handler of the line is still
 * running; synchronize_irq() then waits until it is done. On a one-CPU
 * machine a hardirq handler always runs to completion before process
 * context runs again, so nothing could be "still running" there; what can
 * be is the irq thread of a threaded handler, which sleeps and is counted
 * by synchronize_irq() (threads_active, kernel/irq/manage.c). So the
 * keyboard observer here is threaded: its thread sleeps 20 ms; module init,
 * woken meanwhile, disables the line without waiting and then waits in
 * synchronize_irq() for the thread to finish.
 *
 * x86 only: IRQ 1 is the i8042 keyboard.
 *
 * @module
 */
import {
  disable_irq_nosync,
  enable_irq,
  free_irq,
  IRQ_HANDLED,
  IRQ_WAKE_THREAD,
  IRQF_SHARED,
  type irqreturn_t,
  jiffies,
  module_exit,
  module_init,
  MODULE_LICENSE,
  msleep,
  pr_info,
  request_threaded_irq,
  synchronize_irq,
} from "../../mod.ts";

const irq = 1, dev = { value: 0 };

function kbd_primary(_irq: number, _dev: unknown): irqreturn_t {
  return IRQ_WAKE_THREAD;
}

function* kbd_thread(_irq: number, _dev: unknown): Generator<unknown, irqreturn_t, unknown> {
  pr_info("kbd_thread: start, jiffies %lu\n", jiffies());
  yield msleep(20);
  pr_info("kbd_thread: done, jiffies %lu\n", jiffies());
  return IRQ_HANDLED;
}

function* my_init() {
  const ret = request_threaded_irq(irq, kbd_primary, kbd_thread, IRQF_SHARED, "kbd_thread", dev);
  if (ret) return ret;
  yield msleep(110); /* a key is pressed at 100 ms: the thread is asleep in its msleep() */
  disable_irq_nosync(irq);
  pr_info("disable_irq_nosync returned, jiffies %lu\n", jiffies());
  yield synchronize_irq(irq);
  pr_info("synchronize_irq returned, jiffies %lu\n", jiffies());
  enable_irq(irq);
  return 0;
}

function my_exit() {
  free_irq(irq, dev);
}

MODULE_LICENSE("GPL");
module_init(my_init);
module_exit(my_exit);
