/**
 * The `acpi` plugin: the `acpi_pm` device kind — the chipset's ACPI PM1
 * event block with the fixed power button ({@link ./pm1.ts}) — and, at
 * start, Linux's ACPI interrupt side on the IRQ its `sci` pin is wired to:
 * the SCI requested as `acpi` (IRQF_SHARED), the fixed power button
 * enabled, acpi_irq() claiming its own interrupts ({@link ./linux.ts}).
 *
 * ```yaml
 * plugins: [..., acpi]
 * devices:
 *   acpi: { kind: acpi_pm, options: { pm1a_evt_blk: 0x400 } }
 * wires:
 *   - acpi.sci -> pic_slave.ir1   # IRQ 9, level through the ELCR (pc.yaml)
 *   - acpi.sci -> ioapic.pin9     # 9-fasteoi (x86.yaml)
 * roles:
 *   button: acpi
 * ```
 *
 * @example
 * ```ts
 * import { acpi } from "./plugins/acpi/mod.ts";
 * const plugin = acpi();
 * ```
 * @module
 */

import { serviceKey } from "../../core/bus.ts";
import type { Plugin } from "../../core/plugin.ts";
import { GenIrqKey } from "../genirq/genirq.ts";
import { checkPluginOptions } from "../lapic/mod.ts";
import { AcpiPm, acpiPmKind } from "./pm1.ts";
import { type AcpiSci, bootAcpi } from "./linux.ts";

export * from "./pm1.ts";
export * from "./linux.ts";

/** Service key of the booted ACPI interrupt side (the first PM1 block's). */
export const AcpiKey = serviceKey<AcpiSci>("acpi");

/** Options of the `acpi` plugin. */
export interface Options {
  /** Boot Linux's ACPI SCI handler and the power button at start (off: hardware only). */
  linux: boolean;
}

/** Defaults of {@linkcode Options}. */
export const defaults = { linux: true } satisfies Options;

/** The acpi plugin factory. */
export function acpi(options: Partial<Options> = {}): Plugin {
  checkPluginOptions("acpi", options, defaults);
  const opts: Options = { ...defaults, ...options };
  return {
    name: "acpi",
    requires: ["genirq"],
    setup(ctx) {
      ctx.defineDevice(acpiPmKind);
    },
    start(k) {
      if (!opts.linux) return;
      const gi = k.bus.get(GenIrqKey);
      for (const d of k.devices.values()) {
        if (!(d instanceof AcpiPm)) continue;
        const irq = gi.irqOfOutput(d.sci);
        if (irq < 0) continue;
        k.bus.provide(AcpiKey, bootAcpi(k, d, irq), "acpi");
        return; // one FADT, one SCI
      }
    },
  };
}
