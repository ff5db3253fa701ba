/**
 * Intel 8042 keyboard controller with a PS/2 keyboard and mouse behind it:
 * data port 0x60, status/command port 0x64, IRQ 1 (`irq1`) for keyboard
 * bytes and IRQ 12 (`irq12`) for auxiliary (mouse) bytes.
 *
 * Bytes from the devices wait in each device's own buffer; the controller
 * takes the next one only when its output buffer is empty, and the transfer
 * of one byte over the PS/2 wire takes {@linkcode PS2_BYTE_NS}. The output
 * buffer keeps its byte after a read, so a second read of 0x60 returns it
 * again (two handlers sharing IRQ 1 both see the scancode).
 *
 * The keyboard speaks scan code set 1 as the 8042 delivers it with
 * translation on (CTR XLATE): bytes are produced already translated.
 *
 * Sources: IBM PS/2 Hardware Interface Technical Reference, "Keyboard/
 * Auxiliary Device Controller" (status register, controller command byte,
 * commands 20h-FFh) and "Keyboard" (commands EDh-FFh, scan code set 1);
 * Linux `drivers/input/serio/i8042.h` (I8042_STR_*, I8042_CTR_*,
 * I8042_CMD_*), `drivers/input/keyboard/atkbd.c` (ATKBD_CMD_*, ATKBD_RET_*)
 * and `drivers/input/mouse/psmouse-base.c` (PSMOUSE_CMD_*).
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler, Width } from "../../../core/io.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { OutputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind, StimulusKind } from "../../../core/plugin.ts";
import { type EventHandle, NO_EVENT } from "../../../core/scheduler.ts";
import { DeviceLog, hex, portOption, readBytes } from "../_util.ts";

/** Data port: output buffer (read) / input buffer (write). */
export const I8042_DATA_REG = 0x60;
/** Status register (read). */
export const I8042_STATUS_REG = 0x64;
/** Command register (write): same port as the status register. */
export const I8042_COMMAND_REG = 0x64;

/** Status OBF: output buffer full. */
export const STATUS_OBF = 0x01;
/** Status IBF: input buffer full (always 0 here: the controller takes each write at once). */
export const STATUS_IBF = 0x02;
/** Status SYS: system flag, a copy of CTR bit 2. */
export const STATUS_SYS = 0x04;
/** Status A2: the last write went to the command port (1) or the data port (0). */
export const STATUS_A2 = 0x08;
/** Status INH: inhibit switch, 1 = keyboard not inhibited (Linux: I8042_STR_KEYLOCK). */
export const STATUS_INH = 0x10;
/** Status AUXB: the output buffer holds a byte from the auxiliary device. */
export const STATUS_AUXB = 0x20;
/** Status TIMEOUT: a device did not answer. */
export const STATUS_TIMEOUT = 0x40;
/** Status PARITY: parity error on the last byte (never set here). */
export const STATUS_PARITY = 0x80;

/** Controller command byte (CTR) bit 0: interrupt on keyboard output buffer full. */
export const CTR_KBDINT = 0x01;
/** CTR bit 1: interrupt on auxiliary output buffer full. */
export const CTR_AUXINT = 0x02;
/** CTR bit 2: system flag (copied to STATUS_SYS). */
export const CTR_SYSFLAG = 0x04;
/** CTR bit 3: ignore the keyboard lock switch. */
export const CTR_IGNKEYLOCK = 0x08;
/** CTR bit 4: disable the keyboard interface (its clock is held low). */
export const CTR_KBDDIS = 0x10;
/** CTR bit 5: disable the auxiliary interface. */
export const CTR_AUXDIS = 0x20;
/** CTR bit 6: translate keyboard bytes to scan code set 1. */
export const CTR_XLATE = 0x40;

/** Controller command: read CTR (first byte of controller RAM). */
export const CMD_READ_CTR = 0x20;
/** Controller command: write CTR from the next data byte. */
export const CMD_WRITE_CTR = 0x60;
/** Controller command: disable the auxiliary interface. */
export const CMD_AUX_DISABLE = 0xa7;
/** Controller command: enable the auxiliary interface. */
export const CMD_AUX_ENABLE = 0xa8;
/** Controller command: auxiliary interface test (answers 0x00). */
export const CMD_AUX_TEST = 0xa9;
/** Controller command: self test (answers 0x55). */
export const CMD_CTL_TEST = 0xaa;
/** Controller command: keyboard interface test (answers 0x00). */
export const CMD_KBD_TEST = 0xab;
/** Controller command: disable the keyboard interface. */
export const CMD_KBD_DISABLE = 0xad;
/** Controller command: enable the keyboard interface. */
export const CMD_KBD_ENABLE = 0xae;
/** Controller command: read the output port. */
export const CMD_READ_OUTPUT = 0xd0;
/** Controller command: write the output port from the next data byte. */
export const CMD_WRITE_OUTPUT = 0xd1;
/** Controller command: the next data byte appears as keyboard input (loopback). */
export const CMD_KBD_LOOP = 0xd2;
/** Controller command: the next data byte appears as auxiliary input (loopback). */
export const CMD_AUX_LOOP = 0xd3;
/** Controller command: send the next data byte to the auxiliary device. */
export const CMD_AUX_SEND = 0xd4;
/** Controller self-test pass answer. */
export const CTL_TEST_OK = 0x55;

