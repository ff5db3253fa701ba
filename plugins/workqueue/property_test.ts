/**
 * Property: random sequences of queue_work / queue_work_on / cancel_work /
 * cancel_work_sync / flush_work over several workqueues and CPUs never run
 * more items of a pool_workqueue at once than its max_active, and run every
 * work item exactly once per successful queueing (true) minus the queued
 * instances a cancel stole (it returned true).
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { mdelay, msleep } from "../../linux/api.ts";
import { runTask, wqKernel } from "./_testing.ts";
import {
  cancel_delayed_work,
  cancel_delayed_work_sync,
  DECLARE_DELAYED_WORK,
  flush_delayed_work,
  mod_delayed_work_on,
  queue_delayed_work_on,
} from "./delayed.ts";
import {
  alloc_ordered_workqueue,
  alloc_workqueue,
  cancel_work,
  cancel_work_sync,
  flush_work,
  queue_work,
  queue_work_on,
  system_wq,
  work_struct,
  WQ_CPU_INTENSIVE,
  WQ_HIGHPRI,
  type wq_ref,
  WQ_UNBOUND,
} from "./mod.ts";

const NR_CPUS = 3;
const NR_WORKS = 5;

type Op =
  | { op: "queue"; wq: number; work: number }
  | { op: "queue_on"; cpu: number; wq: number; work: number }
  | { op: "cancel"; work: number }
  | { op: "cancel_sync"; work: number }
  | { op: "flush"; work: number }
  | { op: "wait"; us: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("queue" as const), wq: fc.nat(4), work: fc.nat(NR_WORKS - 1) }),
  fc.record({
    op: fc.constant("queue_on" as const),
    cpu: fc.nat(NR_CPUS - 1),
    wq: fc.nat(4),
    work: fc.nat(NR_WORKS - 1),
  }),
  fc.record({ op: fc.constant("cancel" as const), work: fc.nat(NR_WORKS - 1) }),
  fc.record({ op: fc.constant("cancel_sync" as const), work: fc.nat(NR_WORKS - 1) }),
  fc.record({ op: fc.constant("flush" as const), work: fc.nat(NR_WORKS - 1) }),
  fc.record({ op: fc.constant("wait" as const), us: fc.integer({ min: 1, max: 30_000 }) }),
);

/** Each work item sleeps or busy-waits a given time (ms). */
const behaviourArb = fc.array(
  fc.record({ sleep: fc.boolean(), ms: fc.integer({ min: 0, max: 8 }) }),
  { minLength: NR_WORKS, maxLength: NR_WORKS },
);

Deno.test("workqueue property: max_active per pwq holds and each successful queue runs exactly once unless cancelled", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), behaviourArb, (ops, beh) => {
      const { k, w } = wqKernel(NR_CPUS, { create_worker_ns: 20_000 });
      const runsOf = new Array(NR_WORKS).fill(0);
      const expected = new Array(NR_WORKS).fill(0);
      const violations: string[] = [];
      const works = beh.map((b, i) =>
        new work_struct(undefined, function* (_me: work_struct) {
          runsOf[i]++;
          // max_active: items of each pwq executing right now
          const per = new Map<unknown, number>();
          for (const p of w.pools) {
            for (const wk of p?.workers ?? []) {
              if (wk.current_pwq) per.set(wk.current_pwq, (per.get(wk.current_pwq) ?? 0) + 1);
            }
          }
          for (const [pwq, n] of per) {
            const p = pwq as { max_active: number; nr_active: number; wq: { name: string } };
            if (n > p.max_active || p.nr_active > p.max_active) {
              violations.push(
                `${p.wq.name}: ${n} running, nr_active ${p.nr_active} > ${p.max_active}`,
              );
            }
          }
          if (b.sleep) yield msleep(b.ms);
          else yield mdelay(b.ms);
        })
      );
      runTask(k, function* () {
        const wqs: wq_ref[] = [
          system_wq,
          alloc_workqueue("bound1", 0, 1)!,
          alloc_workqueue("unbound2", WQ_UNBOUND, 2)!,
          alloc_ordered_workqueue("ordered", 0)!,
          alloc_workqueue("hi_cpu", WQ_HIGHPRI | WQ_CPU_INTENSIVE, 2)!,
        ];
        for (const o of ops) {
          switch (o.op) {
            case "queue":
              if (queue_work(wqs[o.wq], works[o.work])) expected[o.work]++;
              break;
            case "queue_on":
              if (queue_work_on(o.cpu, wqs[o.wq], works[o.work])) expected[o.work]++;
              break;
            case "cancel":
              if (cancel_work(works[o.work])) expected[o.work]--;
              break;
            case "cancel_sync":
              if (yield cancel_work_sync(works[o.work])) expected[o.work]--;
              break;
            case "flush":
              yield flush_work(works[o.work]);
              break;
            case "wait":
              yield mdelay(o.us / 1000);
              break;
          }
        }
      });
      k.runUntil(10_000_000_000);
      assert.deepEqual(violations, []);
      assert.deepEqual(runsOf, expected);
      assert.equal(k.bugs, 0);
    }),
    { numRuns: 150, seed: 4 },
  );
});

