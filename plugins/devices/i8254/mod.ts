/**
 * Intel 8254 programmable interval timer (the PC's PIT) at ports 0x40-0x43,
 * clocked at 1193182 Hz, plus the chipset's NMI Status and Control register
 * at port 0x61 that gates counter 2 and shows its OUT.
 *
 * The model is analytic: each counter keeps the instant its count was loaded
 * and derives the counting element (CE) and OUT from the number of input
 * clocks since then, so reading a count costs no event and the time of clock
 * n is `round(n * 1e9 / 1193182)` ns after the programming instant, without
 * accumulated drift. Only counter 0's OUT drives a pin (`out0`, the IRQ 0
 * line), and only its transitions are scheduled: two events per period in
 * modes 2 and 3, one in modes 0, 1, 4 and 5.
 *
 * Sources: Intel 82C54 CHMOS Programmable Interval Timer datasheet (order
 * 231244): control word SC/RW/M/BCD, counter latch command, read-back command
 * and status byte, modes 0-5 and the GATE table; Intel 82371AB (PIIX4)
 * datasheet, NMISC register at 61h; Linux `include/linux/i8253.h`
 * (`PIT_MODE`, `PIT_CH0`, `PIT_LATCH`) and `include/linux/timex.h`
 * (`PIT_TICK_RATE`).
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler, Width } from "../../../core/io.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { OutputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind } from "../../../core/plugin.ts";
import { type EventHandle, NO_EVENT } from "../../../core/scheduler.ts";
import { DeviceLog, hex, NS_PER_S, portOption, readBytes, writeBytes } from "../_util.ts";

/** Input clock of the PC's 8254, Hz (`PIT_TICK_RATE`, include/linux/timex.h). */
export const PIT_TICK_RATE = 1193182;

/** Default I/O base: counter 0 at 0x40 ... control word at 0x43. */
export const PIT_BASE = 0x40;
/** Linux's name for counter 0's port (include/linux/i8253.h). */
export const PIT_CH0 = 0x40;
/** Linux's name for counter 2's port (include/linux/i8253.h). */
export const PIT_CH2 = 0x42;
/** Linux's name for the control word port (include/linux/i8253.h). */
export const PIT_MODE = 0x43;
/** The NMI Status and Control register (PIIX4 NMISC, "port B" on the PC/AT). */
export const NMISC_PORT = 0x61;

/** Register offsets from the base (82C54: A1 A0 select). */
export const COUNTER0 = 0;
/** Counter 1 (DRAM refresh on the PC/AT; free-running here, no pin). */
export const COUNTER1 = 1;
/** Counter 2 (PC speaker; GATE from NMISC TIM_CNT2_EN). */
export const COUNTER2 = 2;
/** Control Word Register (write only). */
export const CONTROL_WORD = 3;

/** Control word SC1:SC0, select counter (3 = read-back command). */
export const CW_SC_SHIFT = 6;
/** Mask of SC1:SC0. */
export const CW_SC_MASK = 0xc0;
/** Control word RW1:RW0, read/write access (0 = counter latch command). */
export const CW_RW_SHIFT = 4;
/** Mask of RW1:RW0. */
export const CW_RW_MASK = 0x30;
/** Control word M2:M0, counter mode (x10 = 2, x11 = 3). */
export const CW_M_SHIFT = 1;
/** Mask of M2:M0. */
export const CW_M_MASK = 0x0e;
/** Control word BCD: count in four BCD decades instead of 16-bit binary. */
export const CW_BCD = 0x01;
/** SC value of the read-back command. */
export const SC_READ_BACK = 3;
/** RW value of the counter latch command. */
export const RW_LATCH = 0;
/** RW value: read/write least significant byte only. */
export const RW_LSB = 1;
/** RW value: read/write most significant byte only. */
export const RW_MSB = 2;
/** RW value: least significant byte first, then most significant byte. */
export const RW_LSB_MSB = 3;

/** Read-back command: COUNT# (0 = latch the count of the selected counters). */
export const RB_COUNT_N = 0x20;
/** Read-back command: STATUS# (0 = latch the status of the selected counters). */
export const RB_STATUS_N = 0x10;
/** Read-back command: select counter 2. */
export const RB_CNT2 = 0x08;
/** Read-back command: select counter 1. */
export const RB_CNT1 = 0x04;
/** Read-back command: select counter 0. */
export const RB_CNT0 = 0x02;

