/**
 * The `ioapic` plugin: the `ioapic` device kind (an 82093AA-style I/O APIC,
 * version 0x20, 24 pins `pin0`..`pin23`, MMIO at `base`) and Linux's IO-APIC
 * driver booted on the first one: the ACPI routing (ISA IRQ 0 on pin 2,
 * IRQ 9 level for the ACPI SCI, PCI pins 16-23 level/low), the `IO-APIC`
 * chip with `-edge` / `-fasteoi` flows, vectors from the LAPIC plugin's
 * matrix and affinity moves at the next interrupt.
 *
 * ```yaml
 * plugins: [genirq, x86, lapic, ioapic, { name: i8259, options: { mode: masked } }, devices]
 * devices:
 *   ioapic: { kind: ioapic, options: { base: 0xfec00000, id: 4 } }
 * wires:
 *   - keyboard.irq1 -> ioapic.pin1
 * ```
 *
 * @example
 * ```ts
 * import { ioapic } from "./plugins/ioapic/mod.ts";
 * const plugin = ioapic({ acpi_sci: false });
 * ```
 * @module
 */

import { z } from "zod";
import { serviceKey } from "../../core/bus.ts";
import type { DeviceKind, Plugin } from "../../core/plugin.ts";
import { IRQ_NONE, IRQF_SHARED, type irqreturn_t } from "../genirq/constants.ts";
import { request_irq } from "../genirq/api.ts";
import { ApicKey, checkPluginOptions, VectorMatrixKey } from "../lapic/mod.ts";
import { IO_APIC_DEFAULT_PHYS_BASE, IoApic } from "./chip.ts";
import { bootIoApic, LinuxIoApic } from "./linux.ts";

export * from "./chip.ts";
export * from "./linux.ts";

/** Service key of Linux's first IOAPIC. */
export const IoApicKey = serviceKey<LinuxIoApic>("ioapic");

/** Options of one `ioapic` device. */
export const deviceOptions = z.object({
  base: z.number().int().min(0).max(2 ** 40 - 0x100).default(IO_APIC_DEFAULT_PHYS_BASE)
    .describe("MMIO base (IO_APIC_DEFAULT_PHYS_BASE 0xfec00000)."),
  id: z.number().int().min(0).max(15).default(0).describe(
    "IOAPIC ID (bits 24-27 of the ID register), as the MADT reports it.",
  ),
}).strict();

/** Validated options of one `ioapic` device. */
export type DeviceOptions = z.output<typeof deviceOptions>;

/** The `ioapic` device kind. */
export const ioapicKind: DeviceKind<DeviceOptions> = {
  kind: "ioapic",
  description: "I/O APIC, version 0x20, 24 redirection entries (input pins pin0..pin23)",
  options: deviceOptions,
  create(name, options, kernel) {
    const hw = new IoApic(name, kernel, options.base, options.id);
    kernel.mmio.map(options.base, 0x100, {
      read: (off) => hw.read(off),
      write: (off, v) => hw.write(off, v),
    }, name);
    return hw;
  },
};

/** Plugin options. */
export interface Options {
  /** Boot Linux's IO-APIC driver on the first IOAPIC (off: hardware only). */
  linux: boolean;
  /** Request IRQ 9 for the ACPI SCI (`9-fasteoi   acpi`), as acpi_os_install_interrupt_handler(). */
  acpi_sci: boolean;
}

/** Defaults of {@linkcode Options}. */
export const defaults = { linux: true, acpi_sci: true } satisfies Options;

/** acpi_irq(): no fixed or GPE event is modelled, so the SCI is never its own. Interrupt context. */
export function acpi_irq(_irq: number, _dev: unknown): irqreturn_t {
  return IRQ_NONE;
}

/** The ioapic plugin factory. */
export function ioapic(options: Partial<Options> = {}): Plugin {
  checkPluginOptions("ioapic", options, defaults);
  const opts: Options = { ...defaults, ...options };
  return {
    name: "ioapic",
    requires: ["genirq", "x86", "lapic"],
    setup(ctx) {
      ctx.defineDevice(ioapicKind);
    },
    start(k) {
      const apics = k.bus.get(ApicKey);
      const hws = [...k.devices.values()].filter((d): d is IoApic => d instanceof IoApic);
      for (const hw of hws) {
        hw.deliver = (msg) => apics.deliver(msg);
        apics.eoiListeners.push((v) => hw.eoi(v));
      }
      if (!opts.linux || hws.length === 0) return;
      const lio = bootIoApic(k, hws[0], apics, k.bus.get(VectorMatrixKey));
      k.bus.provide(IoApicKey, lio, "ioapic");
      if (opts.acpi_sci) {
        k.enter(() => {
          // acpi_os_install_interrupt_handler(): request_irq(irq, acpi_irq, IRQF_SHARED, "acpi", acpi_irq)
          request_irq(9, acpi_irq, IRQF_SHARED, "acpi", acpi_irq);
        });
      }
    },
  };
}
