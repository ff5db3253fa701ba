/**
 * The event queue: order by (time, insertion sequence), cancellation by
 * handle (with slot reuse), timers (arm, move, disarm, re-arm from their own
 * callback), the clock left at the bound of a run, and clock errors. Expected orders are written out by hand or come from a plain
 * sorted-array model, never from the queue itself.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Random } from "./random.ts";
import { ClockError, type EventHandle, EventQueue, NO_EVENT, Timer } from "./scheduler.ts";

/** A queue and the args of the events it ran, in dispatch order. */
function recorder(capacity?: number): { q: EventQueue; ran: number[]; push: (a: number) => void } {
  const q = new EventQueue(capacity);
  const ran: number[] = [];
  return { q, ran, push: (a) => ran.push(a) };
}

Deno.test("EventQueue.schedule orders events by time", () => {
  const { q, ran, push } = recorder();
  q.schedule(300, push, 3);
  q.schedule(100, push, 1);
  q.schedule(200, push, 2);
  q.runUntil(1_000);
  assert.deepEqual(ran, [1, 2, 3]);
});

Deno.test("EventQueue.schedule orders same-time events by insertion", () => {
  const { q, ran, push } = recorder();
  for (const arg of [5, 1, 4, 2, 3]) q.schedule(50, push, arg);
  q.schedule(10, push, 0);
  q.runUntil(50);
  assert.deepEqual(ran, [0, 5, 1, 4, 2, 3]);
});

Deno.test("EventQueue.schedule runs an event scheduled at now after those already due at now", () => {
  const { q, ran, push } = recorder();
  q.schedule(10, (a) => {
    push(a);
    q.schedule(q.now, push, 3);
  }, 1);
  q.schedule(10, push, 2);
  q.runUntil(10);
  assert.deepEqual(ran, [1, 2, 3]);
});

Deno.test("EventQueue.step sets now to the event's time and passes its arg", () => {
  const q = new EventQueue();
  const seen: [number, number][] = [];
  q.schedule(70, (a) => seen.push([q.now, a]), 42);
  q.schedule(30, (a) => seen.push([q.now, a]), -7.5);
  assert.equal(q.step(), true);
  assert.equal(q.step(), true);
  assert.equal(q.step(), false);
  assert.deepEqual(seen, [[30, -7.5], [70, 42]]);
  assert.equal(q.now, 70);
  assert.equal(q.dispatched, 2);
});

Deno.test("EventQueue.scheduleIn schedules relative to now", () => {
  const q = new EventQueue();
  q.runUntil(1_000);
  const h = q.scheduleIn(250, () => {});
  assert.equal(q.timeOf(h), 1_250);
});

Deno.test("EventQueue.pending and nextTime describe the queue", () => {
  const q = new EventQueue();
  assert.equal(q.pending, 0);
  assert.equal(q.nextTime, Infinity);
  q.schedule(40, () => {});
  q.schedule(20, () => {});
  assert.equal(q.pending, 2);
  assert.equal(q.nextTime, 20);
  q.step();
  assert.equal(q.pending, 1);
  assert.equal(q.nextTime, 40);
});

Deno.test("EventQueue.cancel returns true once and the event never runs", () => {
  const { q, ran, push } = recorder();
  q.schedule(10, push, 1);
  const h = q.schedule(20, push, 2);
  q.schedule(30, push, 3);
  assert.equal(q.cancel(h), true);
  assert.equal(q.cancel(h), false, "second cancel");
  q.runUntil(100);
  assert.deepEqual(ran, [1, 3]);
  assert.equal(q.cancel(h), false, "cancel after the run");
});

Deno.test("EventQueue.cancel returns false for an event that already ran", () => {
  const { q, ran, push } = recorder();
  const h = q.schedule(10, push, 1);
  q.runUntil(10);
  assert.deepEqual(ran, [1]);
  assert.equal(q.cancel(h), false);
});