/** Keyboard command: set LEDs (one parameter byte). */
export const KBD_CMD_SETLEDS = 0xed;
/** Keyboard command: echo (answers 0xEE). */
export const KBD_CMD_ECHO = 0xee;
/** Keyboard command: get/set scan code set (one parameter byte). */
export const KBD_CMD_SCANSET = 0xf0;
/** Keyboard command: identify (answers ACK, 0xAB, 0x41 translated / 0x83). */
export const KBD_CMD_GETID = 0xf2;
/** Keyboard command: set typematic rate (one parameter byte). */
export const KBD_CMD_SETREP = 0xf3;
/** Keyboard command: enable scanning. */
export const KBD_CMD_ENABLE = 0xf4;
/** Keyboard command: disable scanning and restore defaults. */
export const KBD_CMD_RESET_DIS = 0xf5;
/** Keyboard command: restore defaults. */
export const KBD_CMD_RESET_DEF = 0xf6;
/** Keyboard command: resend the last byte. */
export const KBD_CMD_RESEND = 0xfe;
/** Keyboard command: reset and run the basic assurance test. */
export const KBD_CMD_RESET_BAT = 0xff;
/** Device answer: acknowledge. */
export const PS2_ACK = 0xfa;
/** Device answer: basic assurance test passed. */
export const PS2_BAT_OK = 0xaa;
/** Device answer: resend (command not understood). */
export const PS2_NAK = 0xfe;
/** Keyboard answer to echo. */
export const KBD_ECHO = 0xee;
/** Set 1 overrun code: the keyboard's buffer was full. */
export const KBD_OVERRUN = 0xff;

/** Mouse command: set resolution (one parameter byte). */
export const AUX_CMD_SETRES = 0xe8;
/** Mouse command: status request (answers ACK and three status bytes). */
export const AUX_CMD_GETINFO = 0xe9;
/** Mouse command: identify (answers ACK, 0x00 for a standard PS/2 mouse). */
export const AUX_CMD_GETID = 0xf2;
/** Mouse command: set sample rate (one parameter byte). */
export const AUX_CMD_SETRATE = 0xf3;
/** Mouse command: enable data reporting. */
export const AUX_CMD_ENABLE = 0xf4;
/** Mouse command: disable data reporting. */
export const AUX_CMD_DISABLE = 0xf5;
/** Mouse command: restore defaults. */
export const AUX_CMD_RESET_DEF = 0xf6;
/** Mouse command: reset (answers ACK, 0xAA, 0x00). */
export const AUX_CMD_RESET_BAT = 0xff;

/**
 * Time for one byte to cross the PS/2 wire into the output buffer, ns: an
 * 11-bit frame (start, 8 data, parity, stop) at the ~11 kHz device clock
 * (the PS/2 reference allows 10-16.7 kHz). A device cannot start sending
 * while the controller holds its clock low, i.e. while the output buffer is
 * full, so the next byte arrives this long after the driver read the last.
 */
export const PS2_BYTE_NS = 1_000_000;

/** Bytes a PS/2 keyboard buffers before it reports an overrun (IBM: 16). */
export const KBD_BUFFER_BYTES = 16;

const SOURCE_AUX = 0x100; // queue entries: byte | SOURCE_AUX for auxiliary data
const SOURCE_TIMEOUT = 0x200; // queue entries: the controller timed out waiting for the device

/** What the controller does with the next byte written to the data port. */
type DataTarget = "device" | "ram" | "output_port" | "kbd_loop" | "aux_loop" | "aux_send";
/** A parameter byte a PS/2 device waits for after a command. */
type DeviceParam = "none" | "leds" | "typematic" | "scanset" | "rate" | "resolution";

