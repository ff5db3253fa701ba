import assert from "node:assert/strict";
import fc from "fast-check";
import {
  jiffiesToMsecs,
  jiffiesToUsecs,
  maxJiffyOffset,
  msecsToJiffies,
  nsecsToJiffies,
  time_after,
  time_after_eq,
  time_before,
  time_before_eq,
  timeconst,
  usecsToJiffies,
} from "./jiffies.ts";

// Expected values worked out by hand from include/linux/jiffies.h:
// HZ dividing 1000: (m + 1000/HZ - 1) / (1000/HZ), i.e. ceil(m * HZ / 1000);
// HZ a multiple of 1000: m * HZ/1000; otherwise timeconst.bc's reciprocal,
// which is ceil(m * HZ / 1000) for these small m.
const MSECS: [hz: number, ms: number, jiffies: number][] = [
  [100, 0, 0],
  [100, 1, 1], // 1 ms is 0.1 jiffy of 10 ms: rounded up
  [100, 10, 1],
  [100, 11, 2],
  [100, 1000, 100],
  [250, 1, 1],
  [250, 4, 1],
  [250, 5, 2],
  [250, 10, 3], // 2.5 jiffies of 4 ms -> 3
  [250, 100, 25],
  [250, 5000, 1250],
  [1000, 1, 1],
  [1000, 15, 15],
  [300, 1, 1], // 0.3 -> 1
  [300, 4, 2], // 1.2 -> 2
  [300, 10, 3], // exactly 3
  [300, 100, 30],
  [1024, 1, 2], // 1.024 -> 2
  [1024, 1000, 1024],
  [2000, 3, 6], // HZ a multiple of 1000: m * 2
];

Deno.test("msecsToJiffies rounds up for HZ 100, 250, 1000, 300, 1024, 2000", () => {
  for (const [hz, ms, j] of MSECS) assert.equal(msecsToJiffies(ms, hz), j, `HZ=${hz} ms=${ms}`);
});

Deno.test("msecsToJiffies of a negative int is MAX_JIFFY_OFFSET", () => {
  assert.equal(msecsToJiffies(-1, 250), 0x3ffffffe);
  assert.equal(msecsToJiffies(0x80000000, 250), 0x3ffffffe); // (int)m < 0
  assert.equal(maxJiffyOffset(32), 0x3ffffffe);
});

Deno.test("msecsToJiffies equals ceil(m * HZ / 1000) for every HZ and m < 2^24", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.integer({ min: 0, max: 2 ** 24 }),
      (hz, m) => {
        assert.equal(msecsToJiffies(m, hz), Math.ceil((m * hz) / 1000));
      },
    ),
  );
});

Deno.test("timeconst matches timeconst.h for HZ=300", () => {
  // kernel/time/timeconst.bc output for HZ=300 (worked out: ceil(2^30 * 10/3)
  // = 0xd5555556 with shift 30; ceil(2^33 * 0.3) = 0x9999999a with shift 33)
  const t = timeconst(300);
  assert.equal(t.HZ_TO_MSEC_MUL32, 0xd5555556n);
  assert.equal(t.HZ_TO_MSEC_SHR32, 30n);
  assert.equal(t.MSEC_TO_HZ_MUL32, 0x9999999an);
  assert.equal(t.MSEC_TO_HZ_SHR32, 33n);
  assert.equal(t.HZ_TO_MSEC_NUM, 10n);
  assert.equal(t.HZ_TO_MSEC_DEN, 3n);
});

Deno.test("usecsToJiffies rounds up", () => {
  assert.equal(usecsToJiffies(0, 250), 0);
  assert.equal(usecsToJiffies(1, 250), 1);
  assert.equal(usecsToJiffies(4000, 250), 1);
  assert.equal(usecsToJiffies(4001, 250), 2);
  assert.equal(usecsToJiffies(1000, 1000), 1);
  assert.equal(usecsToJiffies(3333, 300), 1); // 0.9999 jiffy
  assert.equal(usecsToJiffies(3334, 300), 2); // 1.0002 jiffies
});

