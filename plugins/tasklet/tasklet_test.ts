/**
 * Tasklets against kernel/softirq.c (6.1): each rule of the plugin pinned on
 * the fake genirq bench. Times come from TEST_COSTS (handler_ns 1000,
 * context switch 2000); the fake arch has no entry/exit cost.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  current,
  in_hardirq,
  in_interrupt,
  in_serving_softirq,
  irqs_disabled,
  mdelay,
  udelay,
} from "../../linux/api.ts";
import type { KernelConfig } from "../../core/kernel.ts";
import { formatTraceLine } from "../../core/trace.ts";
import { FakeBench } from "../genirq/_fake.ts";
import {
  EINVAL,
  handle_edge_irq,
  IRQ_HANDLED,
  IRQ_WAKE_THREAD,
  IRQD_HANDLE_ENFORCE_IRQCTX,
  IRQF_NO_THREAD,
  IRQS_PENDING,
} from "../genirq/mod.ts";
import { HI_SOFTIRQ, softirq, SoftirqKey, TASKLET_SOFTIRQ } from "../softirq/mod.ts";
import {
  DECLARE_TASKLET,
  DECLARE_TASKLET_DISABLED,
  DECLARE_TASKLET_OLD,
  from_tasklet,
  tasklet,
  tasklet_disable,
  tasklet_disable_in_atomic,
  tasklet_disable_nosync,
  tasklet_enable,
  tasklet_hi_schedule,
  tasklet_init,
  tasklet_kill,
  tasklet_schedule,
  tasklet_setup,
  TASKLET_STATE_RUN,
  TASKLET_STATE_SCHED,
  tasklet_struct,
  tasklet_unlock_wait,
  TaskletError,
  TaskletKey,
  type Tasklets,
} from "./mod.ts";

const SCHED = 1 << TASKLET_STATE_SCHED;
const RUN = 1 << TASKLET_STATE_RUN;
const US = 1_000;
const MS = 1_000_000;

/** FakeBench with softirq and tasklet set up and started. */
function bench(nrCpus = 1, config: Partial<KernelConfig> = {}): { b: FakeBench; tl: Tasklets } {
  const b = new FakeBench(nrCpus, handle_edge_irq, config);
  const plugins = [softirq(), tasklet()];
  for (const p of plugins) p.setup({ kernel: b.k, defineDevice: () => {} });
  for (const p of plugins) p.start?.(b.k);
  return { b, tl: b.k.bus.get(TaskletKey) };
}

/** IRQ `irq` with a hardirq handler running `fn`. */
function onIrq(b: FakeBench, irq: number, fn: () => void): void {
  const h = () => {
    fn();
    return IRQ_HANDLED;
  };
  assert.equal(b.call(() => b.gi.request_threaded_irq(irq, h, null, IRQF_NO_THREAD, "d", {})), 0);
}

Deno.test("tasklet_init and tasklet_setup leave state and count 0; DECLARE_TASKLET_DISABLED counts 1", () => {
  const t = new tasklet_struct();
  t.state = SCHED | RUN;
  t.count = 3;
  const f = (_d: unknown) => {};
  tasklet_init(t, f, 42);
  assert.deepEqual([t.state, t.count, t.use_callback, t.func, t.data], [0, 0, false, f, 42]);
  const cb = (_t: tasklet_struct) => {};
  t.count = 2;
  tasklet_setup(t, cb);
  assert.deepEqual([t.state, t.count, t.use_callback, t.callback], [0, 0, true, cb]);
  assert.equal(DECLARE_TASKLET("a", cb).count, 0);
  assert.equal(DECLARE_TASKLET_DISABLED("b", cb).count, 1);
  const old = DECLARE_TASKLET_OLD("c", f);
  assert.deepEqual([old.use_callback, old.data, old.count], [false, 0, 0]);
  assert.equal(TASKLET_STATE_SCHED, 0);
  assert.equal(TASKLET_STATE_RUN, 1);
});

Deno.test("from_tasklet returns the object the tasklet was created in, and refuses otherwise", () => {
  class Dev {
    events = 0;
    tasklet = new tasklet_struct(this);
  }
  const d = new Dev();
  assert.equal(from_tasklet<Dev>(d.tasklet, "tasklet"), d);
  assert.throws(() => from_tasklet<Dev>(new tasklet_struct(), "tasklet"), TaskletError);
  assert.throws(() => from_tasklet<Dev>(new tasklet_struct(d), "tasklet"), /is not this tasklet/);
});

