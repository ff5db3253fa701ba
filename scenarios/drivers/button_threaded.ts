/**
 * The classic Raspberry Pi button module (seed notes, "IRQF_ONESHOT"),
 * ported line by line: GPIO 15 as an input, pulled down with the GPPUD
 * sequence written straight to the GPIO registers, and a threaded handler
 * on the falling edge with a NULL primary handler and IRQF_ONESHOT. The
 * thread busy-waits 4 s (mdelay(4000)), so contact bounce during that time
 * makes exactly one more run of the thread (its wake-ups coalesce).
 *
 * `mem` is a `uint32_t *` in C, so `mem + GPPUD_OFFSET` moves by
 * GPPUD_OFFSET words; here the cookie is a byte address and the offsets
 * are scaled by 4 (sizeof(uint32_t)) where C's pointer arithmetic does it.
 *
 * GPIO_BASE is 0x3f200000 (Pi 2/3) as in the original; a Pi 1 passes
 * gpio_base=0x20200000 as a module parameter.
 *
 * @module
 */
import {
  EINVAL,
  ENODEV,
  free_irq,
  gpio_direction_input,
  gpio_direction_output,
  gpio_free,
  gpio_is_valid,
  gpio_request,
  gpio_set_debounce,
  gpio_to_irq,
  ioremap,
  iounmap,
  iowrite32,
  IRQ_HANDLED,
  IRQF_ONESHOT,
  IRQF_TRIGGER_FALLING,
  type irqreturn_t,
  mdelay,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  pr_info,
  request_threaded_irq,
  udelay,
} from "../../mod.ts";

const GPIO_BASE: number = module_param("gpio_base", 0x3f200000); // GPIO controller (0x20200000 on a Pi 1)
const GPIO_SIZE = 0xb4;

const _GPFSEL0_OFFSET = 0x00;
const _GPSET0_OFFSET = 0x07;
const _GPCLR0_OFFSET = 0x0a;
const GPPUD_OFFSET = 0x25;
const GPPUDCLK0_OFFSET = 0x26;
const sizeof_uint32_t = 4;

let irq_number = 0;
const gpio_button: number = module_param("gpio_button", 15);

MODULE_LICENSE("GPL");
let mem = 0;

function set_gpio_pulldown(gpio: number) {
  const register_index = Math.floor(gpio / 32);
  const value = (1 << (gpio % 32)) >>> 0;

  mem = ioremap(GPIO_BASE, GPIO_SIZE);
  iowrite32(0x01, mem + GPPUD_OFFSET * sizeof_uint32_t); //enable pull down
  // Wait 150 cycles
  udelay(2000);
  //Write to GPPUDCLK0/1 to clock the control signal into the GPIO pads you wish to modify
  iowrite32(value, mem + (GPPUDCLK0_OFFSET + register_index) * sizeof_uint32_t);
  // Wait 150 cycles
  udelay(2000);
  //Write to GPPUD to remove the control signal
  iowrite32(0x00, mem + GPPUD_OFFSET * sizeof_uint32_t);
  //Write to GPPUDCLK0/1 to remove the clock
  iowrite32(0x00, mem + (GPPUDCLK0_OFFSET + register_index) * sizeof_uint32_t);

  iounmap(mem);
}

function* button_threaded_handler(irq: number, _dev_id: unknown): Generator<unknown, irqreturn_t> {
  pr_info("threaded irq:%d\n", irq);
  yield mdelay(4000);
  return IRQ_HANDLED;
}

function test_hello_init(): number {
  pr_info("%s: In init\n", "test_hello_init");

  if (!gpio_is_valid(gpio_button)) {
    pr_info("Invalid GPIO:%d\n", gpio_button);
    return -ENODEV;
  }

  pr_info("gpio button:%d is valid\n", gpio_button);
  if (gpio_request(gpio_button, "my_button")) {
    pr_info("GPIO Request Failed on gpio:%d\n", gpio_button);
    return -EINVAL;
  }
  pr_info("GPIO Request successful on gpio:%d\n", gpio_button);
  gpio_direction_output(gpio_button, 0);
  gpio_direction_input(gpio_button);
  gpio_set_debounce(gpio_button, 1000); // Debounce the button with a delay of 1000ms
  set_gpio_pulldown(gpio_button);
  irq_number = gpio_to_irq(gpio_button);
  pr_info("irq number:%d\n", irq_number);

  return request_threaded_irq(
    irq_number,
    null,
    button_threaded_handler,
    IRQF_TRIGGER_FALLING | IRQF_ONESHOT,
    "button_interrupt",
    null,
  );
}

function test_hello_exit() {
  pr_info("%s: In exit\n", "test_hello_exit");
  free_irq(irq_number, null);
  gpio_free(gpio_button);
}

module_init(test_hello_init);
module_exit(test_hello_exit);
