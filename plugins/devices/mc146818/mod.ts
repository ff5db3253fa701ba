/**
 * Motorola MC146818A real-time clock and CMOS RAM at ports 0x70 (index;
 * bit 7 disables NMI) and 0x71 (data), interrupt on pin `irq8`.
 *
 * The 128 bytes of the chip are a {@linkcode RegisterFile} named after the
 * datasheet: time and alarm bytes, registers A-D and user RAM (0x32 holds
 * the century, as on PCs). Like the chip, the model increments the time
 * bytes in place once per second in whatever format register B selects
 * (BCD or binary, 12 or 24 hours): software that flips DM without rewriting
 * the time reads garbage, as on hardware.
 *
 * Interrupts: PF at the rate register A selects, UF after each update, AF
 * when the time matches the alarm (alarm bytes 0xC0-0xFF match anything).
 * A flag is set whether or not its enable bit is; IRQF = (PF & PIE) |
 * (AF & AIE) | (UF & UIE) drives `irq8`, which stays asserted until
 * register C is read. Events: one per second for the update cycle, and
 * while PIE is set, one per periodic interval but only while PF is clear
 * (an unserviced periodic interrupt costs nothing).
 *
 * Sources: Motorola MC146818A datasheet (address map, registers A-D, Table
 * 3 periodic interrupt rates, update cycle timing tBUC = 244 µs and
 * tUC = 1984 µs, "first update one-half second later" after a divider
 * reset); Linux `include/linux/mc146818rtc.h` for the RTC_* names.
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler, Width } from "../../../core/io.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { OutputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind, StimulusKind } from "../../../core/plugin.ts";
import { RegisterFile, type RegisterSpec } from "../../../core/registers.ts";
import { type EventHandle, NO_EVENT } from "../../../core/scheduler.ts";
import { DeviceLog, hex, NS_PER_S, portOption, readBytes } from "../_util.ts";

/** Index port (`RTC_PORT(0)`); the data port follows it. */
export const RTC_PORT = 0x70;
/** Index bit 7: NMI disable (on PCs the index latch gates NMI). */
export const RTC_NMI_DISABLE = 0x80;

/** Seconds. */
export const RTC_SECONDS = 0x00;
/** Seconds alarm. */
export const RTC_SECONDS_ALARM = 0x01;
/** Minutes. */
export const RTC_MINUTES = 0x02;
/** Minutes alarm. */
export const RTC_MINUTES_ALARM = 0x03;
/** Hours (12-hour mode: bit 7 = PM). */
export const RTC_HOURS = 0x04;
/** Hours alarm. */
export const RTC_HOURS_ALARM = 0x05;
/** Day of week, 1 = Sunday. */
export const RTC_DAY_OF_WEEK = 0x06;
/** Date of month. */
export const RTC_DAY_OF_MONTH = 0x07;
/** Month. */
export const RTC_MONTH = 0x08;
/** Year (two digits). */
export const RTC_YEAR = 0x09;
/** Register A: UIP, DV2-0, RS3-0. */
export const RTC_REG_A = 0x0a;
/** Register B: SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE. */
export const RTC_REG_B = 0x0b;
/** Register C: IRQF, PF, AF, UF (read only; reading clears). */
export const RTC_REG_C = 0x0c;
/** Register D: VRT (read only). */
export const RTC_REG_D = 0x0d;
/** Century byte in CMOS RAM on PCs (the ACPI FADT century index usually points here). */
export const CMOS_CENTURY = 0x32;
/** Bytes of the CMOS address space behind the index port. */
export const CMOS_SIZE = 128;

