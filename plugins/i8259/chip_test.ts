/**
 * The 8259A pair driven only as Linux and the board drive it: port I/O
 * (ICW/OCW/ELCR by name) and IRQ wires. State is observed through status
 * reads (OCW3), the CPU's INTR level, `inta()` and the register getters.
 */
import assert from "node:assert/strict";
import type { Kernel } from "../../core/kernel.ts";
import { connect, InputPin, OutputPin } from "../../core/line.ts";
import type { DeviceKind } from "../../core/plugin.ts";
import { testKernel } from "../../tests/helpers.ts";
import {
  type DeviceOptions,
  FLOATING_BUS,
  I8259,
  i8259,
  ICW1_IC4,
  ICW1_LTIM,
  ICW1_SELECT,
  ICW1_SNGL,
  ICW4_AEOI,
  ICW4_SFNM,
  ICW4_UPM,
  NON_SPECIFIC_EOI,
  OCW3_ESMM,
  OCW3_P,
  OCW3_RIS,
  OCW3_RR,
  OCW3_SELECT,
  OCW3_SMM,
  PIC_CASCADE_IR,
  PIC_ELCR1,
  PIC_ELCR2,
  PIC_MASTER_CMD,
  PIC_MASTER_IMR,
  PIC_SLAVE_CMD,
  PIC_SLAVE_IMR,
  POLL_I,
  ROTATE_AEOI_SET,
  ROTATE_NON_SPECIFIC_EOI,
  ROTATE_SPECIFIC_EOI,
  SET_PRIORITY,
  SPECIFIC_EOI,
} from "./mod.ts";

/** ISA_IRQ_VECTOR(irq) (arch/x86/include/asm/irq_vectors.h). */
const ISA_IRQ_VECTOR = (irq: number) => 0x30 + irq;
/** OCW3 "read IRR on the next command-port read" (Linux writes 0x0A). */
const OCW3_READ_IRR = OCW3_SELECT | OCW3_RR;
/** OCW3 "read ISR on the next command-port read" (Linux writes 0x0B). */
const OCW3_READ_ISR = OCW3_SELECT | OCW3_RR | OCW3_RIS;

interface Pc {
  k: Kernel;
  master: I8259;
  slave: I8259;
  /** Device IRQ lines by Linux IRQ number (2 is the cascade and stays unconnected). */
  irq: OutputPin[];
  /** The CPU's INTR input, driven by the master's INT. */
  intr: InputPin;
  outb(value: number, port: number): void;
  inb(port: number): number;
}

/** The i8259 device kind, as the plugin registers it. */
function deviceKind(k: Kernel): DeviceKind<DeviceOptions> {
  const kinds: DeviceKind<unknown>[] = [];
  i8259().setup({
    kernel: k,
    defineDevice(kind) {
      kinds.push(kind as DeviceKind<unknown>);
    },
  });
  assert.equal(kinds.length, 1);
  assert.equal(kinds[0].kind, "i8259");
  return kinds[0] as DeviceKind<DeviceOptions>;
}

function inputPin(chip: I8259, name: string): InputPin {
  const pin = chip.pins.get(name);
  assert.ok(pin instanceof InputPin, `${chip.name}.${name} is an input`);
  return pin;
}

function outputPin(chip: I8259, name: string): OutputPin {
  const pin = chip.pins.get(name);
  assert.ok(pin instanceof OutputPin, `${chip.name}.${name} is an output`);
  return pin;
}

/** A PC's cascaded pair built through the device kind, wired as a machine file would. */
function pc(): Pc {
  const k = testKernel();
  const kind = deviceKind(k);
  const master = kind.create("pic_master", kind.options.parse({ io_base: PIC_MASTER_CMD }), k);
  const slave = kind.create("pic_slave", kind.options.parse({ io_base: PIC_SLAVE_CMD }), k);
  assert.ok(master instanceof I8259 && slave instanceof I8259);
  connect(outputPin(slave, "int"), inputPin(master, `ir${PIC_CASCADE_IR}`));
  const intr = new InputPin("cpu0.intr");
  connect(outputPin(master, "int"), intr);
  const irq: OutputPin[] = [];
  for (let n = 0; n < 16; n++) {
    const line = new OutputPin(`dev${n}.irq`);
    irq.push(line);
    if (n === PIC_CASCADE_IR) continue;
    connect(line, inputPin(n < 8 ? master : slave, `ir${n & 7}`));
  }
  return {
    k,
    master,
    slave,
    irq,
    intr,
    outb: (value, port) => k.ports.write(port, value, 1),
    inb: (port) => k.ports.read(port, 1),
  };
}