/** Make and break bytes of one character. */
export interface Keystroke {
  /** Bytes sent when the key goes down (shift make first for shifted characters). */
  press: number[];
  /** Bytes sent when the key comes up (shift break last). */
  release: number[];
}

/** Left shift make code, scan code set 1. */
export const SC_LSHIFT = 0x2a;

/**
 * US layout, scan code set 1: characters by make code. Each row lists the
 * unshifted and shifted characters of consecutive make codes.
 */
const LAYOUT: readonly [first: number, plain: string, shifted: string][] = [
  [0x01, "\x1b", ""],
  [0x02, "1234567890-=", "!@#$%^&*()_+"],
  [0x0e, "\b\t", ""],
  [0x10, "qwertyuiop[]", "QWERTYUIOP{}"],
  [0x1c, "\n", ""],
  [0x1e, "asdfghjkl;'`", 'ASDFGHJKL:"~'],
  [0x2b, "\\zxcvbnm,./", "|ZXCVBNM<>?"],
  [0x39, " ", ""],
];

/** Character -> set 1 make code and whether shift is held. */
export const SCANCODE_SET1: ReadonlyMap<string, { make: number; shift: boolean }> = (() => {
  const m = new Map<string, { make: number; shift: boolean }>();
  for (const [first, plain, shifted] of LAYOUT) {
    [...plain].forEach((ch, i) => m.set(ch, { make: first + i, shift: false }));
    [...shifted].forEach((ch, i) => m.set(ch, { make: first + i, shift: true }));
  }
  m.set("\r", { make: 0x1c, shift: false });
  return m;
})();

/** Set 1 bytes for typing `ch` on a US keyboard, or undefined when no key makes it. */
export function keystroke(ch: string): Keystroke | undefined {
  const k = SCANCODE_SET1.get(ch);
  if (!k) return undefined;
  const brk = k.make | 0x80;
  return k.shift
    ? { press: [SC_LSHIFT, k.make], release: [brk, SC_LSHIFT | 0x80] }
    : { press: [k.make], release: [brk] };
}

/** Arguments of the `type` stimulus. */
export interface TypeArgs {
  /** Characters to type (US layout: letters, digits, space, enter, punctuation). */
  text: string;
  /** How long each key is held, ms. */
  hold_ms: number;
  /** Pause after a key is released before the next goes down, ms. */
  gap_ms: number;
}

/** Schema of the `type` stimulus. */
export const typeArgs: z.ZodType<TypeArgs> = z.object({
  text: z.string().superRefine((text, ctx) => {
    for (const ch of text) {
      if (!SCANCODE_SET1.has(ch)) {
        const code = "U+" + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
        ctx.addIssue({
          code: "custom",
          message: `Cannot type ${JSON.stringify(ch)} (${code}): no key on the US layout makes it`,
        });
        return;
      }
    }
  }),
  hold_ms: z.number().nonnegative().default(80).describe("how long each key is held, ms"),
  gap_ms: z.number().nonnegative().default(120).describe(
    "pause after a key is released before the next goes down, ms",
  ),
}).strict();

/** Arguments of the `key` stimulus. */
export interface KeyArgs {
  /** Set 1 make code; above 0xFF the high byte is a prefix (0xE048 = E0 48, up arrow). */
  code: number;
  /** Send the break code (make | 0x80) instead. */
  release: boolean;
}

/** Schema of the `key` stimulus. */
export const keyArgs: z.ZodType<KeyArgs> = z.object({
  code: z.number().int().min(0).max(0xffff).describe(
    "set 1 make code; above 0xFF the high byte is a prefix (0xE048: E0 48)",
  ),
  release: z.boolean().default(false).describe("send the break code (make | 0x80)"),
}).strict();

/** Arguments of the `move` stimulus (mouse). */
export interface MoveArgs {
  /** Horizontal movement, counts (right positive). */
  dx: number;
  /** Vertical movement, counts (up positive). */
  dy: number;
  /** Buttons held: bit 0 left, bit 1 right, bit 2 middle. */
  buttons: number;
}

/** Schema of the `move` stimulus. */
export const moveArgs: z.ZodType<MoveArgs> = z.object({
  dx: z.number().int().min(-256).max(255).describe("horizontal movement, counts (right +)"),
  dy: z.number().int().min(-256).max(255).describe("vertical movement, counts (up +)"),
  buttons: z.number().int().min(0).max(7).default(0).describe(
    "buttons held: bit 0 left, bit 1 right, bit 2 middle",
  ),
}).strict();

