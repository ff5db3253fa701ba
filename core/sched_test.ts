/**
 * The task scheduler: sleeping and waking on the virtual clock, SCHED_FIFO
 * preemption, PREEMPT_VOLUNTARY for kernel threads, and the fair share of
 * SCHED_NORMAL tasks by nice weight. Times are worked out by hand from
 * TEST_CONFIG (HZ=250, a jiffy is 4 ms) and TEST_COSTS (switch 2 µs).
 *
 * Task bodies are generators that yield linux/api.ts tokens; api calls need
 * the ambient kernel, which exists only while `k.runUntil()` runs.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  cond_resched,
  msleep,
  preempt_disable,
  preempt_enable,
  schedule,
  udelay,
} from "../linux/api.ts";
import { CallBody } from "./body.ts";
import { set_current_state, TASK_INTERRUPTIBLE } from "../linux/kthread.ts";
import type { Kernel } from "./kernel.ts";
import { niceToWeight, type Task } from "./sched.ts";
import { TEST_COSTS, testKernel } from "../tests/helpers.ts";

const US = 1_000;
const MS = 1_000_000;
const JIFFY = 4 * MS; // HZ=250
const SWITCH = TEST_COSTS.context_switch_ns;

/** A task body that burns CPU in `us`-long udelay steps, `n` times, noting each resume. */
function* spin(n: number, us: number, k: Kernel, resumed?: number[]) {
  for (let i = 0; i < n; i++) {
    yield udelay(us);
    resumed?.push(k.now);
  }
}

/** Drive the scheduler tick on CPU 0 every jiffy, as tick_periodic would. */
function startTicks(k: Kernel): void {
  const tick = () => {
    k.tick(k.cpus[0]);
    k.clock.scheduleIn(JIFFY, tick);
  };
  k.clock.schedule(JIFFY, tick);
}

Deno.test("Scheduler.create gives pids from 2 (1 is init's), truncates comm to 15 chars and starts runnable", () => {
  const k = testKernel();
  const a = k.sched.create({ comm: "a_very_long_task_name", body: spin(1, 1, k) });
  const b = k.sched.create({ comm: "b", body: spin(1, 1, k), start: "sleeping" });
  assert.equal(a.pid, 2);
  assert.equal(b.pid, 3);
  assert.equal(a.comm, "a_very_long_tas");
  assert.equal(a.state, "R");
  assert.equal(b.state, "S");
  assert.deepEqual(k.sched.runqueue(0), [a]);
  assert.equal(k.sched.byPid(3), b);
  const init = k.sched.create({ comm: "init", pid: 1, kthread: false, body: spin(1, 1, k) });
  assert.equal(init.pid, 1);
  assert.throws(
    () => k.sched.create({ comm: "again", pid: 1, body: spin(1, 1, k) }),
    /Cannot create task again as pid 1: the pid is in use/,
  );
});

Deno.test("Scheduler.create rejects a CPU that does not exist", () => {
  const k = testKernel(2);
  assert.throws(
    () => k.sched.create({ comm: "lost", body: spin(1, 1, k), cpu: 2 }),
    (e: unknown) => e instanceof RangeError && /lost/.test(e.message) && /CPU 2/.test(e.message),
  );
});

Deno.test("Task.prio is 99 - rt_priority for FIFO and 120 + nice for normal tasks", () => {
  const k = testKernel();
  const fifo = k.sched.create({
    comm: "irq/9-acpi",
    body: spin(1, 1, k),
    policy: "fifo",
    rtPriority: 50,
  });
  const nice = k.sched.create({ comm: "nice", body: spin(1, 1, k), nice: -20 });
  assert.equal(fifo.prio, 49);
  assert.equal(fifo.rt, true);
  assert.equal(nice.prio, 100);
  assert.equal(nice.rt, false);
});

Deno.test("niceToWeight follows sched_prio_to_weight", () => {
  assert.equal(niceToWeight(0), 1024);
  assert.equal(niceToWeight(5), 335);
  assert.equal(niceToWeight(-20), 88761);
  assert.equal(niceToWeight(19), 15);
  assert.equal(niceToWeight(40), 15, "clamped to 19");
});