/** Status byte: OUTPUT, the level of the counter's OUT pin. */
export const STATUS_OUTPUT = 0x80;
/** Status byte: NULL COUNT, a count was written but not yet loaded into CE. */
export const STATUS_NULL_COUNT = 0x40;

/** NMISC bit 0: TIM_CNT2_EN, GATE of counter 2. */
export const NMISC_TIM_CNT2_EN = 0x01;
/** NMISC bit 1: SPKR_DAT_EN, speaker data enable. */
export const NMISC_SPKR_DAT_EN = 0x02;
/** NMISC bit 4: REF_TOGGLE, toggles with each DRAM refresh request (read only). */
export const NMISC_REF_TOGGLE = 0x10;
/** NMISC bit 5: TMR2_OUT_STS, level of counter 2's OUT (read only). */
export const NMISC_TMR2_OUT_STS = 0x20;
/** NMISC bits software may write (TIM_CNT2_EN, SPKR_DAT_EN, PCI_SERR_EN, IOCHK_NMI_EN). */
const NMISC_WRITABLE = 0x0f;
/**
 * REF_TOGGLE flips every 18 input clocks (15.085 µs): the PC/AT refresh
 * period, counter 1 in mode 2 with count 18 as the BIOS programs it.
 */
const REFRESH_CLOCKS = 18;

/** A counter mode (82C54 modes 0-5). */
export type PitMode = 0 | 1 | 2 | 3 | 4 | 5;
/** Read/write access selected by RW1:RW0 (the latch command is not an access). */
export type PitAccess = "lsb" | "msb" | "lsb_msb";
/** Position of a counter's read or write flip-flop in `lsb_msb` access. */
type NextByte = "lsb" | "msb";

const ACCESS_BY_RW: readonly PitAccess[] = ["lsb", "lsb", "msb", "lsb_msb"];
const RW_BY_ACCESS: Record<PitAccess, number> = { lsb: RW_LSB, msb: RW_MSB, lsb_msb: RW_LSB_MSB };

/**
 * `PIT_LATCH` (include/linux/i8253.h): the count Linux programs for `hz`
 * ticks per second, `(PIT_TICK_RATE + HZ/2) / HZ`.
 */
export function pitLatch(hz: number): number {
  return Math.floor((PIT_TICK_RATE + Math.floor(hz / 2)) / hz);
}

/**
 * Time of input clock `n` after the programming instant, ns:
 * `round(n * 1e9 / 1193182)`, computed exactly (no floating-point drift) for
 * any `n` up to 2^53 / 1e9 seconds of clocks.
 */
export function pitTickNs(n: number): number {
  const q = Math.floor(n / PIT_TICK_RATE);
  return q * NS_PER_S + tickNsInSecond(n - q * PIT_TICK_RATE);
}

/** round(r * 1e9 / F) for 0 <= r <= F, exact in doubles (2 r 1e9 < 2^53). */
function tickNsInSecond(r: number): number {
  const num = 2 * r * NS_PER_S + PIT_TICK_RATE;
  const den = 2 * PIT_TICK_RATE;
  let m = Math.floor(num / den);
  if (m * den > num) m--;
  else if ((m + 1) * den <= num) m++;
  return m;
}

/** Number of input clocks k >= 1 with `pitTickNs(k) <= dt` (the inverse of pitTickNs). */
export function pitTicksIn(dt: number): number {
  if (dt <= 0) return 0;
  const q = Math.floor(dt / NS_PER_S);
  const rem = dt - q * NS_PER_S;
  let r = Math.floor((rem * PIT_TICK_RATE) / NS_PER_S);
  while (tickNsInSecond(r + 1) <= rem) r++;
  while (r > 0 && tickNsInSecond(r) > rem) r--;
  return q * PIT_TICK_RATE + r;
}

/**
 * OUT of a counting counter `e` clocks after its count n was loaded into CE
 * (e = -1: written, not yet loaded). 82C54 datasheet, mode descriptions.
 */
