/**
 * Latency figures on a hand-computed case. FakeBench (genirq's fake chip and
 * a fake arch with no entry cost) with TEST_COSTS, the fasteoi flow, and a
 * chip whose EOI costs 300 ns (after the handler, still in hardirq
 * context); three device lines probed at genirq's controller inputs:
 *
 * - t=0: line 1 asserts; its handler (10 µs, withCost) starts at once: IRQ 1
 *   latency 0. It returns at 10 µs; EOI; irq_exit at 10.3 µs.
 * - t=3 µs: line 2 asserts while IRQ 1 runs with irqs off; it is taken when
 *   IRQ 1's frame returns, at 10.3 µs: latency 7.3 µs = 7 µs of IRQ 1's
 *   handler + 0.3 µs of its EOI path.
 * - t=20 µs: line 3 asserts; its hard handler (handler_ns = 1 µs) returns
 *   IRQ_WAKE_THREAD at 21 µs (the irq/3 thread is woken), EOI, irq_exit at
 *   21.3 µs: IRQ 3 latency 0.
 * - t=20.5 µs: line 1 asserts again, pending behind IRQ 3: taken at 21.3 µs,
 *   before the scheduler runs: latency 0.8 µs. Its 10 µs handler and EOI end
 *   at 31.6 µs, when the irq thread runs: thread latency 10.6 µs = 0.3 µs
 *   (IRQ 3's EOI path) + 10 µs (IRQ 1's handler) + 0.3 µs (its EOI path).
 *
 * Per CPU 0: IRQ latency count 4, cur 800, min 0, avg (0+7300+0+800)/4 =
 * 2025, max 7300; thread latency one sample of 10600.
 *
 * @module
 */
import assert from "node:assert/strict";
import { connect, InputPin, OutputPin } from "../core/line.ts";
import { withCost } from "../core/body.ts";
import { FakeBench } from "../plugins/genirq/_fake.ts";
import { IRQ_HANDLED, IRQ_WAKE_THREAD, IRQF_ONESHOT } from "../plugins/genirq/constants.ts";
import { handle_fasteoi_irq } from "../plugins/genirq/flow.ts";
import { formatLatencyHist, formatLatencyTop, LatencyRecorder, stats } from "./latency.ts";

function rig() {
  const b = new FakeBench(1, handle_fasteoi_irq);
  b.chip.irq_eoi = () => void (b.k.thisCpu().accum += 300); // an EOI write that takes 300 ns
  const lines = new Map<number, OutputPin>();
  for (const irq of [1, 2, 3]) {
    const out = new OutputPin(`dev${irq}.irq`);
    const inp = new InputPin(`fake.in${irq}`, (level) => level && b.fire(irq));
    connect(out, inp);
    b.gi.inputIrq.set(inp, irq);
    lines.set(irq, out);
  }
  const long = withCost(() => IRQ_HANDLED, 10_000);
  const plain = () => IRQ_HANDLED;
  assert.equal(b.call(() => b.gi.request_threaded_irq(1, long, null, 0, "long", {})), 0);
  assert.equal(b.call(() => b.gi.request_threaded_irq(2, plain, null, 0, "second", {})), 0);
  assert.equal(
    b.call(() =>
      b.gi.request_threaded_irq(
        3,
        () => IRQ_WAKE_THREAD,
        // deno-lint-ignore require-yield
        function* () {
          return IRQ_HANDLED;
        },
        IRQF_ONESHOT,
        "threaded",
        {},
      )
    ),
    0,
  );
  b.run(1_000_000); // let the new irq thread settle before measuring
  const lat = new LatencyRecorder(b.k);
  b.k.trace.addSink(lat);
  const t0 = b.k.now;
  const pulse = (irq: number, at: number) =>
    b.k.clock.schedule(t0 + at, () => lines.get(irq)!.pulse());
  pulse(1, 0);
  pulse(2, 3_000);
  pulse(3, 20_000);
  pulse(1, 20_500);
  b.run(100_000);
  return { b, lat, t0 };
}

