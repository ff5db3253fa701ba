/**
 * The `button` and `nic` roles on the PCs: the ACPI power button on the SCI
 * (IRQ 9: XT-PIC level through the ELCR on pc.yaml, IO-APIC 9-fasteoi on
 * x86.yaml) and pc.yaml's e1000 on XT-PIC IRQ 11 through PIRQD#. Expected
 * values come from the machine files' wiring and the kernel rules cited in
 * plugins/acpi/linux.ts and arch/x86/pci/irq.c.
 */
import assert from "node:assert/strict";
import { Machine } from "../runner/machine.ts";
import { applyStimulus } from "../runner/stimulus.ts";
import { runScenario } from "../runner/mod.ts";
import { buildMachine } from "../config/loader.ts";
import { loadMachineSpec } from "../config/machine.ts";
import { builtinPlugins } from "../plugins/mod.ts";
import { AcpiKey, AcpiPm } from "../plugins/acpi/mod.ts";
import { E1000Key } from "../plugins/pci/mod.ts";
import type { I8259 } from "../plugins/i8259/mod.ts";
import {
  IO_APIC_REDIR_REMOTE_IRR,
  IO_APIC_REDIR_TABLE,
  IO_APIC_REGSEL,
  IO_APIC_WINDOW,
  type IoApic,
} from "../plugins/ioapic/mod.ts";
import { IRQ_NONE, IRQF_SHARED, request_irq, role_irq } from "../mod.ts";

function irqRow(m: Machine, irq: number): string {
  return m.proc("/proc/interrupts")!.split("\n").find((l) => l.trimStart().startsWith(`${irq}:`))!;
}
function total(row: string): number {
  return row.split(/\s+/).filter((w) => /^\d+$/.test(w)).reduce((s, w) => s + Number(w), 0);
}
function press(m: Machine, at_ms: number) {
  const r = applyStimulus(m.kernel, {
    role: "button",
    action: "press",
    args: { hold_ms: 100 },
    delayNs: at_ms * 1_000_000 - m.kernel.now,
  });
  assert.ok(r.ok, JSON.stringify(r));
}
/** A module's shared handler on the button's IRQ 9 that counts its calls. */
function shareIrq9(m: Machine): { calls: number } {
  const seen = { calls: 0 };
  const h = (_irq: number, _dev: unknown) => {
    seen.calls++;
    return IRQ_NONE;
  };
  m.kernel.enter(() => assert.equal(request_irq(9, h, IRQF_SHARED, "button_counter", seen), 0));
  return seen;
}

Deno.test("pc.yaml boot: the SCI and the NIC's IRQ 11 are level in the ELCR, PWRBTN_EN set, the button's line", async () => {
  const m = await Machine.load("machines/pc.yaml");
  const slave = m.kernel.devices.get("pic_slave") as I8259;
  // acpi_pic_sci_set_trigger(9, level) writes 0x0200 (slave bit 1), then
  // elcr_set_level_irq(11) sets slave bit 3: 0b1010
  assert.equal(slave.elcr, 0x0a);
  assert.equal(m.inb(0x4d1), 0x0a);
  assert.equal(m.inb(0x4d0), 0x00);
  const d = m.dmesg();
  assert.match(d, /ACPI: setting ELCR to 0200 \(from 0000\)\n/);
  assert.match(d, /ACPI: button: Power Button \[PWRF\]\n/);
  assert.match(d, /PCI: setting IRQ 11 as level-triggered\n/);
  assert.match(d, /e1000 0000:00:03\.0 eth0: Intel\(R\) PRO\/1000 Network Connection\n/);
  // acpi_ev_fixed_event_initialize() cleared PM1_EN, the button's handler set PWRBTN_EN
  assert.equal(m.kernel.ports.read(0x402, 2), 0x0100);
  assert.equal(irqRow(m, 9), "  9:          0    XT-PIC      acpi");
  assert.equal(irqRow(m, 11), " 11:          0    XT-PIC      eth0");
});