Deno.test("Scheduler msleep puts the task in D and wakes it after the rounded-up jiffies", () => {
  const k = testKernel();
  const woke: number[] = [];
  const t = k.sched.create({
    comm: "sleeper",
    body: (function* () {
      // 10 ms = 2.5 jiffies -> msecs_to_jiffies() rounds up to 3, msleep adds 1: 16 ms
      yield msleep(10);
      woke.push(k.now);
    })(),
  });
  k.runUntil(SWITCH);
  assert.equal(t.state, "D");
  assert.equal(k.cpus[0].current, k.cpus[0].idleTask, "the CPU went idle");
  k.runUntil(SWITCH + 4 * JIFFY - 1);
  assert.equal(t.state, "D");
  k.runUntil(SWITCH + 4 * JIFFY);
  assert.equal(t.state, "R");
  k.runUntil(100 * MS);
  assert.deepEqual(woke, [SWITCH + 4 * JIFFY + SWITCH]);
  assert.equal(t.state, "X");
});

Deno.test("Scheduler.wakeUp ends a schedule() sleep and returns false for a running task", () => {
  const k = testKernel();
  const woke: number[] = [];
  const t = k.sched.create({
    comm: "waiter",
    body: (function* () {
      set_current_state(TASK_INTERRUPTIBLE);
      yield schedule();
      woke.push(k.now);
    })(),
  });
  k.runUntil(1 * MS);
  assert.equal(t.state, "S");
  k.clock.schedule(3 * MS, () => assert.equal(k.sched.wakeUp(t), true));
  k.clock.schedule(3 * MS, () => assert.equal(k.sched.wakeUp(t), false, "already runnable"));
  k.runUntil(10 * MS);
  assert.deepEqual(woke, [3 * MS + SWITCH]);
});

Deno.test("Scheduler.wakeUp of a FIFO task preempts a running user task at once", () => {
  const k = testKernel();
  const user: number[] = [];
  const fifo: number[] = [];
  k.sched.create({ comm: "user", kthread: false, body: spin(20, 100, k, user) });
  const f = k.sched.create({
    comm: "irq/1-i8042",
    policy: "fifo",
    rtPriority: 50,
    start: "sleeping",
    body: (function* () {
      fifo.push(k.now);
      yield udelay(10);
      fifo.push(k.now);
    })(),
  });
  // the user task resumes at 102, 202, ... µs; wake the FIFO task mid-segment
  k.clock.schedule(1_050 * US, () => k.sched.wakeUp(f));
  k.runUntil(10 * MS);
  assert.deepEqual(fifo, [1_050 * US + SWITCH, 1_050 * US + SWITCH + 10 * US]);
  // segment 11 (1002..1102 µs) was cut at 1050 µs: 52 µs are left after the FIFO
  // task's 10 µs and two switches
  assert.equal(user[9], 1_002 * US);
  assert.equal(user[10], 1_102 * US + 10 * US + 2 * SWITCH);
  assert.equal(user.length, 20);
});

Deno.test("Scheduler.wakeUp of a FIFO task waits for a kernel thread's voluntary point", () => {
  const k = testKernel(); // preempt: voluntary
  const fifo: number[] = [];
  k.sched.create({ comm: "kthread", kthread: true, body: spin(20, 100, k) });
  const f = k.sched.create({
    comm: "irq/1-i8042",
    policy: "fifo",
    rtPriority: 50,
    start: "sleeping",
    body: new CallBody(() => fifo.push(k.now)),
  });
  k.clock.schedule(1_050 * US, () => k.sched.wakeUp(f));
  k.runUntil(10 * MS);
  // no cond_resched(): the FIFO task runs only after the kthread exits at 2002 µs
  assert.deepEqual(fifo, [SWITCH + 2_000 * US + SWITCH]);
});