/**
 * init_8259A(auto_eoi) from arch/x86/kernel/i8259.c (reference §7.6), then
 * the masks Linux restores (all open here unless given).
 */
function initLinux(
  p: Pc,
  opts: { autoEoi?: boolean; masterMask?: number; slaveMask?: number } = {},
) {
  const { outb } = p;
  outb(0xff, PIC_MASTER_IMR);
  outb(ICW1_SELECT | ICW1_IC4, PIC_MASTER_CMD); // 0x11
  outb(ISA_IRQ_VECTOR(0), PIC_MASTER_IMR); // 0x30
  outb(1 << PIC_CASCADE_IR, PIC_MASTER_IMR); // 0x04
  outb(opts.autoEoi ? ICW4_UPM | ICW4_AEOI : ICW4_UPM, PIC_MASTER_IMR); // 0x03 / 0x01
  outb(ICW1_SELECT | ICW1_IC4, PIC_SLAVE_CMD); // 0x11
  outb(ISA_IRQ_VECTOR(8), PIC_SLAVE_IMR); // 0x38
  outb(PIC_CASCADE_IR, PIC_SLAVE_IMR); // 0x02
  outb(ICW4_UPM, PIC_SLAVE_IMR); // 0x01
  outb(opts.masterMask ?? 0x00, PIC_MASTER_IMR);
  outb(opts.slaveMask ?? 0x00, PIC_SLAVE_IMR);
}

/** Linux's EOI for `irq` (mask_and_ack_8259A without the mask). */
function eoi(p: Pc, irq: number): void {
  if (irq >= 8) {
    p.outb(SPECIFIC_EOI | (irq & 7), PIC_SLAVE_CMD);
    p.outb(SPECIFIC_EOI | PIC_CASCADE_IR, PIC_MASTER_CMD);
  } else {
    p.outb(SPECIFIC_EOI | irq, PIC_MASTER_CMD);
  }
}

function readIsr(p: Pc, cmd = PIC_MASTER_CMD): number {
  p.outb(OCW3_READ_ISR, cmd);
  const v = p.inb(cmd);
  p.outb(OCW3_READ_IRR, cmd);
  return v;
}

function readIrr(p: Pc, cmd = PIC_MASTER_CMD): number {
  p.outb(OCW3_READ_IRR, cmd);
  return p.inb(cmd);
}

/** Raise an edge and take the interrupt: the vector. */
function fire(p: Pc, irq: number): number {
  p.irq[irq].set(true);
  const v = p.master.inta();
  p.irq[irq].set(false);
  return v;
}

function debugLog(k: Kernel): string[] {
  return k.log.records.filter((r) => r.level === 7).map((r) => r.text);
}

// ---------------------------------------------------------------------------

Deno.test("I8259 Linux init_8259A sequence maps IRQ n to vector 0x30 + n", () => {
  const p = pc();
  initLinux(p, { masterMask: 0xfa, slaveMask: 0xef }); // IRQ0, IRQ2 (cascade), IRQ12 open
  assert.equal(p.inb(PIC_MASTER_IMR), 0xfa);
  assert.equal(p.inb(PIC_SLAVE_IMR), 0xef);
  p.outb(0x00, PIC_MASTER_IMR);
  p.outb(0x00, PIC_SLAVE_IMR);
  for (let irq = 0; irq < 16; irq++) {
    if (irq === PIC_CASCADE_IR) continue;
    p.irq[irq].set(true);
    assert.equal(p.intr.level, true, `INTR for IRQ${irq}`);
    assert.equal(p.master.inta(), ISA_IRQ_VECTOR(irq), `vector of IRQ${irq}`);
    p.irq[irq].set(false);
    eoi(p, irq);
    assert.equal(p.master.isr | p.slave.isr, 0, `ISR clear after EOI of IRQ${irq}`);
    assert.equal(p.intr.level, false);
  }
});