Deno.test("EventQueue.cancel of a stale handle leaves the event that reuses its slot", () => {
  const { q, ran, push } = recorder(1);
  const old = q.schedule(10, push, 1);
  q.runUntil(10);
  const fresh = q.schedule(20, push, 2); // capacity 1: same slot, new generation
  assert.notEqual(fresh, old);
  assert.equal(q.isPending(old), false);
  assert.equal(q.cancel(old), false);
  assert.equal(q.isPending(fresh), true);
  q.runUntil(20);
  assert.deepEqual(ran, [1, 2]);
});

Deno.test("EventQueue.cancel from inside another event stops a later event", () => {
  const { q, ran, push } = recorder();
  let victim: EventHandle = NO_EVENT;
  let result: boolean | undefined;
  q.schedule(10, (a) => {
    push(a);
    result = q.cancel(victim);
  }, 1);
  victim = q.schedule(10, push, 2); // same instant, later in sequence
  q.schedule(15, push, 3);
  q.runUntil(100);
  assert.equal(result, true);
  assert.deepEqual(ran, [1, 3]);
});

Deno.test("EventQueue.cancel of the running event from inside it returns false", () => {
  const q = new EventQueue();
  let self: EventHandle = NO_EVENT;
  let result: boolean | undefined;
  self = q.schedule(10, () => {
    result = q.cancel(self);
  });
  q.runUntil(10);
  assert.equal(result, false);
});

Deno.test("EventQueue.cancel ignores NO_EVENT", () => {
  const q = new EventQueue();
  q.schedule(10, () => {});
  assert.equal(q.cancel(NO_EVENT), false);
  assert.equal(q.isPending(NO_EVENT), false);
  assert.equal(q.timeOf(NO_EVENT), -1);
  assert.equal(q.pending, 1);
});

Deno.test("EventQueue.isPending and timeOf follow an event until it runs", () => {
  const q = new EventQueue();
  const h = q.schedule(500, () => {});
  const c = q.schedule(600, () => {});
  assert.equal(q.isPending(h), true);
  assert.equal(q.timeOf(h), 500);
  q.cancel(c);
  assert.equal(q.isPending(c), false);
  assert.equal(q.timeOf(c), -1);
  q.runUntil(499);
  assert.equal(q.isPending(h), true);
  q.runUntil(500);
  assert.equal(q.isPending(h), false);
  assert.equal(q.timeOf(h), -1);
});

Deno.test("EventQueue.runUntil leaves now at the bound and runs events at the bound", () => {
  const { q, ran, push } = recorder();
  q.schedule(100, push, 1);
  q.schedule(1_000, push, 2);
  q.schedule(1_001, push, 3);
  assert.equal(q.runUntil(1_000), 2);
  assert.deepEqual(ran, [1, 2]);
  assert.equal(q.now, 1_000);
  assert.equal(q.runUntil(5_000), 1);
  assert.equal(q.now, 5_000);
});

Deno.test("EventQueue.runUntil on an empty queue advances now to the bound", () => {
  const q = new EventQueue();
  assert.equal(q.runUntil(12_345), 0);
  assert.equal(q.now, 12_345);
});

Deno.test("EventQueue.runUntil with Infinity leaves now at the last event", () => {
  const q = new EventQueue();
  q.schedule(10, () => {});
  q.schedule(700, () => {});
  q.runUntil(Infinity);
  assert.equal(q.now, 700);
});

Deno.test("EventQueue.runUntil never moves now backwards", () => {
  const q = new EventQueue();
  q.runUntil(1_000);
  q.runUntil(500);
  assert.equal(q.now, 1_000);
});

Deno.test("EventQueue.stop ends runUntil after the current event, now at that event", () => {
  const { q, ran, push } = recorder();
  q.schedule(10, push, 1);
  q.schedule(20, (a) => {
    push(a);
    q.stop();
  }, 2);
  q.schedule(30, push, 3);
  assert.equal(q.runUntil(100), 2);
  assert.equal(q.stopped, true);
  assert.equal(q.now, 20);
  assert.deepEqual(ran, [1, 2]);
  q.runUntil(100);
  assert.equal(q.stopped, false);
  assert.deepEqual(ran, [1, 2, 3]);
  assert.equal(q.now, 100);
});

