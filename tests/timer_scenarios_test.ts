/**
 * The timer scenarios' numbers on each machine, worked out by hand from
 * kernel/time/timer.c and kernel/time/hrtimer.c: the scenario files check
 * what holds everywhere, these pin what HZ decides.
 */
import assert from "node:assert/strict";
import { runScenario } from "../runner/mod.ts";

async function lines(machine: string, name: string, filter: string): Promise<string[]> {
  const r = await runScenario(`machines/${machine}.yaml`, { scenario: `scenarios/${name}.yaml` });
  assert.deepEqual(r.failures, [], `${name} on ${machine}`);
  return r.kernel.log.lines().filter((l) => l.includes(filter)).map((l) =>
    l.replace(/^\[[^\]]*\] /, "")
  );
}

Deno.test("timer_periodic: +26 jiffies at HZ=250, +11 at HZ=100 (msecs_to_jiffies(100) plus the level-0 round-up)", async () => {
  // HZ=250: msecs_to_jiffies(100) = 25; calc_index() adds one granularity (1 at level 0): 26.
  // Armed at jiffies 1 (the tick at t=0): runs at 27, 53, 79, 105, 131.
  assert.deepEqual(
    (await lines("pc", "timer_periodic", "timer: run")).map((l) => l.replace(/^.*jiffies /, "")),
    ["27 (+26)", "53 (+26)", "79 (+26)", "105 (+26)", "131 (+26)"],
  );
  // HZ=100: 10 + 1 = 11 from jiffies 0: 11, 22, 33, 44, 55
  assert.deepEqual(
    (await lines("rpi", "timer_periodic", "timer: run")).map((l) => l.replace(/^.*jiffies /, "")),
    ["11 (+11)", "22 (+11)", "33 (+11)", "44 (+11)", "55 (+11)"],
  );
});

Deno.test("delays: msleep(1) is 3 jiffies, usleep_range waits for the tick in low-resolution mode", async () => {
  // pc, HZ=250 (4 ms jiffy). msleep(1): msecs_to_jiffies(1) + 1 = 2, round-up +1: 3 jiffies,
  // from a tick boundary 12 ms (+1 µs of wake-up). usleep_range(1000, 2000) starts on a tick boundary
  // (msleep woke there) and its hrtimer runs at the next tick: 4 ms.
  const pc = await lines("pc", "delays", " took ");
  assert.equal(pc[2], "usleep_range(1000, 2000) took 4000 us");
  assert.equal(pc[3], "msleep(1) took 12001 us");
  // Pi 3, HZ=100 (10 ms jiffy): the same rules give 10 ms and 30 ms.
  const pi = await lines("rpi", "delays", " took ");
  assert.equal(pi[2], "usleep_range(1000, 2000) took 10000 us");
  assert.equal(pi[3], "msleep(1) took 30000 us");
  // mdelay(10) is a busy wait: 10 ms and the printk before the second ktime_get()
  assert.match(pc[0], /^mdelay\(10\) took 100[0-9]{2} us$/);
});

Deno.test("hrtimer_1ms: a 1 ms hrtimer fires once per tick in low-resolution mode", async () => {
  // hrtimer_forward() raises an interval below hrtimer_resolution (TICK_NSEC) to one tick
  const pc = await lines("pc", "hrtimer_1ms", "hrtimer: run");
  assert.equal(pc.length, 9);
  for (const l of pc) assert.match(l, /, 4000 us after the previous one$/);
  const pi = await lines("rpi", "hrtimer_1ms", "hrtimer: run");
  for (const l of pi) assert.match(l, /, 10000 us after the previous one$/);
});