function outAt(mode: PitMode, n: number, e: number): boolean {
  switch (mode) {
    case 0: // interrupt on terminal count: low until CE reaches 0, then high
      return e >= n;
    case 1: // hardware retriggerable one-shot: low from the clock after the trigger to TC
      return e < 0 || e >= n;
    case 2: // rate generator: low for one clock when CE reaches 1
      return e < 0 || e % n !== n - 1;
    case 3: // square wave: high for ceil(n/2) clocks, low for floor(n/2)
      return e < 0 || e % n < Math.ceil(n / 2);
    case 4: // software triggered strobe: low for one clock at TC
    case 5: // hardware triggered strobe
      return e !== n;
  }
}

/** The next e' > e at which outAt changes, or Infinity. */
function nextChange(mode: PitMode, n: number, e: number): number {
  switch (mode) {
    case 0:
      return e < n ? n : Infinity;
    case 1:
      return e < 0 ? 0 : e < n ? n : Infinity;
    case 2: {
      if (e < 0) return n - 1;
      const p = e % n;
      return p === n - 1 ? e + 1 : e + (n - 1 - p);
    }
    case 3: {
      const high = Math.ceil(n / 2);
      if (high === n) return Infinity; // n = 1: no low half
      if (e < 0) return high;
      const p = e % n;
      return p < high ? e + (high - p) : e + (n - p);
    }
    case 4:
    case 5:
      return e < n ? n : e === n ? n + 1 : Infinity;
  }
}

/** Value of CE `e` clocks after loading n (binary; the caller converts to BCD). */
function ceAt(mode: PitMode, n: number, e: number, modulus: number): number {
  switch (mode) {
    case 2:
      return (n - (e % n)) % modulus;
    case 3: {
      // CE counts down by two per clock in each half (approximate for odd n,
      // whose halves start at n-1 as the datasheet's odd-count rule describes).
      const high = Math.ceil(n / 2);
      const p = e % n;
      const q = p < high ? p : p - high;
      return Math.max((n & ~1) - 2 * q, 0) % modulus;
    }
    default: // modes 0, 1, 4, 5 count down and wrap
      return (((n - e) % modulus) + modulus) % modulus;
  }
}

