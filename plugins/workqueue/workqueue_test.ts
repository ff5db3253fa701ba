/**
 * The workqueue rules of kernel/workqueue.c (6.1), each pinned with values
 * worked out by hand from the kernel's code paths. Costs are TEST_COSTS
 * (context switch 2 µs, plain function 1 µs); HZ=250, so msleep(10) sleeps
 * msecs_to_jiffies(10) + 1 = 4 jiffies = 16 ms.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  cond_resched,
  current,
  in_interrupt,
  in_softirq,
  irqs_disabled,
  mdelay,
  msleep,
  preempt_count,
  preempt_disable,
  smp_processor_id,
} from "../../linux/api.ts";
import { formatTraceLine } from "../../core/trace.ts";
import type { Kernel } from "../../core/kernel.ts";
import { comms, runTask, wqKernel } from "./_testing.ts";
import {
  __WQ_LEGACY,
  __WQ_ORDERED,
  __WQ_ORDERED_EXPLICIT,
  alloc_ordered_workqueue,
  alloc_workqueue,
  cancel_work,
  cancel_work_sync,
  container_of,
  ContainerOfError,
  create_singlethread_workqueue,
  create_workqueue,
  current_work,
  DECLARE_WORK,
  destroy_workqueue,
  drain_workqueue,
  flush_work,
  flush_workqueue,
  INIT_WORK,
  queue_work,
  queue_work_on,
  schedule_work,
  schedule_work_on,
  system_highpri_wq,
  system_unbound_wq,
  system_wq,
  work_busy,
  WORK_BUSY_PENDING,
  WORK_BUSY_RUNNING,
  work_pending,
  work_struct,
  WORK_STRUCT_INACTIVE,
  WORK_STRUCT_PENDING,
  workqueue,
  workqueue_set_max_active,
  type workqueue_struct,
  WQ_CPU_INTENSIVE,
  WQ_HIGHPRI,
  WQ_MEM_RECLAIM,
  WQ_SYSFS,
  WQ_UNBOUND,
} from "./mod.ts";
import { cpumask_parse } from "./workqueue.ts";

const MS = 1_000_000;

interface Run {
  name: string;
  comm: string;
  cpu: number;
  start: number;
  end: number;
}

/** A work function that records where and when it ran; `sleepMs` sleeps, `busyMs` busy-waits. */
function recorder(
  k: Kernel,
  runs: Run[],
  name: string,
  opts: { sleepMs?: number; busyMs?: number; resched?: boolean } = {},
) {
  return {
    *[name](_w: work_struct) {
      const r: Run = { name, comm: current().comm, cpu: smp_processor_id(), start: k.now, end: 0 };
      runs.push(r);
      if (opts.sleepMs) yield msleep(opts.sleepMs);
      if (opts.busyMs && opts.resched) {
        for (let i = 0; i < opts.busyMs; i++) {
          yield mdelay(1);
          yield cond_resched();
        }
      } else if (opts.busyMs) yield mdelay(opts.busyMs);
      r.end = k.now;
    },
  }[name];
}

function wqLines(k: Kernel): string[] {
  return k.trace.entries().filter((e) => e.type.system === "workqueue").map((e) =>
    formatTraceLine(e).trimEnd()
  );
}

Deno.test("workqueue_init names one kworker per pool: kworker/N:0, kworker/N:0H, then kworker/u<2·ncpus>:0", () => {
  const { k, w } = wqKernel(4);
  const kw = comms(k).filter((c) => c.startsWith("kworker"));
  // per CPU: pool ids 2N (nice 0) and 2N+1 (highpri); the first unbound pool (events_unbound) is 8
  assert.deepEqual(kw, [
    "kworker/0:0",
    "kworker/0:0H",
    "kworker/1:0",
    "kworker/1:0H",
    "kworker/2:0",
    "kworker/2:0H",
    "kworker/3:0",
    "kworker/3:0H",
    "kworker/u8:0",
  ]);
  const prio = (c: string) => k.sched.tasks.find((t) => t.comm === c)!.prio;
  assert.equal(prio("kworker/1:0"), 120, "nice 0");
  assert.equal(prio("kworker/1:0H"), 100, "HIGHPRI_NICE_LEVEL -20");
  assert.deepEqual(w.pools.map((p) => p?.cpu), [0, 0, 1, 1, 2, 2, 3, 3, -1]);
  // the writeback workqueue (WQ_MEM_RECLAIM) has a rescuer named after it, at nice -20
  assert.equal(prio("writeback"), 100);
});

Deno.test("system workqueues have the names, flags and max_active of workqueue_init_early", () => {
  const { w } = wqKernel(4);
  const sys = [...w.system.values()].map((q) => [q.name, q.flags, q.saved_max_active]);
  assert.deepEqual(sys, [
    ["events", 0, 256],
    ["events_highpri", WQ_HIGHPRI, 256],
    ["events_long", 0, 256],
    ["events_unbound", WQ_UNBOUND, 512], // max(512, 4 CPUs × 4)
    ["events_freezable", 1 << 2, 256],
    ["events_power_efficient", 1 << 7, 256], // stays per-CPU: power_efficient is off
    // WQ_NAME_LEN is 24 in 6.1: ps shows "kworker/0:1-events_freezable_power_" on real systems
    ["events_freezable_power_", (1 << 2) | (1 << 7), 256],
  ]);
});