Deno.test("EventQueue.schedule in the past throws ClockError naming both times", () => {
  const q = new EventQueue();
  q.runUntil(1_000);
  assert.throws(() => q.schedule(999, () => {}), (e: unknown) => {
    assert.ok(e instanceof ClockError);
    assert.equal(e.name, "ClockError");
    assert.match(e.message, /\b999 ns\b/);
    assert.match(e.message, /\b1000 ns\b/);
    return true;
  });
  assert.equal(q.pending, 0, "nothing was queued");
});

Deno.test("EventQueue.schedule at a non-integer time throws ClockError naming the time", () => {
  const q = new EventQueue();
  assert.throws(() => q.schedule(10.5, () => {}), (e: unknown) => {
    assert.ok(e instanceof ClockError);
    assert.match(e.message, /10\.5 ns/);
    assert.match(e.message, /\b0 ns\b/);
    return true;
  });
  assert.throws(() => q.schedule(NaN, () => {}), ClockError);
  assert.throws(() => q.schedule(Infinity, () => {}), ClockError);
  assert.throws(() => q.scheduleIn(-1, () => {}), ClockError);
  assert.equal(q.pending, 0);
});

Deno.test("EventQueue.schedule grows past its initial capacity and keeps order", () => {
  const q = new EventQueue(16);
  const r = new Random(2024);
  const n = 5000;
  const time: number[] = [];
  const ran: number[] = [];
  for (let i = 0; i < n; i++) {
    time.push(r.int(1_000_000));
    q.schedule(time[i], (a) => ran.push(a), i);
  }
  assert.equal(q.pending, n);
  q.runUntil(Infinity);
  assert.equal(ran.length, n);
  assert.equal(q.dispatched, n);
  assert.deepEqual([...ran].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  for (let i = 1; i < n; i++) {
    const a = ran[i - 1], b = ran[i];
    assert.ok(
      time[a] < time[b] || (time[a] === time[b] && a < b),
      `event ${a} (t=${time[a]}) ran before event ${b} (t=${time[b]})`,
    );
  }
});

Deno.test("EventQueue.cancel keeps the heap ordered after growth", () => {
  const q = new EventQueue(4);
  const r = new Random(7);
  const n = 3000;
  const time: number[] = [];
  const handles: EventHandle[] = [];
  const ran: number[] = [];
  for (let i = 0; i < n; i++) {
    time.push(r.int(10_000));
    handles.push(q.schedule(time[i], (a) => ran.push(a), i));
  }
  const cancelled = new Set<number>();
  for (let i = 0; i < n; i += 3) {
    assert.equal(q.cancel(handles[i]), true);
    cancelled.add(i);
  }
  q.runUntil(Infinity);
  const expected = Array.from({ length: n }, (_, i) => i)
    .filter((i) => !cancelled.has(i))
    .sort((a, b) => time[a] - time[b] || a - b);
  assert.deepEqual(ran, expected);
});

type Op =
  | { kind: "schedule"; delay: number }
  | { kind: "cancel"; pick: number }
  | { kind: "step" };

Deno.test("EventQueue matches a sorted-array model over random schedules and cancellations", () => {
  // schedules outnumber steps so the heap gets several levels deep, where a
  // cancellation in the middle needs the sift-up path
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("schedule" as const),
        delay: fc.integer({ min: 0, max: 1000 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("step" as const) }) },
  );
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 300, size: "max" }),
      fc.integer({ min: 1, max: 8 }),
      (ops, cap) => {
        const q = new EventQueue(cap);
        const ran: number[] = [];
        const handles: EventHandle[] = [];
        // the model: pending events as [time, seq, id], kept sorted by (time, seq)
        let model: [number, number, number][] = [];
        let seq = 0;
        const modelRan: number[] = [];
        for (const o of ops) {
          if (o.kind === "schedule") {
            const id = handles.length;
            const at = q.now + o.delay;
            handles.push(q.schedule(at, (a) => ran.push(a), id));
            model.push([at, seq++, id]);
            model.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
          } else if (o.kind === "cancel") {
            if (handles.length === 0) continue;
            const id = o.pick % handles.length;
            const live = model.some((e) => e[2] === id);
            assert.equal(q.cancel(handles[id]), live);
            model = model.filter((e) => e[2] !== id);
          } else {
            const next = model.shift();
            assert.equal(q.step(), next !== undefined);
            if (next) {
              modelRan.push(next[2]);
              assert.equal(q.now, next[0]);
            }
          }
          assert.equal(q.pending, model.length);
          assert.equal(q.nextTime, model.length ? model[0][0] : Infinity);
        }
        for (const [at, , id] of model) assert.equal(q.timeOf(handles[id]), at);
        modelRan.push(...model.map((e) => e[2]));
        q.runUntil(Infinity);
        assert.deepEqual(ran, modelRan);
        for (const h of handles) assert.equal(q.isPending(h), false);
      },
    ),
    { seed: 20240611, numRuns: 300 },
  );
});