type DOp =
  | { op: "dqueue_on"; cpu: number; wq: number; work: number; delay: number }
  | { op: "dmod_on"; cpu: number; wq: number; work: number; delay: number }
  | { op: "dcancel"; work: number }
  | { op: "dcancel_sync"; work: number }
  | { op: "dflush"; work: number }
  | { op: "wait"; us: number };

const dopArb: fc.Arbitrary<DOp> = fc.oneof(
  fc.record({
    op: fc.constant("dqueue_on" as const),
    cpu: fc.constantFrom(0, 1, 2, 64), // 64 = WORK_CPU_UNBOUND
    wq: fc.nat(2),
    work: fc.nat(NR_WORKS - 1),
    delay: fc.nat(6),
  }),
  fc.record({
    op: fc.constant("dmod_on" as const),
    cpu: fc.constantFrom(0, 1, 2, 64),
    wq: fc.nat(2),
    work: fc.nat(NR_WORKS - 1),
    delay: fc.nat(6),
  }),
  fc.record({ op: fc.constant("dcancel" as const), work: fc.nat(NR_WORKS - 1) }),
  fc.record({ op: fc.constant("dcancel_sync" as const), work: fc.nat(NR_WORKS - 1) }),
  fc.record({ op: fc.constant("dflush" as const), work: fc.nat(NR_WORKS - 1) }),
  fc.record({ op: fc.constant("wait" as const), us: fc.integer({ min: 1, max: 30_000 }) }),
);

Deno.test("delayed work property: from two CPUs, every successful queue (or mod of an idle item) runs once unless a cancel stole it", () => {
  fc.assert(
    fc.property(
      fc.array(dopArb, { maxLength: 40 }),
      fc.array(dopArb, { maxLength: 40 }),
      behaviourArb,
      (ops0, ops1, beh) => {
        const { k } = wqKernel(NR_CPUS, { create_worker_ns: 20_000 }, {}, true);
        const runsOf = new Array(NR_WORKS).fill(0);
        const expected = new Array(NR_WORKS).fill(0);
        const works = beh.map((b, i) =>
          DECLARE_DELAYED_WORK(function* (_me: work_struct) {
            runsOf[i]++;
            if (b.sleep) yield msleep(b.ms);
            else yield mdelay(b.ms);
          })
        );
        const wqs: wq_ref[] = [system_wq];
        const driver = (ops: DOp[]) =>
          function* (): Generator<unknown, void, unknown> {
            if (wqs.length === 1) {
              wqs.push(alloc_workqueue("unbound2", WQ_UNBOUND, 2)!, alloc_workqueue("b1", 0, 1)!);
            }
            for (const o of ops) {
              switch (o.op) {
                case "dqueue_on":
                  if (queue_delayed_work_on(o.cpu, wqs[o.wq], works[o.work], o.delay)) {
                    expected[o.work]++;
                  }
                  break;
                case "dmod_on":
                  // false: it was idle and is queued now; true: a pending instance was re-armed
                  if (!mod_delayed_work_on(o.cpu, wqs[o.wq], works[o.work], o.delay)) {
                    expected[o.work]++;
                  }
                  break;
                case "dcancel":
                  if (cancel_delayed_work(works[o.work])) expected[o.work]--;
                  break;
                case "dcancel_sync":
                  if (yield cancel_delayed_work_sync(works[o.work])) expected[o.work]--;
                  break;
                case "dflush":
                  yield flush_delayed_work(works[o.work]);
                  break;
                case "wait":
                  yield msleep(o.us / 1000);
                  break;
              }
            }
          };
        runTask(k, driver(ops0), 0, "drv0");
        runTask(k, driver(ops1), 1, "drv1");
        k.runUntil(5_000_000_000);
        assert.deepEqual(runsOf, expected);
        assert.equal(k.bugs, 0);
      },
    ),
    { numRuns: 100, seed: 7 },
  );
});
