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

// ARMCTRL-level: no irq_set_type (the trigger stays NONE, so the kit treats
// the inputs as edge lines although the flow is handle_level_irq), no
// irq_retrigger; a level input re-asserts after enable_irq by itself. On the
// Pi 3 chained from the BCM2836 per-core controller; on the Pi 1 the root,
// with IRQ 16 (ARM basic source 0, the ARM timer) and 24 (GPU 0).
// "enable replays" does not hold for it, as on a real Pi: enable_irq()
// unmasks the still-asserted level line (one delivery) and check_irq_resend()
// also replays the lazily-masked request through the resend tasklet,
// because only IRQ_LEVEL descs are exempt and ARMCTRL never sets IRQ_LEVEL:
// two handler calls.
const armctrlSkip = {
  "enable replays":
    "level hardware without IRQ_LEVEL: unmask re-fires and the resend tasklet replays (2 calls, as in kernel/irq/resend.c)",
};
await chipConformance({ chip: "ARMCTRL-level", machine: "machines/rpi.yaml", skip: armctrlSkip });
await chipConformance({
  chip: "ARMCTRL-level",
  machine: "machines/rpi1.yaml",
  irqs: [16, 24],
  skip: armctrlSkip,
});
for (const p of ["bcm2836", "bcm2835_intc", "bcm2835_gpio", "rpi_devices"] as const) {
  deviceConformance(builtinPlugins[p](), {}, [builtinPlugins.genirq(), builtinPlugins.arm()]);
}
// IO-APIC: no irq_set_type (io_apic.c's ioapic_chip has none: the trigger
// comes from ACPI); the free inputs of x86.yaml's IOAPIC taken first are
// ISA pins 3 and 5, edge, active high. enable_irq replays through
// irq_retrigger (apic_retrigger_irq).
await chipConformance({ chip: "IO-APIC", machine: "machines/x86.yaml" });
deviceConformance(builtinPlugins.ioapic(), {}, [builtinPlugins.genirq()]);
deviceConformance(builtinPlugins.pci(), {}, [builtinPlugins.genirq()]);
