/**
 * The top half / bottom half split of the keyboard observer: the hardirq
 * handler (sharing IRQ 1 with i8042) only reads the scancode and schedules
 * a tasklet; the tasklet decodes and logs it in softirq context, at the
 * same interrupt's irq_exit.
 *
 * x86 only: it uses inb() on port 0x60.
 *
 * @module
 */
import {
  current,
  free_irq,
  from_tasklet,
  inb,
  IRQ_NONE,
  IRQF_SHARED,
  type irqreturn_t,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  request_irq,
  synchronize_irq,
  tasklet_kill,
  tasklet_schedule,
  tasklet_setup,
  tasklet_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

const KBD_DATA_REG = 0x60;
const KBD_SCANCODE_MASK = 0x7f;
const KBD_STATUS_MASK = 0x80;
/* scan codes of set 1 for the letters a-z */
const letters: Record<number, string> = {
  0x1e: "a",
  0x30: "b",
  0x2e: "c",
  0x20: "d",
  0x12: "e",
  0x21: "f",
  0x22: "g",
  0x23: "h",
  0x17: "i",
  0x24: "j",
  0x25: "k",
  0x26: "l",
  0x32: "m",
  0x31: "n",
  0x18: "o",
  0x19: "p",
  0x10: "q",
  0x13: "r",
  0x1f: "s",
  0x14: "t",
  0x16: "u",
  0x2f: "v",
  0x11: "w",
  0x2d: "x",
  0x15: "y",
  0x2c: "z",
};

class KbdDev {
  scancode = 0;
  tasklet = new tasklet_struct(this);
}
const dev = new KbdDev();

function kbd_tasklet(t: tasklet_struct): void {
  const d = from_tasklet<KbdDev>(t, "tasklet");
  pr_info(
    "tasklet: Character %s %s (in %s)\n",
    letters[d.scancode & KBD_SCANCODE_MASK] ?? "?",
    d.scancode & KBD_STATUS_MASK ? "Released" : "Pressed",
    current().comm,
  );
}

function kbd_handler(_irq: number, _dev: unknown): irqreturn_t {
  dev.scancode = inb(KBD_DATA_REG);
  tasklet_schedule(dev.tasklet);
  return IRQ_NONE;
}

function kbd_init(): number {
  tasklet_setup(dev.tasklet, kbd_tasklet);
  return request_irq(1, kbd_handler, IRQF_SHARED, "kbd_tasklet", dev);
}

function* kbd_exit() {
  yield synchronize_irq(1);
  free_irq(1, dev);
  yield tasklet_kill(dev.tasklet);
}

module_init(kbd_init);
module_exit(kbd_exit);
