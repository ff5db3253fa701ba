import assert from "node:assert/strict";
import { in_hardirq, in_serving_softirq, irqs_disabled, mdelay, udelay } from "../../linux/api.ts";
import { formatTraceLine } from "../../core/trace.ts";
import { HRTIMER_SOFTIRQ } from "../softirq/mod.ts";
import { oneShot, TimerBench } from "./_testing.ts";
import {
  CLOCK_MONOTONIC,
  hrtimer,
  HRTIMER_MODE_ABS,
  HRTIMER_MODE_REL,
  HRTIMER_MODE_REL_SOFT,
  HRTIMER_NORESTART,
  HRTIMER_RESTART,
  type Hrtimers,
  HrtimersKey,
  KTIME_MAX,
} from "./hrtimer.ts";
import {
  hrtimer_active,
  hrtimer_cancel,
  hrtimer_forward,
  hrtimer_forward_now,
  hrtimer_get_remaining,
  hrtimer_init,
  hrtimer_setup,
  hrtimer_start,
  hrtimer_start_range_ns,
  hrtimer_try_to_cancel,
  ktime_get,
  ktime_set,
  ms_to_ktime,
  us_to_ktime,
} from "./hrtimer_api.ts";

function hrOf(b: TimerBench): Hrtimers {
  return b.k.bus.get(HrtimersKey);
}

Deno.test("ktime helpers are ns arithmetic", () => {
  assert.equal(ktime_set(2, 5), 2_000_000_005);
  assert.equal(ms_to_ktime(3), 3_000_000);
  assert.equal(us_to_ktime(7), 7000);
  assert.equal(ktime_set(2 ** 40, 0), KTIME_MAX);
});

Deno.test("a hard hrtimer in low-resolution mode runs from the next tick in hardirq context", () => {
  const b = new TimerBench(1, { hz: 250 });
  const seen: { at: number; hardirq: boolean; irqsOff: boolean }[] = [];
  const t = new hrtimer();
  b.call(() => {
    hrtimer_setup(
      t,
      () => {
        seen.push({ at: b.k.now, hardirq: in_hardirq(), irqsOff: irqs_disabled() });
        return HRTIMER_NORESTART;
      },
      CLOCK_MONOTONIC,
      HRTIMER_MODE_REL,
    );
    hrtimer_start(t, ms_to_ktime(1), HRTIMER_MODE_REL);
    assert.equal(hrtimer_active(t), true);
    assert.equal(hrtimer_get_remaining(t), 1_000_000);
  });
  b.run(3_900_000);
  assert.equal(seen.length, 0); // due at 1 ms, but no tick before 4 ms
  b.run(1_000_000);
  assert.equal(seen.length, 1);
  // the tick at 4 ms: irq entry + the tick handler, then hrtimer_run_queues
  assert.ok(seen[0].at >= 4_000_000 && seen[0].at < 4_100_000, `at ${seen[0].at}`);
  assert.equal(seen[0].hardirq, true);
  assert.equal(seen[0].irqsOff, true);
  b.call(() => assert.equal(hrtimer_active(t), false));
});

