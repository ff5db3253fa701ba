import assert from "node:assert/strict";
import { testKernel } from "../../../tests/helpers.ts";
import { Probe } from "../_testing.ts";
import {
  AUX_CMD_ENABLE,
  AUX_CMD_GETID,
  CMD_AUX_LOOP,
  CMD_AUX_SEND,
  CMD_AUX_TEST,
  CMD_CTL_TEST,
  CMD_KBD_DISABLE,
  CMD_KBD_ENABLE,
  CMD_KBD_TEST,
  CMD_READ_CTR,
  CMD_WRITE_CTR,
  CTL_TEST_OK,
  CTR_AUXDIS,
  CTR_KBDDIS,
  CTR_KBDINT,
  CTR_SYSFLAG,
  CTR_XLATE,
  I8042,
  I8042_COMMAND_REG,
  I8042_DATA_REG,
  I8042_STATUS_REG,
  i8042Options,
  KBD_CMD_GETID,
  KBD_CMD_RESET_BAT,
  KBD_CMD_SETLEDS,
  KBD_OVERRUN,
  keyArgs,
  keystroke,
  PS2_ACK,
  PS2_BAT_OK,
  PS2_BYTE_NS,
  STATUS_A2,
  STATUS_AUXB,
  STATUS_OBF,
  STATUS_SYS,
  typeArgs,
} from "./mod.ts";

const MS = 1_000_000;
const US = 1_000;

function setup(options = {}) {
  const k = testKernel();
  const kbc = new I8042(k, "keyboard", options);
  const irq1 = new Probe(k, kbc.irq1);
  const irq12 = new Probe(k, kbc.irq12);
  const inb = (port: number) => k.ports.read(port, 1);
  const outb = (port: number, v: number) => k.ports.write(port, v, 1);
  /** Poll for OBF like i8042_wait_read, then read the data port. */
  const readReply = () => {
    for (let i = 0; i < 1000 && !(inb(I8042_STATUS_REG) & STATUS_OBF); i++) {
      k.runUntil(k.clock.now + 50 * US);
    }
    assert.ok(inb(I8042_STATUS_REG) & STATUS_OBF, "controller answered");
    return inb(I8042_DATA_REG);
  };
  return { k, kbc, irq1, irq12, inb, outb, readReply };
}

Deno.test("I8042 typing 'hi' yields 0x23 0xA3 0x17 0x97 with irq1 high while each byte waits", () => {
  const { k, kbc, irq1, inb } = setup();
  const bytes: number[] = [];
  // A handler that runs 10 µs after IRQ 1 rises and reads the data port.
  new Probe(k, kbc.irq1, (level) => {
    if (!level) return;
    k.clock.scheduleIn(10 * US, () => {
      assert.equal(irq1.level, true, "irq1 still asserted when the handler reads");
      bytes.push(inb(I8042_DATA_REG));
      assert.equal(irq1.level, false, "the read deasserts irq1");
    });
  });
  kbc.stimuli.type.apply(typeArgs.parse({ text: "hi" }), 0);
  k.runUntil(1000 * MS);
  assert.deepEqual(bytes, [0x23, 0xa3, 0x17, 0x97]);
  // Each byte reaches the output buffer one PS/2 frame after the key event.
  assert.deepEqual(irq1.rises(), [0, 80, 200, 280].map((t) => t * MS + PS2_BYTE_NS));
  assert.deepEqual(irq1.falls(), irq1.rises().map((t) => t + 10 * US));
});

Deno.test("I8042 a second read of the data port returns the same byte", () => {
  const { k, kbc, irq1, inb } = setup();
  kbc.key(0x1e, false, 0);
  k.runUntil(5 * MS);
  assert.equal(irq1.level, true);
  assert.equal(inb(I8042_DATA_REG), 0x1e);
  assert.equal(inb(I8042_STATUS_REG) & STATUS_OBF, 0);
  assert.equal(inb(I8042_DATA_REG), 0x1e, "the output buffer keeps its last byte");
  assert.deepEqual(irq1.rises(), [PS2_BYTE_NS], "no new interrupt for the re-read");
});

Deno.test("I8042 holds the next byte in the keyboard until the output buffer is read", () => {
  const { k, kbc, irq1, inb } = setup();
  kbc.type("A", 0); // shift make 0x2A then 'a' make 0x1E
  k.runUntil(50 * MS);
  assert.equal(irq1.level, true, "the first byte waits, IRQ 1 stays asserted");
  assert.equal(kbc.keyboardPending, 1);
  assert.equal(inb(I8042_DATA_REG), 0x2a);
  assert.equal(irq1.level, false);
  k.runUntil(50 * MS + PS2_BYTE_NS - 1);
  assert.equal(irq1.level, false);
  k.runUntil(50 * MS + PS2_BYTE_NS);
  assert.equal(irq1.level, true);
  assert.equal(inb(I8042_DATA_REG), 0x1e);
});

