/**
 * Delayed work on the timers plugin's timer_list (kernel/workqueue.c 6.1).
 * HZ=250: a jiffy is 4 ms; the tick runs the timer wheel through
 * TIMER_SOFTIRQ (in ksoftirqd here: the test tick has no hardirq).
 *
 * Wheel slack, from kernel/time/timer.c calc_wheel_index(): a timer
 * `delta` jiffies away sits on level 0 (granularity 1) below 63, level 1
 * (8) below 504, level 2 (64) below 4032; calc_index() rounds up so that it
 * never fires early: the bucket expiry is ((expires >> shift) + 1) << shift,
 * one jiffy late even on level 0.
 *
 * @module
 */
import assert from "node:assert/strict";
import { current, msleep, smp_processor_id } from "../../linux/api.ts";
import { msecs_to_jiffies } from "../timers/mod.ts";
import { runTask, wqKernel } from "./_testing.ts";
import {
  cancel_delayed_work,
  cancel_delayed_work_sync,
  DECLARE_DELAYED_WORK,
  delayed_work,
  flush_delayed_work,
  INIT_DELAYED_WORK,
  mod_delayed_work,
  queue_delayed_work,
  queue_delayed_work_on,
  schedule_delayed_work,
  system_wq,
  to_delayed_work,
  work_pending,
  type work_struct,
} from "./mod.ts";

const MS = 1_000_000;

Deno.test("queue_delayed_work: delay 0 queues at once; PENDING holds through the delay and queueing again returns false", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 }, {}, true);
  k.trace.enabled = true;
  const ran: number[] = [];
  const dw = DECLARE_DELAYED_WORK(function now_fn() {
    ran.push(k.jiffies);
  });
  const later = DECLARE_DELAYED_WORK(function later_fn() {
    ran.push(k.jiffies);
  });
  const got: boolean[] = [];
  runTask(k, function* () {
    got.push(queue_delayed_work(system_wq, dw, 0));
    got.push(schedule_delayed_work(later, 10), work_pending(later.work));
    got.push(schedule_delayed_work(later, 10), queue_delayed_work(system_wq, later, 0));
    yield msleep(100);
  });
  k.runUntil(2 * MS);
  // delay 0: queued (and traced) at once, before any tick
  const q = k.trace.entries().filter((e) => e.type.name === "workqueue_queue_work");
  assert.equal(q.length, 1);
  assert.deepEqual(ran, [0]);
  assert.deepEqual(got, [true, true, true, false, false]);
  k.runUntil(200 * MS);
  // armed at jiffy 0 for 10 jiffies: level 0, bucket expiry 10 + 1
  assert.deepEqual(ran, [0, 11]);
  assert.equal(work_pending(later.work), false);
});

Deno.test("schedule_delayed_work(msecs_to_jiffies(5000)) fires at 1250 jiffies rounded up to the wheel's level-2 bucket", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 }, {}, true);
  const ran: { j: number; comm: string }[] = [];
  let armedAt = -1;
  const dw = DECLARE_DELAYED_WORK(function five_s() {
    ran.push({ j: k.jiffies, comm: current().comm });
  });
  runTask(k, function* () {
    // msleep(100): schedule_timeout(25 + 1) on the wheel, level 0 rounds up one more: jiffy 27
    yield msleep(100);
    armedAt = k.jiffies;
    schedule_delayed_work(dw, msecs_to_jiffies(5000));
  });
  k.runUntil(6000 * MS);
  assert.equal(armedAt, 27);
  // expires 27 + 1250 = 1277, delta 1250 -> level 2 (shift 6): ((1277 >> 6) + 1) << 6 = 1280
  assert.deepEqual(ran.map((r) => r.j), [1280]);
  assert.match(ran[0].comm, /^kworker\/0:\d$/);
});

Deno.test("cancel_delayed_work stops an armed timer (true) and answers false when idle", () => {
  const { k } = wqKernel(1, {}, {}, true);
  let runs = 0;
  const dw = DECLARE_DELAYED_WORK(function never() {
    runs++;
  });
  const got: boolean[] = [];
  runTask(k, function* () {
    schedule_delayed_work(dw, 5);
    got.push(cancel_delayed_work(dw), cancel_delayed_work(dw), work_pending(dw.work));
    yield msleep(100);
  });
  k.runUntil(200 * MS);
  assert.deepEqual(got, [true, false, false]);
  assert.equal(runs, 0);
});

