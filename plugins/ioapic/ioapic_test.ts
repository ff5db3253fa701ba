/**
 * IOAPIC register-level tests through IOREGSEL/IOWIN and the EOI register
 * by MMIO. Expected values from the 82093AA datasheet and the PCH's version
 * 0x20 IOAPIC, as quoted beside each check.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { connect, OutputPin } from "../../core/line.ts";
import { testKernel } from "../../tests/helpers.ts";
import type { ApicMessage } from "../lapic/mod.ts";
import {
  IO_APIC_ARB,
  IO_APIC_DEFAULT_PHYS_BASE,
  IO_APIC_EOI,
  IO_APIC_ID,
  IO_APIC_REDIR_LEVEL_TRIGGER,
  IO_APIC_REDIR_MASKED,
  IO_APIC_REDIR_POLARITY_LOW,
  IO_APIC_REDIR_REMOTE_IRR,
  IO_APIC_REDIR_SEND_PENDING,
  IO_APIC_REDIR_TABLE,
  IO_APIC_REGSEL,
  IO_APIC_VERSION,
  IO_APIC_WINDOW,
  IoApic,
} from "./chip.ts";

const BASE = IO_APIC_DEFAULT_PHYS_BASE;

function rig(accept = true) {
  const k = testKernel(4);
  const hw = new IoApic("ioapic", k, BASE, 4);
  k.mmio.map(BASE, 0x100, { read: (o) => hw.read(o), write: (o, v) => hw.write(o, v) }, "ioapic");
  const sent: ApicMessage[] = [];
  hw.deliver = (m) => {
    sent.push({ ...m });
    return accept;
  };
  const lines = Array.from({ length: 24 }, (_, n) => {
    const o = new OutputPin(`dev${n}.irq`);
    connect(o, hw.pins.get(`pin${n}`)!);
    return o;
  });
  const read = (reg: number) => {
    k.mmio.write(BASE + IO_APIC_REGSEL, reg, 4);
    return k.mmio.read(BASE + IO_APIC_WINDOW, 4) >>> 0;
  };
  const write = (reg: number, v: number) => {
    k.mmio.write(BASE + IO_APIC_REGSEL, reg, 4);
    k.mmio.write(BASE + IO_APIC_WINDOW, v >>> 0, 4);
  };
  const rte = (pin: number, lo: number, hi = 0) => {
    write(IO_APIC_REDIR_TABLE + 2 * pin + 1, hi);
    write(IO_APIC_REDIR_TABLE + 2 * pin, lo);
  };
  return { k, hw, sent, lines, read, write, rte };
}

Deno.test("IOAPIC ID, VER and ARB registers", () => {
  const { read, write } = rig();
  assert.equal(read(IO_APIC_ID), 4 << 24);
  // VER: version 0x20 in bits 0-7, maximum redirection entry 23 in bits 16-23
  assert.equal(read(IO_APIC_VERSION), 0x00170020);
  assert.equal(read(IO_APIC_ARB), 4 << 24);
  write(IO_APIC_ID, 9 << 24);
  assert.equal(read(IO_APIC_ID), 9 << 24);
  write(IO_APIC_VERSION, 0);
  assert.equal(read(IO_APIC_VERSION), 0x00170020, "VER is read only");
});

Deno.test("IOAPIC redirection entries reset masked and keep every writable field", () => {
  const { read, write } = rig();
  for (let pin = 0; pin < 24; pin++) {
    assert.equal(read(IO_APIC_REDIR_TABLE + 2 * pin), IO_APIC_REDIR_MASKED);
  }
  // vector 0x41, lowest priority (001), logical, active low, level, masked; dest 0x0f
  const lo = 0x41 | (1 << 8) | (1 << 11) | IO_APIC_REDIR_POLARITY_LOW |
    IO_APIC_REDIR_LEVEL_TRIGGER | IO_APIC_REDIR_MASKED;
  write(IO_APIC_REDIR_TABLE + 2 * 5, lo | IO_APIC_REDIR_REMOTE_IRR | IO_APIC_REDIR_SEND_PENDING);
  write(IO_APIC_REDIR_TABLE + 2 * 5 + 1, 0x0f000000);
  assert.equal(read(IO_APIC_REDIR_TABLE + 2 * 5), lo, "delivery status and Remote IRR are RO");
  assert.equal(read(IO_APIC_REDIR_TABLE + 2 * 5 + 1), 0x0f000000);
});

Deno.test("IOAPIC edge entry sends one message per rising edge with the entry's fields", () => {
  const { sent, lines, rte, k } = rig();
  rte(1, 0x31, 2 << 24);
  lines[1].set(true);
  lines[1].set(true); // no change, no edge
  lines[1].set(false);
  lines[1].set(true);
  assert.equal(sent.length, 2);
  // the message also names its pin and time, for register-level tests (hw.messages)
  assert.deepEqual(sent[0], {
    pin: 1,
    at: k.now,
    vector: 0x31,
    deliveryMode: 0,
    destMode: 0,
    dest: 2,
    trigger: 0,
  });
});

Deno.test("IOAPIC edge requests arriving while masked are dropped, not replayed on unmask", () => {
  const { sent, lines, rte } = rig();
  rte(4, 0x34 | IO_APIC_REDIR_MASKED);
  lines[4].set(true);
  rte(4, 0x34);
  assert.equal(sent.length, 0);
  lines[4].set(false);
  lines[4].set(true);
  assert.equal(sent.length, 1);
});

Deno.test("IOAPIC level entry sets Remote IRR; the EOI register clears it and re-sends while asserted", () => {
  const { sent, lines, rte, read, k } = rig();
  rte(19, 0x51 | IO_APIC_REDIR_LEVEL_TRIGGER);
  lines[19].set(true);
  assert.equal(sent.length, 1);
  assert.equal(read(IO_APIC_REDIR_TABLE + 38) & IO_APIC_REDIR_REMOTE_IRR, IO_APIC_REDIR_REMOTE_IRR);
  // still asserted, Remote IRR set: nothing more
  lines[19].set(false);
  lines[19].set(true);
  assert.equal(sent.length, 1);
  // EOI register (version 0x20): the vector of the entries to clear
  k.mmio.write(BASE + IO_APIC_EOI, 0x51, 4);
  assert.equal(sent.length, 2, "the line is still asserted: delivered again");
  lines[19].set(false);
  k.mmio.write(BASE + IO_APIC_EOI, 0x51, 4);
  assert.equal(read(IO_APIC_REDIR_TABLE + 38) & IO_APIC_REDIR_REMOTE_IRR, 0);
  assert.equal(sent.length, 2, "deasserted: no new message");
});

Deno.test("IOAPIC EOI of another vector leaves Remote IRR set", () => {
  const { hw, sent, lines, rte, read } = rig();
  rte(9, 0x52 | IO_APIC_REDIR_LEVEL_TRIGGER);
  lines[9].set(true);
  hw.eoi(0x53); // a LAPIC EOI broadcast for a different vector
  assert.equal(read(IO_APIC_REDIR_TABLE + 18) & IO_APIC_REDIR_REMOTE_IRR, IO_APIC_REDIR_REMOTE_IRR);
  assert.equal(sent.length, 1);
});

Deno.test("IOAPIC level request held while masked is sent when unmasked", () => {
  const { sent, lines, rte } = rig();
  rte(16, 0x61 | IO_APIC_REDIR_LEVEL_TRIGGER | IO_APIC_REDIR_MASKED);
  lines[16].set(true);
  assert.equal(sent.length, 0);
  rte(16, 0x61 | IO_APIC_REDIR_LEVEL_TRIGGER);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].trigger, 1);
});

Deno.test("IOAPIC active-low entry asserts on a low line", () => {
  const { sent, lines, rte } = rig();
  lines[17].set(true); // PCI INTx# idles high
  rte(17, 0x62 | IO_APIC_REDIR_LEVEL_TRIGGER | IO_APIC_REDIR_POLARITY_LOW);
  assert.equal(sent.length, 0);
  lines[17].set(false);
  assert.equal(sent.length, 1);
});

Deno.test("IOAPIC delivery status stays 'send pending' while no LAPIC accepts", () => {
  const { lines, rte, read } = rig(false);
  rte(3, 0x33, 7 << 24);
  lines[3].set(true);
  assert.equal(
    read(IO_APIC_REDIR_TABLE + 6) & IO_APIC_REDIR_SEND_PENDING,
    IO_APIC_REDIR_SEND_PENDING,
  );
});

Deno.test("IOAPIC keeps the messages it sent only while recording", () => {
  const { hw, lines, rte } = rig();
  rte(1, 0x31);
  lines[1].set(true);
  assert.equal(hw.messages.length, 0);
  hw.record = true;
  lines[1].set(false);
  lines[1].set(true);
  assert.deepEqual(hw.messages.map((m) => [m.pin, m.vector]), [[1, 0x31]]);
});

Deno.test("IOAPIC property: a level entry never sends while Remote IRR is set, and sends again only after an EOI", () => {
  type Op = { kind: "line"; level: boolean } | { kind: "eoi" } | { kind: "mask"; masked: boolean };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant("line" as const), level: fc.boolean() }),
    fc.record({ kind: fc.constant("eoi" as const) }),
    fc.record({ kind: fc.constant("mask" as const), masked: fc.boolean() }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const { sent, lines, rte, read, hw } = rig();
      rte(20, 0x71 | IO_APIC_REDIR_LEVEL_TRIGGER);
      let eoisSinceSend = 1; // the first message needs no EOI before it
      let masked = false;
      for (const o of ops) {
        const before = sent.length;
        if (o.kind === "line") lines[20].set(o.level);
        else if (o.kind === "eoi") {
          hw.eoi(0x71);
          eoisSinceSend++;
        } else {
          masked = o.masked;
          rte(20, 0x71 | IO_APIC_REDIR_LEVEL_TRIGGER | (masked ? IO_APIC_REDIR_MASKED : 0));
        }
        if (sent.length > before) {
          // one message per step at most, only with an EOI since the last one,
          // only while unmasked and asserted
          assert.equal(sent.length - before, 1);
          assert.ok(eoisSinceSend > 0, "sent again without an EOI");
          assert.equal(masked, false);
          assert.equal(lines[20].level, true);
          eoisSinceSend = 0;
        }
        const rirr = (read(IO_APIC_REDIR_TABLE + 40) & IO_APIC_REDIR_REMOTE_IRR) !== 0;
        // Remote IRR is set exactly while a sent message awaits its EOI
        assert.equal(rirr, eoisSinceSend === 0);
      }
    }),
    { numRuns: 300, seed: 7 },
  );
});