Deno.test("Scheduler.wakeUp of a FIFO task preempts a kernel thread at cond_resched()", () => {
  const k = testKernel();
  const fifo: number[] = [];
  k.sched.create({
    comm: "kthread",
    kthread: true,
    body: (function* () {
      for (let i = 0; i < 20; i++) {
        yield udelay(100);
        yield cond_resched();
      }
    })(),
  });
  const f = k.sched.create({
    comm: "irq/1-i8042",
    policy: "fifo",
    rtPriority: 50,
    start: "sleeping",
    body: new CallBody(() => fifo.push(k.now)),
  });
  k.clock.schedule(1_050 * US, () => k.sched.wakeUp(f));
  k.runUntil(10 * MS);
  // the segment running at 1050 µs ends at 1102 µs; cond_resched() follows
  assert.deepEqual(fifo, [1_102 * US + SWITCH]);
});

Deno.test("preempt_enable under PREEMPT_FULL switches to a woken FIFO task before the next delay", () => {
  // Bug: Cpu.poke() does nothing while the executor loop is running, so the
  // poke from preempt_enable() inside a body is lost and the body's following
  // busy segment is not cut: the FIFO task waits for the whole next delay.
  const k = testKernel(1, { preempt: "full" });
  const fifo: number[] = [];
  k.sched.create({
    comm: "kthread",
    kthread: true,
    body: (function* () {
      preempt_disable();
      yield udelay(100); // 2 .. 102 µs, not preemptible
      preempt_enable(); // need_resched is set: preempt here, at 102 µs
      yield udelay(100);
    })(),
  });
  const f = k.sched.create({
    comm: "irq/1-i8042",
    policy: "fifo",
    rtPriority: 50,
    start: "sleeping",
    body: new CallBody(() => fifo.push(k.now)),
  });
  k.clock.schedule(50 * US, () => k.sched.wakeUp(f));
  k.runUntil(10 * MS);
  assert.deepEqual(fifo, [SWITCH + 100 * US + SWITCH]);
});

Deno.test("Scheduler.tick shares a CPU between nice 0 and nice 5 by weight", () => {
  const k = testKernel();
  const a = k.sched.create({ comm: "nice0", kthread: false, body: spin(Infinity, 100, k) });
  const b = k.sched.create({
    comm: "nice5",
    kthread: false,
    nice: 5,
    body: spin(Infinity, 100, k),
  });
  startTicks(k);
  k.runUntil(2_000 * MS); // 500 ticks
  const total = a.sumExecNs + b.sumExecNs;
  // weights 1024 : 335 -> nice 0 gets 1024 / 1359 = 75.3 %
  const share = a.sumExecNs / total;
  assert.ok(total > 1_990 * MS, `the CPU was busy (${total} ns)`);
  assert.ok(share > 0.72 && share < 0.79, `nice 0 share ${share.toFixed(3)}`);
  assert.ok(b.sumExecNs > 0.2 * total, "the nice 5 task was not starved");
});

Deno.test("Scheduler.tick shares a CPU evenly between two nice 0 tasks", () => {
  const k = testKernel();
  const tasks: Task[] = [0, 1].map((i) =>
    k.sched.create({ comm: `even${i}`, kthread: false, body: spin(Infinity, 100, k) })
  );
  startTicks(k);
  k.runUntil(1_000 * MS);
  const share = tasks[0].sumExecNs / (tasks[0].sumExecNs + tasks[1].sumExecNs);
  assert.ok(share > 0.47 && share < 0.53, `share ${share.toFixed(3)}`);
});

Deno.test("Scheduler.tick does not switch a lone task", () => {
  const k = testKernel();
  let switches = 0;
  k.sched.onSwitch.push(() => switches++);
  k.sched.create({ comm: "alone", kthread: false, body: spin(Infinity, 100, k) });
  startTicks(k);
  k.runUntil(100 * MS);
  assert.equal(switches, 1, "only the switch from idle");
});