Deno.test("queue_work returns false while PENDING is set; PENDING is cleared before the function runs", () => {
  const { k } = wqKernel(1);
  const seen: unknown[] = [];
  let requeued = 0;
  const w = DECLARE_WORK(function self_requeue(me) {
    seen.push(work_pending(me), current_work() === me);
    if (requeued++ === 0) seen.push(schedule_work(me)); // allowed: PENDING is already clear
  });
  runTask(k, function* () {
    seen.push(schedule_work(w), work_pending(w), schedule_work(w), queue_work(system_wq, w));
    yield msleep(100);
    seen.push(current_work());
  });
  k.runUntil(200 * MS);
  assert.deepEqual(seen, [true, true, false, false, false, true, true, false, true, null]);
  assert.equal(w.data & WORK_STRUCT_PENDING, 0);
});

Deno.test("the first work on a fresh pool makes its worker the manager: it creates kworker/0:1 first", () => {
  const { k } = wqKernel(1, { create_worker_ns: 50_000 });
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "a"));
  let queued = 0;
  runTask(k, function* () {
    schedule_work(a);
    queued = k.now;
    yield msleep(20);
  });
  k.runUntil(50 * MS);
  assert.equal(runs[0].comm, "kworker/0:0");
  assert.ok(comms(k).includes("kworker/0:1"), "the spare idle worker");
  // insmod sleeps at once; switch to kworker/0:0 (2 µs); no idle worker left after it leaves
  // idle, so it manages: create_worker (50 µs), then runs the item
  assert.equal(runs[0].start - queued, 2_000 + 50_000);
});

Deno.test("concurrency management: a sleeping work lets the next one run in another worker; a busy one does not", () => {
  for (const mode of ["sleep", "busy"] as const) {
    const { k } = wqKernel(1, { create_worker_ns: 0 });
    const runs: Run[] = [];
    const a = DECLARE_WORK(
      recorder(k, runs, "a", mode === "sleep" ? { sleepMs: 10 } : { busyMs: 10 }),
    );
    const b = DECLARE_WORK(recorder(k, runs, "b"));
    runTask(k, function* () {
      schedule_work(a);
      schedule_work(b);
      yield msleep(100);
    });
    k.runUntil(200 * MS);
    const [ra, rb] = runs;
    if (mode === "sleep") {
      // wq_worker_sleeping(): nr_running 1 -> 0 with b on the worklist: an idle worker takes it
      assert.ok(rb.start < ra.end, `b starts while a sleeps (${rb.start} < ${ra.end})`);
      assert.notEqual(rb.comm, ra.comm);
    } else {
      // nr_running stays 1: keep_working() makes the same worker run b after a
      assert.ok(rb.start >= ra.end);
      assert.equal(rb.comm, ra.comm);
    }
  }
});

Deno.test("WQ_CPU_INTENSIVE work leaves concurrency management: the next item starts in another worker", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 });
  const runs: Run[] = [];
  let wq!: workqueue_struct;
  // PREEMPT_VOLUNTARY: a kthread is preempted only at its cond_resched() points
  const a = DECLARE_WORK(recorder(k, runs, "a", { busyMs: 20, resched: true }));
  const b = DECLARE_WORK(recorder(k, runs, "b", { busyMs: 20, resched: true }));
  runTask(k, function* () {
    wq = alloc_workqueue("crunch", WQ_CPU_INTENSIVE, 0)!;
    queue_work(wq, a);
    queue_work(wq, b);
    yield msleep(200);
  });
  // the scheduler tick shares the CPU between the two workers
  const tick = () => {
    k.tick(k.cpus[0]);
    k.clock.scheduleIn(4 * MS, tick);
  };
  k.clock.schedule(4 * MS, tick);
  k.runUntil(300 * MS);
  assert.equal(runs.length, 2);
  assert.notEqual(runs[0].comm, runs[1].comm);
  assert.ok(runs[1].start < runs[0].end, "b did not wait for a");
});

