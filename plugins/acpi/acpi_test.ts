/**
 * The PM1 event block at register level, through the port-I/O space:
 * PM1a_STS write-1-to-clear, PM1a_EN read/write, and the SCI level
 * following `STS & EN` (ACPI 6.5 §4.8.3.1; expected values worked out from
 * the bit positions: PWRBTN_STS / PWRBTN_EN are bit 8, so 0x0100 as a word,
 * 0x01 in the high byte at PMBASE + 1 / + 3).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { testKernel } from "../../tests/helpers.ts";
import {
  ACPI_BITMASK_POWER_BUTTON_ENABLE,
  ACPI_BITMASK_POWER_BUTTON_STATUS,
  AcpiPm,
  acpiPmOptions,
  PM1_EN_BITS,
} from "./mod.ts";

const BASE = 0x400;

function rig() {
  const k = testKernel();
  const pm = new AcpiPm("acpi", acpiPmOptions.parse({ pm1a_evt_blk: BASE }), k);
  const inw = (p: number) => k.ports.read(p, 2);
  const outw = (v: number, p: number) => k.ports.write(p, v, 2);
  const inb = (p: number) => k.ports.read(p, 1);
  const outb = (v: number, p: number) => k.ports.write(p, v, 1);
  return { k, pm, inw, outw, inb, outb };
}

Deno.test("PM1a_STS: a press latches PWRBTN_STS (bit 8); writing 0 keeps it, writing 1 clears it", () => {
  const { pm, inw, outw, inb } = rig();
  assert.equal(inw(BASE), 0);
  pm.press();
  assert.equal(inw(BASE), 0x0100);
  assert.equal(inb(BASE + 1), 0x01, "the high byte alone");
  outw(0x0000, BASE);
  outw(0xfeff, BASE); // every other bit: PWRBTN_STS stays
  assert.equal(inw(BASE), 0x0100);
  outw(0x0100, BASE);
  assert.equal(inw(BASE), 0);
});

Deno.test("PM1a_STS: a byte write of 1 to PMBASE+1 clears PWRBTN_STS too", () => {
  const { pm, inw, outb } = rig();
  pm.press();
  outb(0x00, BASE); // the low byte: nothing of bit 8
  assert.equal(inw(BASE), 0x0100);
  outb(0x01, BASE + 1);
  assert.equal(inw(BASE), 0);
});

Deno.test("PM1a_EN is read/write; its reserved bits read 0", () => {
  const { inw, outw, inb } = rig();
  outw(0xffff, BASE + 2);
  // TMR_EN 0, GBL_EN 5, PWRBTN_EN 8, SLPBTN_EN 9, RTC_EN 10: 0x0721
  assert.equal(inw(BASE + 2), 0x0721);
  assert.equal(PM1_EN_BITS, 0x0721);
  assert.equal(inb(BASE + 3), 0x07);
  outw(0x0100, BASE + 2);
  assert.equal(inw(BASE + 2), 0x0100);
  outw(0, BASE + 2);
  assert.equal(inw(BASE + 2), 0);
});

Deno.test("the SCI follows STS & EN: no SCI for a disabled event, asserted when enabled, dropped by the w1c", () => {
  const { pm, outw } = rig();
  pm.press();
  assert.equal(pm.sci.level, false, "PWRBTN_EN clear: status latched, no SCI");
  outw(ACPI_BITMASK_POWER_BUTTON_ENABLE, BASE + 2);
  assert.equal(pm.sci.level, true, "enabling a set status raises the SCI");
  outw(0, BASE + 2);
  assert.equal(pm.sci.level, false, "disabling drops it, the status stays");
  outw(ACPI_BITMASK_POWER_BUTTON_ENABLE, BASE + 2);
  assert.equal(pm.sci.level, true);
  outw(ACPI_BITMASK_POWER_BUTTON_STATUS, BASE);
  assert.equal(pm.sci.level, false, "the handler's write-1-to-clear drops the level");
  pm.press();
  assert.equal(pm.sci.level, true, "the next press raises it again");
});

Deno.test("property: the SCI is high exactly when a status bit and its enable are both set", () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.constantFrom("press", "en", "clr"), fc.integer({ min: 0, max: 0xffff }))),
    (ops) => {
      const { pm, inw, outw } = rig();
      let sts = 0, en = 0; // the model worked out by hand: STS w1c, EN masked by 0x0721
      for (const [op, v] of ops) {
        if (op === "press") {
          pm.press();
          sts |= 0x0100;
        } else if (op === "en") {
          outw(v, BASE + 2);
          en = v & 0x0721;
        } else {
          outw(v, BASE);
          sts &= ~v;
        }
        assert.equal(inw(BASE), sts);
        assert.equal(inw(BASE + 2), en);
        assert.equal(pm.sci.level, (sts & en) !== 0);
      }
    },
  ));
});

Deno.test("press stimulus: one latch per press however long it is held, the release at hold_ms", () => {
  const { k, pm, inw, outw } = rig();
  const press = pm.stimuli.press;
  assert.throws(
    () => press.args.parse({ hold_ms: 100, pattern_us: [1, 2] }),
    "no bounce to configure",
  );
  press.apply(press.args.parse({ hold_ms: 250 }), 1_000_000);
  k.clock.runUntil(1_000_000);
  assert.equal(pm.pressed, true);
  assert.equal(inw(BASE), 0x0100);
  outw(0x0100, BASE); // cleared while still held: nothing latches again
  k.clock.runUntil(200_000_000);
  assert.equal(inw(BASE), 0);
  k.clock.runUntil(251_000_000);
  assert.equal(pm.pressed, false);
  assert.equal(pm.presses, 1);
});
