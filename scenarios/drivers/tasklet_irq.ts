/**
 * A tasklet scheduled from the keyboard's interrupt, on any machine: the
 * handler shares the interrupt role_irq("keyboard") names (IRQ 1 on a PC;
 * on a Pi the dwc_otg USB host's, which the USB keyboard's reports arrive
 * in), counts its calls and schedules the tasklet; the tasklet counts its
 * runs. The scancode decoding of tasklet_keyboard needs the i8042's port
 * 0x60 and stays x86-only. With `role` "button" (a module_param) it takes
 * the Pi button's GPIO interrupt instead: a line of its own, not shared,
 * falling edge as in the notes' button modules.
 *
 * @module
 */
import {
  current,
  DECLARE_TASKLET,
  free_irq,
  in_interrupt,
  in_softirq,
  IRQ_NONE,
  IRQF_SHARED,
  IRQF_TRIGGER_FALLING,
  type irqreturn_t,
  irqs_disabled,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  pr_info,
  request_irq,
  role_irq,
  synchronize_irq,
  tasklet_kill,
  tasklet_schedule,
  type tasklet_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const role = module_param("role", "keyboard") as string;
const dev = { id: 0x544b };
let irq = -1, calls = 0, runs = 0;

function kbd_tasklet_fn(_t: tasklet_struct) {
  if (++runs === 1) {
    pr_info(
      "tasklet_irq: first run in %s: in_interrupt=%d in_softirq=%d irqs_disabled=%d\n",
      current().comm,
      Number(in_interrupt()),
      Number(in_softirq()),
      Number(irqs_disabled()),
    );
  }
}
const kbd_tasklet = DECLARE_TASKLET("kbd_tasklet", kbd_tasklet_fn);

function kbd_handler(_irq: number, _dev: unknown): irqreturn_t {
  calls++;
  tasklet_schedule(kbd_tasklet);
  return IRQ_NONE; // the keyboard's own driver handles the device
}

function tasklet_irq_init() {
  irq = role_irq(role);
  if (irq < 0) return irq;
  pr_info("tasklet_irq: the %s's interrupt is IRQ %d\n", role, irq);
  // the keyboard's line is shared with its own driver; a button's GPIO line
  // is the module's alone and needs its trigger (gpio_to_irq() lines have none)
  const flags = role === "button" ? IRQF_TRIGGER_FALLING : IRQF_SHARED;
  return request_irq(irq, kbd_handler, flags, "tasklet_irq", dev);
}

function* tasklet_irq_exit() {
  yield synchronize_irq(irq);
  free_irq(irq, dev);
  yield tasklet_kill(kbd_tasklet);
  pr_info("tasklet_irq: %d interrupts, %d tasklet runs\n", calls, runs);
  if (runs === calls) pr_info("tasklet_irq: one run per interrupt\n");
}

module_init(tasklet_irq_init);
module_exit(tasklet_irq_exit);
