/**
 * The seed notes' "new Raspberry Pi softirq" module, ported line by line:
 * MY_SOFTIRQ added to the softirq enum just before RCU (here
 * softirq_register_vector("MY_SOFTIRQ", RCU_SOFTIRQ), as rebuilding the
 * kernel with the new enum entry does), a plain falling-edge handler on the
 * button that raises it, and the softirq action printing where it runs.
 * `dump_stack()` is left out (no stack unwinder here).
 *
 * The GPIO is a module parameter (default 15 as in the original) so the
 * experiment can run next to the threaded module on a second button.
 *
 * @module
 */
import {
  current,
  EINVAL,
  ENODEV,
  free_irq,
  gpio_direction_input,
  gpio_free,
  gpio_is_valid,
  gpio_request,
  gpio_set_debounce,
  gpio_to_irq,
  in_interrupt,
  in_irq,
  in_softirq,
  ioremap,
  iounmap,
  iowrite32,
  IRQ_HANDLED,
  IRQF_TRIGGER_FALLING,
  type irqreturn_t,
  irqs_disabled,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  open_softirq,
  pr_info,
  raise_softirq,
  RCU_SOFTIRQ,
  request_irq,
  smp_processor_id,
  softirq_register_vector,
  udelay,
} from "../../mod.ts";

const GPIO_BASE: number = module_param("gpio_base", 0x3f200000); // GPIO controller (0x20200000 on a Pi 1)
const GPIO_SIZE = 0xb4;

const GPPUD_OFFSET = 0x25;
const GPPUDCLK0_OFFSET = 0x26;
const sizeof_uint32_t = 4; // mem is a uint32_t * in C: offsets count words

let irq_number = 0;
const gpio_button: number = module_param("gpio_button", 15);
let MY_SOFTIRQ = -1;

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

// <<<< this function will report if the irq are enabled or disabled.
function irq_disabled() {
  if (irqs_disabled()) pr_info("IRQ Disabled\n");
  else pr_info("IRQ Enabled\n");
}

// <<<< print the context
function print_context() {
  if (in_irq()) pr_info("Code is running in hard irq context\n");
  else pr_info("Code is NOT running in hard irq context\n");

  if (in_softirq()) pr_info("Code is running in soft irq context\n");
  else pr_info("Code is NOT running in soft irq context\n");
}

// <<<< this is the softirq handler
function my_action() {
  pr_info("my_action\n");
  print_context(); // being a softirq, this is interrupt context
  irq_disabled(); // in the softirq handler the IRQs are enabled
  pr_info("current pid : %d , current process : %s\n", current().pid, current().comm);
  pr_info("my_action processor id:%d\n", smp_processor_id());
  pr_info("in_interrupt:%d\n", in_interrupt() ? 1 : 0);
}

function button_handler(irq: number, _dev_id: unknown): irqreturn_t {
  pr_info("irq:%d\n", irq);
  print_context();
  raise_softirq(MY_SOFTIRQ); // <<<< here the new softirq is raised
  irq_disabled(); // in the interrupt handler the IRQs are disabled
  pr_info("current pid : %d , current process : %s\n", current().pid, current().comm);
  pr_info("my_action processor id:%d\n", smp_processor_id());
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

  gpio_direction_input(gpio_button);
  gpio_set_debounce(gpio_button, 1000); // Debounce the button with a delay of 1000ms
  set_gpio_pulldown(gpio_button);
  irq_number = gpio_to_irq(gpio_button);
  pr_info("irq number:%d\n", irq_number);
  // MY_SOFTIRQ: the enum entry added before RCU_SOFTIRQ
  MY_SOFTIRQ = softirq_register_vector("MY_SOFTIRQ", RCU_SOFTIRQ);
  open_softirq(MY_SOFTIRQ, my_action); // <<<<< here the handler to the new softirq is registered
  return request_irq(irq_number, button_handler, IRQF_TRIGGER_FALLING, "button_interrupt", null);
}

function test_hello_exit() {
  pr_info("%s: In exit\n", "test_hello_exit");
  free_irq(irq_number, null);
  gpio_free(gpio_button);
}

module_init(test_hello_init);
module_exit(test_hello_exit);