Deno.test("I8259.inta returns the slave vector for a cascaded request", () => {
  const p = pc();
  initLinux(p);
  p.irq[12].set(true);
  assert.equal(p.intr.level, true);
  assert.equal(p.master.inta(), 0x3c);
  assert.equal(readIsr(p, PIC_MASTER_CMD), 1 << PIC_CASCADE_IR);
  assert.equal(readIsr(p, PIC_SLAVE_CMD), 1 << 4);
  p.irq[12].set(false);
  eoi(p, 12);
  assert.equal(p.master.isr, 0);
  assert.equal(p.slave.isr, 0);
});

Deno.test("I8259 OCW3 0x0A/0x0B select IRR or ISR for command-port reads; data port reads IMR", () => {
  const p = pc();
  initLinux(p, { masterMask: 0x40 });
  p.irq[3].set(true);
  assert.equal(p.inb(PIC_MASTER_CMD), 1 << 3, "IRR is selected after ICW1");
  p.outb(OCW3_READ_ISR, PIC_MASTER_CMD);
  assert.equal(p.inb(PIC_MASTER_CMD), 0);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(3));
  assert.equal(p.inb(PIC_MASTER_CMD), 1 << 3, "ISR stays selected");
  assert.equal(p.inb(PIC_MASTER_IMR), 0x40, "A0 = 1 reads IMR whatever OCW3 selected");
  p.outb(OCW3_READ_IRR, PIC_MASTER_CMD);
  assert.equal(p.inb(PIC_MASTER_CMD), 0, "the acknowledged edge left IRR");
});

Deno.test("I8259 keeps a masked request in IRR and delivers it on unmask", () => {
  const p = pc();
  initLinux(p, { masterMask: 1 << 5 });
  p.irq[5].set(true);
  assert.equal(p.intr.level, false, "IMR masks delivery");
  assert.equal(readIrr(p), 1 << 5, "IRR records the masked request");
  p.outb(0x00, PIC_MASTER_IMR);
  assert.equal(p.intr.level, true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(5));
});

Deno.test("I8259 priority: IR0 beats IR1; a higher level in service blocks lower ones until EOI", () => {
  const p = pc();
  initLinux(p);
  p.irq[1].set(true);
  p.irq[0].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(0));
  assert.equal(p.intr.level, false, "IR1 waits while IR0 is in service");
  assert.equal(readIrr(p), 1 << 1);
  eoi(p, 0);
  assert.equal(p.intr.level, true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(1));
});

Deno.test("I8259 priority: a lower level in service does not block a higher one (nesting)", () => {
  const p = pc();
  initLinux(p);
  p.irq[4].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(4));
  p.irq[3].set(true);
  assert.equal(p.intr.level, true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(3));
  assert.equal(readIsr(p), (1 << 3) | (1 << 4));
});

Deno.test("I8259 non-specific EOI clears the highest-priority ISR bit, specific EOI the named one", () => {
  const p = pc();
  initLinux(p);
  const nest = () => {
    assert.equal(fire(p, 3), ISA_IRQ_VECTOR(3));
    assert.equal(fire(p, 1), ISA_IRQ_VECTOR(1));
    assert.equal(readIsr(p), (1 << 1) | (1 << 3));
  };
  nest();
  p.outb(NON_SPECIFIC_EOI, PIC_MASTER_CMD);
  assert.equal(readIsr(p), 1 << 3);
  p.outb(NON_SPECIFIC_EOI, PIC_MASTER_CMD);
  assert.equal(readIsr(p), 0);

  nest();
  p.outb(SPECIFIC_EOI | 3, PIC_MASTER_CMD);
  assert.equal(readIsr(p), 1 << 1);
});

Deno.test("I8259 rotate on non-specific EOI makes the serviced level the lowest priority", () => {
  const p = pc();
  initLinux(p);
  assert.equal(fire(p, 0), ISA_IRQ_VECTOR(0));
  p.outb(ROTATE_NON_SPECIFIC_EOI, PIC_MASTER_CMD);
  assert.equal(p.master.isr, 0);
  p.irq[0].set(true);
  p.irq[5].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(5), "IR0 is now the lowest priority");
});

