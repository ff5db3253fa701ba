import assert from "node:assert/strict";
import { msleep, pr_info, schedule, udelay } from "./api.ts";
import {
  kthread_create,
  kthread_run,
  kthread_should_stop,
  kthread_stop,
  sched_set_fifo,
  set_current_state,
  TASK_INTERRUPTIBLE,
  wake_up_process,
} from "./kthread.ts";
import type { Task } from "../core/sched.ts";
import { TEST_COSTS, testKernel } from "../tests/helpers.ts";

const MS = 1_000_000;

Deno.test("kthread_run names the thread from namefmt and runs it; its return value is the exit code", () => {
  const k = testKernel();
  let t!: Task;
  k.enter(() => {
    t = kthread_run((data) => (data as number) * 2, 21, "my_thread/%d", 3);
  });
  assert.equal(t.comm, "my_thread/3");
  assert.equal(t.prio, 120, "SCHED_NORMAL nice 0");
  for (const c of k.cpus) c.start();
  k.runUntil(1 * MS);
  assert.equal(t.state, "X");
  assert.equal(t.exitCode, 42);
});

Deno.test("kthread_create leaves the thread asleep until wake_up_process", () => {
  const k = testKernel();
  let ran = 0;
  let t!: Task;
  k.enter(() => {
    t = kthread_create(() => ++ran, null, "sleeper");
  });
  for (const c of k.cpus) c.start();
  k.runUntil(1 * MS);
  assert.equal(ran, 0);
  k.enter(() => assert.equal(wake_up_process(t), 1));
  k.runUntil(2 * MS);
  assert.equal(ran, 1);
  k.enter(() => assert.equal(wake_up_process(t), 0, "a dead task is not woken"));
});

Deno.test("kthread_stop wakes a sleeping thread, waits for it and sees kthread_should_stop", () => {
  const k = testKernel();
  const log: string[] = [];
  function* worker(_: unknown) {
    while (!kthread_should_stop()) {
      set_current_state(TASK_INTERRUPTIBLE);
      yield schedule();
    }
    log.push(`worker exits at ${k.now}`);
    return 7;
  }
  let w!: Task;
  k.enter(() => {
    w = kthread_run(worker, null, "worker");
  });
  k.sched.create({
    comm: "stopper",
    kthread: false,
    body: (function* () {
      yield msleep(10);
      yield kthread_stop(w);
      log.push(`stopped ${w.exitCode}`);
    })(),
  });
  for (const c of k.cpus) c.start();
  k.runUntil(100 * MS);
  assert.equal(w.state, "X");
  assert.equal(log.length, 2);
  assert.equal(log[1], "stopped 7");
});

Deno.test("sched_set_fifo makes a thread preempt a running user task when woken", () => {
  const k = testKernel();
  const order: string[] = [];
  let rt!: Task;
  k.enter(() => {
    rt = kthread_create(
      () => {
        order.push(`rt at ${k.now}`);
        return 0;
      },
      null,
      "rt",
    );
    sched_set_fifo(rt);
  });
  assert.equal(rt.prio, 49);
  k.sched.create({
    comm: "user",
    kthread: false,
    body: (function* () {
      yield udelay(100);
      pr_info("user done\n");
      order.push(`user at ${k.now}`);
    })(),
  });
  k.clock.schedule(50_000, () => k.sched.wakeUp(rt));
  for (const c of k.cpus) c.start();
  k.runUntil(10 * MS);
  // user starts at SWITCH, is preempted at 50 µs; rt runs after a context switch
  assert.equal(order[0], `rt at ${50_000 + TEST_COSTS.context_switch_ns}`);
  assert.ok(order[1].startsWith("user at "));
});

Deno.test("msleep sleeps msecs_to_jiffies(ms) + 1 jiffies, rounded in integers (HZ 300)", () => {
  // Regression: msleep rounded ms * 1e6 / (1e9 / HZ) in floating point, so
  // at HZ 300 msleep(10) counted ceil(3.0000000000000004) = 4 jiffies.
  // The kernel: msecs_to_jiffies(10) = ceil(10 * 300 / 1000) = 3, + 1 = 4
  // jiffies = 4 / 300 s (13.33 ms) without a timers plugin.
  const k = testKernel(1, { hz: 300 });
  let woke = 0;
  k.enter(() =>
    kthread_run(
      function* () {
        yield msleep(10);
        woke = k.now;
        return 0;
      },
      null,
      "sleeper",
    )
  );
  for (const c of k.cpus) c.start();
  k.runUntil(30 * MS);
  const sleptNs = woke - TEST_COSTS.context_switch_ns;
  assert.ok(Math.abs(sleptNs - 4e9 / 300) < 1e4, `${sleptNs}`);
});