Deno.test("WQ_UNBOUND max_active 1 runs two works one after the other; max_active 2 runs them in parallel", () => {
  for (const max of [1, 2]) {
    const { k } = wqKernel(4, { create_worker_ns: 0 });
    k.trace.enabled = true;
    const runs: Run[] = [];
    const a = DECLARE_WORK(recorder(k, runs, "a", { busyMs: 10 }));
    const b = DECLARE_WORK(recorder(k, runs, "b", { busyMs: 10 }));
    runTask(k, function* () {
      const wq = alloc_workqueue("wq%d", WQ_UNBOUND, max, max)!;
      queue_work(wq, a);
      queue_work(wq, b);
      yield msleep(100);
    });
    k.runUntil(200 * MS);
    const [ra, rb] = runs;
    assert.match(ra.comm, /^kworker\/u8:\d$/, "the shared unbound pool 8");
    const acts = wqLines(k).filter((l) => l.includes("workqueue_activate_work"));
    if (max === 1) {
      assert.ok(rb.start >= ra.end, "ordered: b after a");
      // b was queued inactive and activated (traced) when a ended
      assert.equal(acts.length, 2);
      const bAct = k.trace.entries().filter((e) => e.type.name === "workqueue_activate_work")[1];
      assert.equal(bAct.ts, ra.end);
    } else {
      assert.ok(rb.start < ra.end, "both active at once");
      assert.notEqual(ra.cpu, rb.cpu, "unbound workers spread to idle CPUs");
    }
  }
});

Deno.test("max_active is per pwq: a per-CPU workqueue with max_active 1 still runs one item per CPU at once", () => {
  const { k } = wqKernel(2, { create_worker_ns: 0 });
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "a", { busyMs: 10 }));
  const b = DECLARE_WORK(recorder(k, runs, "b", { busyMs: 10 }));
  const c = DECLARE_WORK(recorder(k, runs, "c", { busyMs: 10 }));
  let wq!: workqueue_struct;
  runTask(k, function* () {
    wq = alloc_workqueue("percpu1", 0, 1)!;
    queue_work_on(0, wq, a);
    queue_work_on(0, wq, b);
    queue_work_on(1, wq, c);
    assert.equal(b.data & WORK_STRUCT_INACTIVE, WORK_STRUCT_INACTIVE, "b waits on inactive_works");
    assert.equal(wq.cpuPwqs[0].nr_active, 1);
    assert.equal(wq.cpuPwqs[1].nr_active, 1);
    yield msleep(100);
  });
  k.runUntil(200 * MS);
  const by = Object.fromEntries(runs.map((r) => [r.name, r]));
  assert.equal(by.c.cpu, 1);
  assert.ok(by.c.start < by.a.end, "CPU 1's pwq has its own max_active");
  assert.ok(by.b.start >= by.a.end);
});

Deno.test("queue_work_on(2) runs in kworker/2:x on CPU 2; WQ_HIGHPRI runs in kworker/N:xH", () => {
  const { k } = wqKernel(4, { create_worker_ns: 0 });
  k.trace.enabled = true;
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "on2"));
  const h = DECLARE_WORK(recorder(k, runs, "hi"));
  runTask(k, function* () {
    schedule_work_on(2, a);
    queue_work(system_highpri_wq, h);
    yield msleep(20);
  }, 1);
  k.runUntil(50 * MS);
  const by = Object.fromEntries(runs.map((r) => [r.name, r]));
  assert.equal(by.on2.cpu, 2);
  assert.match(by.on2.comm, /^kworker\/2:\d$/);
  assert.equal(by.hi.cpu, 1, "queue_work from CPU 1: that CPU's highpri pool");
  assert.match(by.hi.comm, /^kworker\/1:\dH$/);
  const q = wqLines(k).filter((l) => l.includes("workqueue_queue_work"));
  assert.match(q[0], /workqueue=events req_cpu=2 cpu=2$/);
  assert.match(q[1], /workqueue=events_highpri req_cpu=64 cpu=1$/);
});

Deno.test("trace lines use the 6.1 formats; unbound pools print cpu=-1", () => {
  const { k, w } = wqKernel(1, { create_worker_ns: 0 });
  k.trace.enabled = true;
  const u = DECLARE_WORK(function my_unbound_fn() {});
  runTask(k, function* () {
    queue_work(system_unbound_wq, u);
    yield msleep(20);
  });
  k.runUntil(50 * MS);
  const p = w.workPtr(u);
  assert.match(p, /^[0-9a-f]{16}$/);
  const lines = wqLines(k).map((l) => l.slice(l.indexOf(": ") + 2));
  assert.deepEqual(lines, [
    `workqueue_queue_work: work struct=${p} function=my_unbound_fn workqueue=events_unbound req_cpu=64 cpu=-1`,
    `workqueue_activate_work: work struct ${p}`,
    `workqueue_execute_start: work struct ${p}: function my_unbound_fn`,
    `workqueue_execute_end: work struct ${p}: function my_unbound_fn`,
  ]);
});

Deno.test("alloc_workqueue clamps max_active with the kernel's warning and truncates names to 23 characters", () => {
  const { k } = wqKernel(4);
  const got: [string, number, number][] = [];
  runTask(k, function* () {
    const a = alloc_workqueue("toomany", 0, 1000)!;
    const b = alloc_workqueue("negative", WQ_UNBOUND, -1)!;
    const c = alloc_workqueue("a_very_long_workqueue_name_%d", 0, 0, 42)!;
    for (const q of [a, b, c]) got.push([q.name, q.saved_max_active, q.flags]);
    yield msleep(1);
  });
  k.runUntil(10 * MS);
  assert.deepEqual(got, [
    ["toomany", 512, 0],
    ["negative", 1, WQ_UNBOUND], // -1 is not 1: no implicit ordering
    ["a_very_long_workqueue_n", 256, 0],
  ]);
  const warns = k.log.lines().filter((l) => l.startsWith("workqueue: max_active"));
  assert.deepEqual(warns, [
    "workqueue: max_active 1000 requested for toomany is out of range, clamping between 1 and 512",
    "workqueue: max_active -1 requested for negative is out of range, clamping between 1 and 512",
  ]);
});