function fromBcd(v: number): number {
  return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

function toBcd(v: number): number {
  return ((Math.floor(v / 1000) % 10) << 12) | ((Math.floor(v / 100) % 10) << 8) |
    ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

/** State of one counter (82C54: CR, CE, OL, status latch, control logic). */
class Counter {
  /** A control word has been written since reset. */
  programmed = false;
  mode: PitMode = 0;
  access: PitAccess = "lsb_msb";
  bcd = false;
  /** Count Register: the last count written (raw 16 bits, BCD-encoded in BCD mode). */
  cr = 0;
  /** Low byte waiting for its high byte in `lsb_msb` writes. */
  crLow = 0;
  writeNext: NextByte = "lsb";
  readNext: NextByte = "lsb";
  /** A count was written since the control word (modes 1/5 wait for a trigger with it). */
  armed = false;
  /** CE holds a count cycle (loaded or loading). */
  active = false;
  /** CE advances with the clock (false: suspended by GATE low). */
  running = false;
  /** Count of the current cycle, 1..65536 (1..10000 in BCD). */
  n = 0x10000;
  /** Base instant (ns) and CE position there: e(t) = e0 + clocks in (t0, t]. */
  t0 = 0;
  e0 = -1;
  /** CE position while suspended. */
  eHeld = -1;
  /** Modes 2/3: a new count written while counting, taken at the reload at e = pendingAt. */
  pendingN = 0;
  pendingAt = -1;
  nullCount = true;
  gate = true;
  /** OUT while no cycle is active (the level the control word set). */
  idleOut = false;
  /** Output latch (OL) from a latch command, or -1. */
  countLatch = -1;
  countLatchNext: NextByte = "lsb";
  /** Status latched by a read-back command, or -1. */
  statusLatch = -1;
  /** Pending OUT transition event (counter 0 only). */
  event: EventHandle = NO_EVENT;

  constructor(readonly index: number) {}
}

/** Options of an {@linkcode I8254}. */
export interface I8254Options {
  /** I/O base of the four registers (counter 0 .. control word). */
  base: number;
  /** Map the NMI Status and Control register (port 0x61) gating counter 2. */
  nmisc: boolean;
  /** Port of the NMI Status and Control register. */
  nmisc_port: number;
}

/** Defaults of {@linkcode I8254Options}: the PC/AT layout. */
export const i8254Defaults: I8254Options = { base: PIT_BASE, nmisc: true, nmisc_port: NMISC_PORT };

/** Schema of the `options:` block of an `i8254` device. */
export const i8254Options: z.ZodType<I8254Options> = z.object({
  base: portOption(i8254Defaults.base).describe("I/O base: counter 0 .. control word (0x40)"),
  nmisc: z.boolean().default(i8254Defaults.nmisc).describe(
    "map the NMI Status and Control register that gates counter 2 and shows its OUT",
  ),
  nmisc_port: portOption(i8254Defaults.nmisc_port).describe(
    "port of the NMI Status and Control register (0x61)",
  ),
}).strict();

/**
 * The 8254 PIT. Counter 0's OUT is pin `out0` (IRQ 0 on the PC); counters 1
 * and 2 count and can be read but drive no pin; counter 2's GATE is
 * NMISC.TIM_CNT2_EN and its OUT reads back as NMISC.TMR2_OUT_STS.
 *
 * At power-on the 8254's modes, counts and outputs are undefined: here every
 * counter is idle with OUT low until programmed, so the first control word
 * of a mode whose OUT starts high gives IRQ 0 a rising edge.
 *
 * @example
 * ```ts
 * const k = testKernel();
 * const pit = new I8254(k, "pit");
 * // Linux's periodic tick (arch/x86/kernel/i8253.c, init_pit_timer): mode 2, LATCH
 * k.ports.write(PIT_MODE, 0x34, 1);
 * k.ports.write(PIT_CH0, pitLatch(250) & 0xff, 1);
 * k.ports.write(PIT_CH0, pitLatch(250) >> 8, 1);
 * k.runUntil(1_000_000_000); // pit.out0 pulses low once per 4 ms
 * ```
 */
export class I8254 implements Device {
  /** Device kind name. */
  readonly kind = "i8254";
  /** OUT of counter 0: the IRQ 0 line. */
  readonly out0: OutputPin;
  /** Pins by name: `out0`. */
  readonly pins: ReadonlyMap<string, Pin>;
  /** Options in force. */
  readonly options: I8254Options;
  readonly #kernel: Kernel;
  readonly #log: DeviceLog;
  readonly #counters = [new Counter(0), new Counter(1), new Counter(2)];
  /** NMISC bits 0-3 as written. */
  #nmisc = 0;
  readonly #onEvent = (index: number): void => {
    const c = this.#counters[index];
    c.event = NO_EVENT;
    this.#refresh(c);
  };

  /**
   * @param kernel machine whose clock and ports the PIT uses
   * @param name instance name (`pit`); pins are `<name>.out0`
   * @param options port bases; missing keys take {@linkcode i8254Defaults}
   */
  constructor(kernel: Kernel, readonly name: string, options: Partial<I8254Options> = {}) {
    this.options = { ...i8254Defaults, ...options };
    this.#kernel = kernel;
    this.#log = new DeviceLog(kernel, name, this.kind);
    this.out0 = new OutputPin(`${name}.out0`, this);
    this.pins = new Map<string, Pin>([["out0", this.out0]]);
    const pit: IoHandler = {
      read: (off: number, w: Width) => readBytes((o) => this.#read(o), off, w, 4),
      write: (off: number, v: number, w: Width) =>
        writeBytes((o, b) => this.#write(o, b), off, v, w, 4),
    };
    kernel.ports.map(this.options.base, 4, pit, name);
    if (this.options.nmisc) {
      const nmisc: IoHandler = {
        read: (_o: number, w: Width) => readBytes(() => this.#readNmisc(), 0, w, 1),
        write: (_o: number, v: number, _w: Width) => this.#writeNmisc(v & 0xff),
      };
      kernel.ports.map(this.options.nmisc_port, 1, nmisc, `${name}.nmisc`);
    }
    // Counter 2's GATE is NMISC.TIM_CNT2_EN (0 after reset); without NMISC it is tied high.
    this.#counters[2].gate = !this.options.nmisc;
  }

  /** Back to the power-on state: counters idle, OUT low, counter 2 gated off. */
  reset(): void {
    for (let i = 0; i < 3; i++) {
      const old = this.#counters[i];
      this.#kernel.clock.cancel(old.event);
      this.#counters[i] = new Counter(i);
    }
    this.#nmisc = 0;
    this.#counters[2].gate = !this.options.nmisc;
    this.out0.set(false);
  }

  /**
   * Current value of a counter's counting element, as a direct read would
   * see it (BCD-encoded in BCD mode), without touching latches or flip-flops.
   */
  count(counter: 0 | 1 | 2): number {
    return this.#ceNow(this.#counters[counter]);
  }

  /** Current level of a counter's OUT. */
  output(counter: 0 | 1 | 2): boolean {
    return this.#outNow(this.#counters[counter]);
  }

  /** Mode and access of a counter as last programmed, or undefined before its first control word. */
  programming(counter: 0 | 1 | 2): { mode: PitMode; access: PitAccess; bcd: boolean } | undefined {
    const c = this.#counters[counter];
    return c.programmed ? { mode: c.mode, access: c.access, bcd: c.bcd } : undefined;
  }

  // ---- port side ----------------------------------------------------------

  #read(offset: number): number {
    if (offset === CONTROL_WORD) {
      // The control word register cannot be read (82C54: "No-Operation, 3-state").
      this.#log.once(
        `read of the write-only control word register at ${hex(this.options.base + 3)}`,
      );
      return 0xff;
    }
    return this.#readCounter(this.#counters[offset]);
  }

  #write(offset: number, value: number): void {
    if (offset === CONTROL_WORD) this.#writeControl(value);
    else this.#writeCount(this.#counters[offset], value);
  }

  #writeControl(v: number): void {
    const sc = (v & CW_SC_MASK) >> CW_SC_SHIFT;
    if (sc === SC_READ_BACK) {
      this.#readBack(v);
      return;
    }
    const c = this.#counters[sc];
    const rw = (v & CW_RW_MASK) >> CW_RW_SHIFT;
    if (rw === RW_LATCH) {
      // Counter latch command: OL freezes CE until read; a second latch before
      // the read is ignored.
      if (c.countLatch < 0) {
        c.countLatch = this.#ceNow(c);
        c.countLatchNext = "lsb";
      }
      return;
    }
    this.#sync(c);
    const m = (v & CW_M_MASK) >> CW_M_SHIFT;
    c.programmed = true;
    c.mode = (m > 5 ? m - 4 : m) as PitMode; // M2 is don't-care in modes 2 and 3
    c.access = ACCESS_BY_RW[rw];
    c.bcd = (v & CW_BCD) !== 0;
    // "All Control Logic is immediately reset and OUT goes to a known initial state."
    c.writeNext = "lsb";
    c.readNext = "lsb";
    c.countLatch = -1;
    c.statusLatch = -1;
    c.armed = false;
    c.active = false;
    c.running = false;
    c.pendingAt = -1;
    c.nullCount = true;
    c.idleOut = c.mode !== 0;
    this.#refresh(c);
  }

  #readBack(v: number): void {
    for (let i = 0; i < 3; i++) {
      if ((v & (RB_CNT0 << i)) === 0) continue;
      const c = this.#counters[i];
      if ((v & RB_COUNT_N) === 0 && c.countLatch < 0) {
        c.countLatch = this.#ceNow(c);
        c.countLatchNext = "lsb";
      }
      if ((v & RB_STATUS_N) === 0 && c.statusLatch < 0) c.statusLatch = this.#status(c);
    }
  }

  #writeCount(c: Counter, b: number): void {
    if (!c.programmed) {
      this.#log.once(`count written to counter ${c.index} before any control word`);
    }
    switch (c.access) {
      case "lsb":
        this.#loadCount(c, b);
        return;
      case "msb":
        this.#loadCount(c, b << 8);
        return;
      case "lsb_msb":
        if (c.writeNext === "lsb") {
          c.crLow = b;
          c.writeNext = "msb";
          if (c.mode === 0) {
            // Mode 0: "Writing the first byte disables counting", OUT low.
            this.#sync(c);
            c.active = false;
            c.running = false;
            c.idleOut = false;
            this.#refresh(c);
          }
        } else {
          c.writeNext = "lsb";
          this.#loadCount(c, c.crLow | (b << 8));
        }
    }
  }

  /** A complete count reached CR: start, restart or queue a cycle as the mode says. */
  #loadCount(c: Counter, raw: number): void {
    this.#sync(c);
    c.cr = raw;
    c.nullCount = true;
    c.armed = true;
    const n = this.#effective(c, raw);
    switch (c.mode) {
      case 0:
      case 4:
        this.#start(c, n, c.gate);
        break;
      case 1:
      case 5:
        // The count waits in CR for the next GATE trigger.
        break;
      case 2:
      case 3: {
        const e = c.active && c.running ? this.#eNow(c) : -1;
        if (e >= 0) {
          // "If a new count is written during counting, it will be loaded at
          // the end of the current counting cycle."
          c.pendingN = n;
          c.pendingAt = (Math.floor(e / c.n) + 1) * c.n;
        } else {
          this.#start(c, n, c.gate);
        }
        break;
      }
    }
    this.#refresh(c);
  }

  /** Begin a cycle of n clocks: CE loads on the next clock (e = -1 now). */
  #start(c: Counter, n: number, running: boolean): void {
    c.active = true;
    c.n = n;
    c.pendingAt = -1;
    c.running = running;
    c.t0 = this.#kernel.clock.now;
    c.e0 = -1;
    c.eHeld = -1;
  }

  /** The number of clocks a raw count stands for: 0 is the maximum (2^16, or 10^4 in BCD). */
  #effective(c: Counter, raw: number): number {
    const v = c.bcd ? fromBcd(raw) : raw;
    if (v === 0) return c.bcd ? 10000 : 0x10000;
    if (v === 1 && c.mode === 2) {
      // "A count of 1 is illegal in mode 2" (82C54): answer as count 2 and say so.
      this.#log.once(`count 1 in mode 2 on counter ${c.index} is illegal; counting 2`, 4);
      return 2;
    }
    return v;
  }

  #readCounter(c: Counter): number {
    if (c.statusLatch >= 0) {
      const s = c.statusLatch;
      c.statusLatch = -1;
      return s;
    }
    if (c.countLatch >= 0) {
      const v = c.countLatch;
      switch (c.access) {
        case "lsb":
          c.countLatch = -1;
          return v & 0xff;
        case "msb":
          c.countLatch = -1;
          return v >> 8;
        case "lsb_msb":
          if (c.countLatchNext === "lsb") {
            c.countLatchNext = "msb";
            return v & 0xff;
          }
          c.countLatch = -1;
          return v >> 8;
      }
    }
    // Direct read of CE: each byte is sampled when it is read.
    const v = this.#ceNow(c);
    switch (c.access) {
      case "lsb":
        return v & 0xff;
      case "msb":
        return v >> 8;
      case "lsb_msb":
        if (c.readNext === "lsb") {
          c.readNext = "msb";
          return v & 0xff;
        }
        c.readNext = "lsb";
        return v >> 8;
    }
  }

  #status(c: Counter): number {
    this.#sync(c);
    if (c.active && c.pendingAt < 0 && this.#eNow(c) >= 0) c.nullCount = false;
    return (this.#outNow(c) ? STATUS_OUTPUT : 0) | (c.nullCount ? STATUS_NULL_COUNT : 0) |
      (RW_BY_ACCESS[c.access] << CW_RW_SHIFT) | (c.mode << CW_M_SHIFT) | (c.bcd ? CW_BCD : 0);
  }

  #readNmisc(): number {
    const refresh = Math.floor(pitTicksIn(this.#kernel.clock.now) / REFRESH_CLOCKS) & 1;
    return this.#nmisc | (refresh ? NMISC_REF_TOGGLE : 0) |
      (this.#outNow(this.#counters[2]) ? NMISC_TMR2_OUT_STS : 0);
  }

  #writeNmisc(v: number): void {
    const old = this.#nmisc;
    this.#nmisc = v & NMISC_WRITABLE;
    if ((v & NMISC_SPKR_DAT_EN) && !(old & NMISC_SPKR_DAT_EN)) {
      this.#log.notImplemented("PC speaker sound output (SPKR_DAT_EN is stored only)");
    }
    this.#setGate(this.#counters[2], (v & NMISC_TIM_CNT2_EN) !== 0);
  }

  /** GATE input changed (82C54 "Gate Pin Operations Summary"). */
  #setGate(c: Counter, level: boolean): void {
    if (level === c.gate) return;
    this.#sync(c);
    c.gate = level;
    const now = this.#kernel.clock.now;
    switch (c.mode) {
      case 0:
      case 4:
        // GATE low disables counting; high resumes it where it stopped.
        if (!level && c.active && c.running) {
          c.eHeld = this.#eNow(c);
          c.running = false;
        } else if (level && c.active && !c.running) {
          c.t0 = now;
          c.e0 = c.eHeld;
          c.running = true;
        }
        break;
      case 2:
      case 3:
        // GATE low disables counting and forces OUT high (see #outNow); the
        // rising edge reloads the counter from CR.
        if (!level && c.active && c.running) {
          c.eHeld = this.#eNow(c);
          c.running = false;
        } else if (level && c.armed) {
          this.#start(c, this.#effective(c, c.cr), true);
        }
        break;
      case 1:
      case 5:
        // The rising edge triggers a cycle with the count in CR.
        if (level && c.armed) this.#start(c, this.#effective(c, c.cr), true);
        break;
    }
    this.#refresh(c);
  }

  // ---- analytic state -------------------------------------------------------

  /** Take a queued mode 2/3 reload whose instant has passed. */
  #sync(c: Counter): void {
    if (c.pendingAt < 0 || !c.active || !c.running) return;
    const e = c.e0 + pitTicksIn(this.#kernel.clock.now - c.t0);
    if (e < c.pendingAt) return;
    c.t0 += pitTickNs(c.pendingAt - c.e0);
    c.e0 = 0;
    c.n = c.pendingN;
    c.pendingAt = -1;
  }

  #eNow(c: Counter): number {
    this.#sync(c);
    return c.running ? c.e0 + pitTicksIn(this.#kernel.clock.now - c.t0) : c.eHeld;
  }

  #outNow(c: Counter): boolean {
    if (!c.active) return c.idleOut;
    if (!c.running && (c.mode === 2 || c.mode === 3)) return true;
    return outAt(c.mode, c.n, this.#eNow(c));
  }

  #ceNow(c: Counter): number {
    if (!c.active) return c.cr;
    const e = this.#eNow(c);
    if (e < 0) return c.cr; // not loaded yet: CR shows through (the old CE is undefined)
    const v = ceAt(c.mode, c.n, e, c.bcd ? 10000 : 0x10000);
    return c.bcd ? toBcd(v) : v;
  }

  /**
   * Drive counter 0's pin and schedule its next OUT transition; runs at every
   * state change and from the transition event itself. Counters 1 and 2 have
   * no pin and are evaluated only when read.
   */
  #refresh(c: Counter): void {
    if (c.index !== 0) return;
    const clock = this.#kernel.clock;
    if (c.event !== NO_EVENT) {
      clock.cancel(c.event);
      c.event = NO_EVENT;
    }
    this.out0.set(this.#outNow(c));
    if (!c.active || !c.running) return;
    const e = this.#eNow(c);
    let next = nextChange(c.mode, c.n, e);
    if (c.pendingAt > e && c.pendingAt < next) next = c.pendingAt;
    if (next === Infinity) return;
    c.event = clock.schedule(c.t0 + pitTickNs(next - c.e0), this.#onEvent, 0);
  }
}

/** The `i8254` device kind: the PC's programmable interval timer. */
export const i8254Kind: DeviceKind<I8254Options> = {
  kind: "i8254",
  description: "Intel 8254 programmable interval timer (PIT), counter 0 OUT on pin out0",
  options: i8254Options,
  create: (name, options, kernel) => new I8254(kernel, name, options),
};
