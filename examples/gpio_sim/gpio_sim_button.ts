/**
 * A button on a gpio-sim line: request the line, map it to an IRQ with
 * gpio_to_irq(), and count rising edges in a hardirq handler — the shape of
 * the Pi button module, on lines set through sysfs instead of a wire.
 *
 * Module parameter: `gpio` (504, the first line of an 8-line gpio-sim bank).
 *
 * @module
 */
import {
  free_irq,
  gpio_direction_input,
  gpio_free,
  gpio_request,
  gpio_to_irq,
  in_hardirq,
  IRQ_HANDLED,
  IRQF_TRIGGER_RISING,
  type irqreturn_t,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  pr_info,
  request_irq,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

const gpio: number = module_param("gpio", 504);
let irq_number = 0;
let edges = 0;

function sim_button_handler(_irq: number, _dev: unknown): irqreturn_t {
  edges++;
  pr_info("sim_button: rising edge %d in %s context\n", edges, in_hardirq() ? "hardirq" : "other");
  return IRQ_HANDLED;
}

function sim_button_init(): number {
  const ret = gpio_request(gpio, "sim_button");
  if (ret) return ret;
  gpio_direction_input(gpio);
  irq_number = gpio_to_irq(gpio);
  pr_info("sim_button: gpio %d is IRQ %d\n", gpio, irq_number);
  return request_irq(irq_number, sim_button_handler, IRQF_TRIGGER_RISING, "sim_button", null);
}

function sim_button_exit() {
  free_irq(irq_number, null);
  gpio_free(gpio);
  pr_info("sim_button: %d edges\n", edges);
}

module_init(sim_button_init);
module_exit(sim_button_exit);