Deno.test("EventQueue.armIn orders a timer with scheduled events by (time, sequence)", () => {
  const { q, ran, push } = recorder();
  const t = new Timer(push);
  q.schedule(50, push, 1);
  q.armIn(t, 50, 2);
  q.schedule(50, push, 3);
  q.schedule(20, push, 0);
  q.runUntil(100);
  assert.deepEqual(ran, [0, 1, 2, 3]);
  assert.equal(q.dispatched, 4);
});

Deno.test("EventQueue.arm of a pending timer moves it to a new time and a new place in sequence", () => {
  const { q, ran, push } = recorder();
  const t = new Timer(push);
  q.arm(t, 10, 1);
  q.schedule(40, push, 2);
  q.arm(t, 40, 3); // moved: now after event 2, which was scheduled first
  assert.equal(q.pending, 2);
  q.runUntil(100);
  assert.deepEqual(ran, [2, 3]);
});

Deno.test("EventQueue.disarm drops a timer's expiry and returns false when it is not armed", () => {
  const { q, ran, push } = recorder();
  const t = new Timer(push);
  assert.equal(q.disarm(t), false);
  q.armIn(t, 10, 1);
  q.schedule(10, push, 2);
  assert.equal(t.pending, true);
  assert.equal(q.disarm(t), true);
  assert.equal(t.pending, false);
  assert.equal(q.disarm(t), false);
  q.runUntil(100);
  assert.deepEqual(ran, [2]);
});

Deno.test("Timer.pending is false inside its own callback, so the callback can re-arm it", () => {
  const q = new EventQueue(1); // one slot: the timer keeps it across expiries
  const seen: [number, boolean][] = [];
  const t: Timer = new Timer(() => {
    seen.push([q.now, t.pending]);
    if (seen.length < 3) q.armIn(t, 7);
  });
  q.armIn(t, 7);
  q.runUntil(100);
  assert.deepEqual(seen, [[7, false], [14, false], [21, false]]);
  assert.equal(q.pending, 0);
});

Deno.test("EventQueue.timeLeft gives the ns until a timer expires, -1 when it is not armed", () => {
  const q = new EventQueue();
  const t = new Timer(() => {});
  assert.equal(q.timeLeft(t), -1);
  q.runUntil(3_000_000_000); // past 2^31 ns: the answer stays relative
  q.armIn(t, 250);
  q.runUntil(3_000_000_100);
  assert.equal(q.timeLeft(t), 150);
  q.runUntil(3_000_000_250);
  assert.equal(q.timeLeft(t), -1);
});

Deno.test("EventQueue.arm in the past or at a non-integer time throws ClockError naming the time", () => {
  const q = new EventQueue();
  q.runUntil(1_000);
  const t = new Timer(() => {});
  assert.throws(() => q.arm(t, 999), (e: unknown) => {
    assert.ok(e instanceof ClockError);
    assert.match(e.message, /\b999 ns\b/);
    assert.match(e.message, /\b1000 ns\b/);
    return true;
  });
  assert.throws(() => q.armIn(t, -1), ClockError);
  assert.throws(() => q.armIn(t, 0.5), /1000\.5 ns/);
  assert.equal(t.pending, false);
  assert.equal(q.pending, 0);
});