Deno.test("I8259 set priority and rotate on specific EOI choose the lowest-priority level", () => {
  const p = pc();
  initLinux(p);
  p.outb(SET_PRIORITY | 4, PIC_MASTER_CMD); // order 5 6 7 0 1 2 3 4
  p.irq[3].set(true);
  p.irq[6].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(6));
  p.outb(ROTATE_SPECIFIC_EOI | 6, PIC_MASTER_CMD); // order 7 0 1 2 3 4 5 6
  assert.equal(p.master.isr, 0);
  p.irq[6].set(false);
  p.irq[6].set(true);
  p.irq[1].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(1));
  p.outb(SPECIFIC_EOI | 1, PIC_MASTER_CMD);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(3), "IR3 before IR6 now");
});

Deno.test("I8259 auto-EOI leaves ISR clear so lower levels are not blocked", () => {
  const p = pc();
  initLinux(p, { autoEoi: true });
  p.irq[3].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(3));
  assert.equal(readIsr(p), 0);
  p.irq[4].set(true);
  assert.equal(p.intr.level, true, "IR4 is not held back by IR3");
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(4));
});

Deno.test("I8259 rotate in auto-EOI mode makes each acknowledged level the lowest", () => {
  const p = pc();
  initLinux(p, { autoEoi: true });
  p.outb(ROTATE_AEOI_SET, PIC_MASTER_CMD);
  assert.equal(fire(p, 0), ISA_IRQ_VECTOR(0));
  p.irq[0].set(true);
  p.irq[1].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(1), "IR0 went to the bottom");
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(0));
});

Deno.test("I8259 slave in auto-EOI mode re-triggers the master's edge IR2 for its next request", () => {
  const p = pc();
  initLinux(p);
  p.outb(ICW1_SELECT | ICW1_IC4, PIC_SLAVE_CMD);
  p.outb(ISA_IRQ_VECTOR(8), PIC_SLAVE_IMR);
  p.outb(PIC_CASCADE_IR, PIC_SLAVE_IMR);
  p.outb(ICW4_UPM | ICW4_AEOI, PIC_SLAVE_IMR);
  p.irq[9].set(true);
  p.irq[12].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(9));
  assert.equal(p.slave.isr, 0);
  assert.equal(p.intr.level, false, "the master's IR2 is in service");
  p.outb(SPECIFIC_EOI | PIC_CASCADE_IR, PIC_MASTER_CMD);
  assert.equal(p.intr.level, true, "IRQ12 reached the master through a new IR2 edge");
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(12));
});

Deno.test("I8259 poll command returns 0x80|level and acknowledges like INTA", () => {
  const p = pc();
  initLinux(p);
  p.irq[4].set(true);
  p.irq[6].set(true);
  assert.equal(p.intr.level, true);
  p.outb(OCW3_SELECT | OCW3_P, PIC_MASTER_CMD);
  assert.equal(p.inb(PIC_MASTER_CMD), POLL_I | 4);
  assert.equal(p.master.isr, 1 << 4, "the polled level is in service");
  assert.equal(p.intr.level, false, "IR6 waits behind IR4");
  assert.equal(p.inb(PIC_MASTER_CMD), 1 << 6, "poll is one-shot: the next read is IRR");
  p.outb(OCW3_SELECT | OCW3_P, PIC_MASTER_CMD);
  assert.equal(p.inb(PIC_MASTER_CMD), 0, "nothing deliverable: I = 0");
  assert.equal(p.master.isr, 1 << 4);
});

Deno.test("I8259 special mask mode lets lower levels past a masked in-service level", () => {
  const p = pc();
  initLinux(p);
  p.irq[3].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(3));
  p.irq[5].set(true);
  p.outb(1 << 3, PIC_MASTER_IMR);
  assert.equal(p.intr.level, false, "fully nested: IR3 in service blocks IR5");
  p.outb(OCW3_SELECT | OCW3_ESMM | OCW3_SMM, PIC_MASTER_CMD);
  assert.equal(p.intr.level, true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(5));
  assert.equal(readIsr(p), (1 << 3) | (1 << 5));
  // Datasheet: in special mask mode a non-specific EOI skips masked IS bits.
  p.outb(NON_SPECIFIC_EOI, PIC_MASTER_CMD);
  assert.equal(readIsr(p), 1 << 3);
  p.outb(OCW3_SELECT | OCW3_ESMM, PIC_MASTER_CMD); // leave special mask mode
  p.outb(NON_SPECIFIC_EOI, PIC_MASTER_CMD);
  assert.equal(readIsr(p), 0);
});