Deno.test("SMP wake-up: a bound task stays on its CPU, an unbound one goes to an idle CPU", () => {
  const k = testKernel(2);
  const ran: Record<string, number[]> = { bound: [], free: [] };
  const sleeper = (name: string) =>
    function* () {
      for (let i = 0; i < 3; i++) {
        ran[name].push(k.currentCpu!.id);
        yield udelay(50);
        yield msleep(1);
      }
    };
  // a hog keeps CPU 0 busy the whole time
  k.sched.create({ comm: "hog", cpu: 0, cpusAllowed: [0], body: spin(200, 100, k) });
  k.sched.create({ comm: "bound", cpu: 0, cpusAllowed: [0], body: sleeper("bound")() });
  k.sched.create({ comm: "free", cpu: 0, body: sleeper("free")() });
  for (const c of k.cpus) c.start();
  k.runUntil(40 * MS);
  assert.deepEqual(ran.bound, [0, 0, 0]);
  assert.ok(ran.free.slice(1).every((c) => c === 1), `free ran on ${ran.free}`);
});

Deno.test("SMP wake-up that preempts another CPU's task goes through sendReschedIpi", () => {
  const k = testKernel(2);
  const ipis: string[] = [];
  const base = k.sched.sendReschedIpi;
  k.sched.sendReschedIpi = (from, to) => {
    ipis.push(`${from.id}->${to.id}`);
    base(from, to);
  };
  const waiter: Task = k.sched.create({
    comm: "rt",
    cpu: 1,
    cpusAllowed: [1],
    policy: "fifo",
    rtPriority: 50,
    start: "sleeping",
    body: (function* () {
      ipis.push(`rt runs on ${k.currentCpu!.id}`);
      yield udelay(1);
    })(),
  });
  k.sched.create({
    comm: "hog1",
    cpu: 1,
    cpusAllowed: [1],
    kthread: false, // a user task: preempted at once
    body: spin(100, 100, k),
  });
  k.sched.create({
    comm: "waker",
    cpu: 0,
    cpusAllowed: [0],
    body: (function* () {
      yield udelay(100);
      k.sched.wakeUp(waiter);
    })(),
  });
  for (const c of k.cpus) c.start();
  k.runUntil(5 * MS);
  assert.deepEqual(ipis, ["0->1", "rt runs on 1"]);
});

Deno.test("setCpusAllowed moves a queued task to an allowed CPU", () => {
  const k = testKernel(2);
  const seen: number[] = [];
  k.sched.create({ comm: "hog", cpu: 0, cpusAllowed: [0], body: spin(100, 100, k) });
  const t = k.sched.create({
    comm: "mover",
    cpu: 0,
    cpusAllowed: [0],
    body: (function* () {
      seen.push(k.currentCpu!.id);
      yield udelay(1);
    })(),
  });
  k.sched.setCpusAllowed(t, [1]);
  for (const c of k.cpus) c.start();
  k.runUntil(5 * MS);
  assert.deepEqual(seen, [1]);
});

Deno.test("Scheduler.onSleep runs when a task blocks, before the switch, and a task it wakes runs next", () => {
  const k = testKernel();
  const seen: string[] = [];
  const helper = k.sched.create({
    comm: "helper",
    start: "sleeping",
    // deno-lint-ignore require-yield
    body: (function* () {
      seen.push(`helper ran at ${k.now}`);
    })(),
  });
  k.sched.onSleep.push((t) => {
    // still current on its CPU: the hook runs before __schedule() picks another task
    seen.push(`${t.comm} sleeps in ${t.state}, current ${k.cpus[0].current.comm}`);
    if (t.comm === "sleeper") k.sched.wakeUp(helper);
  });
  k.sched.create({
    comm: "sleeper",
    body: (function* () {
      yield msleep(10);
    })(),
  });
  k.runUntil(1 * MS);
  // sleeper starts after one switch (2 µs), blocks at once; helper then runs after a second switch
  assert.deepEqual(seen, [
    "sleeper sleeps in D, current sleeper",
    `helper ran at ${2 * SWITCH}`,
  ]);
  // a preempted (still runnable) task is not reported: only blocking is
  assert.equal(seen.filter((s) => s.includes("helper sleeps")).length, 0);
});
