/**
 * The trace recorder: latency-format flags and line layout exactly as in the
 * reference sheet (shared/reference/linux-irq-semantics.md §6.2, from
 * kernel/trace/trace_output.c), the ring buffer and the event filter.
 * Expected lines are written out by hand.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  HARDIRQ_OFFSET,
  NMI_OFFSET,
  PREEMPT_OFFSET,
  SOFTIRQ_DISABLE_OFFSET,
  SOFTIRQ_OFFSET,
} from "./cpu.ts";
import {
  defineTraceEvent,
  eventFilter,
  formatTraceLine,
  TraceBuffer,
  type TraceEntry,
  traceEvents,
  traceFlags,
  unmatchedEventPatterns,
} from "./trace.ts";

const irqHandlerEntry = defineTraceEvent<{ irq: number; name: string }>(
  "irq",
  "irq_handler_entry",
  (a) => `irq=${a.irq} name=${a.name}`,
);
const softirqEntry = defineTraceEvent<{ vec: number; action: string }>(
  "irq",
  "softirq_entry",
  (a) => `vec=${a.vec} [action=${a.action}]`,
);
const workqueueExecuteStart = defineTraceEvent<{ work: number; fn: string }>(
  "workqueue",
  "workqueue_execute_start",
  (a) => `work struct ${a.work.toString(16)}: function ${a.fn}`,
);

function entry(over: Partial<TraceEntry> = {}): TraceEntry {
  return {
    ts: 0,
    cpu: 0,
    pid: 0,
    comm: "<idle>",
    preempt: 0,
    irqsOff: false,
    resched: 0,
    type: irqHandlerEntry as never,
    args: { irq: 1, name: "i8042" },
    ...over,
  };
}

/** Record `n` irq_handler_entry hits with irq = 0..n-1 at ts = irq µs. */
function fill(t: TraceBuffer, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) {
    t.record(irqHandlerEntry, { irq: i, name: "x" }, i * 1000, 0, 0, "<idle>", 0, false, 0);
  }
}

Deno.test("traceFlags shows irq_handler_entry in hardirq with irqs off as d.h..", () => {
  assert.equal(traceFlags(HARDIRQ_OFFSET, true, 0), "d.h..");
});

Deno.test("traceFlags shows a serving softirq as ..s..", () => {
  assert.equal(traceFlags(SOFTIRQ_OFFSET, false, 0), "..s..");
});

Deno.test("traceFlags shows a softirq served from idle with preempt depth 1 as ..s1.", () => {
  assert.equal(traceFlags(SOFTIRQ_OFFSET + PREEMPT_OFFSET, false, 0), "..s1.");
});

Deno.test("traceFlags shows BH disabled only as b....", () => {
  assert.equal(traceFlags(SOFTIRQ_DISABLE_OFFSET, false, 0), "b....");
});

Deno.test("traceFlags shows irqs off with BH disabled as D....", () => {
  assert.equal(traceFlags(SOFTIRQ_DISABLE_OFFSET, true, 0), "D....");
});

Deno.test("traceFlags shows plain irqs off as d....", () => {
  assert.equal(traceFlags(0, true, 0), "d....");
  assert.equal(traceFlags(0, false, 0), ".....");
});

Deno.test("traceFlags shows an NMI as z and an NMI inside hardirq as Z", () => {
  assert.equal(traceFlags(NMI_OFFSET, true, 0), "d.z..");
  assert.equal(traceFlags(NMI_OFFSET + HARDIRQ_OFFSET, true, 0), "d.Z..");
});

Deno.test("traceFlags shows a hardirq inside a serving softirq as H", () => {
  assert.equal(traceFlags(HARDIRQ_OFFSET + SOFTIRQ_OFFSET, true, 0), "d.H..");
});

Deno.test("traceFlags shows a serving softirq with BH also disabled as b and s", () => {
  assert.equal(traceFlags(SOFTIRQ_OFFSET + SOFTIRQ_DISABLE_OFFSET, false, 0), "b.s..");
});

Deno.test("traceFlags shows need-resched as n, p or N", () => {
  assert.equal(traceFlags(0, false, 1), ".n...");
  assert.equal(traceFlags(0, false, 2), ".p...");
  assert.equal(traceFlags(0, false, 3), ".N...");
});

Deno.test("traceFlags shows the preempt depth in hex, capped at 15", () => {
  assert.equal(traceFlags(2, true, 0), "d..2.");
  assert.equal(traceFlags(10, false, 0), "...a.");
  assert.equal(traceFlags(0x20, false, 0), "...f.");
});

Deno.test("formatTraceLine matches the reference example column for column", () => {
  const line = formatTraceLine(entry({
    ts: 123_456_789_000,
    preempt: HARDIRQ_OFFSET,
    irqsOff: true,
    args: { irq: 24, name: "eth0" },
  }));
  assert.equal(
    line,
    "          <idle>-0       [000] d.h..   123.456789: irq_handler_entry: irq=24 name=eth0\n",
  );
});