/** Options of an {@linkcode I8042}. */
export interface I8042Options {
  /** Data port. */
  data_port: number;
  /** Status/command port. */
  command_port: number;
  /** Controller command byte after reset (as a PC BIOS leaves it: XLATE|SYS|AUXINT|KBDINT). */
  command_byte: number;
  /** A PS/2 mouse is attached to the auxiliary port. */
  mouse: boolean;
  /** Duration of a device's basic assurance test after reset (0xFF), ms (IBM: 300-500). */
  bat_ms: number;
  /**
   * The mouse reports movement from the start, as Linux leaves it after boot:
   * psmouse_activate() (drivers/input/mouse/psmouse-base.c) sent it 0xF4
   * while the kernel booted, before simulated time starts. Default false: a
   * mouse reports only after 0xF4.
   */
  mouse_reporting: boolean;
}

/** Defaults of {@linkcode I8042Options}. */
export const i8042Defaults: I8042Options = {
  data_port: I8042_DATA_REG,
  command_port: I8042_COMMAND_REG,
  command_byte: 0x47,
  mouse: true,
  bat_ms: 300,
  mouse_reporting: false,
};

/** Schema of the `options:` block of an `i8042` device. */
export const i8042Options: z.ZodType<I8042Options> = z.object({
  data_port: portOption(i8042Defaults.data_port).describe("data port (0x60)"),
  command_port: portOption(i8042Defaults.command_port).describe("status/command port (0x64)"),
  command_byte: z.number().int().min(0).max(0xff).default(i8042Defaults.command_byte).describe(
    "controller command byte after reset (0x47: XLATE, SYS, AUXINT, KBDINT)",
  ),
  mouse: z.boolean().default(i8042Defaults.mouse).describe(
    "a PS/2 mouse is attached to the auxiliary port",
  ),
  bat_ms: z.number().nonnegative().default(i8042Defaults.bat_ms).describe(
    "basic assurance test time after a device reset (0xFF), ms",
  ),
  mouse_reporting: z.boolean().default(i8042Defaults.mouse_reporting).describe(
    "the mouse reports from the start, as psmouse left it at boot (0xF4 already sent)",
  ),
}).strict();

/** A PS/2 device's side of the wire: its buffer and command state. */
class Ps2Device {
  /** Answers to commands, sent before buffered input. */
  readonly replies: number[] = [];
  /** Input (scancodes, movement packets) waiting to be sent. */
  readonly input: number[] = [];
  param: DeviceParam = "none";
  /** Scanning (keyboard) or data reporting (mouse) enabled. */
  enabled: boolean;
  /** Running its basic assurance test: ignores input, answers nothing. */
  inBat = false;
  /** Last byte sent, for 0xFE resend. */
  last = 0;

  constructor(readonly aux: boolean) {
    this.enabled = !aux; // a keyboard scans after power-on; a mouse reports only after 0xF4
  }

  get pending(): number {
    return this.replies.length + this.input.length;
  }

  take(): number {
    const b = this.replies.length ? this.replies.shift()! : this.input.shift()!;
    this.last = b;
    return b;
  }
}

/**
 * The keyboard controller with its keyboard and mouse.
 *
 * Driver-side methods: none beyond the ports; scenario side:
 * {@linkcode I8042.type}, {@linkcode I8042.key}, {@linkcode I8042.move}.
 *
 * @example
 * ```ts
 * const k = testKernel();
 * const kbc = new I8042(k, "keyboard");
 * kbc.type("hi", 0);
 * k.runUntil(1_000_000); // the make code of 'h' is in the output buffer, irq1 high
 * k.ports.read(I8042_DATA_REG, 1); // 0x23; irq1 drops
 * ```
 */
export class I8042 implements Device {
  /** Device kind name. */
  readonly kind = "i8042";
  /** IRQ 1: keyboard byte in the output buffer and CTR_KBDINT set. */
  readonly irq1: OutputPin;
  /** IRQ 12: auxiliary byte in the output buffer and CTR_AUXINT set. */
  readonly irq12: OutputPin;
  /** Pins by name: `irq1`, `irq12`. */
  readonly pins: ReadonlyMap<string, Pin>;
  /** Stimuli: `type`, `key`, `move`. */
  readonly stimuli: Readonly<Record<string, StimulusKind<unknown>>>;
  /** Options in force. */
  readonly options: I8042Options;
  readonly #kernel: Kernel;
  readonly #log: DeviceLog;
  /** Controller RAM: byte 0 is the command byte (CTR). */
  readonly #ram = new Uint8Array(32);
  #outputPort = 0x03; // bit 0 system reset (1 = run), bit 1 A20 gate
  #ob = 0;
  #obf = false;
  #obAux = false;
  #timeout = false;
  #a2 = false;
  #dataTarget: DataTarget = "device";
  /** Controller RAM byte the next data byte goes to (commands 60h-7Fh). */
  #ramIndex = 0;
  /** Bytes the controller itself put out (answers, loopback), in order. */
  readonly #controller: number[] = [];
  #kbd = new Ps2Device(false);
  #aux = new Ps2Device(true);
  /** A byte crossing the wire from a device, or NO_EVENT. */
  #transfer: EventHandle = NO_EVENT;
  #batEvents: EventHandle[] = [NO_EVENT, NO_EVENT];
  readonly #onTransfer = (aux: number): void => this.#transferDone(aux === 1);
  readonly #onBatDone = (aux: number): void => this.#batDone(aux === 1);

