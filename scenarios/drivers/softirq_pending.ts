/**
 * local_softirq_pending() before and after a raise, after the seed notes'
 * "Checking how many softirq are pending": the handler prints the per-CPU
 * pending mask, raises MY_SOFTIRQ (added before RCU: vector 9, bit 0x200)
 * and prints it again; the softirq action prints it while it runs. The
 * notes' handler is on the Pi button; here it shares the interrupt of the
 * device bound to `role` (default the keyboard, found with role_irq(), so
 * the module runs on a PC and a Pi alike) and prints for the first `prints`
 * interrupts only (a Pi's USB interrupt comes 8,000 times a second).
 *
 * @module
 */
import {
  free_irq,
  IRQ_NONE,
  IRQF_SHARED,
  type irqreturn_t,
  local_softirq_pending,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  open_softirq,
  pr_info,
  raise_softirq,
  RCU_SOFTIRQ,
  request_irq,
  role_irq,
  smp_processor_id,
  softirq_register_vector,
  synchronize_irq,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const role = module_param("role", "keyboard") as string;
const prints = module_param("prints", 2) as number;
const dev = { id: 0x5350 };
let MY_SOFTIRQ = -1;
let irq = -1;
let calls = 0;
let actions = 0;

function hex2(v: number): string {
  return v.toString(16).padStart(2, "0");
}

function my_action() {
  if (++actions > prints) return;
  pr_info("softirq started on processor id:%d\n", smp_processor_id());
  pr_info("local_softirq_pending:%s\n", hex2(local_softirq_pending()));
  pr_info("softirq ended on processor id:%d\n", smp_processor_id());
}

function button_handler(irq: number, _dev_id: unknown): irqreturn_t {
  if (++calls > prints) return IRQ_NONE;
  pr_info("irq:%d, processor id:%d\n", irq, smp_processor_id());
  pr_info("local_softirq_pending:%s\n", hex2(local_softirq_pending()));
  raise_softirq(MY_SOFTIRQ);
  pr_info("local_softirq_pending:%s\n", hex2(local_softirq_pending()));
  return IRQ_NONE; // shared with the device's own driver
}

function softirq_pending_init() {
  MY_SOFTIRQ = softirq_register_vector("MY_SOFTIRQ", RCU_SOFTIRQ);
  pr_info("MY_SOFTIRQ is vector %d: bit %s\n", MY_SOFTIRQ, hex2(1 << MY_SOFTIRQ));
  open_softirq(MY_SOFTIRQ, my_action);
  irq = role_irq(role);
  if (irq < 0) return irq;
  return request_irq(irq, button_handler, IRQF_SHARED, "softirq_pending", dev);
}

function* softirq_pending_exit() {
  yield synchronize_irq(irq);
  free_irq(irq, dev);
}

module_init(softirq_pending_init);
module_exit(softirq_pending_exit);