Deno.test("ordered workqueues: implicit for WQ_UNBOUND max_active 1, explicit for alloc_ordered_workqueue; legacy ones get rescuers", () => {
  const { k } = wqKernel(1);
  const got: number[] = [];
  runTask(k, function* () {
    got.push(alloc_workqueue("implicit", WQ_UNBOUND, 1)!.flags);
    got.push(alloc_ordered_workqueue("explicit", 0)!.flags);
    got.push(create_workqueue("legacy")!.flags);
    got.push(create_singlethread_workqueue("single")!.flags);
    yield msleep(1);
  });
  k.runUntil(10 * MS);
  assert.deepEqual(got, [
    WQ_UNBOUND | __WQ_ORDERED,
    WQ_UNBOUND | __WQ_ORDERED | __WQ_ORDERED_EXPLICIT,
    __WQ_LEGACY | WQ_MEM_RECLAIM, // bound, max_active 1
    WQ_UNBOUND | __WQ_ORDERED | __WQ_ORDERED_EXPLICIT | __WQ_LEGACY | WQ_MEM_RECLAIM,
  ]);
  const rescuers = k.sched.tasks.filter((t) => t.comm === "legacy" || t.comm === "single");
  assert.deepEqual(rescuers.map((t) => [t.comm, t.nice]), [["legacy", -20], ["single", -20]]);
});

Deno.test("flush_work waits for the running instance and returns true; false for an idle work", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 });
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "a", { sleepMs: 10 }));
  const got: unknown[] = [];
  runTask(k, function* () {
    schedule_work(a);
    yield msleep(1); // a is running (asleep in msleep) now
    got.push(yield flush_work(a), k.now);
    got.push(yield flush_work(a), flush_work(a).ret);
  });
  k.runUntil(100 * MS);
  assert.equal(got[0], 1);
  assert.ok((got[1] as number) >= runs[0].end, "returned after the work ended");
  assert.deepEqual(got.slice(2), [0, false]);
});

Deno.test("cancel_work_sync: true for a pending work that then never runs, false for an idle one, waits for a running one", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 });
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "a", { sleepMs: 10 }));
  const p = DECLARE_WORK(recorder(k, runs, "p"));
  const got: unknown[] = [];
  runTask(k, function* () {
    schedule_work(a);
    schedule_work(p);
    // p is still on the worklist (the workers have not run yet): steal it
    got.push(yield cancel_work_sync(p));
    got.push(yield cancel_work_sync(p));
    yield msleep(1);
    got.push(yield cancel_work_sync(a), k.now); // running: waits, not pending: false
  });
  k.runUntil(100 * MS);
  assert.deepEqual(runs.map((r) => r.name), ["a"], "p never ran");
  assert.deepEqual(got.slice(0, 3), [1, 0, 0]);
  assert.ok((got[3] as number) >= runs[0].end);
  assert.equal(a.data & WORK_STRUCT_PENDING, 0);
});

Deno.test("cancel_work_sync stops a self-requeueing work: its requeue fails while the canceller waits", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 });
  const requeues: boolean[] = [];
  const w = DECLARE_WORK(function* periodic(me: work_struct) {
    yield msleep(10);
    requeues.push(schedule_work(me));
  });
  runTask(k, function* () {
    schedule_work(w);
    yield msleep(50); // a few rounds
    yield cancel_work_sync(w);
    yield msleep(100);
  });
  k.runUntil(300 * MS);
  // rounds end at about 16, 32, 48 ms (+switches): three requeues succeed; the canceller
  // then stole the fourth instance or waited for it: its requeue returns false
  assert.ok(requeues.length >= 3);
  assert.equal(requeues[requeues.length - 1], false);
  assert.ok(requeues.slice(0, -1).every((r) => r));
  assert.equal(work_pending(w), false);
});

Deno.test("cancel_work steals a pending item without waiting; false when nothing was pending", () => {
  const { k } = wqKernel(1);
  const got: boolean[] = [];
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "a"));
  runTask(k, function* () {
    got.push(schedule_work(a), cancel_work(a), cancel_work(a), work_pending(a));
    yield msleep(10);
  });
  k.runUntil(50 * MS);
  assert.deepEqual(got, [true, true, false, false]);
  assert.equal(runs.length, 0);
});

