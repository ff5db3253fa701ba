import assert from "node:assert/strict";
import { testKernel } from "../../../tests/helpers.ts";
import { Probe } from "../_testing.ts";
import {
  CMOS_CENTURY,
  dayOfWeek,
  Mc146818,
  mc146818Options,
  parseRtcTime,
  RTC_24H,
  RTC_AF,
  RTC_AIE,
  RTC_DAY_OF_MONTH,
  RTC_DAY_OF_WEEK,
  RTC_DM_BINARY,
  RTC_HOURS,
  RTC_HOURS_ALARM,
  RTC_IRQF,
  RTC_MINUTES,
  RTC_MINUTES_ALARM,
  RTC_MONTH,
  RTC_NMI_DISABLE,
  RTC_PF,
  RTC_PIE,
  RTC_PORT,
  RTC_REF_CLCK_32KHZ,
  RTC_REG_A,
  RTC_REG_B,
  RTC_REG_C,
  RTC_REG_D,
  RTC_SECONDS,
  RTC_SECONDS_ALARM,
  RTC_SET,
  RTC_UF,
  RTC_UIE,
  RTC_UIP,
  RTC_UIP_NS,
  RTC_VRT,
  RTC_YEAR,
  setTimeArgs,
} from "./mod.ts";

const S = 1_000_000_000;
const MS = 1_000_000;

function setup(options = {}) {
  const k = testKernel();
  const rtc = new Mc146818(k, "rtc", options);
  const irq8 = new Probe(k, rtc.irq8);
  // CMOS_READ / CMOS_WRITE (arch/x86/include/asm/mc146818rtc.h): index, then data.
  const read = (reg: number) => {
    k.ports.write(RTC_PORT, reg, 1);
    return k.ports.read(RTC_PORT + 1, 1);
  };
  const write = (reg: number, v: number) => {
    k.ports.write(RTC_PORT, reg, 1);
    k.ports.write(RTC_PORT + 1, v, 1);
  };
  return { k, rtc, irq8, read, write };
}

Deno.test("Mc146818 reads the start time in BCD, 24-hour format, and counts seconds", () => {
  const { k, read } = setup({ start: "2026-01-01T00:00:00" });
  const fields = [
    RTC_SECONDS,
    RTC_MINUTES,
    RTC_HOURS,
    RTC_DAY_OF_WEEK,
    RTC_DAY_OF_MONTH,
    RTC_MONTH,
  ];
  assert.deepEqual(fields.map(read), [0x00, 0x00, 0x00, 0x05, 0x01, 0x01]); // a Thursday
  assert.equal(read(RTC_YEAR), 0x26);
  assert.equal(read(CMOS_CENTURY), 0x20);
  k.runUntil(S - 1);
  assert.equal(read(RTC_SECONDS), 0x00);
  k.runUntil(59 * S);
  assert.equal(read(RTC_SECONDS), 0x59);
  k.runUntil(61 * S);
  assert.deepEqual([read(RTC_SECONDS), read(RTC_MINUTES)], [0x01, 0x01]);
});

Deno.test("Mc146818 carries seconds into the next year and day of week", () => {
  const { k, rtc, read } = setup({ start: "2026-12-31T23:59:59" });
  k.runUntil(S);
  assert.deepEqual(rtc.time(), { year: 2027, month: 1, day: 1, hours: 0, minutes: 0, seconds: 0 });
  assert.equal(read(RTC_DAY_OF_WEEK), 0x06); // Friday
  const leap = setup({ start: "2028-02-28T23:59:59" });
  leap.k.runUntil(S);
  assert.equal(leap.rtc.time().day, 29);
});

Deno.test("Mc146818 keeps binary 12-hour time when register B says so", () => {
  const { k, read } = setup({ start: "2026-06-15T12:59:59", binary: true, hours24: false });
  assert.equal(read(RTC_REG_B), RTC_DM_BINARY);
  assert.equal(read(RTC_HOURS), 0x80 | 12, "12 PM");
  assert.equal(read(RTC_MINUTES), 59);
  k.runUntil(S);
  assert.equal(read(RTC_HOURS), 0x80 | 1, "1 PM");
  assert.equal(read(RTC_MINUTES), 0);
});

