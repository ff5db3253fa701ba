/**
 * The timer scenarios on pc.yaml (HZ 250, the PIT ticking every
 * PIT_LATCH / PIT_TICK_RATE = 4773 / 1193182 s = 4.000228 ms, the first tick
 * at t = 0 so jiffies is 1 when the modules load), with the figures worked
 * out by hand from the kernel's rules.
 */
import assert from "node:assert/strict";
import { runScenario } from "../runner/mod.ts";

const TICK_MS = 4773 / 1193182 * 1000; // 4.000228 ms

/** The count of `vec` on CPU 0 in /proc/softirqs. */
function softirqCount(text: string, vec: string): number {
  const row = text.split("\n").find((l) => l.trimStart().startsWith(`${vec}:`));
  assert.ok(row, `no ${vec} row in\n${text}`);
  return Number(row.split(":")[1].trim().split(/\s+/)[0]);
}

/** The number a dmesg line `<prefix><n> us` shows. */
function usOf(lines: string[], prefix: string): number {
  const l = lines.find((x) => x.includes(prefix));
  assert.ok(l, `no "${prefix}" in dmesg`);
  return Number(l.slice(l.indexOf(prefix) + prefix.length).split(" ")[0]);
}

Deno.test("timer_periodic on pc: 9 runs, 104 ms apart, TIMER softirqs in /proc/softirqs", async () => {
  const r = await runScenario("machines/pc.yaml", { scenario: "scenarios/timer_periodic.yaml" });
  assert.deepEqual(r.failures, []);
  // armed at jiffies 1 for 1 + 25 = 26: level 0, bucket 27; each run at
  // jiffies j re-arms for j + 25, bucket j + 26: runs at 27, 53, ..., 235
  // (tick 235 comes at 234 * 4.000228 ms = 936 ms; 261 would be at 1040 ms)
  const ticks = r.kernel.log.lines().filter((l) => l.includes("timer_demo: tick "));
  const jiffs = ticks.map((l) => Number(l.match(/at jiffies (\d+)/)![1]));
  assert.deepEqual(jiffs, [27, 53, 79, 105, 131, 157, 183, 209, 235]);
  assert.ok(ticks.slice(1).every((l) => l.includes("(+104 ms)")));
  // /proc/softirqs is read after rmmod (which runs 100 ms more): 9 runs,
  // plus one TIMER softirq at jiffies 261 that finds nothing — del_timer()
  // only sets next_expiry_recalc, so run_local_timers() still sees
  // jiffies >= base->next_expiry there, as the kernel does
  const softirqs = r.kernel.procfs.read("/proc/softirqs")!;
  assert.equal(softirqCount(softirqs, "TIMER"), 10);
});

Deno.test("delays on pc: mdelay spins, msleep rounds to the wheel, usleep_range to the tick", async () => {
  const r = await runScenario("machines/pc.yaml", { scenario: "scenarios/delays.yaml" });
  assert.deepEqual(r.failures, []);
  const lines = r.kernel.log.lines();
  // mdelay(10): 10 ms of spinning, plus the 2 or 3 tick interrupts that nest (a few µs each)
  const md = usOf(lines, "mdelay(10) took ");
  assert.ok(md >= 10_000 && md < 10_030, `mdelay ${md}`);
  // msleep(10) from t = 10.03 ms (jiffies 3, base clk forwarded to 3):
  // msecs_to_jiffies(10) + 1 = 4, expires 7, bucket 8: woken by the tick of
  // jiffies 8 at 7 ticks = 28.0016 ms, so about 17.99 ms
  const ms10 = usOf(lines, "msleep(10) took ");
  assert.ok(Math.abs(ms10 - (7 * TICK_MS * 1000 - 10_030)) < 40, `msleep(10) ${ms10}`);
  // msleep(1) from the softirq of jiffies 8 (base clk 9 after running it):
  // 1 + 1 = 2, expires 10, delta 1 from clk 9, bucket 11: 3 ticks = 12.0 ms
  const ms1 = usOf(lines, "msleep(1) took ");
  assert.ok(Math.abs(ms1 - 3 * TICK_MS * 1000) < 10, `msleep(1) ${ms1}`);
  // usleep_range(100, 200) from just after the tick of jiffies 11: low-resolution
  // hrtimers run from the next tick, one tick (4.0 ms) later
  const ur = usOf(lines, "usleep_range(100, 200) took ");
  assert.ok(Math.abs(ur - TICK_MS * 1000) < 10, `usleep_range ${ur}`);
});

Deno.test("hrtimer_1ms on pc: once per tick in low-resolution mode; soft ones on HRTIMER", async () => {
  const r = await runScenario("machines/pc.yaml", { scenario: "scenarios/hrtimer_1ms.yaml" });
  assert.deepEqual(r.failures, []);
  // hard: due at 1 ms, first tick after it at 4.0002 ms; forward_now(1 ms) is
  // raised to TICK_NSEC = 4 ms, so expiry k (4k + 1 ms) is always before tick
  // k + 1 (4.000228 (k + 1) ms): one run per tick, ticks 1..249 before 1 s.
  // soft: due every 10 ms, run at the first tick after each: 10, 20, ..., 990 ms: 99
  assert.ok(r.kernel.log.lines().some((l) => l.includes("249 hard expiries, 99 soft expiries")));
  const softirqs = r.kernel.procfs.read("/proc/softirqs")!;
  assert.equal(softirqCount(softirqs, "HRTIMER"), 99);
  assert.equal(softirqCount(softirqs, "TIMER"), 0);
});

Deno.test("the timer scenarios give byte-identical traces and dmesg for the same seed", async () => {
  for (const scenario of ["scenarios/hrtimer_1ms.yaml", "scenarios/delays.yaml"]) {
    const run = async () => {
      const r = await runScenario("machines/pc.yaml", { scenario, seed: 3, trace: true });
      return { trace: r.kernel.trace.format(1), dmesg: r.dmesg };
    };
    const a = await run(), b = await run();
    assert.ok(a.trace.includes("hrtimer_expire_entry"), `${scenario}: the trace has hrtimers`);
    assert.equal(a.trace, b.trace);
    assert.equal(a.dmesg, b.dmesg);
  }
});