Deno.test("formatTraceLine pads comm to 16 on the left, pid to 7 on the right, cpu to 3 digits", () => {
  const line = formatTraceLine(entry({
    comm: "ksoftirqd/1",
    pid: 18,
    cpu: 1,
    ts: 5_000_001_499,
    preempt: SOFTIRQ_OFFSET,
    type: softirqEntry as never,
    args: { vec: 1, action: "TIMER" },
  }));
  assert.equal(
    line,
    "     ksoftirqd/1-18      [001] ..s..     5.000001: softirq_entry: vec=1 [action=TIMER]\n",
  );
});

Deno.test("formatTraceLine lets a long pid and a large time widen their columns", () => {
  const line = formatTraceLine(entry({
    comm: "kworker/0:1",
    pid: 12345678,
    cpu: 12,
    ts: 123_456 * 1e9,
    type: workqueueExecuteStart as never,
    args: { work: 0xff00, fn: "vmstat_update" },
  }));
  assert.equal(
    line,
    "     kworker/0:1-12345678 [012] ..... 123456.000000: " +
      "workqueue_execute_start: work struct ff00: function vmstat_update\n",
  );
});

Deno.test("formatTraceLine rounds the time to the nearest microsecond like ns2usecs", () => {
  // ns2usecs() (kernel/trace/trace.c): (nsec + 500) / 1000
  const at = (ts: number) => formatTraceLine(entry({ ts })).slice(36, 51);
  assert.equal(at(1_499), "     0.000001: ");
  assert.equal(at(1_500), "     0.000002: ");
  assert.equal(at(999_999_500), "     1.000000: ", "carries into the seconds");
  assert.equal(at(499), "     0.000000: ");
});

Deno.test("formatTraceLine prints pid 0 as <idle> whatever its comm", () => {
  // __trace_find_cmdline(): `if (!pid) { strcpy(comm, "<idle>"); return; }`
  const line = formatTraceLine(entry({ comm: "swapper/3", pid: 0, cpu: 3 }));
  assert.equal(line.slice(0, 31), "          <idle>-0       [003] ");
});

Deno.test("TraceBuffer keeps the newest capacity entries and counts all written", () => {
  const t = new TraceBuffer(4);
  t.enabled = true;
  fill(t, 6);
  assert.equal(t.written, 6);
  assert.deepEqual(t.entries().map((e) => (e.args as { irq: number }).irq), [2, 3, 4, 5]);
  fill(t, 3, 6);
  assert.equal(t.written, 9);
  assert.deepEqual(t.entries().map((e) => (e.args as { irq: number }).irq), [5, 6, 7, 8]);
});

Deno.test("TraceBuffer.entries returns what was recorded before the ring fills", () => {
  const t = new TraceBuffer(8);
  assert.deepEqual(t.entries(), []);
  t.record(irqHandlerEntry, { irq: 9, name: "acpi" }, 7_000, 1, 42, "bash", 0x10000, true, 1);
  assert.deepEqual(t.entries(), [{
    ts: 7_000,
    cpu: 1,
    pid: 42,
    comm: "bash",
    preempt: 0x10000,
    irqsOff: true,
    resched: 1,
    type: irqHandlerEntry,
    args: { irq: 9, name: "acpi" },
  }]);
});

Deno.test("TraceBuffer.format prints the nop header with in-buffer/written counts", () => {
  const t = new TraceBuffer(2);
  fill(t, 3);
  const text = t.format(4);
  const lines = text.split("\n");
  assert.equal(lines[0], "# tracer: nop");
  assert.equal(lines[2], "# entries-in-buffer/entries-written: 2/3   #P:4");
  assert.equal(lines[10], "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION");
  assert.equal(lines[11], "#              | |         |   |||||     |         |");
  assert.equal(
    lines[12],
    "          <idle>-0       [000] .....     0.000001: irq_handler_entry: irq=1 name=x",
  );
  assert.equal(lines.length, 15, "12 header lines, 2 entries, final newline");
  assert.equal(lines[14], "");
});

Deno.test("TraceBuffer.format prints print_func_help_header_irq of 6.1 line for line", () => {
  // kernel/trace/trace.c (6.1): prec = 2 without record-tgid, space = 12 blanks;
  // each line is seq_printf(m, "#                            %.*s...", prec, space)
  const pre = "#" + " ".repeat(28) + "  ";
  const lines = new TraceBuffer(1).format(2).split("\n");
  assert.deepEqual(lines.slice(0, 12), [
    "# tracer: nop",
    "#",
    "# entries-in-buffer/entries-written: 0/0   #P:2",
    "#",
    pre + "  _-----=> irqs-off/BH-disabled",
    pre + " / _----=> need-resched",
    pre + "| / _---=> hardirq/softirq",
    pre + "|| / _--=> preempt-depth",
    pre + "||| / _-=> migrate-disable",
    pre + "|||| /     delay",
    // "#           TASK-PID  %.*s CPU#  |||||  TIMESTAMP  FUNCTION", prec, "     TGID   "
    "#           TASK-PID  " + "  " + " CPU#  |||||  TIMESTAMP  FUNCTION",
    // "#              | |    %.*s   |   |||||     |         |", prec, "       |    "
    "#              | |    " + "  " + "   |   |||||     |         |",
  ]);
  assert.equal(lines[12], "", "no entries: the header only");
});

