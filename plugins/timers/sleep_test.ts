import assert from "node:assert/strict";
import { msleep, schedule_timeout, usleep_range } from "../../linux/api.ts";
import { set_current_state, TASK_INTERRUPTIBLE, wake_up_process } from "../../linux/kthread.ts";
import type { Task } from "../../core/sched.ts";
import { TimerBench } from "./_testing.ts";
import { oneShot } from "./_testing.ts";

/** A kthread on CPU 0 that starts its sleep at `startNs` and records when it woke. */
function sleeper(
  b: TimerBench,
  startNs: number,
  sleep: () => unknown,
  rt = false,
): { woke: number; began: number; task: Task } {
  const r = { woke: 0, began: 0, task: undefined as unknown as Task };
  r.task = b.k.sched.create({
    comm: "sleeper",
    cpu: 0,
    kthread: true,
    policy: rt ? "fifo" : "normal",
    rtPriority: rt ? 50 : undefined,
    start: "sleeping",
    body: (function* () {
      r.began = b.k.now;
      yield sleep();
      r.woke = b.k.now;
    })(),
  });
  b.k.clock.schedule(startNs, () => b.k.sched.wakeUp(r.task));
  return r;
}

Deno.test("msleep(10) at HZ=250 sleeps 4 + 1 jiffies on the wheel: woken by the tick of jiffies 5", () => {
  // msecs_to_jiffies(10) = 3, + 1 = 4: expires = jiffies 0 + 4, level 0, bucket 4 + 1 = 5:
  // TIMER_SOFTIRQ of the tick at 5 * 4 ms wakes it, whether it started at 0.1 ms or 3.9 ms
  for (const start of [100_000, 3_900_000]) {
    const b = new TimerBench(1, { hz: 250 });
    const r = sleeper(b, start, () => msleep(10));
    b.run(30_000_000);
    assert.ok(r.woke >= 20_000_000 && r.woke < 20_100_000, `start ${start}: woke ${r.woke}`);
  }
});

Deno.test("msleep(1) at HZ=1000 sleeps 2 + 1 ticks", () => {
  // msecs_to_jiffies(1) = 1, + 1 = 2; armed at jiffies 10 (base clk forwarded to 10):
  // expires 12, bucket 13: woken at 13 ms
  const b = new TimerBench(1, { hz: 1000 });
  const r = sleeper(b, 10_500_000, () => msleep(1));
  b.run(20_000_000);
  assert.ok(r.woke >= 13_000_000 && r.woke < 13_100_000, `woke ${r.woke}`);
});

Deno.test("usleep_range in low-resolution mode ends at the first tick after min", () => {
  const b = new TimerBench(1, { hz: 250 });
  const r = sleeper(b, 1_000_000, () => usleep_range(100, 200));
  b.run(10_000_000);
  // soft expiry 1.1 ms; hrtimer_run_queues on the tick at 4 ms runs hrtimer_wakeup
  assert.ok(r.woke >= 4_000_000 && r.woke < 4_100_000, `woke ${r.woke}`);
});

Deno.test("usleep_range in high-resolution mode ends at max, or at min for an RT task", () => {
  for (const rt of [false, true]) {
    const b = new TimerBench(1, { hz: 250 });
    oneShot(b);
    const r = sleeper(b, 1_000_000, () => usleep_range(100, 200), rt);
    b.run(3_000_000);
    // the clock event is programmed for the hard expiry: began + 200 µs (RT: no slack, + 100 µs)
    const slept = r.woke - r.began;
    const want = rt ? 100_000 : 200_000;
    assert.ok(slept >= want && slept < want + 20_000, `rt ${rt}: slept ${slept}`);
  }
});

Deno.test("a schedule_timeout sleeper woken early has its timer cancelled", () => {
  const b = new TimerBench(1, { hz: 250 });
  b.k.trace.enabled = true;
  const r = sleeper(b, 1_000_000, () => {
    set_current_state(TASK_INTERRUPTIBLE);
    return schedule_timeout(100);
  });
  b.k.clock.schedule(10_000_000, () => b.k.enter(() => wake_up_process(r.task)));
  b.run(500_000_000);
  assert.ok(r.woke >= 10_000_000 && r.woke < 10_100_000, `woke ${r.woke}`);
  const names = b.k.trace.entries().filter((e) => e.type.system === "timer").map((e) =>
    e.type.name
  );
  assert.deepEqual(names, ["timer_init", "timer_start", "timer_cancel"]);
});

Deno.test("schedule_timeout(MAX_SCHEDULE_TIMEOUT) arms no timer; a negative timeout is refused", () => {
  const b = new TimerBench(1, { hz: 250 });
  b.k.trace.enabled = true;
  const forever = sleeper(b, 1_000_000, () => {
    set_current_state(TASK_INTERRUPTIBLE);
    return schedule_timeout(0x7fffffff); // LONG_MAX on a 32-bit kernel
  });
  const negative = sleeper(b, 2_000_000, () => schedule_timeout(-1));
  b.run(50_000_000);
  assert.equal(forever.woke, 0);
  assert.equal(forever.task.state, "S");
  assert.ok(negative.woke >= 2_000_000 && negative.woke < 2_100_000);
  assert.ok(
    b.k.log.lines().some((l) => l.includes("schedule_timeout: wrong timeout value ffffffff")),
  );
  assert.equal(b.k.trace.entries().filter((e) => e.type.name === "timer_start").length, 0);
});

Deno.test("schedule_timeout_uninterruptible sleeps in D on the wheel; ssleep is msleep(s * 1000)", async () => {
  const { schedule_timeout_uninterruptible, ssleep } = await import("./api.ts");
  const b = new TimerBench(1, { hz: 250 });
  const r = sleeper(b, 100_000, () => schedule_timeout_uninterruptible(10));
  b.run(20_000_000);
  assert.equal(r.task.state, "D");
  // expires 0 + 10, bucket 11: the tick at 44 ms
  b.run(30_000_000);
  assert.ok(r.woke >= 44_000_000 && r.woke < 44_100_000, `woke ${r.woke}`);
  const b2 = new TimerBench(1, { hz: 250 });
  // msecs_to_jiffies(1000) + 1 = 251: expires 251, level 1 (delta >= 63):
  // ((251 >> 3) + 1) << 3 = 256: the tick at 1.024 s
  const s = sleeper(b2, 100_000, () => ssleep(1));
  b2.run(1_100_000_000);
  assert.ok(s.woke >= 1_024_000_000 && s.woke < 1_024_100_000, `woke ${s.woke}`);
});

Deno.test("fsleep picks udelay, usleep_range or msleep by length", async () => {
  const { fsleep } = await import("./api.ts");
  const b = new TimerBench(1, { hz: 250 });
  const kinds: string[] = [];
  b.k.sched.create({
    comm: "f",
    cpu: 0,
    kthread: true,
    body: (function* () {
      for (const us of [10, 11, 20_000, 20_001]) {
        const tok = fsleep(us) as { kind: string; caller?: string; timeout?: { kind: string } };
        kinds.push(tok.kind === "busy" ? "udelay" : `${tok.caller}/${tok.timeout!.kind}`);
        yield tok;
      }
    })(),
  });
  b.run(100_000_000);
  assert.deepEqual(kinds, [
    "udelay",
    "usleep_range/hrtimer",
    "usleep_range/hrtimer",
    "msleep/jiffies", // DIV_ROUND_UP(20001, 1000) = 21 ms
  ]);
});