Deno.test("tasklet plugin opens TASKLET_SOFTIRQ and HI_SOFTIRQ (softirq_init)", () => {
  const { b } = bench();
  const s = b.k.bus.get(SoftirqKey);
  assert.ok(s.vec[TASKLET_SOFTIRQ]);
  assert.ok(s.vec[HI_SOFTIRQ]);
  assert.deepEqual(tasklet().requires, ["softirq"]);
});

Deno.test("tasklet_schedule from a hardirq runs the callback in TASKLET_SOFTIRQ at irq_exit", () => {
  const { b, tl } = bench();
  const seen: unknown[] = [];
  const t = DECLARE_TASKLET("t", () => {
    seen.push([current().comm, in_serving_softirq(), in_hardirq(), irqs_disabled(), b.k.now]);
  });
  const inHandler: unknown[] = [];
  onIrq(b, 1, () => {
    tasklet_schedule(t);
    inHandler.push(
      t.state,
      tl.tasklet_vec[0].head === t,
      b.k.bus.get(SoftirqKey).local_softirq_pending(),
    );
  });
  b.fire(1);
  b.run(MS);
  assert.deepEqual(inHandler, [SCHED, true, 1 << TASKLET_SOFTIRQ]);
  // the handler costs 1000 ns; the callback then runs with irqs enabled
  assert.deepEqual(seen, [["swapper/0", true, false, false, 1000]]);
  assert.equal(t.state, 0);
  assert.equal(tl.tasklet_vec[0].head, null);
  assert.equal(b.k.bus.get(SoftirqKey).counts[0][TASKLET_SOFTIRQ], 1);
});

Deno.test("tasklet_schedule twice before it runs queues it once and it runs once", () => {
  const { b, tl } = bench();
  let runs = 0;
  const t = DECLARE_TASKLET("t", () => void runs++);
  const queued: boolean[] = [];
  onIrq(b, 1, () => {
    queued.push(tl.tasklet_schedule(t), tl.tasklet_schedule(t));
  });
  b.fire(1);
  b.run(MS);
  assert.deepEqual(queued, [true, false], "test_and_set_bit(SCHED) fails the second time");
  assert.equal(runs, 1);
});

Deno.test("tasklet_hi_schedule runs on HI_SOFTIRQ, before TASKLET_SOFTIRQ tasklets", () => {
  const { b } = bench();
  const order: string[] = [];
  const lo = DECLARE_TASKLET("lo", () => void order.push("lo"));
  const hi = DECLARE_TASKLET("hi", () => void order.push("hi"));
  onIrq(b, 1, () => {
    tasklet_schedule(lo);
    tasklet_hi_schedule(hi);
  });
  b.fire(1);
  b.run(MS);
  assert.deepEqual(order, ["hi", "lo"]);
  const counts = b.k.bus.get(SoftirqKey).counts[0];
  assert.equal(counts[HI_SOFTIRQ], 1);
  assert.equal(counts[TASKLET_SOFTIRQ], 1);
});

Deno.test("tasklets of one list run in scheduling order (FIFO)", () => {
  const { b } = bench();
  const order: string[] = [];
  const ts = ["a", "b", "c"].map((n) => DECLARE_TASKLET(n, () => void order.push(n)));
  onIrq(b, 1, () => {
    for (const t of [ts[1], ts[0], ts[2]]) tasklet_schedule(t);
  });
  b.fire(1);
  b.run(MS);
  assert.deepEqual(order, ["b", "a", "c"]);
});

Deno.test("a tasklet may reschedule itself from its callback: SCHED is clear while it runs", () => {
  const { b } = bench();
  const states: number[] = [];
  const t: tasklet_struct = DECLARE_TASKLET("self", () => {
    states.push(t.state);
    if (states.length < 3) tasklet_schedule(t);
  });
  onIrq(b, 1, () => tasklet_schedule(t));
  b.fire(1);
  b.run(MS);
  // RUN set, SCHED clear during each run; three runs in three __do_softirq passes
  assert.deepEqual(states, [RUN, RUN, RUN]);
  assert.equal(b.k.bus.get(SoftirqKey).counts[0][TASKLET_SOFTIRQ], 3);
});

