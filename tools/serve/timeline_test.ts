/**
 * Timeline: spans from trace entries — nested hardirqs close innermost
 * first, softirq actions get their own lane, the task lane changes with the
 * task events ran on, and traceSince counts what the ring overwrote.
 */
import assert from "node:assert/strict";
import { irq_handler_entry, irq_handler_exit } from "../../plugins/genirq/mod.ts";
import { softirq_entry, softirq_exit } from "../../plugins/softirq/mod.ts";
import { testKernel } from "../../tests/helpers.ts";
import { type Span, Timeline, traceEventJson, traceSince } from "./timeline.ts";
import type { Kernel } from "../../core/kernel.ts";
import { TraceBuffer, type TraceEventType } from "../../core/trace.ts";

/** Record a hit on CPU 0 at `ts` as if task `comm`/`pid` were current. */
function hit<A>(
  k: Kernel,
  type: TraceEventType<A>,
  args: A,
  ts: number,
  comm = "swapper/0",
  pid = 0,
) {
  k.trace.record(type, args, ts, 0, pid, comm, 0x10000, true, 0);
}

Deno.test("Timeline closes nested hardirq spans innermost first and softirqs in their lane", () => {
  const k = testKernel();
  k.trace.enabled = true;
  const tl = new Timeline(k);
  hit(k, irq_handler_entry, { irq: 1, name: "i8042" }, 100);
  hit(k, irq_handler_entry, { irq: 8, name: "rtc0" }, 150); // nested: a second IRQ taken inside the first handler
  hit(k, irq_handler_exit, { irq: 8, ret: 1 }, 180);
  hit(k, irq_handler_exit, { irq: 1, ret: 1 }, 200);
  hit(k, softirq_entry, { vec: 6, name: "TASKLET" }, 210);
  hit(k, softirq_exit, { vec: 6, name: "TASKLET" }, 300);
  const spans = tl.read().filter((s: Span) => s.lane !== "task");
  assert.deepEqual(spans, [
    { cpu: 0, lane: "hardirq", name: "irq 8 rtc0", start: 150, end: 180 },
    { cpu: 0, lane: "hardirq", name: "irq 1 i8042", start: 100, end: 200 },
    { cpu: 0, lane: "softirq", name: "TASKLET", start: 210, end: 300 },
  ]);
  assert.equal(tl.cursor, 6);
  assert.deepEqual(tl.read(), [], "nothing new, and the clock has not moved");
});

Deno.test("Timeline task lane changes with the task events ran on", () => {
  const k = testKernel();
  k.trace.enabled = true;
  const tl = new Timeline(k);
  hit(k, irq_handler_entry, { irq: 1, name: "i8042" }, 100, "insmod", 7);
  hit(k, irq_handler_exit, { irq: 1, ret: 1 }, 110, "insmod", 7);
  hit(k, irq_handler_entry, { irq: 1, name: "i8042" }, 500, "swapper/0", 0);
  hit(k, irq_handler_exit, { irq: 1, ret: 1 }, 510, "swapper/0", 0);
  const tasks = tl.read().filter((s) => s.lane === "task");
  assert.deepEqual(tasks, [{ cpu: 0, lane: "task", name: "insmod/7", start: 100, end: 500 }]);
});

Deno.test("traceSince counts entries the ring overwrote before the cursor", () => {
  // traceSince reads only the kernel's trace buffer
  const k = { trace: new TraceBuffer(4) } as unknown as Kernel;
  k.trace.enabled = true;
  for (let i = 0; i < 10; i++) hit(k, irq_handler_entry, { irq: 0, name: "timer" }, i);
  const r = traceSince(k, 3);
  assert.equal(r.lost, 3); // entries 3, 4, 5 are gone: the ring holds 6..9
  assert.deepEqual(r.entries.map((e) => e.ts), [6, 7, 8, 9]);
  assert.deepEqual(traceSince(k, 8).entries.map((e) => e.ts), [8, 9]);
  assert.deepEqual(traceSince(k, 10), { entries: [], lost: 0 });
});

Deno.test("traceEventJson writes complete events in µs with process and thread names", () => {
  const k = testKernel();
  k.trace.enabled = true;
  hit(k, irq_handler_entry, { irq: 1, name: "i8042" }, 1500);
  hit(k, irq_handler_exit, { irq: 1, ret: 1 }, 4000);
  const j = JSON.parse(traceEventJson(k));
  assert.deepEqual(j.traceEvents.find((e: { ph: string }) => e.ph === "X"), {
    ph: "X",
    name: "irq 1 i8042",
    cat: "hardirq",
    pid: 0,
    tid: 1,
    ts: 1.5,
    dur: 2.5,
  });
  assert.ok(
    j.traceEvents.some((e: { ph: string; name: string; args: { name: string } }) =>
      e.ph === "M" && e.name === "thread_name" && e.args.name === "hardirq"
    ),
  );
});
