import assert from "node:assert/strict";
import { testKernel } from "../../../tests/helpers.ts";
import { Probe } from "../_testing.ts";
import {
  COUNTER2,
  CW_BCD,
  CW_M_SHIFT,
  CW_RW_SHIFT,
  CW_SC_SHIFT,
  I8254,
  i8254Options,
  NMISC_PORT,
  NMISC_TIM_CNT2_EN,
  NMISC_TMR2_OUT_STS,
  PIT_BASE,
  PIT_CH0,
  PIT_CH2,
  PIT_MODE,
  PIT_TICK_RATE,
  pitLatch,
  pitTickNs,
  pitTicksIn,
  RB_CNT0,
  RB_COUNT_N,
  RW_LATCH,
  RW_LSB,
  RW_LSB_MSB,
  SC_READ_BACK,
  STATUS_NULL_COUNT,
  STATUS_OUTPUT,
} from "./mod.ts";

const SECOND = 1_000_000_000;

/** Independent reference: round(n * 1e9 / 1193182) in exact integers. */
function tick(n: number): number {
  const f = BigInt(PIT_TICK_RATE);
  return Number((BigInt(n) * 2_000_000_000n + f) / (2n * f));
}

function controlWord(counter: number, rw: number, mode: number, bcd = false): number {
  return (counter << CW_SC_SHIFT) | (rw << CW_RW_SHIFT) | (mode << CW_M_SHIFT) |
    (bcd ? CW_BCD : 0);
}

function setup() {
  const k = testKernel();
  const pit = new I8254(k, "pit");
  const out0 = new Probe(k, pit.out0);
  const outb = (port: number, v: number) => k.ports.write(port, v, 1);
  const inb = (port: number) => k.ports.read(port, 1);
  const program = (counter: number, mode: number, count: number) => {
    outb(PIT_MODE, controlWord(counter, RW_LSB_MSB, mode));
    outb(PIT_CH0 + counter, count & 0xff);
    outb(PIT_CH0 + counter, count >> 8);
  };
  return { k, pit, out0, outb, inb, program };
}

Deno.test("pitTickNs rounds n * 1e9 / PIT_TICK_RATE exactly and pitTicksIn inverts it", () => {
  const samples = [0, 1, 2, 4773, 596591, PIT_TICK_RATE - 1, PIT_TICK_RATE, 3 * PIT_TICK_RATE + 7];
  for (let n = 0; n < 5000; n++) samples.push(n * 2387 + (n % 13));
  samples.push(86400 * PIT_TICK_RATE + 12345); // a day of clocks: no drift, no overflow
  for (const n of samples) {
    assert.equal(pitTickNs(n), tick(n), `tick ${n}`);
    assert.equal(pitTicksIn(tick(n)), n, `ticks in ${tick(n)} ns`);
    if (n > 0) assert.equal(pitTicksIn(tick(n) - 1), n - 1, `ticks in ${tick(n) - 1} ns`);
  }
});

Deno.test("I8254 mode 2 with Linux's LATCH for HZ=250 gives out0 exactly 250 rising edges in one second", () => {
  const { k, out0, outb } = setup();
  // arch/x86/kernel/i8253.c via pit_set_periodic: 0x34 (counter 0, lobyte/hibyte, mode 2), LATCH.
  const latch = pitLatch(250);
  assert.equal(latch, 4773);
  outb(PIT_MODE, 0x34);
  outb(PIT_CH0, latch & 0xff);
  outb(PIT_CH0, latch >> 8);
  k.runUntil(SECOND);
  // The first rise is the control word itself (OUT goes high from its
  // power-on low); then one per LATCH clocks, the 249th at 0.996 s.
  assert.equal(out0.rises().length, 250);
  assert.equal(out0.rises()[0], 0);
  assert.equal(out0.rises()[249], tick(249 * latch + 1));
});

