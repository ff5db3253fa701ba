/**
 * Count the button's presses, on any machine: the module takes the
 * interrupt role_irq("button") names (irqlab's platform_get_irq()) with
 * IRQF_SHARED, so it sits beside the line's own driver where there is one
 * (the ACPI SCI, IRQ 9, on a PC: `acpi` claims the power button's events,
 * this handler sees each of them too and returns IRQ_NONE). A line with no
 * trigger type yet (a Pi's GPIO from gpio_to_irq()) gets the falling edge of
 * the notes' button modules. A Pi's contacts bounce, so the handler
 * debounces in software as button drivers do: an interrupt within
 * DEBOUNCE_MS of the last counted press is a bounce (or the release's edge),
 * counted as an interrupt but not as a press. A power button has no bounce:
 * one interrupt per press.
 *
 * @module
 */
import {
  free_irq,
  irq_get_trigger_type,
  IRQ_NONE,
  IRQF_SHARED,
  IRQF_TRIGGER_FALLING,
  type irqreturn_t,
  jiffies,
  module_exit,
  module_init,
  MODULE_LICENSE,
  msecs_to_jiffies,
  pr_info,
  request_irq,
  role_irq,
  synchronize_irq,
  time_after,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const DEBOUNCE_MS = 400;
const dev = { id: 0x4254 };
let irq = -1, interrupts = 0, presses = 0, last = 0;

function button_count_handler(_irq: number, _dev: unknown): irqreturn_t {
  interrupts++;
  const now = jiffies();
  if (presses === 0 || time_after(now, last + msecs_to_jiffies(DEBOUNCE_MS))) {
    presses++;
    last = now;
  }
  return IRQ_NONE; // the button's own driver (if any) owns the device
}

function button_count_init() {
  irq = role_irq("button");
  if (irq < 0) return irq;
  pr_info("button_count: the button's interrupt is IRQ %d\n", irq);
  const flags = irq_get_trigger_type(irq) ? IRQF_SHARED : IRQF_SHARED | IRQF_TRIGGER_FALLING;
  return request_irq(irq, button_count_handler, flags, "button_count", dev);
}

function* button_count_exit() {
  yield synchronize_irq(irq);
  free_irq(irq, dev);
  pr_info("button_count: %d presses\n", presses);
  pr_info("button_count: %d interrupts\n", interrupts);
}

module_init(button_count_init);
module_exit(button_count_exit);