Deno.test("a plain callback costs handler_ns and a generator callback the time it yields", () => {
  const { b } = bench();
  const marks: number[] = [];
  const plain = DECLARE_TASKLET("p", () => void marks.push(b.k.now));
  const gen = DECLARE_TASKLET("g", function* () {
    marks.push(b.k.now);
    yield mdelay(1);
    marks.push(b.k.now);
  });
  onIrq(b, 1, () => {
    tasklet_schedule(plain);
    tasklet_schedule(gen);
  });
  b.fire(1);
  b.run(5 * MS);
  // handler 1000; plain at 1000 costs 1000; gen starts at 2000, ends 1 ms later
  assert.deepEqual(marks, [1000, 2000, 2000 + MS]);
});

Deno.test("a scheduled but disabled tasklet spins through 10 __do_softirq passes, then in ksoftirqd", () => {
  const { b } = bench();
  const s = b.k.bus.get(SoftirqKey);
  const ran: string[] = [];
  const t = DECLARE_TASKLET_DISABLED("d", () => void ran.push(current().comm));
  onIrq(b, 1, () => tasklet_schedule(t));
  b.fire(1);
  b.run(1000 + 10 * 100); // the handler, then 10 passes of one requeue (100 ns) each
  // MAX_SOFTIRQ_RESTART: 10 passes at irq_exit, each re-raising TASKLET, then ksoftirqd
  assert.equal(s.counts[0][TASKLET_SOFTIRQ], 10);
  assert.equal(s.ksoftirqd[0]!.state, "R");
  assert.deepEqual(ran, []);
  b.run(MS);
  assert.ok(s.counts[0][TASKLET_SOFTIRQ] > 100, "ksoftirqd keeps serving the re-raised vector");
  assert.ok(t.state & SCHED, "still queued");
  assert.equal(t.count, 1);
  b.call(() => tasklet_enable(t));
  b.run(MS);
  assert.deepEqual(ran, ["ksoftirqd/0"]);
  assert.equal(t.state, 0);
  assert.equal(s.ksoftirqd[0]!.state, "S", "nothing pending: ksoftirqd sleeps again");
});

Deno.test("a disabled tasklet runs after tasklet_enable, not before; disable does not dequeue", () => {
  const { b } = bench();
  let runs = 0;
  const t = DECLARE_TASKLET("t", () => void runs++);
  b.call(() => tasklet_disable_nosync(t));
  onIrq(b, 1, () => tasklet_schedule(t));
  b.fire(1);
  b.run(MS);
  assert.equal(runs, 0);
  assert.equal(t.state, SCHED);
  b.call(() => tasklet_enable(t));
  b.run(MS);
  assert.equal(runs, 1);
});

Deno.test("a tasklet never runs on two CPUs at once: the second CPU requeues it until RUN clears", () => {
  const { b } = bench(2);
  const spans: [number, number, number][] = [];
  const t = DECLARE_TASKLET("t", function* () {
    const start = b.k.now;
    yield mdelay(1);
    spans.push([current().comm === "swapper/0" ? 0 : 1, start, b.k.now]);
  });
  onIrq(b, 1, () => tasklet_schedule(t));
  b.fire(1, 0);
  b.run(500 * US); // running on CPU0, SCHED already clear
  assert.equal(t.state, RUN);
  b.fire(1, 1); // CPU1 schedules it again: it is queued on CPU1
  b.run(5 * MS);
  assert.equal(spans.length, 2);
  const [first, second] = spans;
  assert.equal(first[1], 1000);
  assert.deepEqual([first[0], second[0]], [0, 1], "each run on the CPU that scheduled it");
  assert.ok(
    second[1] >= first[2],
    `second run starts ${second[1]} after the first ends ${first[2]}`,
  );
  assert.equal(t.state, 0);
});