Deno.test("I8259.inta gives the default IR7 without ISR when an edge is withdrawn before INTA", () => {
  const p = pc();
  initLinux(p);
  p.irq[3].set(true);
  assert.equal(p.intr.level, true);
  p.irq[3].set(false);
  assert.equal(readIrr(p), 0, "the IRR latch follows the withdrawn input");
  assert.equal(p.intr.level, true, "INT stays up until the CPU acknowledges");
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(7));
  assert.equal(readIsr(p), 0, "a default IR7 sets no ISR bit");
  assert.equal(p.intr.level, false);
  // A real IR7 does set ISR bit 7: this is how Linux tells them apart.
  assert.equal(fire(p, 7), ISA_IRQ_VECTOR(7));
  assert.equal(readIsr(p), 1 << 7);
});

Deno.test("I8259.inta gives the default IR7 when the request was masked after INT rose", () => {
  const p = pc();
  initLinux(p);
  p.irq[4].set(true);
  p.outb(1 << 4, PIC_MASTER_IMR); // masked while the CPU had interrupts off
  assert.equal(p.intr.level, true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(7), "spurious IRQ7 arrives even though masked");
  assert.equal(p.master.isr, 0);
  assert.equal(p.intr.level, false);
  assert.equal(readIrr(p), 1 << 4, "the masked request is still recorded");
});

Deno.test("I8259.inta gives 0x3F with master ISR bit 2 set for a spurious slave request", () => {
  const p = pc();
  initLinux(p);
  p.irq[12].set(true);
  p.irq[12].set(false);
  assert.equal(readIrr(p, PIC_SLAVE_CMD), 0);
  assert.equal(p.intr.level, true, "the slave's INT holds the master's IR2 up");
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(15));
  assert.equal(readIsr(p, PIC_MASTER_CMD), 1 << PIC_CASCADE_IR, "the master acknowledged IR2");
  assert.equal(readIsr(p, PIC_SLAVE_CMD), 0, "the slave set no ISR bit");
  // Linux must EOI the master for a spurious IRQ15.
  p.outb(SPECIFIC_EOI | PIC_CASCADE_IR, PIC_MASTER_CMD);
  assert.equal(p.master.isr, 0);
  assert.equal(p.intr.level, false);
});

Deno.test("I8259 level mode via ICW1 LTIM re-asserts after EOI while the line is high", () => {
  const p = pc();
  const { outb } = p;
  outb(ICW1_SELECT | ICW1_LTIM | ICW1_SNGL | ICW1_IC4, PIC_MASTER_CMD);
  outb(ISA_IRQ_VECTOR(0), PIC_MASTER_IMR);
  outb(ICW4_UPM, PIC_MASTER_IMR);
  outb(0x00, PIC_MASTER_IMR);
  p.irq[3].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(3));
  assert.equal(readIrr(p), 1 << 3, "level: IRR follows the line, not the acknowledge");
  assert.equal(p.intr.level, false);
  eoi(p, 3);
  assert.equal(p.intr.level, true, "still high: the request comes back");
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(3));
  p.irq[3].set(false);
  eoi(p, 3);
  assert.equal(p.intr.level, false);
});

Deno.test("I8259 edge mode does not re-assert after EOI while the line stays high", () => {
  const p = pc();
  initLinux(p);
  p.irq[3].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(3));
  eoi(p, 3);
  assert.equal(p.intr.level, false);
  assert.equal(readIrr(p), 0);
  p.irq[3].set(false);
  p.irq[3].set(true);
  assert.equal(p.intr.level, true, "a new edge is a new request");
});

Deno.test("I8259 ELCR level bit makes an IR re-assert after EOI; an edge IR beside it does not", () => {
  const p = pc();
  initLinux(p);
  p.outb(1 << (10 - 8), PIC_ELCR2); // IRQ10 level-triggered
  assert.equal(p.slave.elcr, 1 << 2);
  p.irq[10].set(true);
  p.irq[11].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(10));
  eoi(p, 10);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(10), "IRQ10 is still requested");
  eoi(p, 10);
  p.irq[10].set(false);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(11));
  eoi(p, 11);
  assert.equal(p.intr.level, false, "IRQ11 (edge) is not requested again");
  assert.equal(readIrr(p, PIC_SLAVE_CMD), 0);
});