Deno.test("EventQueue.arm of a timer that another queue armed throws ClockError", () => {
  const a = new EventQueue(), b = new EventQueue();
  b.schedule(5, () => {}); // b's free slots come off in the same order as a's
  const t = new Timer(() => {});
  a.armIn(t, 10);
  assert.throws(() => b.armIn(t, 10), ClockError);
  assert.throws(() => b.disarm(t), ClockError);
  assert.equal(b.pending, 1);
  assert.equal(a.disarm(t), true);
});

Deno.test("EventQueue.cancel of a stale handle leaves a timer that took its slot", () => {
  const { q, ran, push } = recorder(1);
  const old = q.schedule(10, push, 1);
  q.runUntil(10);
  const t = new Timer(push);
  q.armIn(t, 10, 2); // capacity 1: the timer takes the freed slot for good
  assert.equal(q.isPending(old), false);
  assert.equal(q.cancel(old), false);
  assert.equal(t.pending, true);
  q.runUntil(100);
  assert.deepEqual(ran, [1, 2]);
});

type TimerOp =
  | { kind: "schedule"; delay: number }
  | { kind: "arm"; timer: number; delay: number }
  | { kind: "disarm"; timer: number }
  | { kind: "step" };

Deno.test("EventQueue matches a sorted-array model over random timers and schedules", () => {
  const op: fc.Arbitrary<TimerOp> = fc.oneof(
    fc.record({ kind: fc.constant("schedule" as const), delay: fc.integer({ min: 0, max: 500 }) }),
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("arm" as const),
        timer: fc.integer({ min: 0, max: 5 }),
        delay: fc.integer({ min: 0, max: 500 }),
      }),
    },
    fc.record({ kind: fc.constant("disarm" as const), timer: fc.integer({ min: 0, max: 5 }) }),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("step" as const) }) },
  );
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 300, size: "max" }),
      fc.integer({ min: 1, max: 8 }),
      (ops, cap) => {
        const q = new EventQueue(cap);
        const ran: string[] = [];
        const timers = Array.from({ length: 6 }, () => new Timer((a) => ran.push(`t${a}`)));
        // the model: pending events as [time, seq, name], kept sorted by (time, seq)
        let model: [number, number, string][] = [];
        let seq = 0, ids = 0;
        const modelRan: string[] = [];
        for (const o of ops) {
          if (o.kind === "schedule") {
            const name = `e${ids++}`;
            q.scheduleIn(o.delay, () => ran.push(name));
            model.push([q.now + o.delay, seq++, name]);
          } else if (o.kind === "arm") {
            const name = `t${o.timer}`;
            q.armIn(timers[o.timer], o.delay, o.timer);
            model = model.filter((e) => e[2] !== name);
            model.push([q.now + o.delay, seq++, name]);
          } else if (o.kind === "disarm") {
            const name = `t${o.timer}`;
            assert.equal(q.disarm(timers[o.timer]), model.some((e) => e[2] === name));
            model = model.filter((e) => e[2] !== name);
          } else {
            const next = model.shift();
            assert.equal(q.step(), next !== undefined);
            if (next) {
              modelRan.push(next[2]);
              assert.equal(q.now, next[0]);
            }
          }
          model.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
          assert.equal(q.pending, model.length);
          assert.equal(q.nextTime, model.length ? model[0][0] : Infinity);
          timers.forEach((t, i) => {
            const m = model.find((e) => e[2] === `t${i}`);
            assert.equal(t.pending, m !== undefined);
            assert.equal(q.timeLeft(t), m ? m[0] - q.now : -1);
          });
        }
        modelRan.push(...model.map((e) => e[2]));
        q.runUntil(Infinity);
        assert.deepEqual(ran, modelRan);
      },
    ),
    { seed: 20240612, numRuns: 300 },
  );
});