Deno.test("hrtimer_forward counts overruns and corrects exact multiples (1 ns resolution)", () => {
  const b = new TimerBench();
  const h = hrOf(b);
  const fake = { name: "fake", program: () => {} };
  h.switchToHres(b.k.cpus[0], fake);
  const t = new hrtimer();
  b.call(() => {
    hrtimer_init(t, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
    t.expires = t._softexpires = 10;
    // delta 25 >= 10: orun = 25 / 10 = 2, expires 30 is not after 35: orun 3, expires 40
    assert.equal(hrtimer_forward(t, 35, 10), 3);
    assert.equal(t.expires, 40);
    // exact: delta 30, orun 3 -> 70, not after 70: orun 4, expires 80
    assert.equal(hrtimer_forward(t, 70, 10), 4);
    assert.equal(t.expires, 80);
    // not expired yet: nothing moves
    assert.equal(hrtimer_forward(t, 79, 10), 0);
    assert.equal(t.expires, 80);
  });
});

Deno.test("hrtimer_forward in low-resolution mode raises the interval to TICK_NSEC", () => {
  const b = new TimerBench(1, { hz: 250 });
  const t = new hrtimer();
  b.call(() => {
    hrtimer_init(t, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
    t.expires = t._softexpires = 1_000_000;
    // interval 1 ms < hrtimer_resolution (4 ms at HZ 250): delta 0.5 ms < 4 ms, one step of 4 ms
    assert.equal(hrtimer_forward(t, 1_500_000, ms_to_ktime(1)), 1);
    assert.equal(t.expires, 5_000_000);
  });
});

Deno.test("a 1 ms periodic hrtimer in low-resolution mode runs once per tick", () => {
  const b = new TimerBench(1, { hz: 250 });
  const at: number[] = [];
  const overruns: number[] = [];
  const t = new hrtimer();
  b.call(() => {
    hrtimer_setup(
      t,
      (t) => {
        at.push(Math.floor(ktime_get() / 1e6));
        overruns.push(hrtimer_forward_now(t, ms_to_ktime(1)));
        return HRTIMER_RESTART;
      },
      CLOCK_MONOTONIC,
      HRTIMER_MODE_REL,
    );
    hrtimer_start(t, ms_to_ktime(1), HRTIMER_MODE_REL);
  });
  b.run(21_000_000);
  assert.deepEqual(at, [4, 8, 12, 16, 20]);
  // forward from expires 1 ms by 4 ms (the resolution) past now = 4 ms + entry: 1 -> 5 -> 9 ...
  assert.deepEqual(overruns, [1, 1, 1, 1, 1]);
});

const hres = oneShot;

Deno.test("in high-resolution mode a 1 ms periodic hrtimer runs every 1 ms", () => {
  const b = new TimerBench(1, { hz: 250 });
  hres(b);
  const at: number[] = [];
  const t = new hrtimer();
  b.call(() => {
    hrtimer_setup(
      t,
      (t) => {
        at.push(b.k.now);
        hrtimer_forward_now(t, ms_to_ktime(1));
        return HRTIMER_RESTART;
      },
      CLOCK_MONOTONIC,
      HRTIMER_MODE_REL,
    );
    hrtimer_start(t, ms_to_ktime(1), HRTIMER_MODE_REL);
  });
  b.run(5_500_000);
  assert.deepEqual(at.map((x) => Math.floor(x / 1e6)), [1, 2, 3, 4, 5]);
  // each within the interrupt entry latency of its ms (TEST_COSTS irq_entry 1 µs + handler)
  for (const x of at) assert.ok(x % 1e6 < 20_000, `${x}`);
});

Deno.test("a soft hrtimer runs in HRTIMER_SOFTIRQ with interrupts on", () => {
  const b = new TimerBench(1, { hz: 250 });
  const seen: { serving: boolean; irqsOff: boolean; hardirq: boolean }[] = [];
  const t = new hrtimer();
  b.call(() => {
    hrtimer_setup(
      t,
      () => {
        seen.push({
          serving: in_serving_softirq(),
          irqsOff: irqs_disabled(),
          hardirq: in_hardirq(),
        });
        return HRTIMER_NORESTART;
      },
      CLOCK_MONOTONIC,
      HRTIMER_MODE_REL_SOFT,
    );
    hrtimer_start(t, us_to_ktime(500), HRTIMER_MODE_REL_SOFT);
  });
  b.run(6_000_000);
  assert.deepEqual(seen, [{ serving: true, irqsOff: false, hardirq: false }]);
  assert.equal(b.s.counts[0][HRTIMER_SOFTIRQ], 1);
});

Deno.test("hrtimer_start_range_ns: runs from the soft expiry; the hard one is the deadline", () => {
  const b = new TimerBench(1, { hz: 250 });
  hres(b);
  const at: number[] = [];
  const early = new hrtimer(), slack = new hrtimer();
  b.call(() => {
    hrtimer_setup(
      slack,
      () => {
        at.push(b.k.now);
        return HRTIMER_NORESTART;
      },
      CLOCK_MONOTONIC,
      HRTIMER_MODE_REL,
    );
    hrtimer_setup(early, () => HRTIMER_NORESTART, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
    // soft expiry 1 ms, hard 3 ms: alone it would run at 3 ms
    hrtimer_start_range_ns(slack, ms_to_ktime(1), ms_to_ktime(2), HRTIMER_MODE_REL);
    assert.equal(slack._softexpires, 1_000_000);
    assert.equal(slack.expires, 3_000_000);
    // another timer's interrupt at 2 ms runs it early (its soft expiry has passed)
    hrtimer_start(early, ms_to_ktime(2), HRTIMER_MODE_REL);
  });
  b.run(3_500_000);
  assert.equal(at.length, 1);
  assert.ok(at[0] >= 2_000_000 && at[0] < 2_100_000, `${at[0]}`);
});

Deno.test("hrtimer_try_to_cancel and hrtimer_cancel return values; -1 while the callback runs", () => {
  const b = new TimerBench(2, { hz: 250 });
  hres(b);
  let during = 0, cancelled: unknown = -5, returnedAt = 0, exitAt = 0, started = 0;
  const t = new hrtimer(), idle = new hrtimer();
  function* slow(_t: hrtimer) {
    started = b.k.now;
    yield mdelay(2);
    exitAt = b.k.now;
    return HRTIMER_NORESTART;
  }
  b.call(() => {
    hrtimer_init(idle, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
    assert.equal(hrtimer_try_to_cancel(idle), 0);
    hrtimer_start(idle, ms_to_ktime(100), HRTIMER_MODE_REL);
    assert.equal(hrtimer_try_to_cancel(idle), 1);
    assert.equal(hrtimer_cancel(idle), 0);
  });
  // start the slow timer from CPU 1 so its callback runs there
  b.k.sched.create({
    comm: "starter",
    cpu: 1,
    cpusAllowed: [1],
    kthread: true,
    body: (function* () {
      hrtimer_setup(t, slow, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
      hrtimer_start(t, ms_to_ktime(1), HRTIMER_MODE_REL);
      yield udelay(1);
    })(),
  });
  b.k.sched.create({
    comm: "canceller",
    cpu: 0,
    cpusAllowed: [0],
    kthread: true,
    body: (function* () {
      while (started === 0) yield udelay(50);
      during = hrtimer_try_to_cancel(t);
      cancelled = yield hrtimer_cancel(t);
      returnedAt = b.k.now;
    })(),
  });
  b.run(5_000_000);
  assert.equal(during, -1);
  assert.equal(cancelled, 0);
  // the hard callback ran inline in the interrupt (exitAt reads the same
  // instant as started); its 2 ms pass as the interrupt's busy time, and
  // hrtimer_cancel returns once they have: 2 ms + the handler's costs later
  assert.equal(exitAt, started);
  assert.ok(
    returnedAt >= started + 2e6 && returnedAt <= started + 2e6 + 20_000,
    `${returnedAt - started}`,
  );
});

Deno.test("starting a SOFT-initialised hrtimer without HRTIMER_MODE_SOFT warns once", () => {
  const b = new TimerBench();
  const t = new hrtimer();
  b.call(() => {
    hrtimer_setup(t, () => HRTIMER_NORESTART, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
    hrtimer_start(t, 1000, HRTIMER_MODE_REL);
    hrtimer_start(t, 1000, HRTIMER_MODE_REL);
  });
  const warns = b.k.log.records.filter((r) => r.text.startsWith("WARNING:"));
  assert.equal(warns.length, 1);
  assert.match(warns[0].text, /kernel\/time\/hrtimer\.c hrtimer_start_range_ns$/);
});

Deno.test("hrtimer trace events use the kernel's formats", () => {
  const b = new TimerBench(1, { hz: 250 });
  b.k.trace.enabled = true;
  const t = new hrtimer();
  b.call(() => {
    hrtimer_setup(
      t,
      function my_cb() {
        return HRTIMER_NORESTART;
      },
      CLOCK_MONOTONIC,
      HRTIMER_MODE_REL,
    );
    hrtimer_start(t, ms_to_ktime(1), HRTIMER_MODE_REL);
  });
  b.run(4_500_000);
  const lines = b.k.trace.entries().filter((e) => e.type.name.startsWith("hrtimer"))
    .map((e) => formatTraceLine(e).trimEnd());
  assert.equal(lines.length, 4);
  assert.match(lines[0], /hrtimer_init: hrtimer=[0-9a-f]{16} clockid=CLOCK_MONOTONIC mode=REL$/);
  assert.match(
    lines[1],
    /hrtimer_start: hrtimer=\w+ function=my_cb expires=1000000 softexpires=1000000 mode=REL$/,
  );
  // from the idle task: 6.1 distribution kernels count its preempt depth 1
  assert.match(lines[2], /d\.h1\. .*hrtimer_expire_entry: hrtimer=\w+ function=my_cb now=\d+$/);
  assert.match(lines[3], /hrtimer_expire_exit: hrtimer=\w+$/);
});

Deno.test("an hrtimer restarting without forwarding is reported, not a simulator hang", () => {
  const b = new TimerBench(1, { hz: 250 });
  const t = new hrtimer();
  let runs = 0;
  b.call(() => {
    hrtimer_setup(
      t,
      () => {
        runs++;
        return HRTIMER_RESTART; // forgot hrtimer_forward_now()
      },
      CLOCK_MONOTONIC,
      HRTIMER_MODE_REL,
    );
    hrtimer_start(t, ms_to_ktime(1), HRTIMER_MODE_REL);
  });
  b.run(5_000_000);
  assert.equal(runs, 10_000);
  assert.ok(b.k.log.lines().some((l) => l.includes("returned HRTIMER_RESTART 10000 times")));
});