Deno.test("I8254 mode 2 holds out0 low for exactly one input clock per period", () => {
  const { k, out0, program } = setup();
  const n = 1000;
  program(0, 2, n);
  k.runUntil(tick(3 * n + 2));
  // CE loads on clock 1; OUT falls when CE reaches 1 (clock kn) and rises on the reload (kn + 1).
  assert.deepEqual(out0.falls(), [tick(n), tick(2 * n), tick(3 * n)]);
  assert.deepEqual(out0.rises(), [0, tick(n + 1), tick(2 * n + 1), tick(3 * n + 1)]);
});

Deno.test("I8254 mode 2 takes a new count at the end of the current cycle", () => {
  const { k, out0, outb, program } = setup();
  program(0, 2, 1000);
  k.runUntil(tick(500));
  outb(PIT_CH0, 2000 & 0xff);
  outb(PIT_CH0, 2000 >> 8);
  k.runUntil(tick(1001 + 2000 + 1));
  // Cycle 1 ends with its own count; the next cycle counts 2000 from clock 1001.
  assert.deepEqual(out0.falls(), [tick(1000), tick(1000 + 2000)]);
});

Deno.test("I8254 mode 3 drives a square wave high for ceil(N/2) clocks and low for floor(N/2)", () => {
  const { k, out0, program } = setup();
  program(0, 3, 7);
  k.runUntil(tick(1 + 14));
  assert.deepEqual(out0.falls(), [tick(1 + 4), tick(1 + 7 + 4)]);
  assert.deepEqual(out0.rises(), [0, tick(1 + 7), tick(1 + 14)]);
});

Deno.test("I8254 mode 0 raises out0 at terminal count and holds it until reprogrammed", () => {
  const { k, out0, outb, program } = setup();
  program(0, 0, 100);
  assert.equal(out0.level, false);
  k.runUntil(tick(101) - 1);
  assert.equal(out0.level, false);
  k.runUntil(tick(101));
  assert.equal(out0.level, true); // "OUT goes high N + 1 clocks after the count is written"
  k.runUntil(10 * SECOND); // CE wraps past 0 and keeps counting; OUT stays high
  assert.deepEqual(out0.rises(), [tick(101)]);
  assert.equal(k.clock.pending, 0, "no event is scheduled after terminal count");
  // Writing the first byte of a new count drops OUT at once (interrupt acknowledged).
  outb(PIT_CH0, 50);
  assert.equal(out0.level, false);
  assert.equal(out0.falls().at(-1), 10 * SECOND);
});

Deno.test("I8254 mode 4 strobes out0 low for one clock at terminal count", () => {
  const { k, out0, program } = setup();
  program(0, 4, 10);
  k.runUntil(SECOND);
  assert.deepEqual(out0.falls(), [tick(11)]);
  assert.deepEqual(out0.rises(), [0, tick(12)]);
});

Deno.test("I8254 counter latch command freezes the count until both bytes are read", () => {
  const { k, outb, inb, program } = setup();
  program(0, 2, 50000);
  k.runUntil(tick(1001));
  outb(PIT_MODE, controlWord(0, RW_LATCH, 0)); // counter latch command for counter 0
  k.runUntil(tick(3001)); // CE moves on; the output latch does not
  const lo = inb(PIT_CH0);
  const hi = inb(PIT_CH0);
  assert.equal(lo | (hi << 8), 50000 - 1000);
  // Unlatched reads now follow CE again.
  assert.equal(inb(PIT_CH0) | (inb(PIT_CH0) << 8), 50000 - 3000);
});

