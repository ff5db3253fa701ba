/**
 * Registers declared as data: access modes, hooks, unknown offsets and the
 * table checks. Tests address registers by name; offsets come from the
 * table (`regs.spec(NAME).offset`), never as raw numbers.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  bitMask,
  getField,
  RegisterFile,
  type RegisterSpec,
  RegisterTableError,
  setField,
} from "./registers.ts";

/** A small block with one register of each access mode (names after real parts). */
const SPECS: RegisterSpec[] = [
  // IOAPIC-style index register: only the low byte is writable
  { name: "IOREGSEL", offset: 0x00, width: 32, reset: 0, access: "rw", writableMask: 0xff },
  { name: "VER", offset: 0x04, width: 32, reset: 0x00170011, access: "ro" },
  { name: "EOI", offset: 0x08, width: 32, reset: 0, access: "wo" },
  { name: "GPEDS0", offset: 0x0c, width: 32, reset: 0, access: "w1c" },
  { name: "ENABLE_1", offset: 0x10, width: 32, reset: 0, access: "w1s" },
  {
    name: "ELCR1",
    offset: 0x14,
    width: 8,
    reset: 0x20,
    access: "rw",
    fields: { IRQ3: { shift: 3, width: 1 }, HIGH: { shift: 4, width: 4 } },
  },
];

function block(): RegisterFile {
  return new RegisterFile("test", SPECS);
}

function at(regs: RegisterFile, name: string): number {
  return regs.spec(name).offset;
}

Deno.test("RegisterFile starts every register at its reset value", () => {
  const regs = block();
  assert.equal(regs.get("VER"), 0x00170011);
  assert.equal(regs.get("ELCR1"), 0x20);
  assert.equal(regs.get("IOREGSEL"), 0);
});

Deno.test("RegisterFile.reset restores reset values", () => {
  const regs = block();
  regs.set("ELCR1", 0xff);
  regs.set("GPEDS0", 0x1234);
  regs.reset();
  assert.equal(regs.get("ELCR1"), 0x20);
  assert.equal(regs.get("GPEDS0"), 0);
});

Deno.test("RegisterFile.write rw changes only bits in writableMask", () => {
  const regs = block();
  regs.set("IOREGSEL", 0xabcd0000);
  regs.write(at(regs, "IOREGSEL"), 0x12345678);
  assert.equal(regs.get("IOREGSEL"), 0xabcd0078);
  assert.equal(regs.read(at(regs, "IOREGSEL")), 0xabcd0078);
});

Deno.test("RegisterFile.write rw truncates the value to the register width", () => {
  const regs = block();
  regs.write(at(regs, "ELCR1"), 0x1c5);
  assert.equal(regs.get("ELCR1"), 0xc5);
});

Deno.test("RegisterFile.write ro keeps the value and calls onIgnoredWrite", () => {
  const regs = block();
  const ignored: [string, number][] = [];
  regs.onIgnoredWrite = (spec, value) => ignored.push([spec.name, value]);
  let hooked = false;
  regs.hook("VER", { write: () => (hooked = true) });
  regs.write(at(regs, "VER"), 0xffff);
  assert.equal(regs.get("VER"), 0x00170011);
  assert.deepEqual(ignored, [["VER", 0xffff]]);
  assert.equal(hooked, false, "no write hook for an ignored write");
});

Deno.test("RegisterFile.read wo returns 0 while the written value is kept", () => {
  const regs = block();
  const writes: number[] = [];
  regs.hook("EOI", { write: (v) => writes.push(v) });
  regs.write(at(regs, "EOI"), 0x31);
  assert.equal(regs.read(at(regs, "EOI")), 0);
  assert.equal(regs.get("EOI"), 0x31);
  assert.deepEqual(writes, [0x31]);
});

Deno.test("RegisterFile.read wo passes 0 to a read hook", () => {
  const regs = block();
  const stored: number[] = [];
  regs.hook("EOI", { read: (s) => (stored.push(s), 0x99) });
  regs.write(at(regs, "EOI"), 0x31);
  assert.equal(regs.read(at(regs, "EOI")), 0x99);
  assert.deepEqual(stored, [0]);
});

Deno.test("RegisterFile.write w1c clears exactly the bits written as 1", () => {
  const regs = block();
  regs.set("GPEDS0", 0b1011_0101);
  regs.write(at(regs, "GPEDS0"), 0b0001_0001);
  assert.equal(regs.get("GPEDS0"), 0b1010_0100);
  regs.write(at(regs, "GPEDS0"), 0);
  assert.equal(regs.get("GPEDS0"), 0b1010_0100, "writing 0 clears nothing");
  regs.set("GPEDS0", 0x80000001);
  regs.write(at(regs, "GPEDS0"), 0x80000000);
  assert.equal(regs.get("GPEDS0"), 1, "bit 31 clears too");
});

Deno.test("RegisterFile.write w1s sets exactly the bits written as 1", () => {
  const regs = block();
  regs.write(at(regs, "ENABLE_1"), 0b0101);
  regs.write(at(regs, "ENABLE_1"), 0b0011);
  assert.equal(regs.get("ENABLE_1"), 0b0111);
  regs.write(at(regs, "ENABLE_1"), 0);
  assert.equal(regs.get("ENABLE_1"), 0b0111, "writing 0 sets nothing");
  regs.write(at(regs, "ENABLE_1"), 0x80000000);
  assert.equal(regs.get("ENABLE_1"), 0x80000007);
});