Deno.test("mod_delayed_work: false when idle (now queued), true when pending (re-armed to the new delay)", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 }, {}, true);
  const ran: number[] = [];
  const dw = DECLARE_DELAYED_WORK(function moved() {
    ran.push(k.jiffies);
  });
  const got: boolean[] = [];
  runTask(k, function* () {
    got.push(mod_delayed_work(system_wq, dw, 40)); // idle: armed for jiffy 40
    yield msleep(20); // msleep: 5 + 1 jiffies on the wheel, + 1 on level 0: jiffy 7
    got.push(mod_delayed_work(system_wq, dw, 10)); // pending: now jiffy 7 + 10 (+1 on level 0)
    yield msleep(1000);
  });
  k.runUntil(1000 * MS);
  assert.deepEqual(got, [false, true]);
  assert.deepEqual(ran, [18], "ran once, at the new expiry");
});

Deno.test("flush_delayed_work queues an armed work at once and waits for it (true)", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 }, {}, true);
  const ran: number[] = [];
  const dw = DECLARE_DELAYED_WORK(function* flushed() {
    yield msleep(10);
    ran.push(k.now);
  });
  let back = 0;
  let ret: unknown;
  runTask(k, function* () {
    schedule_delayed_work(dw, 1000);
    ret = yield flush_delayed_work(dw);
    back = k.now;
  });
  k.runUntil(500 * MS);
  assert.equal(ret, 1);
  assert.equal(ran.length, 1);
  assert.ok(back >= ran[0] && back < 100 * MS, "did not wait for the 4 s timer");
});

Deno.test("periodic self-requeueing delayed work runs every second until cancel_delayed_work_sync", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 }, {}, true);
  class poller {
    readonly dwork = new delayed_work(this);
    readonly ticks: number[] = [];
  }
  const p = new poller();
  let cancelRet: unknown;
  function poll(w: work_struct) {
    const me = to_delayed_work(w);
    const owner = me.container as poller;
    owner.ticks.push(k.jiffies);
    schedule_delayed_work(me, 250); // HZ: one second
  }
  runTask(k, function* () {
    INIT_DELAYED_WORK(p.dwork, poll);
    schedule_delayed_work(p.dwork, 250);
    yield msleep(3500); // 875 + 1 jiffies
    cancelRet = yield cancel_delayed_work_sync(p.dwork);
  });
  k.runUntil(10_000 * MS);
  // delta 250 -> level 1 (shift 3): first at ((250 >> 3) + 1) << 3 = 256; each run re-arms
  // at 256 + 250 = 506 -> ((506 >> 3) + 1) << 3 = 512, then 762 -> 768; cancelled at 876
  assert.deepEqual(p.ticks, [256, 512, 768]);
  assert.equal(cancelRet, 1, "the re-armed timer was pending when cancelled");
  assert.equal(work_pending(p.dwork.work), false);
});

Deno.test("queue_delayed_work_on(2) arms the timer on CPU 2 and the work runs there", () => {
  const { k } = wqKernel(4, { create_worker_ns: 0 }, {}, true);
  const where: number[] = [];
  const dw = DECLARE_DELAYED_WORK(function on2() {
    where.push(smp_processor_id());
  });
  runTask(k, function* () {
    queue_delayed_work_on(2, system_wq, dw, 3);
    yield msleep(100);
  });
  k.runUntil(200 * MS);
  assert.deepEqual(where, [2]);
  assert.equal(dw.cpu, 2);
});

Deno.test("queueing a delayed_work never set up with INIT_DELAYED_WORK warns and still fires", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 }, {}, true);
  let ran = 0;
  const dw = new delayed_work(undefined, function raw() {
    ran++;
  });
  runTask(k, function* () {
    schedule_delayed_work(dw, 2);
    yield msleep(100);
  });
  k.runUntil(200 * MS);
  assert.ok(k.log.lines().some((l) => l.includes("at kernel/workqueue.c __queue_delayed_work")));
  assert.equal(ran, 1);
});