Deno.test("I8254 read-back command latches the status byte then the count", () => {
  const { k, outb, inb, program } = setup();
  outb(PIT_MODE, controlWord(0, RW_LSB_MSB, 0));
  outb(PIT_MODE, (SC_READ_BACK << CW_SC_SHIFT) | RB_COUNT_N | RB_CNT0); // status only
  const before = inb(PIT_CH0);
  assert.equal(before & STATUS_OUTPUT, 0, "mode 0 starts with OUT low");
  assert.equal(before & STATUS_NULL_COUNT, STATUS_NULL_COUNT, "no count loaded yet");
  assert.equal(before & 0x3f, controlWord(0, RW_LSB_MSB, 0) & 0x3f);
  program(0, 0, 300);
  k.runUntil(tick(301));
  outb(PIT_MODE, (SC_READ_BACK << CW_SC_SHIFT) | RB_CNT0); // status and count
  const status = inb(PIT_CH0);
  assert.equal(status & STATUS_OUTPUT, STATUS_OUTPUT);
  assert.equal(status & STATUS_NULL_COUNT, 0);
  assert.equal(inb(PIT_CH0) | (inb(PIT_CH0) << 8), 0, "CE reached terminal count");
});

Deno.test("I8254 lobyte-only access reads and writes the low byte", () => {
  const { k, outb, inb } = setup();
  outb(PIT_MODE, controlWord(0, RW_LSB, 2));
  outb(PIT_CH0, 200);
  k.runUntil(tick(11));
  assert.equal(inb(PIT_CH0), 190);
  assert.equal(inb(PIT_CH0), 190, "no flip-flop in lobyte-only access");
});

Deno.test("I8254 BCD mode counts down in decades", () => {
  const { k, outb, inb } = setup();
  outb(PIT_MODE, controlWord(0, RW_LSB_MSB, 0, true));
  outb(PIT_CH0, 0x00);
  outb(PIT_CH0, 0x10); // 1000 decimal
  k.runUntil(tick(1 + 1));
  outb(PIT_MODE, controlWord(0, RW_LATCH, 0));
  assert.equal(inb(PIT_CH0) | (inb(PIT_CH0) << 8), 0x0999);
});

Deno.test("I8254 counter 2 counts only while NMISC.TIM_CNT2_EN gates it and shows OUT in TMR2_OUT_STS", () => {
  const { k, outb, inb } = setup();
  // pit_calibrate_tsc (arch/x86/kernel/tsc.c): gate on, speaker off, mode 0 on counter 2.
  outb(NMISC_PORT, (inb(NMISC_PORT) & ~0x02) | NMISC_TIM_CNT2_EN);
  outb(PIT_MODE, 0xb0);
  outb(PIT_CH2, 1000 & 0xff);
  outb(PIT_CH2, 1000 >> 8);
  assert.equal(inb(NMISC_PORT) & NMISC_TMR2_OUT_STS, 0);
  k.runUntil(tick(501));
  outb(NMISC_PORT, 0); // gate off: CE holds
  const held = inb(PIT_BASE + COUNTER2) | (inb(PIT_BASE + COUNTER2) << 8);
  assert.equal(held, 500);
  k.runUntil(SECOND);
  assert.equal(inb(NMISC_PORT) & NMISC_TMR2_OUT_STS, 0, "no terminal count while gated off");
  outb(NMISC_PORT, NMISC_TIM_CNT2_EN);
  k.runUntil(SECOND + tick(500) - 1);
  assert.equal(inb(NMISC_PORT) & NMISC_TMR2_OUT_STS, 0);
  k.runUntil(SECOND + tick(500));
  assert.equal(inb(NMISC_PORT) & NMISC_TMR2_OUT_STS, NMISC_TMR2_OUT_STS);
});

Deno.test("I8254 reset returns out0 low and cancels its events", () => {
  const { k, pit, out0, program } = setup();
  program(0, 2, 100);
  k.runUntil(tick(50));
  pit.reset();
  assert.equal(out0.level, false);
  assert.equal(k.clock.pending, 0);
});

Deno.test("i8254Options fills defaults and rejects unknown keys", () => {
  assert.deepEqual(i8254Options.parse({}), { base: 0x40, nmisc: true, nmisc_port: 0x61 });
  assert.throws(() => i8254Options.parse({ bsae: 0x40 }));
  assert.throws(() => i8254Options.parse({ base: 0x10000 }));
});