Deno.test("flush_workqueue waits for items queued before it, not for ones queued later", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 });
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "a", { sleepMs: 10 }));
  const late = DECLARE_WORK(recorder(k, runs, "late", { sleepMs: 40 }));
  let flushed = 0;
  let wq!: workqueue_struct;
  runTask(k, function* () {
    wq = alloc_workqueue("fl", WQ_UNBOUND, 4)!;
    queue_work(wq, a);
    yield flush_workqueue(wq);
    flushed = k.now;
  });
  runTask(
    k,
    function* () {
      yield msleep(1);
      queue_work(wq, late);
    },
    0,
    "other",
  );
  k.runUntil(200 * MS);
  const by = Object.fromEntries(runs.map((r) => [r.name, r]));
  assert.ok(flushed >= by.a.end);
  assert.ok(flushed < by.late.end, "the later item was not waited for");
});

Deno.test("drain_workqueue lets chained work through, refuses outside work with a WARN, and destroy_workqueue drains", () => {
  const { k, w } = wqKernel(1, { create_worker_ns: 0 });
  let rounds = 0;
  const chain = DECLARE_WORK(function* chained(me: work_struct) {
    yield msleep(5);
    if (++rounds < 3) queue_work(wq, me); // chained: from the wq's own worker
  });
  const outside = DECLARE_WORK(function outsider() {});
  let wq!: workqueue_struct;
  let ret: boolean | undefined;
  runTask(k, function* () {
    wq = alloc_workqueue("dr", 0, 0)!;
    queue_work(wq, chain);
    yield drain_workqueue(wq);
    yield destroy_workqueue(wq);
  });
  runTask(
    k,
    function* () {
      yield msleep(2);
      ret = queue_work(wq, outside); // during the drain
    },
    0,
    "other",
  );
  k.runUntil(200 * MS);
  assert.equal(rounds, 3);
  assert.equal(ret, true, "PENDING was set, the item was dropped by __queue_work");
  assert.equal(work_pending(outside), true, "and it stays pending for ever, as in the kernel");
  assert.ok(k.log.lines().some((l) => l.includes("at kernel/workqueue.c __queue_work")));
  assert.ok(!w.workqueues.includes(wq), "destroyed");
});

Deno.test("a work item runs in process context: not in_interrupt, not in_softirq, irqs enabled", () => {
  const { k } = wqKernel(1);
  const seen: unknown[] = [];
  const a = DECLARE_WORK(function ctx() {
    seen.push(in_interrupt(), in_softirq(), irqs_disabled(), preempt_count());
  });
  runTask(k, function* () {
    schedule_work(a);
    yield msleep(10);
  });
  k.runUntil(50 * MS);
  assert.deepEqual(seen, [false, false, false, 0]);
});

Deno.test("container_of finds the object a work item is embedded in, and refuses a wrong member", () => {
  class my_device {
    readonly work = new work_struct(this);
    readonly other = new work_struct(this);
    count = 0;
  }
  const { k } = wqKernel(1);
  const dev = new my_device();
  INIT_WORK(dev.work, (w) => {
    container_of(w, my_device, "work").count++;
  });
  runTask(k, function* () {
    schedule_work(dev.work);
    yield msleep(10);
  });
  k.runUntil(50 * MS);
  assert.equal(dev.count, 1);
  assert.throws(() => container_of(dev.other, my_device, "work"), ContainerOfError);
  assert.throws(() => container_of(new work_struct(), my_device, "work"), /created without/);
});

Deno.test("non-reentrancy: a work queued on CPU 1 while it runs on CPU 0 goes to CPU 0's pool", () => {
  const { k } = wqKernel(2, { create_worker_ns: 0 });
  k.trace.enabled = true;
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "a", { sleepMs: 10 }));
  runTask(k, function* () {
    schedule_work_on(0, a);
    yield msleep(2);
    schedule_work_on(1, a); // still running on CPU 0
    yield msleep(100);
  });
  k.runUntil(200 * MS);
  assert.deepEqual(runs.map((r) => r.cpu), [0, 0]);
  assert.ok(runs[1].start >= runs[0].end);
  const q = wqLines(k).filter((l) => l.includes("queue_work"));
  assert.match(q[1], /req_cpu=1 cpu=0$/);
});