Deno.test("TraceBuffer.setFilter with irq:* keeps only irq events", () => {
  const t = new TraceBuffer(16);
  t.enabled = true;
  t.setFilter("irq:*");
  assert.equal(t.wants(irqHandlerEntry as never), true);
  assert.equal(t.wants(workqueueExecuteStart as never), false);
  t.record(irqHandlerEntry, { irq: 1, name: "i8042" }, 0, 0, 0, "x", 0, false, 0);
  t.record(workqueueExecuteStart, { work: 1, fn: "f" }, 0, 0, 0, "x", 0, false, 0);
  t.record(softirqEntry, { vec: 1, action: "TIMER" }, 0, 0, 0, "x", 0, false, 0);
  assert.deepEqual(t.entries().map((e) => e.type.name), ["irq_handler_entry", "softirq_entry"]);
  assert.equal(t.written, 2);
});

Deno.test("TraceBuffer.setFilter takes a comma list and bare event names", () => {
  const t = new TraceBuffer(16);
  t.enabled = true;
  t.setFilter("irq:softirq_entry, workqueue_execute_start");
  assert.equal(t.wants(irqHandlerEntry as never), false);
  assert.equal(t.wants(softirqEntry as never), true);
  assert.equal(t.wants(workqueueExecuteStart as never), true);
  t.setFilter(undefined);
  assert.equal(t.wants(irqHandlerEntry as never), true, "no filter: everything");
});

Deno.test("eventFilter applies set_event items in order, with ! removing", () => {
  const sched = defineTraceEvent<number>("sched", "sched_switch", (n) => `${n}`);
  const f1 = eventFilter("irq:*,!irq:softirq_entry");
  assert.equal(f1(irqHandlerEntry as never), true);
  assert.equal(f1(softirqEntry as never), false);
  assert.equal(f1(sched as never), false);
  // a list that starts with ! starts from every event
  const f2 = eventFilter("!sched:*");
  assert.equal(f2(sched as never), false);
  assert.equal(f2(irqHandlerEntry as never), true);
  // `system:` (empty event) and a bare system name mean the whole system
  assert.equal(eventFilter("irq:")(softirqEntry as never), true);
  assert.equal(eventFilter("irq")(softirqEntry as never), true);
  assert.equal(eventFilter("irq")(sched as never), false);
  // *:* and * mean everything; a later negation of a bare event name removes it
  assert.equal(eventFilter("*:*")(sched as never), true);
  assert.equal(eventFilter("*,!softirq_entry")(softirqEntry as never), false);
});

Deno.test("unmatchedEventPatterns names the items no event matches", () => {
  const known = [irqHandlerEntry, softirqEntry] as never[];
  assert.deepEqual(unmatchedEventPatterns("irq:*,irq:nope, foo:*,!bar", known), [
    "irq:nope",
    "foo:*",
    "!bar",
  ]);
  assert.deepEqual(unmatchedEventPatterns("irq,!irq:softirq_entry", known), []);
});

Deno.test("TraceBuffer sinks see every hit whatever the filter, and counters and flows", () => {
  const t = new TraceBuffer(16);
  const seen: string[] = [];
  t.addSink({
    event: (e) => seen.push(`event ${e.type.name}`),
    counter: (name, cpu, value, ts) => seen.push(`counter ${name} ${cpu} ${value} ${ts}`),
    flow: (p) => seen.push(`flow ${p.kind} ${p.key} ${p.phase}`),
  });
  assert.equal(t.enabled, true, "a sink turns tracing on");
  t.setFilter("irq:irq_handler_entry");
  t.record(softirqEntry, { vec: 1, action: "TIMER" }, 5, 0, 0, "x", 0, false, 0);
  t.counter("pending softirqs", 1, 2, 7);
  t.flow({ kind: "softirq", key: 3, phase: "start", ts: 8, cpu: 0, pid: 0, preempt: 0 });
  assert.deepEqual(seen, [
    "event softirq_entry",
    "counter pending softirqs 1 2 7",
    "flow softirq 3 start",
  ]);
  assert.equal(t.written, 0, "the ring keeps its filter");
});

Deno.test("TraceBuffer.wants is false while tracing is off", () => {
  const t = new TraceBuffer(16);
  assert.equal(t.wants(irqHandlerEntry as never), false);
  t.enabled = true;
  assert.equal(t.wants(irqHandlerEntry as never), true);
});

Deno.test("defineTraceEvent gives unique ids and lists the event", () => {
  const a = defineTraceEvent<number>("test", "a", (n) => `${n}`);
  const b = defineTraceEvent<number>("test", "b", (n) => `${n}`);
  assert.notEqual(a.id, b.id);
  const all = traceEvents();
  assert.ok(all.includes(a as never) && all.includes(b as never));
  assert.equal(a.format(3), "3");
});
