/**
 * The legacy PC (machines/pc.yaml) driven headless through the documented
 * Machine API, and the kernel's reactions seen end to end.
 */
import assert from "node:assert/strict";
import { disable_irq_nosync, enable_irq } from "../plugins/genirq/api.ts";
import { Machine } from "../runner/machine.ts";
import { main } from "../tools/run.ts";
import {
  OCW3_RIS,
  OCW3_RR,
  OCW3_SELECT,
  PIC_MASTER_CMD,
  PIC_MASTER_IMR,
  SPECIFIC_EOI,
} from "../plugins/i8259/mod.ts";

const READ_ISR = OCW3_SELECT | OCW3_RR | OCW3_RIS;

Deno.test("Machine.inta acknowledges IRQ 1 on pc.yaml with vector 0x31 and the EOI clears ISR", async () => {
  const m = await Machine.load("machines/pc.yaml");
  // Linux programmed the PIT at boot: its first rising edge is waiting on IR0.
  assert.equal(m.intr(0), true);
  assert.equal(m.inta(0), 0x30);
  m.outb(SPECIFIC_EOI | 0, PIC_MASTER_CMD);
  m.outb(0xf9, PIC_MASTER_IMR); // only IR1 and the cascade unmasked
  assert.equal(m.intr(0), false);
  m.setLine("keyboard.irq1", true);
  assert.equal(m.intr(0), true);
  assert.equal(m.inta(0), 0x31, "ISA_IRQ_VECTOR(1) as init_8259A programmed it");
  m.outb(READ_ISR, PIC_MASTER_CMD);
  assert.equal(m.inb(PIC_MASTER_CMD), 0x02);
  m.outb(SPECIFIC_EOI | 1, PIC_MASTER_CMD);
  assert.equal(m.inb(PIC_MASTER_CMD), 0x00);
});

Deno.test("Linux's init_8259A leaves only the requested IRQs unmasked on pc.yaml", async () => {
  const m = await Machine.load("machines/pc.yaml");
  // requested at boot: 0 timer, 1 i8042, 2 cascade, 4 ttyS0 | slave: 8 rtc0, 9 acpi,
  // 11 eth0, 12 i8042, 14/15 ata_piix: slave IMR = ~(bits 0,1,3,4,6,7) = 0b00100100
  assert.equal(m.inb(0x21), 0xe8);
  assert.equal(m.inb(0xa1), 0x24);
});

Deno.test("disable_irq on an XT-PIC irq masks the line at once (the chip has irq_disable)", async () => {
  const m = await Machine.load("machines/pc.yaml");
  m.kernel.enter(() => disable_irq_nosync(4));
  assert.equal(m.inb(0x21) & 0x10, 0x10);
  m.kernel.enter(() => enable_irq(4));
  assert.equal(m.inb(0x21) & 0x10, 0);
});

Deno.test("a request withdrawn before INTA becomes a spurious IRQ7 that Linux reports once and counts in ERR", async () => {
  const m = await Machine.load("machines/pc.yaml");
  m.outb(0xfd, PIC_MASTER_IMR); // only IR1: keep the timer quiet
  for (let i = 0; i < 2; i++) {
    m.setLine("keyboard.irq1", true);
    m.setLine("keyboard.irq1", false);
    m.run(1_000_000);
  }
  const lines = m.kernel.log.lines();
  assert.equal(lines.filter((l) => l === "spurious 8259A interrupt: IRQ7.").length, 1);
  const interrupts = m.proc("/proc/interrupts")!;
  assert.match(interrupts, /\nERR: {10}2\n/);
  assert.doesNotMatch(interrupts, /\n {2}7:/, "IRQ 7 has no action and no count: no row");
});

Deno.test("the timer ticks at HZ: IRQ 0 counts 250 per simulated second on pc.yaml", async () => {
  const m = await Machine.load("machines/pc.yaml");
  m.run(1_000_000_000);
  const row = m.proc("/proc/interrupts")!.split("\n").find((l) => l.startsWith("  0:"))!;
  assert.equal(row, "  0:        250    XT-PIC      timer");
  assert.equal(m.kernel.jiffies, 250);
});

Deno.test("main exits 1 with BUG: scheduling while atomic when a handler sleeps, and 0 with --keep-going", async () => {
  let out = "", err = "";
  const io = { write: (s: string) => (out += s), error: (s: string) => (err += s) };
  const code = await main(
    ["machines/pc.yaml", "--scenario", "tests/fixtures/sleep_in_irq.yaml"],
    io,
  );
  assert.equal(code, 1);
  assert.match(out, /\] BUG: scheduling while atomic: swapper\/0\/0\/0x00010001\n/);
  assert.match(err, /run stopped by a kernel BUG/);
  out = err = "";
  const code2 = await main(
    ["machines/pc.yaml", "--scenario", "tests/fixtures/sleep_in_irq.yaml", "--keep-going"],
    io,
  );
  assert.equal(code2, 0);
  assert.equal(out.match(/BUG: scheduling while atomic/g)?.length, 2, "press and release");
});