Deno.test("I8042 clearing CTR_KBDINT drops irq1 while a byte waits and setting it raises irq1", () => {
  const { k, kbc, irq1, outb, readReply } = setup();
  kbc.key(0x10, false, 0);
  k.runUntil(2 * MS);
  assert.equal(irq1.level, true);
  const ctr = kbc.commandByte;
  outb(I8042_COMMAND_REG, CMD_WRITE_CTR);
  outb(I8042_DATA_REG, ctr & ~CTR_KBDINT);
  assert.equal(irq1.level, false);
  outb(I8042_COMMAND_REG, CMD_WRITE_CTR);
  outb(I8042_DATA_REG, ctr);
  assert.equal(irq1.level, true);
  assert.equal(readReply(), 0x10);
});

Deno.test("I8042 controller commands answer as Linux's i8042 probe expects", () => {
  const { kbc, inb, outb, readReply } = setup();
  outb(I8042_COMMAND_REG, CMD_CTL_TEST);
  assert.equal(inb(I8042_STATUS_REG) & STATUS_A2, STATUS_A2, "last write was a command");
  assert.equal(readReply(), CTL_TEST_OK);
  outb(I8042_COMMAND_REG, CMD_READ_CTR);
  assert.equal(readReply(), 0x47);
  assert.equal(inb(I8042_STATUS_REG) & STATUS_SYS, STATUS_SYS, "SYS mirrors CTR bit 2");
  outb(I8042_COMMAND_REG, CMD_KBD_TEST);
  assert.equal(readReply(), 0x00);
  outb(I8042_COMMAND_REG, CMD_AUX_TEST);
  assert.equal(readReply(), 0x00);
  outb(I8042_COMMAND_REG, CMD_KBD_DISABLE);
  assert.equal(kbc.commandByte & CTR_KBDDIS, CTR_KBDDIS);
  outb(I8042_COMMAND_REG, CMD_KBD_ENABLE);
  assert.equal(kbc.commandByte & CTR_KBDDIS, 0);
  outb(I8042_COMMAND_REG, 0xa7); // CMD_AUX_DISABLE
  assert.equal(kbc.commandByte & CTR_AUXDIS, CTR_AUXDIS);
  outb(I8042_COMMAND_REG, CMD_WRITE_CTR);
  outb(I8042_DATA_REG, CTR_XLATE | CTR_KBDINT);
  assert.equal(inb(I8042_STATUS_REG) & STATUS_A2, 0, "last write was data");
  outb(I8042_COMMAND_REG, CMD_READ_CTR);
  assert.equal(readReply(), CTR_XLATE | CTR_KBDINT);
  assert.equal(inb(I8042_STATUS_REG) & STATUS_SYS, 0);
  assert.equal(kbc.commandByte & CTR_SYSFLAG, 0);
});

Deno.test("I8042 keyboard commands are acknowledged and reset answers ACK then BAT", () => {
  const { k, outb, readReply } = setup({ bat_ms: 300 });
  outb(I8042_DATA_REG, KBD_CMD_SETLEDS);
  assert.equal(readReply(), PS2_ACK);
  outb(I8042_DATA_REG, 0x02);
  assert.equal(readReply(), PS2_ACK);
  outb(I8042_DATA_REG, KBD_CMD_GETID);
  assert.deepEqual([readReply(), readReply(), readReply()], [PS2_ACK, 0xab, 0x41]);
  outb(I8042_DATA_REG, KBD_CMD_RESET_BAT);
  assert.equal(readReply(), PS2_ACK);
  const sent = k.clock.now;
  for (let i = 0; i < 400; i++) k.runUntil(k.clock.now + MS);
  assert.equal(readReply(), PS2_BAT_OK);
  assert.ok(k.clock.now - sent >= 300 * MS);
});

Deno.test("I8042 keyboard bytes wait while CTR_KBDDIS holds the keyboard clock", () => {
  const { k, kbc, irq1, outb } = setup();
  outb(I8042_COMMAND_REG, CMD_KBD_DISABLE);
  kbc.key(0x1c, false, 0);
  k.runUntil(20 * MS);
  assert.equal(irq1.level, false);
  outb(I8042_COMMAND_REG, CMD_KBD_ENABLE);
  k.runUntil(20 * MS + PS2_BYTE_NS);
  assert.equal(irq1.level, true);
});