Deno.test("Mc146818 periodic interrupt holds irq8 until register C is read", () => {
  const { k, irq8, read, write } = setup();
  write(RTC_REG_A, RTC_REF_CLCK_32KHZ | 15); // 2 Hz
  write(RTC_REG_B, RTC_24H | RTC_PIE);
  k.runUntil(500 * MS - 1);
  assert.equal(irq8.level, false);
  k.runUntil(500 * MS);
  assert.equal(irq8.level, true);
  k.runUntil(2 * S);
  assert.equal(irq8.level, true, "nobody read register C: the line stays asserted");
  assert.equal(k.clock.pending, 1, "only the update cycle is scheduled while PF is pending");
  assert.equal(read(RTC_REG_C), RTC_IRQF | RTC_PF | RTC_UF, "UF is set even with UIE clear");
  assert.equal(irq8.level, false);
  assert.equal(read(RTC_REG_C), 0);
  k.runUntil(2500 * MS);
  assert.deepEqual(irq8.rises(), [500 * MS, 2500 * MS]);
  assert.deepEqual(irq8.falls(), [2 * S]);
});

Deno.test("Mc146818 rate 6 gives 1024 periodic interrupts per second to a handler that reads C", () => {
  const { k, rtc, read, write } = setup();
  new Probe(k, rtc.irq8, (level) => {
    if (level) k.clock.scheduleIn(5000, () => read(RTC_REG_C));
  });
  const count = new Probe(k, rtc.irq8);
  write(RTC_REG_B, RTC_24H | RTC_PIE); // register A keeps the BIOS rate 6 = 1024 Hz
  k.runUntil(S);
  assert.equal(count.rises().length, 1024);
  // Tick n of the 1024 Hz divider output at round(n * 1e9 / 1024) ns: no drift.
  assert.deepEqual(count.rises().slice(0, 3), [1, 2, 3].map((n) => Math.round(n * S / 1024)));
  assert.equal(count.rises()[1023], S);
});

Deno.test("Mc146818 update-ended interrupt fires once per second", () => {
  const { k, rtc, read, write } = setup();
  const irq8 = new Probe(k, rtc.irq8, (level) => {
    // PF is set too (rate 6 runs with PIE clear) but only UF raised IRQF.
    if (level) {
      k.clock.scheduleIn(10_000, () => assert.equal(read(RTC_REG_C), RTC_IRQF | RTC_PF | RTC_UF));
    }
  });
  write(RTC_REG_B, RTC_24H | RTC_UIE);
  k.runUntil(3 * S + 20_000);
  assert.deepEqual(irq8.rises(), [S, 2 * S, 3 * S]);
  assert.deepEqual(irq8.falls(), [S, 2 * S, 3 * S].map((t) => t + 10_000));
});

Deno.test("Mc146818 alarm interrupt fires when the time matches, with don't-care bytes", () => {
  const { k, irq8, read, write } = setup({ start: "2026-01-01T00:00:00" });
  write(RTC_SECONDS_ALARM, 0x05);
  write(RTC_MINUTES_ALARM, 0x00);
  write(RTC_HOURS_ALARM, 0x00);
  write(RTC_REG_B, RTC_24H | RTC_AIE);
  k.runUntil(5 * S);
  assert.deepEqual(irq8.rises(), [5 * S]);
  assert.equal(read(RTC_REG_C) & (RTC_IRQF | RTC_AF), RTC_IRQF | RTC_AF);
  // Every minute at :30.
  write(RTC_SECONDS_ALARM, 0x30);
  write(RTC_MINUTES_ALARM, 0xff);
  write(RTC_HOURS_ALARM, 0xc0);
  k.runUntil(2 * 60 * S);
  assert.deepEqual(irq8.rises(), [5 * S, 30 * S]);
  read(RTC_REG_C);
  k.runUntil(2 * 60 * S + 31 * S);
  assert.deepEqual(irq8.rises(), [5 * S, 30 * S, 150 * S]);
});