Deno.test("idle workers beyond two are reaped after IDLE_WORKER_TIMEOUT (300 s); the oldest go first", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 }, {}, true);
  const works = ["a", "b", "c", "d"].map((n) =>
    DECLARE_WORK(
      {
        *[n]() {
          yield msleep(10);
        },
      }[n],
    )
  );
  runTask(k, function* () {
    for (const w of works) schedule_work(w);
    yield msleep(100);
  });
  k.runUntil(1000 * MS);
  // each sleeping item woke the next idle worker, which (no idle one left) created another:
  // kworker/0:0 ran a and made 0:1, which ran b and made 0:2, ... 0:3 ran d and made 0:4
  const pool0 = () => comms(k).filter((c) => /^kworker\/0:\d$/.test(c));
  const all = ["kworker/0:0", "kworker/0:1", "kworker/0:2", "kworker/0:3", "kworker/0:4"];
  assert.deepEqual(pool0(), all);
  // idle order: 0:4 at once; the four msleep(10) timers share one wheel bucket and
  // expire_timers() runs the bucket's hlist from its head, the last armed first, so the
  // sleepers wake d, c, b, a and 0:3, 0:2, 0:1, 0:0 go idle in that order. The deferrable idle
  // timer was armed when 0:2 went idle (third idle: (3-2)*4 >= 2 busy) for jiffies + 300 * HZ,
  // 75000 jiffies away: level 4 of the wheel (granularity 4096 jiffies), so it fires at the
  // next multiple of 4096 after that, jiffy 77824 (311.3 s).
  k.runUntil(311_000 * MS);
  assert.deepEqual(pool0(), all, "nothing reaped before the timer fires");
  k.runUntil(312_000 * MS);
  // 0:4, 0:3 and 0:2 (the three idle longest) go; two idle workers stay
  assert.deepEqual(pool0(), ["kworker/0:0", "kworker/0:1"]);
  assert.equal(k.sched.tasks.filter((t) => t.comm === "kworker/dying").length, 3);
});

Deno.test("a work function that leaves preemption disabled gets the kernel's leak BUG line", () => {
  const { k } = wqKernel(1);
  const a = DECLARE_WORK(function leaky() {
    preempt_disable();
  });
  runTask(k, function* () {
    schedule_work(a);
    yield msleep(10);
  });
  k.runUntil(50 * MS);
  const pid = k.sched.tasks.find((t) => t.comm === "kworker/0:0")!.pid;
  const lines = k.log.lines();
  const i = lines.indexOf(`BUG: workqueue leaked lock or atomic: kworker/0:0/0x00000001/${pid}`);
  assert.ok(i >= 0, lines.join("\n"));
  assert.equal(lines[i + 1], "     last function: leaky");
  // the kernel does not repair the count: the worker's next sleep is the scheduler's BUG
  assert.equal(lines[i + 2], `BUG: scheduling while atomic: kworker/0:0/${pid}/0x00000002`);
});

Deno.test("wq_worker_comm shows +wq while running and -wq after", () => {
  const { k, w } = wqKernel(1);
  let during = "";
  const a = DECLARE_WORK(function named() {
    during = w.wq_worker_comm(k.cpus[0].current);
  });
  runTask(k, function* () {
    schedule_work(a);
    yield msleep(10);
  });
  k.runUntil(50 * MS);
  assert.equal(during, "kworker/0:0+events");
  const t = k.sched.tasks.find((x) => x.comm === "kworker/0:0")!;
  assert.equal(w.wq_worker_comm(t), "kworker/0:0-events");
  const fresh = k.sched.tasks.find((x) => x.comm === "kworker/0:0H")!;
  assert.equal(w.wq_worker_comm(fresh), "kworker/0:0H");
});

Deno.test("sysfs: writeback's files, max_active and nice writes, errno answers", () => {
  const { k } = wqKernel(4);
  const D = "/sys/devices/virtual/workqueue/";
  const r = (f: string) => k.procfs.read(D + f);
  const wr = (f: string, v: string) => k.enter(() => k.procfs.write(D + f, v));
  assert.equal(r("cpumask"), "f\n");
  assert.equal(r("writeback/per_cpu"), "0\n");
  assert.equal(r("writeback/max_active"), "256\n");
  assert.equal(r("writeback/nice"), "0\n");
  assert.equal(r("writeback/cpumask"), "f\n");
  assert.equal(r("writeback/pool_ids"), "0:8\n");
  assert.equal(r("writeback/numa"), "1\n");
  assert.equal(r("events/per_cpu"), undefined, "events is not WQ_SYSFS");
  assert.equal(wr("writeback/max_active", "0\n"), -22);
  assert.equal(wr("writeback/max_active", "abc\n"), -22);
  assert.equal(wr("writeback/max_active", "8\n"), 2);
  assert.equal(r("writeback/max_active"), "8\n");
  assert.equal(wr("writeback/nice", "20\n"), -22);
  assert.equal(wr("writeback/nice", "-5\n"), 3);
  assert.equal(r("writeback/nice"), "-5\n");
  assert.equal(r("writeback/pool_ids"), "0:9\n", "a new unbound pool for nice -5");
  assert.equal(wr("writeback/cpumask", "zz\n"), -22);
  assert.equal(wr("writeback/cpumask", "10\n"), -75, "CPU 4 does not exist: -EOVERFLOW");
  assert.equal(wr("writeback/per_cpu", "1\n"), -13, "read-only");
});