Deno.test("LatencyRecorder measures line-to-handler and wake-to-run latency by hand", () => {
  const { lat, t0 } = rig();
  const r = lat.report();
  assert.deepEqual(r.cpus, [{
    cpu: 0,
    irq: { count: 4, cur: 800, min: 0, avg: 2025, max: 7300 },
    thread: { count: 1, cur: 10_600, min: 10_600, avg: 10_600, max: 10_600 },
  }]);
  assert.deepEqual(r.irqs.map((q) => [q.irq, q.name, q.irq_latency?.max, q.thread?.max]), [
    [1, "long", 800, undefined],
    [2, "second", 7300, undefined],
    [3, "threaded", 0, 10_600],
  ]);
  assert.deepEqual(r.worst.irq, {
    cpu: 0,
    irq: 2,
    latency_ns: 7300,
    from_ns: t0 + 3000,
    to_ns: t0 + 10_300,
    breakdown: { hardirq_ns: 7000, irq_path_ns: 300, softirq_ns: 0, thread_ns: 0, other_ns: 0 },
  });
  assert.deepEqual(r.worst.thread?.breakdown, {
    hardirq_ns: 10_000,
    irq_path_ns: 600,
    softirq_ns: 0,
    thread_ns: 0,
    other_ns: 0,
  });
  assert.equal(r.worst.thread?.comm, "irq/3-threaded");
  // 1 µs buckets: 0 (0, 0 and 800), 7000 (7300); thread 10000 (10600)
  assert.deepEqual(r.histogram.cpus[0], {
    cpu: 0,
    irq: { "0": 3, "7000": 1 },
    thread: { "10000": 1 },
  });
});

Deno.test("formatLatencyTop prints rtla timerlat top's columns", () => {
  const { lat } = rig();
  const text = formatLatencyTop(lat.report());
  const lines = text.split("\n");
  assert.equal(
    lines[2],
    "CPU COUNT      |      cur       min       avg       max |      cur       min       avg       max",
  );
  // "%3d #%-9d |" then "%9llu " x3 and "%9llu |", then the thread columns
  assert.equal(
    lines[3],
    "  0 #4         |      800         0      2025      7300 |    10600     10600     10600     10600",
  );
  assert.match(
    text,
    /\n {2}2 second {11}#1 {9}\| {5}7300 {6}7300 {6}7300 {6}7300 \| {8}- {9}- {9}- {9}-\n/,
  );
  assert.match(text, /Worst IRQ latency: 7300 ns, IRQ 2 on CPU 0/);
  // 7000 / 7300 = 95.9 %, 300 / 7300 = 4.1 %
  assert.match(text, /\n {2}hardirq interference {12}7000 ns {3}95\.9%\n/);
  assert.match(text, /\n {2}irq entry\/flow\/exit paths {8}300 ns {4}4\.1%\n/);
});

Deno.test("formatLatencyHist prints rtla timerlat hist's rows and totals", () => {
  const { lat } = rig();
  assert.equal(
    formatLatencyHist(lat.report()).split("\n").slice(4).join("\n"),
    [
      "Index   IRQ-000   Thr-000",
      "0             3         0 ",
      "7000          1         0 ",
      "10000         0         1 ",
      "over:         0         0 ",
      "count:        4         1 ",
      "min:          0     10600 ",
      "avg:       2025     10600 ",
      "max:       7300     10600 ",
      "",
    ].join("\n"),
  );
});

Deno.test("stats rounds the average down and keeps the last value as cur", () => {
  assert.equal(stats([]), null);
  assert.deepEqual(stats([3, 1, 2]), { count: 3, cur: 2, min: 1, avg: 2, max: 3 });
  assert.deepEqual(stats([1, 2]), { count: 2, cur: 2, min: 1, avg: 1, max: 2 });
});
