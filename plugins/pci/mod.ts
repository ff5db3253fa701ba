/**
 * The `pci` plugin: the `pirq_router` and `pci_nic` device kinds
 * ({@link ./bus.ts}) and, at start, Linux's side: each NIC's IRQ found
 * through its PIRQ link (acpi_pci_irq_enable() reading _PRT: the link's
 * IOAPIC pin is the GSI) and the e1000 driver bound to it, the NICs named
 * eth0, eth1... in probe order.
 *
 * ```yaml
 * devices:
 *   pirq: { kind: pirq_router }
 *   nic: { kind: pci_nic, options: { bdf: "00:19.0", int_pin: A } }
 * wires:
 *   - nic.intx -> pirq.pirqd
 *   - pirq.outd -> ioapic.pin19
 * ```
 *
 * @example
 * ```ts
 * import { pci } from "./plugins/pci/mod.ts";
 * const plugin = pci();
 * ```
 * @module
 */

import { serviceKey } from "../../core/bus.ts";
import type { InputPin } from "../../core/line.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { Plugin } from "../../core/plugin.ts";
import { GenIrqKey } from "../genirq/genirq.ts";
import { checkPluginOptions } from "../lapic/mod.ts";
import { type PciFunction, PciNic, pciNicKind, PirqRouter, pirqRouterKind } from "./bus.ts";
import { type E1000Adapter, e1000Probe } from "./e1000.ts";
import { pciEnableMsi } from "./msi.ts";
import { type AhciHost, ahciProbe, PciAhci, pciAhciKind } from "./ahci.ts";

export * from "./bus.ts";
export * from "./e1000.ts";
export * from "./msi.ts";
export * from "./ahci.ts";

/** Service key of the bound e1000 adapters, in probe order (eth0 first). */
export const E1000Key = serviceKey<E1000Adapter[]>("e1000");

/** Service key of the bound AHCI hosts, in probe order. */
export const AhciKey = serviceKey<AhciHost[]>("ahci");

/** Options of the `pci` plugin. */
export interface Options {
  /** Bind the e1000 driver to each NIC at start. */
  drivers: boolean;
}

/** Defaults of {@linkcode Options}. */
export const defaults = { drivers: true } satisfies Options;

/**
 * The GSI-mapped Linux IRQ of a PCI function: its INTx# goes into a PIRQ
 * router link whose output is wired to an interrupt controller input
 * (acpi_pci_irq_lookup() on the _PRT). -1 when not routed.
 */
export function pciIrq(k: Kernel, nic: PciFunction): number {
  const gi = k.bus.get(GenIrqKey);
  for (const t of nic.intx.targets) {
    const direct = gi.inputIrq.get(t);
    if (direct !== undefined) return direct;
    if (t.owner instanceof PirqRouter) {
      const out = t.owner.outputFor(t as InputPin);
      if (out) {
        const irq = gi.irqOfOutput(out);
        if (irq >= 0) return irq;
      }
    }
  }
  return -1;
}

/** gsi_top: one past the highest IOAPIC GSI (the inputs genirq has mapped). */
function gsiTop(k: Kernel): number {
  const gi = k.bus.get(GenIrqKey);
  let top = 16;
  for (const irq of gi.inputIrq.values()) top = Math.max(top, irq + 1);
  return top;
}

/** The pci plugin factory. */
export function pci(options: Partial<Options> = {}): Plugin {
  checkPluginOptions("pci", options, defaults);
  const opts: Options = { ...defaults, ...options };
  return {
    name: "pci",
    requires: ["genirq"],
    setup(ctx) {
      ctx.defineDevice(pirqRouterKind);
      ctx.defineDevice(pciNicKind);
      ctx.defineDevice(pciAhciKind);
    },
    start(k) {
      if (!opts.drivers) return;
      const adapters: E1000Adapter[] = [];
      k.bus.provide(E1000Key, adapters, "pci");
      const hosts: AhciHost[] = [];
      k.bus.provide(AhciKey, hosts, "pci");
      // the storage driver (a subsys/device initcall of the ahci module) probes first
      for (const d of k.devices.values()) {
        if (!(d instanceof PciAhci)) continue;
        const irq = d.options.msi ? pciEnableMsi(k, d, gsiTop(k)) : pciIrq(k, d);
        if (irq >= 0) hosts.push(ahciProbe(k, d, irq));
      }
      for (const d of k.devices.values()) {
        if (!(d instanceof PciNic)) continue;
        // pci_alloc_irq_vectors(PCI_IRQ_MSI | PCI_IRQ_LEGACY): MSI when the
        // function has it, else the INTx line from _PRT
        const irq = d.options.msi ? pciEnableMsi(k, d, gsiTop(k)) : pciIrq(k, d);
        if (irq < 0) continue;
        adapters.push(e1000Probe(k, d, irq, `eth${adapters.length}`));
      }
    },
  };
}
