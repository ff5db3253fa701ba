/**
 * PCI MSI on x86 in small (drivers/pci/msi/, arch/x86/kernel/apic/msi.c):
 * pci_alloc_irq_vectors(PCI_IRQ_MSI) gives the device a Linux IRQ from the
 * dynamic range above the IOAPIC GSIs (arch_dynirq_lower_bound() = gsi_top),
 * on the `PCI-MSI` chip with handle_edge_irq (`-edge`), hwirq
 * `pci_dev_id << 11 | entry` (so 00:1f.2 shows 512000); the vector comes
 * from the matrix allocator and the message is composed as
 * __irq_msi_compose_msg() does: address 0xFEE00000 | dest APIC ID << 12
 * (physical), data = vector (fixed, edge).
 *
 * The chipset side: a device's memory write to 0xFEExxxxx becomes an APIC
 * bus message ({@linkcode msiToApic}).
 *
 * @module
 */

import type { Kernel } from "../../core/kernel.ts";
import { IRQ_SET_MASK_OK, IRQCHIP_SKIP_SET_WAKE } from "../genirq/constants.ts";
import type { IrqChip, IrqData } from "../genirq/desc.ts";
import { handle_edge_irq } from "../genirq/flow.ts";
import { GenIrqKey } from "../genirq/genirq.ts";
import { moveIrq } from "../genirq/affinity.ts";
import { apic_eoi, ApicKey, type ApicMessage, sendIpi, VectorMatrixKey } from "../lapic/mod.ts";
import type { PciFunction } from "./bus.ts";

/** MSI address base (MSI_ADDR_BASE_LO) and the field shifts of arch/x86/include/asm/msi.h. */
export const MSI_ADDR_BASE_LO = 0xfee00000;
export const MSI_ADDR_DEST_ID_SHIFT = 12;
export const MSI_ADDR_DEST_MODE_LOGICAL = 1 << 2;
export const MSI_DATA_TRIGGER_LEVEL = 1 << 15;

/** Decode an MSI write into an APIC message (the chipset's interrupt delivery). */
export function msiToApic(address: number, data: number): ApicMessage {
  return {
    vector: data & 0xff,
    deliveryMode: (data >> 8) & 7,
    destMode: (address & MSI_ADDR_DEST_MODE_LOGICAL) ? 1 : 0,
    dest: (address >>> MSI_ADDR_DEST_ID_SHIFT) & 0xff,
    trigger: (data & MSI_DATA_TRIGGER_LEVEL) ? 1 : 0,
  };
}

/**
 * Give `nic` an MSI IRQ on the `PCI-MSI` chip and program its capability.
 * Returns the Linux IRQ. The entry starts masked until request_irq starts it.
 */
export function pciEnableMsi(k: Kernel, nic: PciFunction, gsiTop: number): number {
  const gi = k.bus.get(GenIrqKey);
  const apics = k.bus.get(ApicKey);
  const matrix = k.bus.get(VectorMatrixKey);
  nic.msiWrite = (address, data) => apics.deliver(msiToApic(address, data));
  const compose = (d: IrqData, vector: number, cpu: number) => {
    d.effective_affinity = [cpu];
    const dest = apics.lapics[cpu].id;
    nic.setMsi(MSI_ADDR_BASE_LO | (dest << MSI_ADDR_DEST_ID_SHIFT), vector, true);
  };
  const chip: IrqChip = {
    name: "PCI-MSI",
    irq_startup: (d) => {
      const online = k.cpus.map((c) => c.id);
      let mask = d.affinity.filter((c) => online.includes(c));
      if (mask.length === 0) mask = online;
      const a = matrix.assign(d.irq, mask);
      if (a) compose(d, a.vector, a.cpu);
      nic.maskMsi(false);
      return 0;
    },
    irq_shutdown: () => nic.maskMsi(true),
    irq_mask: () => nic.maskMsi(true),
    irq_unmask: () => nic.maskMsi(false),
    // irq_chip_ack_parent → apic_ack_irq(): a pending move, then the LAPIC EOI
    irq_ack: (d) => {
      moveIrq(gi, d);
      apic_eoi();
    },
    // msi_set_affinity(): a new vector, the message rewritten
    irq_set_affinity: (d, mask) => {
      const a = matrix.assign(d.irq, mask);
      if (!a) return -28;
      compose(d, a.vector, a.cpu);
      return IRQ_SET_MASK_OK;
    },
    // apic_retrigger_irq(): the vector as an IPI to the target CPU
    irq_retrigger: (d) => {
      const a = matrix.byIrq.get(d.irq);
      if (!a) return 0;
      sendIpi(apics.lapics[a.cpu].id, a.vector);
      return 1;
    },
    flags: IRQCHIP_SKIP_SET_WAKE,
  };
  // irq_domain_alloc_irqs() from arch_dynirq_lower_bound(): the first free IRQ above the GSIs
  const irq = gi.allocFreeIrq(gsiTop);
  gi.irq_set_chip_and_handler_name(irq, chip, handle_edge_irq, "edge");
  const d = gi.irq_to_desc(irq)!.irq_data;
  d.hwirq = nic.devid << 11; // pci_msi_domain_calc_hwirq(): devid << 11 | msi index 0
  d.domain = gi.domains.find((x) => x.name === "PCI-MSI") ?? gi.addDomain("PCI-MSI", chip);
  d.domain.map.set(d.hwirq, irq);
  nic.maskMsi(true);
  return irq;
}