Deno.test("tasklet_clear_sched on a queued tasklet without SCHED warns once and skips the callback", () => {
  const { b } = bench();
  let runs = 0;
  const t = DECLARE_TASKLET("t", function my_cb() {
    runs++;
  });
  onIrq(b, 1, () => {
    tasklet_schedule(t);
    t.state &= ~SCHED; // a driver clearing the bit behind the kernel's back
  });
  b.fire(1);
  b.run(MS);
  b.fire(1);
  b.run(MS);
  const lines = b.k.log.lines();
  assert.equal(
    lines.filter((l) => l.includes("tasklet SCHED state not set: callback my_cb")).length,
    1,
  );
  assert.ok(
    lines.some((l) => l.includes("WARNING: CPU: 0 PID: 0 at kernel/softirq.c tasklet_clear_sched")),
  );
  assert.equal(runs, 0);
});

Deno.test("tasklet_disable sleeps until the running tasklet finishes on another CPU", () => {
  const { b } = bench(2);
  const t = DECLARE_TASKLET("t", function* () {
    yield mdelay(1);
  });
  onIrq(b, 1, () => tasklet_schedule(t));
  let back = -1;
  b.fire(1, 0);
  b.run(500 * US);
  b.k.sched.create({
    comm: "disabler",
    cpu: 1,
    cpusAllowed: [1],
    body: (function* () {
      yield tasklet_disable(t);
      back = b.k.now;
    })(),
  });
  b.run(5 * MS);
  // the callback started at 1000 and runs 1 ms; the disabler wakes when RUN clears
  assert.ok(back >= 1000 + MS, `tasklet_disable returned at ${back}`);
  assert.equal(t.count, 1);
});

Deno.test("tasklet_disable_nosync and tasklet_unlock_wait of an idle tasklet do not wait", () => {
  const { b } = bench();
  const t = DECLARE_TASKLET("t", () => {});
  let at = -1;
  b.k.sched.create({
    comm: "w",
    body: (function* () {
      tasklet_disable_nosync(t);
      yield tasklet_unlock_wait(t);
      at = b.k.now;
    })(),
  });
  b.run(MS);
  assert.equal(at, 2000, "right after the switch to the task");
  assert.equal(t.count, 1);
});

Deno.test("tasklet_kill lets a scheduled tasklet run first, then leaves it unscheduled", () => {
  const { b } = bench();
  const log: string[] = [];
  const t = DECLARE_TASKLET("t", () => void log.push(`ran in ${current().comm}`));
  b.k.sched.create({
    comm: "killer",
    body: (function* () {
      tasklet_schedule(t); // task context: wakes ksoftirqd/0
      yield tasklet_kill(t);
      log.push(`killed, state ${t.state}`);
    })(),
  });
  b.run(5 * MS);
  assert.deepEqual(log, ["ran in ksoftirqd/0", "killed, state 0"]);
});

Deno.test("tasklet_kill of a scheduled, disabled tasklet waits forever", () => {
  const { b } = bench();
  const t = DECLARE_TASKLET_DISABLED("t", () => {});
  let done = false;
  const killer = b.k.sched.create({
    comm: "killer",
    body: (function* () {
      tasklet_schedule(t);
      yield tasklet_kill(t);
      done = true;
    })(),
  });
  b.run(20 * MS);
  assert.equal(done, false);
  // every requeue pass unlocks the tasklet (tasklet_unlock -> wake_up_var), so
  // the killer wakes, sees SCHED still set and sleeps again: never exits
  assert.notEqual(killer.state, "X");
  assert.equal(t.state & SCHED, SCHED);
});

Deno.test("tasklet_kill from interrupt context prints the kernel's notice", () => {
  const { b } = bench();
  const t = DECLARE_TASKLET("t", () => {});
  onIrq(b, 1, () => void tasklet_kill(t));
  b.fire(1);
  b.run(MS);
  assert.ok(b.k.log.lines().some((l) => l.endsWith("Attempt to kill tasklet from interrupt")));
  assert.ok(!b.k.log.lines().some((l) => l.includes("BUG")), "nothing to wait for: no sleep");
  assert.equal(t.state, 0);
});

function taskletTrace(version: "6.1" | "6.6"): string[] {
  const { b } = bench(1, { version });
  b.k.trace.enabled = true;
  const t = DECLARE_TASKLET("my_tasklet", function my_cb() {});
  onIrq(b, 1, () => tasklet_schedule(t));
  b.fire(1);
  b.run(MS);
  return b.k.trace.entries().filter((e) => e.type.name.startsWith("tasklet_")).map(
    formatTraceLine,
  ).map((l) => l.trimEnd());
}

