/**
 * PCI INTx on machines/x86.yaml: the level-triggered (fasteoi) path through
 * the PIRQ router and the IOAPIC, a line shared by two e1000 functions whose
 * drivers each check their own ICR, and the NIC's IRQ moved to CPU 2 by
 * writing smp_affinity.
 */
import assert from "node:assert/strict";
import { buildMachine } from "../config/loader.ts";
import { loadMachineSpec } from "../config/machine.ts";
import { builtinPlugins } from "../plugins/mod.ts";
import { Machine } from "../runner/machine.ts";
import {
  AhciKey,
  E1000Key,
  pci_swizzle_interrupt_pin,
  PciAhci,
  PciNic,
} from "../plugins/pci/mod.ts";
import {
  IO_APIC_REDIR_REMOTE_IRR,
  IO_APIC_REDIR_TABLE,
  IO_APIC_REGSEL,
  IO_APIC_WINDOW,
  IoApic,
} from "../plugins/ioapic/mod.ts";

const X86 = "machines/x86.yaml";

/** x86.yaml with a second NIC (00:1c.0) on the same PIRQD# link. */
async function twoNics(): Promise<Machine> {
  const text = (await Deno.readTextFile(X86))
    .replace(
      /( {2}nic: \{ kind: pci_nic.*\n)/,
      '$1  nic1: { kind: pci_nic, options: { bdf: "00:1c.0", bar0: 0xf7200000 } }\n',
    )
    .replace(
      "  - nic.intx -> pirq.pirqd",
      "  - nic.intx -> pirq.pirqd\n  - nic1.intx -> pirq.pirqd",
    );
  const { spec, source } = loadMachineSpec(text, "x86-2nics.yaml");
  return new Machine((await buildMachine(spec, source, builtinPlugins)).kernel);
}

function irqRow(m: Machine, irq: number): string {
  return m.proc("/proc/interrupts")!.split("\n").find((l) => l.trimStart().startsWith(`${irq}:`))!;
}
function counts(line: string): number[] {
  return line.split(/\s+/).filter((w) => w !== "").slice(1, 5).map(Number);
}

Deno.test("pci_swizzle_interrupt_pin rotates INTx# by the slot number", () => {
  // (((pin - 1) + slot) % 4) + 1: slot 0 keeps the pin, slot 1 turns INTA# into INTB#...
  assert.equal(pci_swizzle_interrupt_pin(0, 1), 1);
  assert.equal(pci_swizzle_interrupt_pin(1, 1), 2);
  assert.equal(pci_swizzle_interrupt_pin(3, 2), 1);
  assert.equal(pci_swizzle_interrupt_pin(5, 4), 1);
});

Deno.test("a NIC interrupt takes the fasteoi path: Remote IRR set until the handler's EOI", async () => {
  const m = await Machine.load(X86);
  const k = m.kernel;
  const nic = k.devices.get("nic") as PciNic;
  const io = k.devices.get("ioapic") as IoApic;
  const rte19 = () => {
    m.writel(IO_APIC_REDIR_TABLE + 38, io.base + IO_APIC_REGSEL);
    return m.readl(io.base + IO_APIC_WINDOW);
  };
  m.run(1_000_000);
  nic.receive();
  // the router pulled IOAPIC pin 19 low: level, active low, sent once
  assert.equal(m.line("ioapic.pin19"), false);
  assert.equal(rte19() & IO_APIC_REDIR_REMOTE_IRR, IO_APIC_REDIR_REMOTE_IRR);
  m.run(1_000_000);
  // e1000_intr read ICR (deasserting INTx#), ioapic_ack_level sent the EOI
  assert.equal(m.line("ioapic.pin19"), true);
  assert.equal(rte19() & IO_APIC_REDIR_REMOTE_IRR, 0);
  const a = k.bus.get(E1000Key)[0];
  assert.deepEqual([a.handled, a.rxPackets, a.notOurs], [1, 1, 0]);
  assert.ok(irqRow(m, 19).endsWith("IO-APIC  19-fasteoi   eth0"));
});

Deno.test("two e1000 functions share IRQ 19: each handler checks its own ICR", async () => {
  const m = await twoNics();
  const k = m.kernel;
  const [eth0, eth1] = k.bus.get(E1000Key);
  assert.equal(eth0.irq, 19);
  assert.equal(eth1.irq, 19);
  m.run(1_000_000);
  (k.devices.get("nic1") as PciNic).receive();
  m.run(1_000_000);
  // both handlers run (all actions of a shared line are called); only eth1's ICR was set
  assert.deepEqual([eth0.handled, eth0.notOurs], [0, 1]);
  assert.deepEqual([eth1.handled, eth1.notOurs], [1, 0]);
  (k.devices.get("nic") as PciNic).receive();
  (k.devices.get("nic1") as PciNic).receive();
  m.run(1_000_000);
  // one interrupt for both (the line was asserted once): both claim it
  assert.deepEqual([eth0.handled, eth1.handled], [1, 2]);
  const row = irqRow(m, 19);
  assert.ok(row.endsWith("19-fasteoi   eth0, eth1"));
  assert.equal(counts(row).reduce((x, y) => x + y), 2);
  assert.doesNotMatch(k.log.dmesg(), /nobody cared/);
});

Deno.test("echo 4 > /proc/irq/19/smp_affinity moves the NIC's interrupts to CPU 2 after the next one", async () => {
  const m = await Machine.load(X86);
  const k = m.kernel;
  const nic = k.devices.get("nic") as PciNic;
  m.run(1_000_000);
  const before = m.proc("/proc/irq/19/effective_affinity_list")!.trim();
  assert.notEqual(before, "2");
  const recv = (n: number) => {
    for (let i = 0; i < n; i++) {
      nic.receive();
      m.run(100_000);
    }
  };
  recv(3);
  assert.equal(m.write("/proc/irq/19/smp_affinity", "4"), 1);
  recv(5);
  const c = counts(irqRow(m, 19));
  // 3 before the write + the first one after it on the old CPU, where
  // ioapic_ack_level masked the entry, sent the EOI, moved the vector and
  // unmasked; the other 4 on CPU 2
  assert.equal(c[Number(before)], 4);
  assert.equal(c[2], 4);
  assert.equal(m.proc("/proc/irq/19/effective_affinity_list"), "2\n");
  assert.equal(m.proc("/proc/irq/19/smp_affinity_list"), "2\n");
});

Deno.test("an MSI NIC gets IRQ 25 on PCI-MSI with hwirq devid << 11, edge, and moves by smp_affinity", async () => {
  const text = (await Deno.readTextFile(X86)).replace(
    "bar0: 0xf7100000 }",
    "bar0: 0xf7100000, msi: true }",
  );
  const { spec, source } = loadMachineSpec(text, "x86-msi.yaml");
  const m = new Machine((await buildMachine(spec, source, builtinPlugins)).kernel);
  const nic = m.kernel.devices.get("nic") as PciNic;
  m.run(1_000_000);
  nic.receive();
  m.run(1_000_000);
  // the AHCI controller took IRQ 24, the first dynamic IRQ above the 24
  // IOAPIC GSIs; the NIC the next one
  assert.equal(m.kernel.bus.get(E1000Key)[0].irq, 25);
  const row = irqRow(m, 25);
  // 00:19.0: devid = 0x19 << 3 = 200, hwirq = 200 << 11 = 409600; no INTx# line is used
  assert.ok(row.endsWith("PCI-MSI 409600-edge      eth0"), row);
  assert.equal(counts(row).reduce((a, b) => a + b), 1);
  assert.equal(m.line("ioapic.pin19"), true, "INTx# stays deasserted under MSI");
  assert.equal(irqRow(m, 19), undefined);
  // the message carries the vector and the destination APIC ID of the effective CPU
  const cpu = Number(m.proc("/proc/irq/25/effective_affinity_list"));
  assert.equal((nic.msiAddress >>> 12) & 0xff, cpu);
  assert.equal(m.write("/proc/irq/25/smp_affinity_list", "1"), 1);
  nic.receive();
  m.run(1_000_000);
  nic.receive();
  m.run(1_000_000);
  // the first interrupt after the write still reached the old CPU and moved the vector
  const c = counts(irqRow(m, 25));
  assert.equal(c[1], cpu === 1 ? 3 : 1);
  assert.equal(m.proc("/proc/irq/25/effective_affinity_list"), "1\n");
  assert.equal((nic.msiAddress >>> 12) & 0xff, 1);
});

Deno.test("the disk role on x86.yaml is the AHCI controller: a request completes with one MSI", async () => {
  const m = await Machine.load(X86);
  const k = m.kernel;
  const disk = k.roleDevice("disk") as PciAhci;
  m.run(1_000_000);
  disk.stimuli.request.apply({ sectors: 8 }, k.now); // 8 x 20 us
  m.run(1_000_000);
  const host = k.bus.get(AhciKey)[0];
  assert.deepEqual([host.handled, host.notOurs], [1, 0]);
  // the handler wrote PxIS and IS back: nothing left pending
  assert.deepEqual([disk.pxis, disk.is], [0, 0]);
  assert.equal(counts(irqRow(m, 24)).reduce((a, b) => a + b), 1);
});
