/**
 * The conformance kit run on every built-in controller and device plugin.
 * A skipped case shows up as ignored with its reason in the name.
 */
import { builtinPlugins } from "../plugins/mod.ts";
import { chipConformance, deviceConformance } from "../testing/mod.ts";

// XT-PIC: Linux's i8259A_chip has no irq_set_type and no irq_retrigger
// (arch/x86/kernel/i8259.c); the ISA inputs pc.yaml leaves free are 3, 5,
// 6, 7, 9, 10, 11, 13, edge triggered by the ELCR defaults.
await chipConformance({ chip: "XT-PIC", machine: "machines/pc.yaml" });

deviceConformance(builtinPlugins.devices(), { ata: { channel: "primary" } }, [
  builtinPlugins.genirq(),
]);
deviceConformance(builtinPlugins.i8259(), {}, [builtinPlugins.genirq()]);

// IO-APIC: no irq_set_type (io_apic.c's ioapic_chip has none: the trigger
// comes from ACPI); the free inputs of x86.yaml's IOAPIC taken first are
// ISA pins 3 and 5, edge, active high. enable_irq replays through
// irq_retrigger (apic_retrigger_irq).
await chipConformance({ chip: "IO-APIC", machine: "machines/x86.yaml" });
deviceConformance(builtinPlugins.ioapic(), {}, [builtinPlugins.genirq()]);
deviceConformance(builtinPlugins.pci(), {}, [builtinPlugins.genirq()]);
