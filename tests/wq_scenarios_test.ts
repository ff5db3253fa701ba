/**
 * The workqueue scenarios' per-machine figures, worked out by hand: the
 * scenario files check what holds on every machine, these pin what HZ and
 * the CPU count decide (kernel/time/timer.c calc_index(): a timer at level
 * n lands in the bucket ((expires >> 3n) + 1) << 3n; LVL_START(1) = 63,
 * LVL_START(2) = 504; kernel/workqueue.c: unbound pools take ids after the
 * 2 x ncpus per-CPU pools).
 */
import assert from "node:assert/strict";
import { runScenario } from "../runner/mod.ts";

async function dmesg(machine: string, name: string, filter: string): Promise<string[]> {
  const r = await runScenario(`machines/${machine}.yaml`, { scenario: `scenarios/${name}.yaml` });
  assert.deepEqual(r.failures, [], `${name} on ${machine}`);
  return r.kernel.log.lines().filter((l) => l.includes(filter)).map((l) =>
    l.replace(/^\[[^\]]*\] /, "")
  );
}

Deno.test("wq_delayed: jiffies 1280 at HZ=250 (level 2), 504 at HZ=100 (level 1)", async () => {
  // HZ=250: 1250 jiffies from jiffies 1 -> expires 1251, delta 1250 >= 504: level 2,
  // ((1251 >> 6) + 1) << 6 = 1280
  assert.deepEqual(await dmesg("pc", "wq_delayed", "delayed work: "), [
    "delayed work: queued at jiffies 1 for 1250 jiffies: 1",
    "delayed work: queue again while pending: 0",
    "delayed work: ran in kworker/0:0 at jiffies 1280, 1279 jiffies after queueing",
    "delayed work: cancel_delayed_work_sync returned 0",
  ]);
  // HZ=100: 500 jiffies from jiffies 0, 63 <= 500 < 504: level 1, ((500 >> 3) + 1) << 3 = 504
  const pi = await dmesg("rpi", "wq_delayed", "delayed work: ");
  assert.equal(pi[0], "delayed work: queued at jiffies 0 for 500 jiffies: 1");
  assert.equal(
    pi[2],
    "delayed work: ran in kworker/0:0 at jiffies 504, 504 jiffies after queueing",
  );
});

Deno.test("wq_periodic: every 256 jiffies at HZ=250, every 104 at HZ=100", async () => {
  // HZ=250: 1 + 250 = 251 at level 1 -> 256; 256 + 250 = 506 -> 512; 762 -> 768; 1018 -> 1024
  assert.deepEqual(await dmesg("pc", "wq_periodic", "poll "), [
    "poll 1 at jiffies 256",
    "poll 2 at jiffies 512",
    "poll 3 at jiffies 768",
    "poll 4 at jiffies 1024",
  ]);
  // HZ=100: 0 + 100 at level 1 -> 104; 204 -> 208; 308 -> 312; 412 -> 416
  assert.deepEqual(await dmesg("rpi1", "wq_periodic", "poll "), [
    "poll 1 at jiffies 104",
    "poll 2 at jiffies 208",
    "poll 3 at jiffies 312",
    "poll 4 at jiffies 416",
  ]);
});

Deno.test("wq_unbound: pool u2 on one CPU, u8 on four; max_active 1 keeps one worker, 2 uses two", async () => {
  // 1 CPU: pools 0, 1 per CPU, the unbound pool is 2; its first worker takes A, then B
  assert.deepEqual(await dmesg("pc", "wq_unbound_ordered", "work "), [
    "work A: start in kworker/u2:0 on CPU 0",
    "work A: end in kworker/u2:0",
    "work B: start in kworker/u2:0 on CPU 0",
    "work B: end in kworker/u2:0",
  ]);
  // 4 CPUs: pools 0-7 per CPU, the unbound pool is 8
  const pi = await dmesg("rpi", "wq_unbound_ordered", "work ");
  for (const l of pi) assert.match(l, /kworker\/u8:1( |$)/);
  // max_active 2 on the PC: u2:0 takes A and creates u2:1 as manager; u2:1 takes B;
  // both msleep(100) timers share a bucket, the last armed (B's) expires first
  assert.deepEqual(await dmesg("pc", "wq_unbound_parallel", "work "), [
    "work A: start in kworker/u2:0 on CPU 0",
    "work B: start in kworker/u2:1 on CPU 0",
    "work B: end in kworker/u2:1",
    "work A: end in kworker/u2:0",
  ]);
});