Deno.test("sysfs: writing cpumask moves where unbound work runs; ordered workqueues cannot have sysfs", () => {
  const { k } = wqKernel(4, { create_worker_ns: 0 });
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "a"));
  let wq!: workqueue_struct;
  let ordered: workqueue_struct | null = null;
  runTask(k, function* () {
    wq = alloc_workqueue("mywq", WQ_UNBOUND | WQ_SYSFS, 0)!;
    ordered = alloc_ordered_workqueue("ord", WQ_SYSFS);
    assert.equal(k.procfs.write("/sys/devices/virtual/workqueue/mywq/cpumask", "4\n"), 2);
    queue_work(wq, a);
    yield msleep(10);
  });
  k.runUntil(50 * MS);
  assert.equal(ordered, null);
  assert.ok(k.log.lines().some((l) => l.includes("workqueue_sysfs_register")));
  assert.equal(k.procfs.read("/sys/devices/virtual/workqueue/mywq/cpumask"), "4\n");
  assert.equal(runs[0].cpu, 2);
  assert.equal(runs[0].comm, "kworker/u9:0", "the pool for cpumask 4 is new: id 9");
});

Deno.test("cpumask_parse reads hex 32-bit chunks as lib/bitmap.c bitmap_parse does, with its errnos", () => {
  assert.deepEqual(cpumask_parse("5\n", 4), [0, 2]);
  assert.deepEqual(cpumask_parse("1,00000001", 64), [0, 32]);
  assert.deepEqual(cpumask_parse("\n", 4), [], "no chunk: an empty mask");
  assert.equal(cpumask_parse("0x3", 4), -22, "x is not a hex digit");
  assert.equal(cpumask_parse("100", 8), -75, "bit 8 of an 8-bit mask");
  assert.equal(cpumask_parse("0,1", 4), -75, "two chunks for a one-word mask");
  assert.equal(cpumask_parse("100000000", 64), -75, "nine digits in one chunk");
});

Deno.test("WORK_STRUCT_PENDING is bit 0 of work->data and queue_work_on rejects a CPU that does not exist", () => {
  const { k } = wqKernel(2);
  const a = DECLARE_WORK(function x() {});
  let r: boolean | undefined;
  runTask(k, function* () {
    r = queue_work_on(5, system_wq, a);
    yield msleep(1);
  });
  k.runUntil(10 * MS);
  assert.equal(WORK_STRUCT_PENDING, 1);
  assert.equal(r, false);
  assert.ok(k.log.lines().some((l) => l.includes("queue_work_on(5, events)")));
});

Deno.test("sysfs: the top-level cpumask confines unbound work; an empty mask is -EINVAL", () => {
  const { k } = wqKernel(4, { create_worker_ns: 0 });
  const D = "/sys/devices/virtual/workqueue/";
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "a"));
  const results: number[] = [];
  runTask(k, function* () {
    results.push(k.procfs.write(D + "cpumask", "0\n"), k.procfs.write(D + "cpumask", "8\n"));
    queue_work(system_unbound_wq, a);
    yield msleep(10);
  });
  k.runUntil(50 * MS);
  assert.deepEqual(results, [-22, 2]);
  assert.equal(k.procfs.read(D + "cpumask"), "8\n");
  // events_unbound now uses a pool for CPU 3 only: the next pool id, 9 (writeback also moved
  // there, sharing it)
  assert.equal(k.procfs.read(D + "writeback/pool_ids"), "0:9\n");
  assert.deepEqual([runs[0].cpu, runs[0].comm], [3, "kworker/u9:0"]);
});

Deno.test("a second cancel_work_sync waits for the first canceller and answers false; work_busy tracks it", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 });
  const runs: Run[] = [];
  const a = DECLARE_WORK(recorder(k, runs, "a", { sleepMs: 10 }));
  const got: [string, unknown, number][] = [];
  const busy: number[] = [];
  runTask(k, function* () {
    busy.push(work_busy(a));
    schedule_work(a);
    busy.push(work_busy(a));
    yield msleep(1); // a runs, asleep in its msleep
    busy.push(work_busy(a));
    got.push(["first", yield cancel_work_sync(a), k.now]);
  });
  runTask(
    k,
    function* () {
      // msleep(8): 2 + 1 jiffies, + 1 on the wheel: jiffy 4, after the first canceller (jiffy 3,
      // from msleep(1)) and while a still sleeps (msleep(10): jiffy 5); a is marked canceling
      yield msleep(8);
      got.push(["second", yield cancel_work_sync(a), k.now]);
    },
    0,
    "other",
  );
  k.runUntil(100 * MS);
  assert.deepEqual(busy, [0, WORK_BUSY_PENDING, WORK_BUSY_RUNNING]);
  assert.equal(got.length, 2);
  const by = Object.fromEntries(got.map(([n, r, t]) => [n, { r, t }]));
  assert.equal(by.first.r, 0, "a was running, not pending");
  assert.equal(by.second.r, 0);
  assert.ok(by.second.t >= runs[0].end && by.first.t >= runs[0].end);
  assert.equal(k.enter(() => work_busy(a)), 0);
});

Deno.test("a work item without a function is reported instead of crashing the simulator", () => {
  const { k } = wqKernel(1);
  const w = new work_struct();
  runTask(k, function* () {
    schedule_work(w);
    yield msleep(10);
    schedule_work(w); // the pool and pwq state stayed consistent: it can be queued again
    yield msleep(10);
  });
  k.runUntil(50 * MS);
  const lines = k.log.lines().filter((l) => l.includes("has no function (INIT_WORK missing)"));
  assert.equal(lines.length, 2);
});