Deno.test("tasklet_entry/exit do not exist in 6.1 and print tasklet=%ps function=%ps in 6.6", () => {
  assert.deepEqual(taskletTrace("6.1"), []);
  // handler 1000 ns, callback handler_ns 1000: entry at 1 µs, exit at 2 µs
  assert.deepEqual(taskletTrace("6.6"), [
    "          <idle>-0       [000] ..s1.     0.000001: tasklet_entry: tasklet=my_tasklet function=my_cb",
    "          <idle>-0       [000] ..s1.     0.000002: tasklet_exit: tasklet=my_tasklet function=my_cb",
  ]);
});

Deno.test("a tasklet callback sees softirq context: in_interrupt, serving softirq, irqs on", () => {
  const { b } = bench();
  const seen: boolean[] = [];
  const t = DECLARE_TASKLET("t", () => {
    seen.push(in_interrupt(), in_serving_softirq(), in_hardirq(), irqs_disabled());
  });
  b.k.sched.create({
    comm: "sched",
    body: (function* () {
      tasklet_schedule(t);
      yield mdelay(0);
    })(),
  });
  b.run(MS);
  assert.deepEqual(seen, [true, true, false, false]);
});

Deno.test("enable_irq replays a lazily disabled edge through the resend tasklet when the chip cannot retrigger", () => {
  const { b } = bench();
  b.chip.retrigger = false;
  const seen: unknown[] = [];
  const h = () => {
    seen.push([in_serving_softirq(), in_hardirq(), irqs_disabled()]);
    return IRQ_HANDLED;
  };
  b.call(() => b.gi.request_threaded_irq(5, h, null, IRQF_NO_THREAD, "e", 1));
  b.call(() => b.gi.disable_irq_nosync(5));
  b.fire(5); // masked and left pending by the flow handler
  b.run(MS);
  const desc = b.gi.irq_to_desc(5)!;
  assert.ok(desc.istate & IRQS_PENDING);
  assert.deepEqual(seen, []);
  b.k.sched.create({
    comm: "enabler",
    body: (function* () {
      b.gi.enable_irq(5);
      yield mdelay(0);
    })(),
  });
  b.run(MS);
  // resend_irqs() runs handle_edge_irq with irqs off, in TASKLET_SOFTIRQ
  assert.deepEqual(seen, [[true, false, true]]);
  assert.equal(desc.kstat_irqs[0], 1, "the replay is counted");
});

Deno.test("irq_sw_resend refuses an IRQD_HANDLE_ENFORCE_IRQCTX interrupt with -EINVAL", () => {
  const { b } = bench();
  b.chip.retrigger = false;
  b.call(() => b.gi.request_threaded_irq(5, () => IRQ_HANDLED, null, IRQF_NO_THREAD, "e", 1));
  const desc = b.gi.irq_to_desc(5)!;
  desc.irq_data.state |= IRQD_HANDLE_ENFORCE_IRQCTX;
  desc.istate |= IRQS_PENDING;
  assert.equal(b.call(() => b.gi.check_irq_resend(desc, false)), -EINVAL);
});

Deno.test("a wait made but not yielded by a generator handler keeps the handler's irqreturn_t", () => {
  const { b } = bench(2);
  const t = DECLARE_TASKLET("t", function* () {
    yield mdelay(1);
  });
  onIrq(b, 1, () => tasklet_schedule(t));
  let threadAt = -1;
  function* h(_irq: number, _dev: unknown) {
    yield udelay(0);
    tasklet_disable_in_atomic(t); // not yielded: the spin runs after the handler returns
    return IRQ_WAKE_THREAD;
  }
  function thread_fn() {
    threadAt = b.k.now;
    return IRQ_HANDLED;
  }
  assert.equal(b.call(() => b.gi.request_threaded_irq(5, h, thread_fn, IRQF_NO_THREAD, "w", 1)), 0);
  b.fire(1, 0); // the tasklet runs on CPU0 from 1000 for 1 ms
  b.run(500 * US);
  b.fire(5, 1);
  b.run(5 * MS);
  // the spin ends when RUN clears (1000 + 1 ms); IRQ_WAKE_THREAD survived it
  assert.ok(threadAt >= 1000 + MS, `thread ran at ${threadAt}`);
  assert.equal(t.count, 1);
});