Deno.test("EventQueue.advanceIn moves the clock when the event would run next inside runUntil", () => {
  const q = new EventQueue();
  const seen: [number, boolean][] = [];
  q.schedule(10, () => {
    // at 10: the queued event at 30 is later, so 10 + 5 = 15 runs next
    seen.push([q.now, q.advanceIn(5)]);
    // at 15: 15 + 15 = 30 ties the event queued at 30, which was queued first
    seen.push([q.now, q.advanceIn(15)]);
    // 15 + 14 = 29 is before it
    seen.push([q.now, q.advanceIn(14)]);
  });
  q.schedule(30, () => seen.push([q.now, false]));
  q.runUntil(100);
  assert.deepEqual(seen, [[10, true], [15, false], [15, true], [30, false]]);
  // 2 queued events + 2 advanced ones
  assert.equal(q.dispatched, 4);
});

Deno.test("EventQueue.advanceIn returns false past the run's bound, after stop, and for a bad delay", () => {
  const q = new EventQueue();
  const seen: boolean[] = [];
  q.schedule(10, () => {
    seen.push(q.advanceIn(41)); // 51 > the bound 50
    seen.push(q.advanceIn(40)); // 50: at the bound, runs (runUntil runs events at the bound)
    seen.push(q.advanceIn(-1), q.advanceIn(0.5), q.advanceIn(NaN));
    q.stop();
    seen.push(q.advanceIn(0)); // a stopped run dispatches nothing more
  });
  q.runUntil(50);
  assert.deepEqual(seen, [false, true, false, false, false, false]);
  assert.equal(q.now, 50);
});

Deno.test("EventQueue.advanceIn returns false outside runUntil and inside step", () => {
  const q = new EventQueue();
  assert.equal(q.advanceIn(5), false);
  let inStep: boolean | undefined;
  q.schedule(10, () => {
    inStep = q.advanceIn(5); // step() runs exactly one event
  });
  assert.equal(q.step(), true);
  assert.equal(inStep, false);
  assert.equal(q.now, 10);
  q.runUntil(20);
  assert.equal(q.advanceIn(5), false); // the run is over
  assert.equal(q.now, 20);
});

/**
 * A worker that runs a list of busy segments, ending each by re-arming its
 * own timer, or (fast) by advanceIn when possible, as a CPU does.
 */
function segmentWorkers(
  q: EventQueue,
  plans: number[][],
  fast: boolean,
  log: string[],
): void {
  plans.forEach((plan, w) => {
    let i = 0;
    const t: Timer = new Timer(() => {
      for (;;) {
        log.push(`w${w}@${q.now}`);
        if (i >= plan.length) return;
        const d = plan[i++];
        if (fast && q.advanceIn(d)) continue;
        q.armIn(t, d);
        return;
      }
    });
    q.armIn(t, 0);
  });
}

Deno.test("EventQueue.advanceIn gives the same dispatch order and times as arming a timer", () => {
  // Workers with busy segments (ties on purpose: delays 0..20) among plain
  // events; the fast form must log exactly what the queued form logs, and
  // count the same number of dispatched events.
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 20 }), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 20 }),
      fc.integer({ min: 0, max: 250 }),
      (plans, events, bound) => {
        const logs: string[][] = [];
        const counts: number[] = [];
        for (const fast of [false, true]) {
          const q = new EventQueue(2);
          const log: string[] = [];
          segmentWorkers(q, plans, fast, log);
          events.forEach((at, e) => q.schedule(at, () => log.push(`e${e}@${q.now}`)));
          q.runUntil(bound);
          log.push(`bound@${q.now}`);
          q.runUntil(Infinity);
          logs.push(log);
          counts.push(q.dispatched);
        }
        assert.deepEqual(logs[1], logs[0]);
        assert.equal(counts[1], counts[0]);
      },
    ),
    { seed: 20261124, numRuns: 300 },
  );
});