Deno.test("pc.yaml: a power button press is one IRQ 9 that acpi claims; the status is cleared, the notify runs", async () => {
  const m = await Machine.load("machines/pc.yaml");
  const a = m.kernel.bus.get(AcpiKey);
  press(m, 10);
  m.run(50_000_000);
  assert.equal(a.irqHandled, 1);
  assert.equal(a.irqNotHandled, 0);
  assert.equal(a.fixedEventCount[2], 1, "ACPI_EVENT_POWER_BUTTON");
  assert.equal(m.kernel.ports.read(0x400, 2), 0, "PWRBTN_STS written 1 to clear");
  assert.equal((m.kernel.devices.get("acpi") as AcpiPm).sci.level, false);
  // acpi_button_notify ran later from kacpi_notify: KEY_POWER down and up
  assert.equal(a.button.pushed, 1);
  assert.deepEqual(a.button.keyEvents, [{ code: 116, value: 1 }, { code: 116, value: 0 }]);
  assert.equal(irqRow(m, 9), "  9:          1    XT-PIC      acpi");
  assert.doesNotMatch(m.dmesg(), /nobody cared|BUG:/);
});

for (const [machine, chip] of [["pc", "XT-PIC      acpi"], ["x86", "IO-APIC   9-fasteoi   acpi"]]) {
  Deno.test(`${machine}.yaml: a module sharing IRQ 9 sees each of 3 presses once`, async () => {
    const m = await Machine.load(`machines/${machine}.yaml`);
    const seen = shareIrq9(m);
    for (const t of [10, 200, 400]) press(m, t);
    m.run(600_000_000);
    const a = m.kernel.bus.get(AcpiKey);
    // level line: acpi clears PWRBTN_STS inside the handler, so the line is
    // low at the unmask / EOI and each press is exactly one interrupt
    assert.equal(seen.calls, 3);
    assert.equal(a.irqHandled, 3);
    assert.equal(a.button.pushed, 3);
    const row = irqRow(m, 9);
    assert.ok(row.endsWith(`${chip}, button_counter`), row);
    assert.equal(total(row), 3, "3 interrupts over the CPUs");
  });
}

Deno.test("pc.yaml: with PWRBTN_EN cleared by software a press latches the status but raises no SCI", async () => {
  const m = await Machine.load("machines/pc.yaml");
  m.kernel.ports.write(0x402, 0, 2);
  press(m, 10);
  m.run(50_000_000);
  assert.equal(m.kernel.ports.read(0x400, 2), 0x0100);
  assert.equal(irqRow(m, 9), "  9:          0    XT-PIC      acpi");
  // enabling it again with the status still set raises the SCI at once
  m.kernel.ports.write(0x402, 0x0100, 2);
  m.run(1_000_000);
  assert.equal(irqRow(m, 9), "  9:          1    XT-PIC      acpi");
  assert.equal(m.kernel.ports.read(0x400, 2), 0);
});

Deno.test("pc.yaml: a burst of 5 frames on the nic role is 5 XT-PIC IRQ 11 interrupts for eth0", async () => {
  const m = await Machine.load("machines/pc.yaml");
  // the PIRQ route to an ISA IRQ idles low (active-high level for the 8259)
  assert.equal(m.line("pirq.outd"), false);
  const r = applyStimulus(m.kernel, {
    role: "nic",
    action: "burst",
    args: { packets: 5, interval_us: 50 },
    delayNs: 10_000_000,
  });
  assert.ok(r.ok);
  m.run(50_000_000);
  const [eth0] = m.kernel.bus.get(E1000Key);
  assert.equal(eth0.irq, 11);
  // 50 us apart, each handled (ICR read deasserts INTA#) long before the next
  assert.deepEqual([eth0.handled, eth0.rxPackets, eth0.notOurs], [5, 5, 0]);
  assert.equal(irqRow(m, 11), " 11:          5    XT-PIC      eth0");
  assert.equal(m.line("pirq.outd"), false);
});