/** Register A bit 7: update in progress (read only). */
export const RTC_UIP = 0x80;
/** Register A DV2-0: divider control. */
export const RTC_DIV_CTL_SHIFT = 4;
/** Mask of DV2-0. */
export const RTC_DIV_CTL_MASK = 0x70;
/** DV value: 32.768 kHz time base, divider running (`RTC_REF_CLCK_32KHZ`). */
export const RTC_REF_CLCK_32KHZ = 0x20;
/** Register A RS3-0: periodic interrupt rate select. */
export const RTC_RATE_SELECT_SHIFT = 0;
/** Mask of RS3-0. */
export const RTC_RATE_SELECT_MASK = 0x0f;
/** Register B bit 7: SET, inhibit updates while software sets the time. */
export const RTC_SET = 0x80;
/** Register B bit 6: periodic interrupt enable. */
export const RTC_PIE = 0x40;
/** Register B bit 5: alarm interrupt enable. */
export const RTC_AIE = 0x20;
/** Register B bit 4: update-ended interrupt enable. */
export const RTC_UIE = 0x10;
/** Register B bit 3: square wave enable. */
export const RTC_SQWE = 0x08;
/** Register B bit 2: data mode binary (1) or BCD (0). */
export const RTC_DM_BINARY = 0x04;
/** Register B bit 1: 24-hour mode. */
export const RTC_24H = 0x02;
/** Register B bit 0: daylight saving enable. */
export const RTC_DST_EN = 0x01;
/** Register C bit 7: interrupt request flag. */
export const RTC_IRQF = 0x80;
/** Register C bit 6: periodic interrupt flag. */
export const RTC_PF = 0x40;
/** Register C bit 5: alarm interrupt flag. */
export const RTC_AF = 0x20;
/** Register C bit 4: update-ended interrupt flag. */
export const RTC_UF = 0x10;
/** Register D bit 7: valid RAM and time (battery good). */
export const RTC_VRT = 0x80;

/** UIP rises this long before an update ends: tBUC 244 µs + tUC 1984 µs (32.768 kHz). */
export const RTC_UIP_NS = (244 + 1984) * 1000;
/** After the divider leaves reset, the first update comes half a second later. */
const FIRST_UPDATE_NS = 500_000_000;
/** Alarm bytes with both top bits set match any value ("don't care"). */
const ALARM_DONT_CARE = 0xc0;

/** A calendar time as the RTC keeps it. */
export interface RtcTime {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** Days in `month` of `year` by the chip's rule (leap when year % 4 == 0: right for 1901-2099). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 31; // garbage month: 31
}