  /**
   * @param kernel machine whose clock and ports the controller uses
   * @param name instance name (`keyboard`); pins are `<name>.irq1`, `<name>.irq12`
   * @param options ports and reset state; missing keys take {@linkcode i8042Defaults}
   */
  constructor(kernel: Kernel, readonly name: string, options: Partial<I8042Options> = {}) {
    this.options = { ...i8042Defaults, ...options };
    this.#kernel = kernel;
    this.#log = new DeviceLog(kernel, name, this.kind);
    this.irq1 = new OutputPin(`${name}.irq1`, this);
    this.irq12 = new OutputPin(`${name}.irq12`, this);
    this.pins = new Map<string, Pin>([["irq1", this.irq1], ["irq12", this.irq12]]);
    this.#ram[0] = this.options.command_byte;
    this.#aux.enabled = this.options.mouse_reporting;
    const data: IoHandler = {
      read: (_o: number, w: Width) => readBytes(() => this.#readData(), 0, w, 1),
      write: (_o: number, v: number) => this.#writeData(v & 0xff),
    };
    const command: IoHandler = {
      read: (_o: number, w: Width) => readBytes(() => this.#readStatus(), 0, w, 1),
      write: (_o: number, v: number) => this.#writeCommand(v & 0xff),
    };
    kernel.ports.map(this.options.data_port, 1, data, name);
    kernel.ports.map(this.options.command_port, 1, command, name);
    this.stimuli = {
      type: {
        description: "type text on the keyboard: make codes at t, break codes after hold_ms, " +
          "next character after gap_ms",
        args: typeArgs,
        apply: (a: TypeArgs, at: number) => this.type(a.text, at, a.hold_ms, a.gap_ms),
      } satisfies StimulusKind<TypeArgs>,
      key: {
        description: "send one raw set 1 scancode (code | 0x80 with release)",
        args: keyArgs,
        apply: (a: KeyArgs, at: number) => this.key(a.code, a.release, at),
      } satisfies StimulusKind<KeyArgs>,
      move: {
        description: "move the PS/2 mouse (a 3-byte packet when data reporting is enabled)",
        args: moveArgs,
        apply: (a: MoveArgs, at: number) => this.move(a.dx, a.dy, a.buttons, at),
      } satisfies StimulusKind<MoveArgs>,
    };
  }

  /** Back to the reset state: buffers empty, CTR from options, lines low. */
  reset(): void {
    const clock = this.#kernel.clock;
    clock.cancel(this.#transfer);
    this.#transfer = NO_EVENT;
    this.#batEvents.forEach((h) => clock.cancel(h));
    this.#batEvents = [NO_EVENT, NO_EVENT];
    this.#ram.fill(0);
    this.#ram[0] = this.options.command_byte;
    this.#outputPort = 0x03;
    this.#ob = 0;
    this.#obf =
      this.#obAux =
      this.#timeout =
      this.#a2 =
        false;
    this.#dataTarget = "device";
    this.#controller.length = 0;
    this.#kbd = new Ps2Device(false);
    this.#aux = new Ps2Device(true);
    this.#aux.enabled = this.options.mouse_reporting;
    this.#updateIrq();
  }

  /** The controller command byte (CTR) as it stands. */
  get commandByte(): number {
    return this.#ram[0];
  }

  /** Bytes waiting inside the keyboard (answers and scancodes). */
  get keyboardPending(): number {
    return this.#kbd.pending;
  }

  /**
   * Type `text` starting at `at` ns: for character i, make codes at
   * `at + i * (hold + gap)` and break codes `hold` later. Throws for a
   * character no US key makes (scenarios validate through `typeArgs` first).
   */
  type(text: string, at: number, holdMs = 80, gapMs = 120): void {
    const hold = Math.round(holdMs * 1e6);
    const step = hold + Math.round(gapMs * 1e6);
    const clock = this.#kernel.clock;
    [...text].forEach((ch, i) => {
      const ks = keystroke(ch);
      if (!ks) {
        throw new RangeError(`Cannot type ${JSON.stringify(ch)}: no key on the US layout makes it`);
      }
      clock.schedule(at + i * step, () => this.#keyInput(ks.press));
      clock.schedule(at + i * step + hold, () => this.#keyInput(ks.release));
    });
  }

  /** Send a raw set 1 scancode at `at` ns (prefix in the high byte; release sets bit 7 of the last byte). */
  key(code: number, release = false, at = this.#kernel.clock.now): void {
    const last = (code & 0xff) | (release ? 0x80 : 0);
    const bytes = code > 0xff ? [code >> 8, last] : [last];
    this.#kernel.clock.schedule(at, () => this.#keyInput(bytes));
  }

  /** Move the mouse at `at` ns: one standard 3-byte PS/2 packet if reporting is enabled. */
  move(dx: number, dy: number, buttons = 0, at = this.#kernel.clock.now): void {
    this.#kernel.clock.schedule(at, () => {
      const a = this.#aux;
      if (!this.options.mouse || !a.enabled || a.inBat) return;
      // Byte 0: buttons, bit 3 always 1, X and Y sign bits (9-bit two's complement).
      const b0 = (buttons & 7) | 0x08 | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0);
      a.input.push(b0, dx & 0xff, dy & 0xff);
      this.#pump();
    });
  }

  // ---- ports ------------------------------------------------------------------

  #readStatus(): number {
    return (this.#obf ? STATUS_OBF : 0) | (this.#ram[0] & CTR_SYSFLAG ? STATUS_SYS : 0) |
      (this.#a2 ? STATUS_A2 : 0) | STATUS_INH | (this.#obAux ? STATUS_AUXB : 0) |
      (this.#timeout ? STATUS_TIMEOUT : 0);
  }

  /** Read the output buffer: clears OBF (dropping the IRQ line); the byte stays for re-reads. */
  #readData(): number {
    if (this.#obf) {
      this.#obf = false;
      this.#updateIrq();
      this.#pump();
    }
    return this.#ob;
  }

  #writeData(v: number): void {
    this.#a2 = false;
    const target = this.#dataTarget;
    this.#dataTarget = "device";
    switch (target) {
      case "device":
        this.#kbdCommand(v);
        break;
      case "ram":
        this.#writeRam(this.#ramIndex, v);
        break;
      case "output_port":
        this.#outputPort = v;
        if ((v & 0x01) === 0) this.#log.notImplemented("CPU reset through the output port");
        break;
      case "kbd_loop":
        this.#controllerOut(v);
        break;
      case "aux_loop":
        this.#controllerOut(v | SOURCE_AUX);
        break;
      case "aux_send":
        this.#auxCommand(v);
        break;
    }
  }

  #writeCommand(cmd: number): void {
    this.#a2 = true;
    if (cmd >= CMD_READ_CTR && cmd < CMD_READ_CTR + 0x20) {
      this.#controllerOut(this.#ram[cmd - CMD_READ_CTR]);
      return;
    }
    if (cmd >= CMD_WRITE_CTR && cmd < CMD_WRITE_CTR + 0x20) {
      this.#ramIndex = cmd - CMD_WRITE_CTR;
      this.#dataTarget = "ram";
      return;
    }
    switch (cmd) {
      case CMD_AUX_DISABLE:
        this.#writeRam(0, this.#ram[0] | CTR_AUXDIS);
        return;
      case CMD_AUX_ENABLE:
        this.#writeRam(0, this.#ram[0] & ~CTR_AUXDIS);
        return;
      case CMD_AUX_TEST:
      case CMD_KBD_TEST:
        this.#controllerOut(0x00); // no clock or data line stuck
        return;
      case CMD_CTL_TEST:
        this.#controllerOut(CTL_TEST_OK);
        return;
      case CMD_KBD_DISABLE:
        this.#writeRam(0, this.#ram[0] | CTR_KBDDIS);
        return;
      case CMD_KBD_ENABLE:
        this.#writeRam(0, this.#ram[0] & ~CTR_KBDDIS);
        return;
      case CMD_READ_OUTPUT:
        this.#controllerOut(this.#outputPort);
        return;
      case CMD_WRITE_OUTPUT:
        this.#dataTarget = "output_port";
        return;
      case CMD_KBD_LOOP:
        this.#dataTarget = "kbd_loop";
        return;
      case CMD_AUX_LOOP:
        this.#dataTarget = "aux_loop";
        return;
      case CMD_AUX_SEND:
        this.#dataTarget = "aux_send";
        return;
      case 0xfe:
        this.#log.notImplemented("CPU reset pulse (controller command 0xFE)");
        return;
      case 0xff:
        return; // pulse no output line
    }
    this.#log.once(`unknown controller command ${hex(cmd)} ignored`, 4);
  }

  #writeRam(index: number, v: number): void {
    this.#ram[index] = v;
    if (index !== 0) return;
    if ((v & CTR_XLATE) === 0) {
      this.#log.notImplemented("untranslated scan code set 2 (CTR XLATE clear): bytes stay set 1");
    }
    this.#updateIrq();
    this.#pump();
  }