Deno.test("put_unbound_pool: a pool no workqueue uses any more is freed, its workers exit and its id is reused", () => {
  const { k, w } = wqKernel(4, { create_worker_ns: 0 });
  const D = "/sys/devices/virtual/workqueue/";
  const got: (string | undefined)[] = [];
  runTask(k, function* () {
    alloc_workqueue("solo", WQ_UNBOUND | WQ_SYSFS, 0);
    k.procfs.write(D + "solo/cpumask", "4\n"); // pool 9 (CPU 2), worker kworker/u9:0
    yield msleep(1);
    got.push(k.procfs.read(D + "solo/pool_ids"));
    k.procfs.write(D + "solo/cpumask", "f\n"); // back to the shared pool 8: pool 9 is freed
    yield msleep(1);
    got.push(k.procfs.read(D + "solo/pool_ids"));
    k.procfs.write(D + "solo/cpumask", "8\n"); // a new pool for CPU 3 takes the free id 9
    yield msleep(1);
    got.push(k.procfs.read(D + "solo/pool_ids"));
  });
  k.runUntil(50 * MS);
  assert.deepEqual(got, ["0:9\n", "0:8\n", "0:9\n"]);
  assert.deepEqual(w.pools[9]?.attrs.cpumask, [3]);
  // the first pool 9's only worker exited as kworker/dying; the new pool has its own u9:0
  assert.equal(k.sched.tasks.filter((t) => t.comm === "kworker/dying").length, 1);
  assert.equal(comms(k).filter((c) => c === "kworker/u9:0").length, 1);
});

Deno.test("workqueue_set_max_active raises the limit and activates waiting items; ordered workqueues refuse with a WARN", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 });
  const runs: Run[] = [];
  const works = ["a", "b", "c"].map((n) => DECLARE_WORK(recorder(k, runs, n, { sleepMs: 10 })));
  let ordered!: workqueue_struct;
  runTask(k, function* () {
    const wq = alloc_workqueue("grow", WQ_UNBOUND, 1)!;
    for (const w of works) queue_work(wq, w);
    yield msleep(1); // a runs, b and c are inactive
    workqueue_set_max_active(wq, 3);
    assert.equal(wq.flags & __WQ_ORDERED, 0, "no longer ordered");
    ordered = alloc_ordered_workqueue("strict", 0)!;
    workqueue_set_max_active(ordered, 4);
    yield msleep(100);
  });
  k.runUntil(200 * MS);
  const by = Object.fromEntries(runs.map((r) => [r.name, r]));
  assert.ok(by.b.start < by.a.end && by.c.start < by.a.end, "b and c activated at once");
  assert.equal(ordered.saved_max_active, 1);
  assert.ok(
    k.log.lines().some((l) => l.includes("at kernel/workqueue.c workqueue_set_max_active")),
  );
});

Deno.test("drain_workqueue warns when a chain keeps it busy for 10 flushes", () => {
  const { k } = wqKernel(1, { create_worker_ns: 0 });
  let rounds = 0;
  let wq!: workqueue_struct;
  const chain = DECLARE_WORK(function* chained(me: work_struct) {
    yield msleep(1);
    if (++rounds < 12) queue_work(wq, me);
  });
  runTask(k, function* () {
    wq = alloc_workqueue("long_chain", 0, 0)!;
    queue_work(wq, chain);
    yield drain_workqueue(wq);
  });
  k.runUntil(500 * MS);
  assert.equal(rounds, 12);
  // each flush waits for the instance queued before it; the chain re-queues 11 times, so
  // flushes 1..11 find the workqueue busy: the warning comes at the 10th
  assert.deepEqual(k.log.lines().filter((l) => l.includes("isn't complete")), [
    "workqueue long_chain: drain_workqueue() isn't complete after 10 tries",
  ]);
});

Deno.test("workqueue plugin options: unknown keys and bad values are refused with a message", () => {
  assert.throws(
    () => workqueue({ bogus: 1 } as never),
    /unknown workqueue option "bogus" \(expected one of: create_worker_ns, power_efficient\)/,
  );
  assert.throws(() => workqueue({ create_worker_ns: -5 }), /create_worker_ns must be a whole/);
  assert.throws(() => workqueue({ power_efficient: "yes" } as never), /true or false/);
  assert.equal(workqueue({ create_worker_ns: 0, power_efficient: true }).name, "workqueue");
});

Deno.test("power_efficient: WQ_POWER_EFFICIENT workqueues become unbound (events_power_efficient)", () => {
  const { w } = wqKernel(2, { power_efficient: true });
  assert.equal(w.system.get("events_power_efficient")!.flags & WQ_UNBOUND, WQ_UNBOUND);
  assert.equal(w.system.get("events")!.flags & WQ_UNBOUND, 0);
});