Deno.test("I8259 ELCR reserved bits stay 0 (ELCR1 F8h, ELCR2 DEh)", () => {
  const p = pc();
  p.outb(0xff, PIC_ELCR1);
  p.outb(0xff, PIC_ELCR2);
  assert.equal(p.inb(PIC_ELCR1), 0xf8);
  assert.equal(p.inb(PIC_ELCR2), 0xde);
  assert.equal(p.master.elcr, 0xf8);
  // IRQ1 stays edge-triggered whatever was written.
  initLinux(p);
  p.irq[1].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(1));
  eoi(p, 1);
  assert.equal(p.intr.level, false);
});

Deno.test("I8259 ICW1 clears IMR, ISR and the edge-sense latches", () => {
  const p = pc();
  initLinux(p);
  p.irq[5].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(5));
  p.outb(0xff, PIC_MASTER_IMR);
  assert.equal(p.inb(PIC_MASTER_IMR), 0xff);
  p.irq[6].set(true); // latched in IRR while masked
  p.outb(ICW1_SELECT | ICW1_IC4, PIC_MASTER_CMD);
  assert.equal(p.inb(PIC_MASTER_IMR), 0, "ICW1 clears IMR");
  p.outb(ISA_IRQ_VECTOR(0), PIC_MASTER_IMR);
  p.outb(1 << PIC_CASCADE_IR, PIC_MASTER_IMR);
  p.outb(ICW4_UPM, PIC_MASTER_IMR);
  assert.equal(readIsr(p), 0, "ICW1 clears ISR");
  assert.equal(readIrr(p), 0, "held-high inputs need a new edge");
  assert.equal(p.intr.level, false);
  p.irq[6].set(false);
  p.irq[6].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(6));
});

Deno.test("I8259 special fully nested mode lets a higher slave request through while the slave is in service", () => {
  for (const sfnm of [false, true]) {
    const p = pc();
    initLinux(p);
    if (sfnm) {
      p.outb(ICW1_SELECT | ICW1_IC4, PIC_MASTER_CMD);
      p.outb(ISA_IRQ_VECTOR(0), PIC_MASTER_IMR);
      p.outb(1 << PIC_CASCADE_IR, PIC_MASTER_IMR);
      p.outb(ICW4_UPM | ICW4_SFNM, PIC_MASTER_IMR);
    }
    p.irq[13].set(true);
    assert.equal(p.master.inta(), ISA_IRQ_VECTOR(13));
    p.irq[9].set(true); // higher priority on the slave
    assert.equal(p.intr.level, sfnm, `SFNM ${sfnm}`);
    if (sfnm) {
      assert.equal(p.master.inta(), ISA_IRQ_VECTOR(9));
      assert.equal(readIsr(p, PIC_SLAVE_CMD), (1 << 1) | (1 << 5));
      p.irq[4].set(true); // lower than the slave on the master: still blocked
      assert.equal(p.intr.level, false);
    }
  }
});

Deno.test("I8259 ICW1 with SNGL skips ICW3: the next byte is ICW4", () => {
  const p = pc();
  p.outb(ICW1_SELECT | ICW1_SNGL | ICW1_IC4, PIC_MASTER_CMD);
  p.outb(ISA_IRQ_VECTOR(0), PIC_MASTER_IMR);
  p.outb(ICW4_UPM | ICW4_AEOI, PIC_MASTER_IMR); // a guest's "ICW3" would land here
  p.outb(0xf0, PIC_MASTER_IMR);
  assert.equal(p.inb(PIC_MASTER_IMR), 0xf0, "the sequence ended after ICW4");
  p.irq[1].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(1));
  assert.equal(p.master.isr, 0, "ICW4 AEOI took effect");
});