Deno.test("jiffiesToMsecs rounds up, jiffiesToUsecs rounds down", () => {
  assert.equal(jiffiesToMsecs(3, 250), 12);
  assert.equal(jiffiesToMsecs(1, 300), 4); // 3.33 ms -> 4
  // 32-bit longs (kernel/time/time.c): (0xd5555556 * 3 + 2^30 - 1) >> 30 =
  // (10737418242 + 1073741823) >> 30 = 11: the rounded-up reciprocal pushes an
  // exact 10 ms over; 64-bit longs use DIV_ROUND_UP(3 * 10, 3) = 10
  assert.equal(jiffiesToMsecs(3, 300), 11);
  assert.equal(jiffiesToMsecs(3, 300, 64), 10);
  assert.equal(jiffiesToMsecs(1, 1024), 1); // 0.977 ms -> 1
  assert.equal(jiffiesToMsecs(1024, 1024), 1000);
  assert.equal(jiffiesToMsecs(3, 2000), 2); // (3 + 1) / 2
  assert.equal(jiffiesToUsecs(1, 250), 4000);
  assert.equal(jiffiesToUsecs(1, 300), 3333); // 3333.3 -> 3333
  assert.equal(jiffiesToUsecs(3, 300), 10000);
  assert.equal(jiffiesToUsecs(1, 1024), 976); // 976.56 -> 976
  // 64-bit longs take the NUM/DEN path: the same answers
  assert.equal(jiffiesToMsecs(1, 300, 64), 4);
  assert.equal(jiffiesToUsecs(1, 300, 64), 3333);
});

Deno.test("nsecsToJiffies rounds down", () => {
  assert.equal(nsecsToJiffies(3_999_999, 250), 0);
  assert.equal(nsecsToJiffies(4_000_000, 250), 1);
  assert.equal(nsecsToJiffies(7_999_999, 250), 1);
  // HZ=300: n * 9 / ((9e9 + 150) / 300 = 30000000)
  assert.equal(nsecsToJiffies(3_333_333, 300), 0); // 29999997 / 30000000
  assert.equal(nsecsToJiffies(3_333_334, 300), 1); // 30000006 / 30000000
  // HZ=1024: n * 1024 / 512 / (1e9 / 512 = 1953125)
  assert.equal(nsecsToJiffies(976_562, 1024), 0); // 1953124 / 1953125
  assert.equal(nsecsToJiffies(976_563, 1024), 1);
});

Deno.test("time_after and friends compare by difference", () => {
  assert.equal(time_after(11, 10), true);
  assert.equal(time_after(10, 10), false);
  assert.equal(time_before(9, 10), true);
  assert.equal(time_before(10, 10), false);
  assert.equal(time_after_eq(10, 10), true);
  assert.equal(time_after_eq(9, 10), false);
  assert.equal(time_before_eq(10, 10), true);
  assert.equal(time_before_eq(11, 10), false);
});

Deno.test("msecsToJiffies rejects an impossible HZ", () => {
  assert.throws(() => msecsToJiffies(1, 0), /HZ must be an integer/);
});

Deno.test("roundJiffiesCommon rounds to whole seconds with a 3-jiffy skew per CPU", async () => {
  const { roundJiffiesCommon } = await import("./api.ts");
  // HZ 250, jiffies now 100: 260 % 250 = 10 < HZ/4 = 62 -> down to 250
  assert.equal(roundJiffiesCommon(260, 0, false, 250, 100), 250);
  // 400 % 250 = 150 -> up to 500
  assert.equal(roundJiffiesCommon(400, 0, false, 250, 100), 500);
  // CPU 1: (260 + 3) % 250 = 13 -> 250, minus the skew: 247
  assert.equal(roundJiffiesCommon(260, 1, false, 250, 100), 247);
  // force_up (round_jiffies_up): 500
  assert.equal(roundJiffiesCommon(260, 0, true, 250, 100), 500);
  // rounded into the past (now 300): the original value
  assert.equal(roundJiffiesCommon(260, 0, false, 250, 300), 260);
});