Deno.test("Mc146818 sets UIP for tBUC + tUC before each update", () => {
  const { k, read } = setup();
  k.runUntil(S - RTC_UIP_NS - 1);
  assert.equal(read(RTC_REG_A) & RTC_UIP, 0);
  k.runUntil(S - RTC_UIP_NS);
  assert.equal(read(RTC_REG_A) & RTC_UIP, RTC_UIP);
  k.runUntil(S);
  assert.equal(read(RTC_REG_A) & RTC_UIP, 0);
  assert.equal(read(RTC_REG_A), 0x26, "BIOS value: 32.768 kHz, rate 6");
});

Deno.test("Mc146818 SET inhibits updates and clears UIE while software sets the time", () => {
  const { k, rtc, read, write } = setup({ start: "2026-01-01T00:00:00" });
  write(RTC_REG_B, RTC_24H | RTC_UIE);
  read(RTC_REG_C);
  write(RTC_REG_B, RTC_24H | RTC_UIE | RTC_SET);
  assert.equal(read(RTC_REG_B), RTC_24H | RTC_SET, "UIE cleared by SET");
  write(RTC_HOURS, 0x12);
  write(RTC_MINUTES, 0x34);
  write(RTC_SECONDS, 0x56);
  k.runUntil(5 * S);
  assert.equal(read(RTC_SECONDS), 0x56, "no updates while SET");
  write(RTC_REG_B, RTC_24H);
  k.runUntil(6 * S);
  assert.deepEqual(rtc.time(), {
    year: 2026,
    month: 1,
    day: 1,
    hours: 12,
    minutes: 34,
    seconds: 57,
  });
});

Deno.test("Mc146818 divider reset holds the clock; the first update follows half a second after release", () => {
  const { k, read, write } = setup();
  write(RTC_REG_A, 0x70); // DV = 111: divider reset
  k.runUntil(10 * S);
  assert.equal(read(RTC_SECONDS), 0x00);
  write(RTC_REG_A, RTC_REF_CLCK_32KHZ | 6);
  k.runUntil(10 * S + 500 * MS - 1);
  assert.equal(read(RTC_SECONDS), 0x00);
  k.runUntil(10 * S + 500 * MS);
  assert.equal(read(RTC_SECONDS), 0x01);
});

Deno.test("Mc146818 index bit 7 disables NMI; C and D are read-only; D reports VRT", () => {
  const { k, rtc, read } = setup();
  k.ports.write(RTC_PORT, RTC_NMI_DISABLE | RTC_REG_D, 1);
  assert.equal(rtc.nmiDisabled, true);
  assert.equal(k.ports.read(RTC_PORT + 1, 1), RTC_VRT);
  k.ports.write(RTC_PORT + 1, 0, 1);
  assert.equal(read(RTC_REG_D), RTC_VRT);
  assert.equal(rtc.nmiDisabled, false);
  assert.ok(k.log.records.some((r) => r.text.includes("read-only REGISTER_D")));
});

Deno.test("Mc146818 set_time stimulus loads a new time at its instant", () => {
  const { k, rtc } = setup();
  rtc.stimuli.set_time.apply(setTimeArgs.parse({ time: "2030-07-04T09:08:07" }), 3 * S + 1);
  k.runUntil(4 * S);
  assert.deepEqual(rtc.time(), { year: 2030, month: 7, day: 4, hours: 9, minutes: 8, seconds: 8 });
});

Deno.test("parseRtcTime reads YYYY-MM-DDTHH:MM:SS and names what is wrong", () => {
  assert.deepEqual(parseRtcTime("2026-01-01T00:00:00"), {
    year: 2026,
    month: 1,
    day: 1,
    hours: 0,
    minutes: 0,
    seconds: 0,
  });
  assert.match(parseRtcTime("2026-02-29T00:00:00") as string, /has 28 days/);
  assert.match(parseRtcTime("2026-01-01 00:00") as string, /expected YYYY-MM-DDTHH:MM:SS/);
  assert.match(parseRtcTime("2126-01-01T00:00:00") as string, /1970-2099/);
  assert.equal(dayOfWeek(2000, 1, 1), 7); // Saturday
  assert.throws(() => mc146818Options.parse({ start: "2026-13-01T00:00:00" }), /month 13/);
  assert.equal(mc146818Options.parse({}).start, "2026-01-01T00:00:00");
});