Deno.test("I8259 OCW during the ICW sequence acts, is logged once and leaves the sequence waiting", () => {
  const p = pc();
  p.outb(ICW1_SELECT | ICW1_IC4, PIC_MASTER_CMD);
  p.outb(OCW3_READ_ISR, PIC_MASTER_CMD);
  p.outb(OCW3_READ_ISR, PIC_MASTER_CMD);
  p.outb(ISA_IRQ_VECTOR(0), PIC_MASTER_IMR);
  p.outb(1 << PIC_CASCADE_IR, PIC_MASTER_IMR);
  p.outb(ICW4_UPM, PIC_MASTER_IMR);
  p.outb(0xaa, PIC_MASTER_IMR);
  assert.equal(p.inb(PIC_MASTER_IMR), 0xaa, "the byte after ICW4 is OCW1");
  const log = debugLog(p.k).filter((t) => t.includes("while waiting for ICW2"));
  assert.equal(log.length, 1);
  assert.match(log[0], /pic_master: OCW 0x0b written while waiting for ICW2/);
  p.irq[3].set(true);
  assert.equal(p.intr.level, false, "IR3 is masked by 0xaa ...");
  p.outb(0x00, PIC_MASTER_IMR);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(3), "... and the vector base came from ICW2");
  assert.equal(p.inb(PIC_MASTER_CMD), 1 << 3, "the OCW3 read selection (ISR) held");
});

Deno.test("I8259.inta floats the bus when no slave has the cascade address", () => {
  const p = pc();
  initLinux(p);
  p.outb(ICW1_SELECT | ICW1_IC4, PIC_SLAVE_CMD);
  p.outb(ISA_IRQ_VECTOR(8), PIC_SLAVE_IMR);
  p.outb(3, PIC_SLAVE_IMR); // wrong ID: the slave hangs on IR2
  p.outb(ICW4_UPM, PIC_SLAVE_IMR);
  p.irq[12].set(true);
  assert.equal(p.master.inta(), FLOATING_BUS);
  assert.equal(p.master.isr, 1 << PIC_CASCADE_IR);
  assert.equal(p.slave.isr, 0);
  assert.ok(debugLog(p.k).some((t) => /pic_slave: not answering cascade address 2/.test(t)));
});

Deno.test("I8259.inta without ICW4 answers in MCS-80/85 mode with the CALL address low byte", () => {
  const p = pc();
  const callA7A5 = 0xa0;
  p.outb(callA7A5 | ICW1_SELECT | ICW1_SNGL, PIC_MASTER_CMD); // no IC4, interval 8
  p.outb(0x12, PIC_MASTER_IMR); // ICW2 = A15-A8
  p.outb(0x00, PIC_MASTER_IMR);
  p.irq[3].set(true);
  assert.equal(p.master.inta(), (callA7A5 & 0xc0) | (3 << 3));
  assert.ok(
    p.k.log.records.some((r) =>
      r.level === 4 && /pic_master: not implemented: MCS-80\/85 mode/.test(r.text)
    ),
  );
});

Deno.test("I8259.reset restores the power-on state and releases INT", () => {
  const p = pc();
  initLinux(p, { masterMask: 0x10 });
  p.outb(0xff, PIC_ELCR1);
  p.irq[3].set(true);
  assert.equal(p.master.inta(), ISA_IRQ_VECTOR(3));
  p.irq[5].set(true);
  p.master.reset();
  assert.equal(p.master.imr, 0);
  assert.equal(p.master.isr, 0);
  assert.equal(p.master.irr, 0);
  assert.equal(p.master.elcr, 0);
  assert.equal(p.inb(PIC_ELCR1), 0);
  assert.equal(p.master.state.icwStep, "ready");
  assert.equal(p.intr.level, false);
});

Deno.test("i8259 device options are strict and give the PIIX ELCR port by io_base", () => {
  const k = testKernel();
  const kind = deviceKind(k);
  assert.equal(kind.options.safeParse({ io_base: 0x20, irq_base: 8 }).success, false);
  assert.equal(kind.options.safeParse({ io_base: "0x20" }).success, false);
  assert.deepEqual(kind.options.parse({}), { io_base: PIC_MASTER_CMD });

  const slave = kind.create("pic_slave", kind.options.parse({ io_base: PIC_SLAVE_CMD }), k);
  assert.ok(slave instanceof I8259);
  k.ports.write(PIC_ELCR2, 0x02, 1);
  assert.equal(slave.elcr, 0x02, "io_base 0xA0 gets ELCR2 at 0x4D1");

  const bare = kind.create("pic_at", kind.options.parse({ io_base: 0x20, elcr_port: null }), k);
  assert.ok(bare instanceof I8259);
  assert.equal(k.ports.read(PIC_ELCR1, 1), 0xff, "no ELCR: the port floats");
  assert.equal(bare.elcrRegisters, undefined);
});