Deno.test("I8042 mouse bytes set AUXB and raise irq12, not irq1", () => {
  const { k, kbc, irq1, irq12, inb, outb, readReply } = setup();
  outb(I8042_COMMAND_REG, CMD_AUX_SEND);
  outb(I8042_DATA_REG, AUX_CMD_GETID);
  assert.equal(readReply(), PS2_ACK);
  assert.equal(readReply(), 0x00);
  outb(I8042_COMMAND_REG, CMD_AUX_SEND);
  outb(I8042_DATA_REG, AUX_CMD_ENABLE);
  assert.equal(readReply(), PS2_ACK);
  const start = k.clock.now;
  kbc.move(5, -3, 1, start);
  k.runUntil(start + PS2_BYTE_NS);
  assert.equal(irq12.level, true);
  assert.equal(irq1.level, false);
  assert.equal(inb(I8042_STATUS_REG) & STATUS_AUXB, STATUS_AUXB);
  assert.equal(inb(I8042_DATA_REG), 0x08 | 0x20 | 0x01);
  assert.equal(irq12.level, false);
  assert.equal(readReply(), 5);
  assert.equal(readReply(), (-3) & 0xff);
  assert.equal(irq1.rises().length, 0);
});

Deno.test("I8042 mouse_reporting: a move is a packet at once (psmouse enabled it at boot); without it, nothing", () => {
  // Without the option the mouse is as after power-on: no report until 0xF4.
  const off = setup();
  off.kbc.move(1, 1, 0, 0);
  off.k.runUntil(5 * MS);
  assert.equal(off.irq12.rises().length, 0);
  // With it: the standard 3-byte packet, byte 0 = bit 3 (always 1) only.
  const on = setup({ mouse_reporting: true });
  on.kbc.move(1, 1, 0, 0);
  on.k.runUntil(PS2_BYTE_NS);
  assert.equal(on.irq12.level, true);
  assert.equal(on.inb(I8042_DATA_REG), 0x08);
  assert.equal(on.readReply(), 1);
  assert.equal(on.readReply(), 1);
  assert.equal(on.irq12.rises().length, 3);
});

Deno.test("I8042 aux loopback (0xD3) raises irq12 as Linux's i8042_check_aux expects", () => {
  const { irq12, inb, outb } = setup();
  outb(I8042_COMMAND_REG, CMD_AUX_LOOP);
  outb(I8042_DATA_REG, 0x5a);
  assert.equal(irq12.level, true);
  assert.equal(inb(I8042_STATUS_REG) & (STATUS_OBF | STATUS_AUXB), STATUS_OBF | STATUS_AUXB);
  assert.equal(inb(I8042_DATA_REG), 0x5a);
  assert.equal(irq12.level, false);
});

Deno.test("I8042 a full keyboard buffer ends with the overrun code", () => {
  const { k, kbc, inb, readReply } = setup();
  for (let i = 0; i < 20; i++) kbc.key(0x02 + (i % 10), false, 0);
  k.runUntil(2 * MS);
  const got = [inb(I8042_DATA_REG)];
  for (let i = 0; i < 15; i++) got.push(readReply());
  assert.equal(got.length, 16);
  assert.equal(got[15], KBD_OVERRUN);
  assert.equal(kbc.keyboardPending, 0);
});

Deno.test("keystroke wraps shifted characters in left shift make and break", () => {
  assert.deepEqual(keystroke("h"), { press: [0x23], release: [0xa3] });
  assert.deepEqual(keystroke("H"), { press: [0x2a, 0x23], release: [0xa3, 0xaa] });
  assert.deepEqual(keystroke("!"), { press: [0x2a, 0x02], release: [0x82, 0xaa] });
  assert.deepEqual(keystroke("\n"), { press: [0x1c], release: [0x9c] });
  assert.deepEqual(keystroke(" "), { press: [0x39], release: [0xb9] });
  assert.deepEqual(keystroke("?"), { press: [0x2a, 0x35], release: [0xb5, 0xaa] });
  assert.equal(keystroke("é"), undefined);
});

Deno.test("typeArgs fills hold and gap defaults and rejects characters no US key makes", () => {
  assert.deepEqual(typeArgs.parse({ text: "ok" }), { text: "ok", hold_ms: 80, gap_ms: 120 });
  const bad = typeArgs.safeParse({ text: "naïve" });
  assert.equal(bad.success, false);
  assert.match(bad.error!.issues[0].message, /Cannot type "ï" \(U\+00EF\)/);
  assert.equal(typeArgs.safeParse({ text: "x", speed: 1 }).success, false);
});

Deno.test("I8042 key stimulus sends a prefixed break code", () => {
  const { k, kbc, inb, readReply } = setup();
  kbc.stimuli.key.apply(keyArgs.parse({ code: 0xe048, release: true }), 0);
  k.runUntil(2 * MS);
  assert.equal(inb(I8042_DATA_REG), 0xe0);
  assert.equal(readReply(), 0xc8);
});

Deno.test("i8042Options fills defaults and rejects unknown keys", () => {
  assert.deepEqual(i8042Options.parse({}), {
    data_port: 0x60,
    command_port: 0x64,
    command_byte: 0x47,
    mouse: true,
    bat_ms: 300,
    mouse_reporting: false,
  });
  assert.throws(() => i8042Options.parse({ irq: 1 }));
});