/** Day of week 1..7 (1 = Sunday) of a Gregorian date (Sakamoto's method). */
export function dayOfWeek(year: number, month: number, day: number): number {
  const t = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
  const y = month < 3 ? year - 1 : year;
  const dow = (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + t[month - 1] +
    day) % 7;
  return dow + 1;
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/**
 * Parse `YYYY-MM-DDTHH:MM:SS` (no zone: the RTC keeps local time) without
 * `Date`. Years 1970-2099, the range Linux's mc146818_get_time reads back.
 * Returns an error message instead of a time when the string is wrong.
 */
export function parseRtcTime(s: string): RtcTime | string {
  const m = TIME_RE.exec(s);
  if (!m) return `Cannot parse RTC time "${s}": expected YYYY-MM-DDTHH:MM:SS`;
  const [year, month, day, hours, minutes, seconds] = m.slice(1).map(Number);
  if (year < 1970 || year > 2099) return `Cannot use RTC year ${year}: expected 1970-2099`;
  if (month < 1 || month > 12) return `Cannot use month ${month} in "${s}": expected 01-12`;
  if (day < 1 || day > daysInMonth(year, month)) {
    return `Cannot use day ${day} in "${s}": month ${month} of ${year} has ${
      daysInMonth(year, month)
    } days`;
  }
  if (hours > 23 || minutes > 59 || seconds > 59) {
    return `Cannot use time of day in "${s}": expected 00:00:00-23:59:59`;
  }
  return { year, month, day, hours, minutes, seconds };
}

const rtcTimeString = z.string().superRefine((s, ctx) => {
  const t = parseRtcTime(s);
  if (typeof t === "string") ctx.addIssue({ code: "custom", message: t });
});

/** Options of an {@linkcode Mc146818}. */
export interface Mc146818Options {
  /** Index port; data is at base + 1. */
  base: number;
  /** Time of day at power-on, `YYYY-MM-DDTHH:MM:SS` local time. */
  start: string;
  /** Register B DM after reset: binary (true) or BCD (false, what PC BIOSes set). */
  binary: boolean;
  /** Register B 24/12 after reset: 24-hour mode. */
  hours24: boolean;
}

/** Defaults of {@linkcode Mc146818Options}. */
export const mc146818Defaults: Mc146818Options = {
  base: RTC_PORT,
  start: "2026-01-01T00:00:00",
  binary: false,
  hours24: true,
};

/** Schema of the `options:` block of an `mc146818` device. */
export const mc146818Options: z.ZodType<Mc146818Options> = z.object({
  base: portOption(mc146818Defaults.base).describe("index port; data is at base + 1 (0x70)"),
  start: rtcTimeString.default(mc146818Defaults.start).describe(
    "time of day at power-on, YYYY-MM-DDTHH:MM:SS local time (1970-2099)",
  ),
  binary: z.boolean().default(mc146818Defaults.binary).describe(
    "register B DM after reset: binary (true) or BCD (false)",
  ),
  hours24: z.boolean().default(mc146818Defaults.hours24).describe(
    "register B 24/12 after reset: 24-hour mode",
  ),
}).strict();

/** Arguments of the `set_time` stimulus. */
export interface SetTimeArgs {
  /** New time of day, `YYYY-MM-DDTHH:MM:SS`. */
  time: string;
}

/** Schema of the `set_time` stimulus. */
export const setTimeArgs: z.ZodType<SetTimeArgs> = z.object({ time: rtcTimeString }).strict();

/** The chip's address map as data (MC146818A datasheet, Figure "Address Map"). */
export const MC146818_REGISTERS: readonly RegisterSpec[] = [
  { name: "SECONDS", offset: RTC_SECONDS, width: 8, reset: 0, access: "rw" },
  { name: "SECONDS_ALARM", offset: RTC_SECONDS_ALARM, width: 8, reset: 0, access: "rw" },
  { name: "MINUTES", offset: RTC_MINUTES, width: 8, reset: 0, access: "rw" },
  { name: "MINUTES_ALARM", offset: RTC_MINUTES_ALARM, width: 8, reset: 0, access: "rw" },
  { name: "HOURS", offset: RTC_HOURS, width: 8, reset: 0, access: "rw" },
  { name: "HOURS_ALARM", offset: RTC_HOURS_ALARM, width: 8, reset: 0, access: "rw" },
  { name: "DAY_OF_WEEK", offset: RTC_DAY_OF_WEEK, width: 8, reset: 0, access: "rw" },
  { name: "DATE_OF_MONTH", offset: RTC_DAY_OF_MONTH, width: 8, reset: 0, access: "rw" },
  { name: "MONTH", offset: RTC_MONTH, width: 8, reset: 0, access: "rw" },
  { name: "YEAR", offset: RTC_YEAR, width: 8, reset: 0, access: "rw" },
  {
    name: "REGISTER_A",
    offset: RTC_REG_A,
    width: 8,
    reset: RTC_REF_CLCK_32KHZ | 6, // 32.768 kHz, 1024 Hz periodic rate (PC BIOS value 0x26)
    access: "rw",
    writableMask: 0x7f,
    fields: {
      UIP: { shift: 7, width: 1, description: "update in progress" },
      DV: { shift: 4, width: 3, description: "divider control" },
      RS: { shift: 0, width: 4, description: "rate select" },
    },
  },
  {
    name: "REGISTER_B",
    offset: RTC_REG_B,
    width: 8,
    reset: 0,
    access: "rw",
    fields: {
      SET: { shift: 7, width: 1 },
      PIE: { shift: 6, width: 1 },
      AIE: { shift: 5, width: 1 },
      UIE: { shift: 4, width: 1 },
      SQWE: { shift: 3, width: 1 },
      DM: { shift: 2, width: 1 },
      "24/12": { shift: 1, width: 1 },
      DSE: { shift: 0, width: 1 },
    },
  },
  {
    name: "REGISTER_C",
    offset: RTC_REG_C,
    width: 8,
    reset: 0,
    access: "ro",
    fields: {
      IRQF: { shift: 7, width: 1 },
      PF: { shift: 6, width: 1 },
      AF: { shift: 5, width: 1 },
      UF: { shift: 4, width: 1 },
    },
  },
  {
    name: "REGISTER_D",
    offset: RTC_REG_D,
    width: 8,
    reset: RTC_VRT,
    access: "ro",
    fields: { VRT: { shift: 7, width: 1 } },
  },
  ...Array.from({ length: CMOS_SIZE - 0x0e }, (_, i): RegisterSpec => {
    const offset = 0x0e + i;
    return offset === CMOS_CENTURY
      ? { name: "CENTURY", offset, width: 8, reset: 0, access: "rw" }
      : { name: `RAM_${hex(offset)}`, offset, width: 8, reset: 0, access: "rw" };
  }),
];

/** Periodic interrupt rate (Hz) for RS3-0 with the 32.768 kHz time base (datasheet Table 3). */
export function periodicHz(rs: number): number {
  if (rs === 0) return 0;
  if (rs <= 2) return 256 >> (rs - 1); // RS 1 and 2 repeat 256 and 128 Hz
  return 32768 >> (rs - 1);
}

function bcdToBin(v: number): number {
  return (v >> 4) * 10 + (v & 0x0f);
}

function binToBcd(v: number): number {
  return (Math.floor(v / 10) << 4) | (v % 10);
}

/**
 * The MC146818A RTC with the PC's 128-byte CMOS. Registers are exposed as
 * {@linkcode Mc146818.regs} (a RegisterFile with datasheet names).
 *
 * @example
 * ```ts
 * const k = testKernel();
 * const rtc = new Mc146818(k, "rtc", { start: "2026-01-01T00:00:00" });
 * k.ports.write(RTC_PORT, RTC_REG_B, 1);
 * k.ports.write(RTC_PORT + 1, RTC_24H | RTC_UIE, 1); // update-ended interrupt
 * k.runUntil(1_000_000_000); // rtc.irq8 rises at the update
 * k.ports.write(RTC_PORT, RTC_REG_C, 1);
 * k.ports.read(RTC_PORT + 1, 1); // RTC_IRQF | RTC_UF; irq8 drops
 * ```
 */
export class Mc146818 implements Device {
  /** Device kind name. */
  readonly kind = "mc146818";
  /** IRQ 8: IRQF. */
  readonly irq8: OutputPin;
  /** Pins by name: `irq8`. */
  readonly pins: ReadonlyMap<string, Pin>;
  /** Stimuli: `set_time`. */
  readonly stimuli: Readonly<Record<string, StimulusKind<unknown>>>;
  /** Options in force. */
  readonly options: Mc146818Options;
  /** The 128 CMOS bytes. */
  readonly regs: RegisterFile;
  readonly #kernel: Kernel;
  readonly #log: DeviceLog;
  #index = 0;
  #nmiDisabled = false;
  /** PF, AF, UF as set (IRQF is derived). */
  #flags = 0;
  /** The divider chain counts (DV = 010). */
  #running = true;
  /** An update boundary: updates at phase + k seconds, periodic ticks from it. */
  #phase = 0;
  /** PF covers periodic ticks up to this instant (last register C read). */
  #pfClearedAt = 0;
  #updateEvent: EventHandle = NO_EVENT;
  #periodicEvent: EventHandle = NO_EVENT;
  readonly #onUpdate = (): void => this.#update();
  readonly #onPeriodic = (): void => {
    this.#periodicEvent = NO_EVENT;
    this.#flags |= RTC_PF;
    this.#drive();
  };

  /**
   * @param kernel machine whose clock and ports the RTC uses
   * @param name instance name (`rtc`); the pin is `<name>.irq8`
   * @param options base, start time and register B format; missing keys take {@linkcode mc146818Defaults}
   */
  constructor(kernel: Kernel, readonly name: string, options: Partial<Mc146818Options> = {}) {
    this.options = { ...mc146818Defaults, ...options };
    const start = parseRtcTime(this.options.start);
    if (typeof start === "string") throw new RangeError(start);
    this.#kernel = kernel;
    this.#log = new DeviceLog(kernel, name, this.kind);
    this.irq8 = new OutputPin(`${name}.irq8`, this);
    this.pins = new Map<string, Pin>([["irq8", this.irq8]]);
    this.regs = new RegisterFile(name, MC146818_REGISTERS);
    this.regs.onIgnoredWrite = (s, v) =>
      this.#log.once(`write of ${hex(v)} to read-only ${s.name} ignored`, 4);
    this.regs.hook("REGISTER_A", {
      read: (stored) => stored | (this.#uip() ? RTC_UIP : 0),
      write: (value, old) => this.#writeA(value, old),
    });
    this.regs.hook("REGISTER_B", { write: (value, old) => this.#writeB(value, old) });
    this.regs.hook("REGISTER_C", { read: () => this.#readC() });
    const index: IoHandler = {
      read: (_o: number, w: Width) => readBytes(() => 0xff, 0, w, 1), // the index latch is write-only
      write: (_o: number, v: number) => {
        this.#index = v & 0x7f;
        this.#nmiDisabled = (v & RTC_NMI_DISABLE) !== 0;
      },
    };
    const data: IoHandler = {
      read: (_o: number, w: Width) => readBytes(() => this.regs.read(this.#index, 1), 0, w, 1),
      write: (_o: number, v: number) => this.regs.write(this.#index, v & 0xff, 1),
    };
    kernel.ports.map(this.options.base, 1, index, `${name}.index`);
    kernel.ports.map(this.options.base + 1, 1, data, name);
    this.stimuli = {
      set_time: {
        description: "set the clock (as another OS or a firmware menu would)",
        args: setTimeArgs,
        apply: (a: SetTimeArgs, at: number) =>
          void kernel.clock.schedule(at, () => this.setTime(parseRtcTime(a.time) as RtcTime)),
      } satisfies StimulusKind<SetTimeArgs>,
    };
    this.reset();
  }

  /** NMI disabled by bit 7 of the last index write (for an NMI source to consult). */
  get nmiDisabled(): boolean {
    return this.#nmiDisabled;
  }

  /** Power-on state: time from `start`, register A 0x26, register B from options, flags clear. */
  reset(): void {
    const clock = this.#kernel.clock;
    clock.cancel(this.#updateEvent);
    clock.cancel(this.#periodicEvent);
    this.#periodicEvent = NO_EVENT;
    this.regs.reset();
    this.regs.set(
      "REGISTER_B",
      (this.options.binary ? RTC_DM_BINARY : 0) | (this.options.hours24 ? RTC_24H : 0),
    );
    this.#index = 0;
    this.#nmiDisabled = false;
    this.#flags = 0;
    this.setTime(parseRtcTime(this.options.start) as RtcTime);
    this.#running = true;
    this.#phase = clock.now;
    this.#pfClearedAt = clock.now;
    this.#updateEvent = clock.schedule(this.#phase + NS_PER_S, this.#onUpdate);
    this.#drive();
  }

  /** Write `t` into the time bytes in the format register B selects (century into 0x32). */
  setTime(t: RtcTime): void {
    const r = this.regs;
    r.set("SECONDS", this.#encode(t.seconds));
    r.set("MINUTES", this.#encode(t.minutes));
    r.set("HOURS", this.#encodeHours(t.hours));
    r.set("DAY_OF_WEEK", this.#encode(dayOfWeek(t.year, t.month, t.day)));
    r.set("DATE_OF_MONTH", this.#encode(t.day));
    r.set("MONTH", this.#encode(t.month));
    r.set("YEAR", this.#encode(t.year % 100));
    r.set("CENTURY", binToBcd(Math.floor(t.year / 100)));
  }

  /** The time the time bytes hold now, decoded with register B's format. */
  time(): RtcTime {
    const r = this.regs;
    return {
      year: bcdToBin(r.get("CENTURY")) * 100 + this.#decode(r.get("YEAR")),
      month: this.#decode(r.get("MONTH")),
      day: this.#decode(r.get("DATE_OF_MONTH")),
      hours: this.#decodeHours(r.get("HOURS")),
      minutes: this.#decode(r.get("MINUTES")),
      seconds: this.#decode(r.get("SECONDS")),
    };
  }

  // ---- formats ------------------------------------------------------------------

  get #binary(): boolean {
    return (this.regs.get("REGISTER_B") & RTC_DM_BINARY) !== 0;
  }

  #encode(v: number): number {
    return this.#binary ? v : binToBcd(v);
  }

  #decode(v: number): number {
    return this.#binary ? v : bcdToBin(v);
  }

  #encodeHours(h24: number): number {
    if (this.regs.get("REGISTER_B") & RTC_24H) return this.#encode(h24);
    return this.#encode(h24 % 12 || 12) | (h24 >= 12 ? 0x80 : 0);
  }

  #decodeHours(v: number): number {
    if (this.regs.get("REGISTER_B") & RTC_24H) return this.#decode(v);
    return (this.#decode(v & 0x7f) % 12) + (v & 0x80 ? 12 : 0);
  }

  // ---- registers ----------------------------------------------------------------

  #uip(): boolean {
    if (!this.#running || this.regs.get("REGISTER_B") & RTC_SET) return false;
    const next = this.#kernel.clock.timeOf(this.#updateEvent);
    const now = this.#kernel.clock.now;
    return next >= 0 && now >= next - RTC_UIP_NS && now < next;
  }

  #writeA(value: number, old: number): void {
    const dv = (value & RTC_DIV_CTL_MASK) >> RTC_DIV_CTL_SHIFT;
    const clock = this.#kernel.clock;
    const wasRunning = this.#running;
    // PF owes ticks of the old rate up to now; ticks of the new rate count from now.
    this.#syncPf(wasRunning ? periodicHz(old & RTC_RATE_SELECT_MASK) : 0);
    if (!(this.#flags & RTC_PF)) this.#pfClearedAt = clock.now;
    this.#running = dv === RTC_REF_CLCK_32KHZ >> RTC_DIV_CTL_SHIFT;
    if (!this.#running && (dv & 0b110) !== 0b110) {
      this.#log.notImplemented(
        `divider control DV=${dv.toString(2).padStart(3, "0")} ` +
          "(time bases other than 32.768 kHz); the divider is held",
      );
    }
    if (wasRunning && !this.#running) {
      clock.cancel(this.#updateEvent);
      this.#updateEvent = NO_EVENT;
    } else if (!wasRunning && this.#running) {
      // Leaving divider reset: "the first update cycle begins one-half second later".
      this.#phase = clock.now + FIRST_UPDATE_NS - NS_PER_S;
      this.#updateEvent = clock.schedule(clock.now + FIRST_UPDATE_NS, this.#onUpdate);
    }
    if (((value ^ old) & RTC_RATE_SELECT_MASK) || wasRunning !== this.#running) {
      this.#armPeriodic();
    }
    this.#drive();
  }

  #writeB(value: number, old: number): void {
    if (value & RTC_SET && !(old & RTC_SET)) {
      // "UIE is cleared when SET goes high"; a pending update is aborted.
      this.regs.set("REGISTER_B", value & ~RTC_UIE);
    }
    this.#syncPf();
    this.#armPeriodic();
    this.#drive();
  }

  /** Read register C: the flags with IRQF, then all clear and irq8 drops. */
  #readC(): number {
    this.#syncPf();
    const v = this.#flags | (this.#irqf() ? RTC_IRQF : 0);
    this.#flags = 0;
    this.#pfClearedAt = this.#kernel.clock.now;
    this.#armPeriodic();
    this.#drive();
    return v;
  }

  #irqf(): boolean {
    return (this.#flags & this.regs.get("REGISTER_B") & (RTC_PIE | RTC_AIE | RTC_UIE)) !== 0;
  }

  /** The only writer of irq8. */
  #drive(): void {
    this.irq8.set(this.#irqf());
  }

  // ---- periodic interrupt -------------------------------------------------------------

  /** Periodic ticks from the phase up to `t` (index of the last tick at or before t). */
  #tickIndex(t: number, hz: number): number {
    const dt = t - this.#phase;
    const q = Math.floor(dt / NS_PER_S);
    const rem = dt - q * NS_PER_S;
    let r = Math.floor((rem * hz) / NS_PER_S);
    while (this.#tickNs(r + 1, hz) <= rem) r++;
    while (r > 0 && this.#tickNs(r, hz) > rem) r--;
    return q * hz + r;
  }

  /** Offset of periodic tick r inside a second: round(r * 1e9 / hz). */
  #tickNs(r: number, hz: number): number {
    return Math.round((r * NS_PER_S) / hz);
  }

  #rate(): number {
    return this.#running ? periodicHz(this.regs.get("REGISTER_A") & RTC_RATE_SELECT_MASK) : 0;
  }

  /** Set PF if a periodic tick passed since the last clear (PF is kept lazily while PIE is off). */
  #syncPf(hz = this.#rate()): void {
    if (hz === 0 || this.#flags & RTC_PF) return;
    const now = this.#kernel.clock.now;
    if (this.#tickIndex(now, hz) > this.#tickIndex(this.#pfClearedAt, hz)) this.#flags |= RTC_PF;
  }

  /** Schedule the next periodic tick, needed only while PIE is set and PF is clear. */
  #armPeriodic(): void {
    const clock = this.#kernel.clock;
    clock.cancel(this.#periodicEvent);
    this.#periodicEvent = NO_EVENT;
    const hz = this.#rate();
    if (hz === 0 || !(this.regs.get("REGISTER_B") & RTC_PIE) || this.#flags & RTC_PF) return;
    const next = this.#tickIndex(clock.now, hz) + 1;
    const q = Math.floor(next / hz);
    const at = this.#phase + q * NS_PER_S + this.#tickNs(next - q * hz, hz);
    this.#periodicEvent = clock.schedule(at, this.#onPeriodic);
  }

  // ---- update cycle ----------------------------------------------------------------------

  /** The once-a-second update (runs from the clock): advance the time bytes, UF, alarm. */
  #update(): void {
    const clock = this.#kernel.clock;
    this.#updateEvent = clock.schedule(clock.now + NS_PER_S, this.#onUpdate);
    if (this.regs.get("REGISTER_B") & RTC_SET) return; // updates inhibited
    this.#advance();
    const r = this.regs;
    const match = (time: string, alarm: string) => {
      const a = r.get(alarm);
      return (a & ALARM_DONT_CARE) === ALARM_DONT_CARE || a === r.get(time);
    };
    if (
      match("SECONDS", "SECONDS_ALARM") && match("MINUTES", "MINUTES_ALARM") &&
      match("HOURS", "HOURS_ALARM")
    ) {
      this.#flags |= RTC_AF;
    }
    this.#flags |= RTC_UF;
    this.#drive();
  }

  /** Add one second to the time bytes, in place, in their current format. */
  #advance(): void {
    const r = this.regs;
    let s = this.#decode(r.get("SECONDS")) + 1;
    let mi = this.#decode(r.get("MINUTES"));
    let h = this.#decodeHours(r.get("HOURS"));
    let dow = this.#decode(r.get("DAY_OF_WEEK"));
    let d = this.#decode(r.get("DATE_OF_MONTH"));
    let mo = this.#decode(r.get("MONTH"));
    let y = this.#decode(r.get("YEAR"));
    if (s >= 60) {
      s = 0;
      if (++mi >= 60) {
        mi = 0;
        if (++h >= 24) {
          h = 0;
          dow = dow >= 7 ? 1 : dow + 1;
          if (++d > daysInMonth(2000 + y, mo)) {
            d = 1;
            if (++mo > 12) {
              mo = 1;
              y = (y + 1) % 100; // the chip does not carry into the century byte
            }
          }
        }
      }
    }
    r.set("SECONDS", this.#encode(s));
    r.set("MINUTES", this.#encode(mi));
    r.set("HOURS", this.#encodeHours(h));
    r.set("DAY_OF_WEEK", this.#encode(dow));
    r.set("DATE_OF_MONTH", this.#encode(d));
    r.set("MONTH", this.#encode(mo));
    r.set("YEAR", this.#encode(y));
  }
}

/** The `mc146818` device kind: the PC's CMOS real-time clock. */
export const mc146818Kind: DeviceKind<Mc146818Options> = {
  kind: "mc146818",
  description: "Motorola MC146818A real-time clock with 128 bytes of CMOS, interrupt on irq8",
  options: mc146818Options,
  create: (name, options, kernel) => new Mc146818(kernel, name, options),
};
