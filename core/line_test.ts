/**
 * IRQ wires: levels propagate synchronously and only on change, connections
 * are checked when made, and a shared input is a wired-OR of its drivers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { connect, InputPin, OutputPin, WireError } from "./line.ts";

/** An input that records every level change it is told about. */
function recordingInput(name: string, shared = false): { pin: InputPin; seen: boolean[] } {
  const seen: boolean[] = [];
  return { pin: new InputPin(name, (l) => seen.push(l), shared), seen };
}

Deno.test("OutputPin.set propagates only on change", () => {
  const out = new OutputPin("pic_slave.int");
  const { pin, seen } = recordingInput("pic_master.ir2");
  connect(out, pin);
  out.set(true);
  out.set(true);
  out.set(false);
  out.set(false);
  out.set(true);
  assert.deepEqual(seen, [true, false, true]);
  assert.equal(out.level, true);
  assert.equal(pin.level, true);
});

Deno.test("OutputPin.set drives every connected input", () => {
  const out = new OutputPin("dev.irq");
  const a = recordingInput("a.in"), b = recordingInput("b.in");
  connect(out, a.pin);
  connect(out, b.pin);
  out.set(true);
  assert.deepEqual(a.seen, [true]);
  assert.deepEqual(b.seen, [true]);
  assert.deepEqual(out.targets, [a.pin, b.pin]);
});

Deno.test("OutputPin.pulse gives one rising and one falling edge", () => {
  const out = new OutputPin("pit.out0");
  const { pin, seen } = recordingInput("pic_master.ir0");
  connect(out, pin);
  out.pulse();
  assert.deepEqual(seen, [true, false]);
  assert.equal(pin.level, false);
});

Deno.test("connect rejects a second driver on a non-shared input, naming all three pins", () => {
  const a = new OutputPin("kbd.irq"), b = new OutputPin("mouse.irq");
  const { pin } = recordingInput("pic_master.ir1");
  connect(a, pin);
  assert.throws(() => connect(b, pin), (e: unknown) => {
    assert.ok(e instanceof WireError);
    assert.equal(e.name, "WireError");
    assert.match(e.message, /mouse\.irq -> pic_master\.ir1/);
    assert.match(e.message, /already driven by kbd\.irq/);
    assert.match(e.message, /not a shared line/);
    return true;
  });
  assert.deepEqual(pin.drivers, [a], "the failed wire was not recorded");
  assert.deepEqual(b.targets, []);
  b.set(true);
  assert.equal(pin.level, false, "the rejected driver does not drive the input");
});

Deno.test("connect rejects the same wire twice, even on a shared input", () => {
  const a = new OutputPin("eth0.inta");
  const { pin } = recordingInput("ioapic.pin16", true);
  connect(a, pin);
  assert.throws(() => connect(a, pin), (e: unknown) => {
    assert.ok(e instanceof WireError);
    assert.match(e.message, /eth0\.inta -> ioapic\.pin16/);
    assert.match(e.message, /already exists/);
    return true;
  });
  assert.deepEqual(pin.drivers, [a]);
  assert.deepEqual(a.targets, [pin]);
});

Deno.test("InputPin shared stays high while any driver is high (wired-OR)", () => {
  const a = new OutputPin("eth0.inta"), b = new OutputPin("ahci.inta");
  const { pin, seen } = recordingInput("ioapic.pin16", true);
  connect(a, pin);
  connect(b, pin);
  a.set(true);
  b.set(true);
  a.set(false);
  assert.equal(pin.level, true, "b still drives the line");
  b.set(false);
  assert.equal(pin.level, false);
  b.set(true);
  a.set(true);
  b.set(false);
  a.set(false);
  assert.deepEqual(seen, [true, false, true, false]);
});

Deno.test("connect gives the input the driver's level at once", () => {
  const out = new OutputPin("uart.irq");
  out.set(true);
  const { pin, seen } = recordingInput("pic_master.ir4");
  connect(out, pin);
  assert.equal(pin.level, true);
  assert.deepEqual(seen, [true]);
  out.set(false);
  assert.equal(pin.level, false);
  assert.deepEqual(seen, [true, false]);
});

Deno.test("connect of a low driver leaves the input low and silent", () => {
  const out = new OutputPin("uart.irq");
  const { pin, seen } = recordingInput("pic_master.ir4");
  connect(out, pin);
  assert.equal(pin.level, false);
  assert.deepEqual(seen, []);
});

Deno.test("connect of a high driver to a shared input already held high changes nothing", () => {
  const a = new OutputPin("a.irq"), b = new OutputPin("b.irq");
  const { pin, seen } = recordingInput("net.irq", true);
  connect(a, pin);
  a.set(true);
  b.set(true);
  connect(b, pin);
  assert.deepEqual(seen, [true]);
  a.set(false);
  assert.equal(pin.level, true, "b, high at connect, still holds the line");
  b.set(false);
  assert.deepEqual(seen, [true, false]);
});

Deno.test("OutputPin and InputPin keep their owner", () => {
  const owner = { name: "pic_slave" };
  assert.equal(new OutputPin("pic_slave.int", owner).owner, owner);
  assert.equal(new InputPin("pic_slave.ir0", undefined, false, owner).owner, owner);
});
