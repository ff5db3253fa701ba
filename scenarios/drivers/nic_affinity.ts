/**
 * Move the NIC's interrupt to CPU 2 from a module, as
 * `echo 4 > /proc/irq/19/smp_affinity` does from a shell: irq_set_affinity()
 * on an IO-APIC interrupt only records the wish (IRQD_SETAFFINITY_PENDING);
 * the move happens when the next interrupt is acknowledged on the old CPU
 * (kernel/irq/migration.c), so /proc/interrupts shows one interrupt left on
 * the old CPU and the rest on CPU 2. Each handled frame also sends a
 * function-call IPI to CPU 1 (CAL), as a driver kicking work to another
 * CPU would.
 *
 * x86 only: IRQ 19 is x86.yaml's PCI NIC.
 *
 * @module
 */
import {
  free_irq,
  IRQ_NONE,
  irq_set_affinity,
  IRQF_SHARED,
  type irqreturn_t,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  request_irq,
  smp_call_function_single,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

const NIC_IRQ = 19;
const dev = { name: "nic_affinity" };
let kicks = 0;

/** Shares the NIC's line and kicks CPU 1 with a function call. Interrupt context. */
function nic_observer(_irq: number, _dev: unknown): irqreturn_t {
  smp_call_function_single(1, () => kicks++, null, false);
  return IRQ_NONE; // only observes: e1000_intr handles the frame
}

function nic_affinity_init(): number {
  const r = request_irq(NIC_IRQ, nic_observer, IRQF_SHARED, "nic_affinity", dev);
  if (r) return r;
  const err = irq_set_affinity(NIC_IRQ, [2]);
  pr_info("nic_affinity: IRQ %d -> CPU 2: %d\n", NIC_IRQ, err);
  return 0;
}

function nic_affinity_exit(): void {
  free_irq(NIC_IRQ, dev);
  pr_info("nic_affinity: %d function calls ran on CPU 1\n", kicks);
}

module_init(nic_affinity_init);
module_exit(nic_affinity_exit);
