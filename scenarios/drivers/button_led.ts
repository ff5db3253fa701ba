/**
 * The button toggles the LED: a falling-edge handler on the button's GPIO
 * flips the LED's GPIO with gpio_set_value(). Without debouncing, every
 * bounce flips it too — the classic reason for a debounce (the BCM2835's
 * gpio_set_debounce() answers -ENOTSUPP, so the driver has to do it, e.g.
 * by ignoring edges for a while after the first).
 *
 * Module parameters: `gpio_button` (15), `gpio_led` (17), `debounce_ms`
 * (0: none; otherwise edges closer than this to the last accepted one are
 * ignored, timed with jiffies).
 *
 * @module
 */
import {
  free_irq,
  gpio_direction_input,
  gpio_direction_output,
  gpio_free,
  gpio_request,
  gpio_set_debounce,
  gpio_set_value,
  gpio_to_irq,
  HZ,
  IRQ_HANDLED,
  IRQF_TRIGGER_FALLING,
  type irqreturn_t,
  jiffies,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  pr_info,
  request_irq,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

const gpio_button: number = module_param("gpio_button", 15);
const gpio_led: number = module_param("gpio_led", 17);
const debounce_ms: number = module_param("debounce_ms", 0);
let irq_number = 0;
let led_on = 0;
let toggles = 0;
let last = -1;

function button_led_handler(_irq: number, _dev: unknown): irqreturn_t {
  if (debounce_ms > 0) {
    const now = jiffies();
    if (last >= 0 && now - last < Math.ceil(debounce_ms * HZ() / 1000)) return IRQ_HANDLED;
    last = now;
  }
  led_on = led_on ? 0 : 1;
  toggles++;
  gpio_set_value(gpio_led, led_on);
  pr_info("button_led: LED %s (toggle %d)\n", led_on ? "on" : "off", toggles);
  return IRQ_HANDLED;
}

function button_led_init(): number {
  let ret = gpio_request(gpio_button, "button");
  if (ret) return ret;
  ret = gpio_request(gpio_led, "led");
  if (ret) {
    gpio_free(gpio_button);
    return ret;
  }
  gpio_direction_input(gpio_button);
  gpio_direction_output(gpio_led, 0);
  ret = gpio_set_debounce(gpio_button, 50_000);
  pr_info("button_led: gpio_set_debounce: %d\n", ret);
  irq_number = gpio_to_irq(gpio_button);
  return request_irq(irq_number, button_led_handler, IRQF_TRIGGER_FALLING, "button_led", null);
}

function button_led_exit() {
  free_irq(irq_number, null);
  gpio_free(gpio_led);
  gpio_free(gpio_button);
  pr_info("button_led: %d toggles, LED %s\n", toggles, led_on ? "on" : "off");
}

module_init(button_led_init);
module_exit(button_led_exit);