  // ---- output buffer and transfers --------------------------------------------

  /** The controller puts a byte of its own in line for the output buffer. */
  #controllerOut(entry: number): void {
    this.#controller.push(entry);
    this.#pump();
  }

  /** Fill the output buffer from the next source if it is empty. */
  #pump(): void {
    if (this.#obf) return;
    if (this.#controller.length) {
      // The controller writes its own output buffer: no wire transfer.
      this.#fill(this.#controller.shift()!);
      return;
    }
    if (this.#transfer !== NO_EVENT) return;
    const ctr = this.#ram[0];
    let aux: boolean;
    if (!(ctr & CTR_KBDDIS) && this.#kbd.pending) aux = false;
    else if (!(ctr & CTR_AUXDIS) && this.#aux.pending) aux = true;
    else return;
    this.#transfer = this.#kernel.clock.scheduleIn(PS2_BYTE_NS, this.#onTransfer, aux ? 1 : 0);
  }

  /** A byte finished crossing the wire (runs from the clock). */
  #transferDone(aux: boolean): void {
    this.#transfer = NO_EVENT;
    const dev = aux ? this.#aux : this.#kbd;
    const disabled = this.#ram[0] & (aux ? CTR_AUXDIS : CTR_KBDDIS);
    if (this.#obf || disabled || !dev.pending) {
      // The controller pulled the clock low meanwhile: the device keeps the byte.
      this.#pump();
      return;
    }
    this.#fill(dev.take() | (aux ? SOURCE_AUX : 0));
  }

  #fill(entry: number): void {
    this.#ob = entry & 0xff;
    this.#obAux = (entry & SOURCE_AUX) !== 0;
    this.#timeout = (entry & SOURCE_TIMEOUT) !== 0;
    this.#obf = true;
    this.#updateIrq();
  }

  /** The only writer of irq1 and irq12. */
  #updateIrq(): void {
    const ctr = this.#ram[0];
    this.irq1.set(this.#obf && !this.#obAux && (ctr & CTR_KBDINT) !== 0);
    this.irq12.set(this.#obf && this.#obAux && (ctr & CTR_AUXINT) !== 0);
  }

  // ---- the keyboard -------------------------------------------------------------

  /** Key bytes from the keyboard matrix (runs from the clock). */
  #keyInput(bytes: readonly number[]): void {
    const kbd = this.#kbd;
    if (!kbd.enabled || kbd.inBat) return;
    for (const b of bytes) {
      if (kbd.input.length < KBD_BUFFER_BYTES) kbd.input.push(b);
      else kbd.input[KBD_BUFFER_BYTES - 1] = KBD_OVERRUN;
    }
    this.#pump();
  }

  /** A byte the host sent to the keyboard (atkbd commands). */
  #kbdCommand(v: number): void {
    const kbd = this.#kbd;
    if (kbd.inBat) return; // the keyboard is busy with its self test
    const xlate = (this.#ram[0] & CTR_XLATE) !== 0;
    const param = kbd.param;
    kbd.param = "none";
    if (param === "scanset") {
      kbd.replies.push(PS2_ACK);
      if (v === 0) kbd.replies.push(xlate ? 0x41 : 0x02); // current set: 2 (translated: 0x41)
      else if (v !== 2) this.#log.notImplemented(`keyboard scan code set ${v}`);
    } else if (param !== "none") {
      kbd.replies.push(PS2_ACK); // LED or typematic value accepted
    } else {
      switch (v) {
        case KBD_CMD_SETLEDS:
          kbd.param = "leds";
          kbd.replies.push(PS2_ACK);
          break;
        case KBD_CMD_SETREP:
          kbd.param = "typematic";
          kbd.replies.push(PS2_ACK);
          break;
        case KBD_CMD_SCANSET:
          kbd.param = "scanset";
          kbd.replies.push(PS2_ACK);
          break;
        case KBD_CMD_ECHO:
          kbd.replies.push(KBD_ECHO);
          break;
        case KBD_CMD_GETID:
          kbd.replies.push(PS2_ACK, 0xab, xlate ? 0x41 : 0x83);
          break;
        case KBD_CMD_ENABLE:
          kbd.input.length = 0;
          kbd.enabled = true;
          kbd.replies.push(PS2_ACK);
          break;
        case KBD_CMD_RESET_DIS:
          kbd.input.length = 0;
          kbd.enabled = false;
          kbd.replies.push(PS2_ACK);
          break;
        case KBD_CMD_RESET_DEF:
          kbd.input.length = 0;
          kbd.replies.push(PS2_ACK);
          break;
        case KBD_CMD_RESEND:
          kbd.replies.push(kbd.last);
          break;
        case KBD_CMD_RESET_BAT:
          this.#startBat(kbd);
          break;
        default:
          kbd.replies.push(PS2_NAK);
      }
    }
    this.#pump();
  }

  /** A byte the host sent to the mouse through 0xD4 (psmouse commands). */
  #auxCommand(v: number): void {
    const a = this.#aux;
    if (!this.options.mouse) {
      // Nothing answers on the auxiliary wire: the controller reports a timeout.
      this.#controllerOut(PS2_NAK | SOURCE_AUX | SOURCE_TIMEOUT);
      return;
    }
    if (a.inBat) return;
    const param = a.param;
    a.param = "none";
    if (param !== "none") {
      a.replies.push(PS2_ACK); // rate or resolution accepted
    } else {
      switch (v) {
        case AUX_CMD_SETRATE:
          a.param = "rate";
          a.replies.push(PS2_ACK);
          break;
        case AUX_CMD_SETRES:
          a.param = "resolution";
          a.replies.push(PS2_ACK);
          break;
        case AUX_CMD_GETID:
          a.replies.push(PS2_ACK, 0x00);
          break;
        case AUX_CMD_GETINFO:
          // Stream mode, reporting flag, 4 counts/mm, 100 samples/s.
          a.replies.push(PS2_ACK, a.enabled ? 0x20 : 0x00, 0x02, 100);
          break;
        case AUX_CMD_ENABLE:
          a.enabled = true;
          a.replies.push(PS2_ACK);
          break;
        case AUX_CMD_DISABLE:
        case AUX_CMD_RESET_DEF:
          a.input.length = 0;
          a.enabled = false;
          a.replies.push(PS2_ACK);
          break;
        case KBD_CMD_RESEND:
          a.replies.push(a.last);
          break;
        case AUX_CMD_RESET_BAT:
          this.#startBat(a);
          break;
        case 0xe6: // set scaling 1:1
        case 0xe7: // set scaling 2:1
        case 0xea: // set stream mode
        case 0xf0: // set remote mode
          a.replies.push(PS2_ACK);
          break;
        default:
          a.replies.push(PS2_NAK);
      }
    }
    this.#pump();
  }

  /** Reset (0xFF): ACK now, then the BAT result after `bat_ms`. */
  #startBat(dev: Ps2Device): void {
    dev.input.length = 0;
    dev.replies.length = 0;
    dev.replies.push(PS2_ACK);
    dev.param = "none";
    dev.enabled = false;
    const i = dev.aux ? 1 : 0;
    this.#kernel.clock.cancel(this.#batEvents[i]);
    this.#batEvents[i] = this.#kernel.clock.scheduleIn(
      Math.round(this.options.bat_ms * 1e6),
      this.#onBatDone,
      i,
    );
    dev.inBat = true; // the ACK still goes out; input and commands are ignored until BAT ends
  }

  #batDone(aux: boolean): void {
    const dev = aux ? this.#aux : this.#kbd;
    this.#batEvents[aux ? 1 : 0] = NO_EVENT;
    dev.inBat = false;
    dev.enabled = !aux; // keyboard scans after BAT; the mouse waits for 0xF4
    dev.replies.push(PS2_BAT_OK);
    if (aux) dev.replies.push(0x00); // mouse ID follows BAT
    this.#pump();
  }
}

/** The `i8042` device kind: PC keyboard controller with PS/2 keyboard and mouse. */
export const i8042Kind: DeviceKind<I8042Options> = {
  kind: "i8042",
  description: "Intel 8042 keyboard controller with PS/2 keyboard (irq1) and mouse (irq12)",
  options: i8042Options,
  create: (name, options, kernel) => new I8042(kernel, name, options),
};