Deno.test("keyboard_observer on pc.yaml: the golden IRQ rows, with acpi on 9 and eth0 on 11", async () => {
  const r = await runScenario("machines/pc.yaml", { scenario: "scenarios/keyboard_observer.yaml" });
  const rows = r.interrupts.split("\n").filter((l) => /^ *\d+:/.test(l));
  // The IRQ rows before rmmod, in IRQ order: 0 timer, HZ=250 for the 2 s
  // run = 500 ticks; 1: "hello" is 5 keys, a make and a break code each =
  // 10; 2 the cascade; 4/8/12/14/15 quiet. New with the roles: 9 acpi (the
  // SCI; no press in this scenario) and 11 eth0 (PIRQD# -> IRQ 11, no
  // frames) — both XT-PIC: level in the ELCR, and Linux's i8259A_chip prints
  // no trigger column.
  assert.deepEqual(rows, [
    "  0:        500    XT-PIC      timer",
    "  1:         10    XT-PIC      i8042, my_keyboard_handler",
    "  2:          0    XT-PIC      cascade",
    "  4:          0    XT-PIC      ttyS0",
    "  8:          0    XT-PIC      rtc0",
    "  9:          0    XT-PIC      acpi",
    " 11:          0    XT-PIC      eth0",
    " 12:          0    XT-PIC      i8042",
    " 14:          0    XT-PIC      ata_piix",
    " 15:          0    XT-PIC      ata_piix",
  ]);
});

Deno.test("x86.yaml without a PM1 block: plugins/ioapic's acpi_sci still requests IRQ 9, which never claims", async () => {
  const text = (await Deno.readTextFile("machines/x86.yaml"))
    .replace(/^ {2}acpi: \{ kind: acpi_pm.*\n/m, "")
    .replace(/^ {2}- acpi\.sci -> .*\n/gm, "")
    .replace(/^ {2}button: acpi\n/m, "");
  const { spec, source } = loadMachineSpec(text, "x86-nopm1.yaml");
  const m = new Machine((await buildMachine(spec, source, builtinPlugins)).kernel);
  assert.equal(m.kernel.bus.tryGet(AcpiKey), undefined);
  assert.equal(
    irqRow(m, 9),
    "  9:          0          0          0          0   IO-APIC   9-fasteoi   acpi",
  );
});

Deno.test("role_irq on x86.yaml: the button is the SCI (IRQ 9), the NIC its PIRQD# GSI 19", async () => {
  const m = await Machine.load("machines/x86.yaml");
  m.kernel.enter(() => {
    // acpi.sci -> ioapic.pin9; nic.intx -> pirq.pirqd, pirq.outd -> ioapic.pin19
    assert.equal(role_irq("button"), 9);
    assert.equal(role_irq("nic"), 19);
  });
});

Deno.test("x86.yaml: the SCI on IOAPIC pin 9 is level, active high: Remote IRR set by the press, cleared by the EOI", async () => {
  const m = await Machine.load("machines/x86.yaml");
  const io = m.kernel.devices.get("ioapic") as IoApic;
  // redirection entry 9: low dword at index 0x10 + 2 * 9
  const rte9 = () => {
    m.writel(IO_APIC_REDIR_TABLE + 18, io.base + IO_APIC_REGSEL);
    return m.readl(io.base + IO_APIC_WINDOW);
  };
  // bit 15 trigger mode 1 = level, bit 13 polarity 0 = active high (the MADT override)
  assert.equal((rte9() >> 15) & 1, 1);
  assert.equal((rte9() >> 13) & 1, 0);
  m.run(1_000_000);
  (m.kernel.devices.get("acpi") as AcpiPm).press();
  assert.equal(m.line("ioapic.pin9"), true);
  assert.equal(rte9() & IO_APIC_REDIR_REMOTE_IRR, IO_APIC_REDIR_REMOTE_IRR);
  m.run(1_000_000);
  // acpi_irq cleared PWRBTN_STS (the pin dropped) before ioapic_ack_level's EOI
  assert.equal(m.line("ioapic.pin9"), false);
  assert.equal(rte9() & IO_APIC_REDIR_REMOTE_IRR, 0);
  assert.equal(m.kernel.bus.get(AcpiKey).irqHandled, 1);
});