Deno.test("RegisterFile.hook write receives (value, old, written)", () => {
  const regs = block();
  const calls: [number, number, number][] = [];
  regs.hook("GPEDS0", { write: (value, old, written) => calls.push([value, old, written]) });
  regs.hook("IOREGSEL", { write: (value, old, written) => calls.push([value, old, written]) });
  regs.set("GPEDS0", 0b1110);
  regs.write(at(regs, "GPEDS0"), 0b0110);
  regs.set("IOREGSEL", 0x100);
  regs.write(at(regs, "IOREGSEL"), 0x2ff);
  assert.deepEqual(calls, [
    [0b1000, 0b1110, 0b0110],
    [0x1ff, 0x100, 0x2ff],
  ]);
});

Deno.test("RegisterFile.hook read replaces the value software reads", () => {
  const regs = block();
  regs.set("ELCR1", 0x20);
  regs.hook("ELCR1", { read: (stored) => stored | 0x01 });
  assert.equal(regs.read(at(regs, "ELCR1")), 0x21);
  assert.equal(regs.get("ELCR1"), 0x20, "get() has no read side effects");
});

Deno.test("RegisterFile.read and write at an unknown offset call onUnknown", () => {
  const regs = block();
  const unknown: [number, boolean, number][] = [];
  regs.onUnknown = (offset, write, value) => unknown.push([offset, write, value]);
  const hole = 0x18; // past the last register of the table
  assert.ok(!regs.specs.some((s) => s.offset === hole));
  assert.equal(regs.read(hole), 0);
  regs.write(hole, 0x55);
  assert.deepEqual(unknown, [[hole, false, 0], [hole, true, 0x55]]);
  assert.deepEqual([...regs.values], [0, 0x00170011, 0, 0, 0, 0x20], "no register changed");
});

Deno.test("RegisterFile rejects a register name declared twice", () => {
  assert.throws(
    () =>
      new RegisterFile("pic", [
        { name: "IMR", offset: 0, width: 8, reset: 0, access: "rw" },
        { name: "IMR", offset: 1, width: 8, reset: 0, access: "rw" },
      ]),
    (e: unknown) => {
      assert.ok(e instanceof RegisterTableError);
      assert.match(e.message, /^pic: /);
      assert.match(e.message, /IMR declared twice/);
      return true;
    },
  );
});

Deno.test("RegisterFile rejects two registers at one offset, naming both", () => {
  assert.throws(
    () =>
      new RegisterFile("ioapic", [
        { name: "IOREGSEL", offset: 0x00, width: 32, reset: 0, access: "rw" },
        { name: "IOWIN", offset: 0x10, width: 32, reset: 0, access: "rw" },
        { name: "EOI", offset: 0x10, width: 32, reset: 0, access: "wo" },
      ]),
    (e: unknown) => {
      assert.ok(e instanceof RegisterTableError);
      assert.match(e.message, /EOI/);
      assert.match(e.message, /IOWIN/);
      assert.match(e.message, /0x10/);
      return true;
    },
  );
});

Deno.test("RegisterFile.get of an unknown name throws RegisterTableError", () => {
  assert.throws(() => block().get("NOPE"), RegisterTableError);
  assert.throws(() => block().field("ELCR1", "NOPE"), RegisterTableError);
});

Deno.test("RegisterFile.set masks to the register width and skips hooks", () => {
  const regs = block();
  let hooked = false;
  regs.hook("ELCR1", { write: () => (hooked = true) });
  regs.set("ELCR1", 0x3ff);
  assert.equal(regs.get("ELCR1"), 0xff);
  assert.equal(hooked, false);
});

Deno.test("RegisterFile.field reads a named field", () => {
  const regs = block();
  regs.set("ELCR1", 0b1010_1000);
  assert.equal(regs.field("ELCR1", "IRQ3"), 1);
  assert.equal(regs.field("ELCR1", "HIGH"), 0b1010);
});

Deno.test("getField extracts shift/width bits", () => {
  assert.equal(getField(0xabcd, { shift: 4, width: 8 }), 0xbc);
  assert.equal(getField(0x80000000, { shift: 31, width: 1 }), 1);
  assert.equal(getField(0xff000000, { shift: 24, width: 8 }), 0xff);
});

Deno.test("getField returns an unsigned value for a 32-bit field", () => {
  // Bug: getField ends in `& bitMask(width)`, a signed 32-bit operation, so a
  // full-width field with bit 31 set (a counter, an address) read negative.
  assert.equal(getField(0xffffffff, { shift: 0, width: 32 }), 0xffffffff);
  assert.equal(getField(0x80000000, { shift: 0, width: 32 }), 0x80000000);
  const regs = new RegisterFile("timer", [
    {
      name: "COUNT",
      offset: 0,
      width: 32,
      reset: 0xfffffffe,
      access: "ro",
      fields: { VALUE: { shift: 0, width: 32 } },
    },
  ]);
  assert.equal(regs.field("COUNT", "VALUE"), 0xfffffffe);
});

Deno.test("setField replaces only the field, truncating the new value", () => {
  assert.equal(setField(0xabcd, { shift: 4, width: 8 }, 0x12), 0xa12d);
  assert.equal(setField(0, { shift: 4, width: 4 }, 0x1f), 0xf0);
  assert.equal(setField(0x7fffffff, { shift: 31, width: 1 }, 1), 0xffffffff);
  assert.equal(setField(0xffffffff, { shift: 0, width: 32 }, 0x12345678), 0x12345678);
});

Deno.test("bitMask covers 1 to 32 bits", () => {
  assert.equal(bitMask(1), 0x1);
  assert.equal(bitMask(8), 0xff);
  assert.equal(bitMask(31), 0x7fffffff);
  assert.equal(bitMask(32), 0xffffffff);
});
