/**
 * The Perfetto timeline (runner/perfetto.ts) checked against the Chrome
 * trace-event format's rules by an independent validator: required fields
 * per phase, integer pid/tid, microsecond timestamps, complete (X) slices
 * strictly nested per track, B/E balanced, time never going back on a track,
 * every flow start paired with one end that is not earlier, and flow points
 * bound to a slice of their track. Then the content of one hand-checked
 * interrupt of tests/fixtures/observe.yaml, and determinism.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runScenario } from "../runner/mod.ts";
import {
  type ChromeEvent,
  CPU_PID_BASE,
  cpuTid,
  MACHINE_PID,
  PerfettoRecorder,
  WORK_TID_BASE,
} from "../runner/perfetto.ts";
import { defineTraceEvent } from "../core/trace.ts";
import { testKernel } from "./helpers.ts";

const MACHINE = "tests/fixtures/observe_pc.yaml";

async function timeline(seed = 1): Promise<{ json: string; events: ChromeEvent[] }> {
  let tl: PerfettoRecorder | undefined;
  await runScenario(MACHINE, {
    seed,
    onStart: (k) => {
      tl = new PerfettoRecorder(k);
      k.trace.addSink(tl);
    },
  });
  const json = tl!.json();
  return { json, events: JSON.parse(json).traceEvents };
}

/** The trace-event rules; returns the violations found (empty: valid). */
function validate(events: unknown[]): string[] {
  const bad: string[] = [];
  const isInt = (v: unknown) => typeof v === "number" && Number.isInteger(v);
  const isNum = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  const open = new Map<string, { name: string; ts: number }[]>();
  const lastTs = new Map<string, number>();
  const slices = new Map<string, { ts: number; end: number }[]>();
  const flows = new Map<number, { s: number; f: number; sTs: number; fTs: number }>();
  events.forEach((raw, i) => {
    const e = raw as Record<string, unknown>;
    const where = `event ${i} (${e.ph} ${e.name})`;
    if (typeof e.ph !== "string") bad.push(`${where}: no ph`);
    if (!isInt(e.pid) || !isInt(e.tid)) bad.push(`${where}: pid/tid must be integers`);
    if (e.ph === "M") {
      if (
        !["process_name", "process_sort_index", "thread_name", "thread_sort_index"].includes(
          e.name as string,
        )
      ) bad.push(`${where}: unknown metadata`);
      if (typeof e.args !== "object") bad.push(`${where}: metadata without args`);
      return;
    }
    if (!isNum(e.ts) || (e.ts as number) < 0) bad.push(`${where}: ts must be a number >= 0`);
    const track = `${e.pid}/${e.tid}`;
    const ts = e.ts as number;
    if ((lastTs.get(track) ?? -Infinity) > ts) bad.push(`${where}: ts goes back on ${track}`);
    lastTs.set(track, ts);
    switch (e.ph) {
      case "X": {
        if (typeof e.name !== "string") bad.push(`${where}: X without name`);
        if (!isNum(e.dur) || (e.dur as number) < 0) bad.push(`${where}: X needs dur >= 0`);
        const list = slices.get(track) ?? [];
        list.push({ ts, end: ts + (e.dur as number) });
        slices.set(track, list);
        break;
      }
      case "B": {
        const st = open.get(track) ?? [];
        st.push({ name: e.name as string, ts });
        open.set(track, st);
        break;
      }
      case "E": {
        const st = open.get(track);
        if (!st?.length) bad.push(`${where}: E without B on ${track}`);
        else st.pop();
        break;
      }
      case "i":
      case "I":
        if (typeof e.name !== "string") bad.push(`${where}: instant without name`);
        if (e.s !== undefined && !["g", "p", "t"].includes(e.s as string)) {
          bad.push(`${where}: bad instant scope`);
        }
        break;
      case "C":
        if (typeof e.name !== "string") bad.push(`${where}: counter without name`);
        if (
          typeof e.args !== "object" ||
          !Object.values(e.args as object).every((v) => isNum(v))
        ) bad.push(`${where}: counter args must be numbers`);
        break;
      case "s":
      case "f": {
        if (!isInt(e.id)) bad.push(`${where}: flow without id`);
        if (typeof e.cat !== "string" || typeof e.name !== "string") {
          bad.push(`${where}: flow needs name and cat`);
        }
        const fl = flows.get(e.id as number) ?? { s: 0, f: 0, sTs: 0, fTs: 0 };
        if (e.ph === "s") {
          fl.s++;
          fl.sTs = ts;
        } else {
          fl.f++;
          fl.fTs = ts;
          if (e.bp !== undefined && e.bp !== "e") bad.push(`${where}: bad bp`);
        }
        flows.set(e.id as number, fl);
        break;
      }
      default:
        bad.push(`${where}: unknown phase`);
    }
  });
  for (const [track, st] of open) if (st.length) bad.push(`unclosed B on ${track}`);
  // X slices nest strictly per track
  for (const [track, list] of slices) {
    const sorted = [...list].sort((a, b) => a.ts - b.ts || b.end - a.end);
    const stack: { ts: number; end: number }[] = [];
    for (const s of sorted) {
      while (stack.length && stack[stack.length - 1].end <= s.ts) stack.pop();
      const top = stack[stack.length - 1];
      if (top && s.end > top.end) {
        bad.push(`slices overlap on ${track}: [${top.ts},${top.end}] and [${s.ts},${s.end}]`);
      }
      stack.push(s);
    }
  }
  for (const [id, fl] of flows) {
    if (fl.s !== 1 || fl.f !== 1) bad.push(`flow ${id}: ${fl.s} starts, ${fl.f} ends`);
    else if (fl.fTs < fl.sTs) bad.push(`flow ${id} ends before it starts`);
  }
  // flow points bind to a slice of their track (the arrow is drawn between slices)
  events.forEach((raw) => {
    const e = raw as ChromeEvent;
    if (e.ph !== "s" && e.ph !== "f") return;
    const list = slices.get(`${e.pid}/${e.tid}`) ?? [];
    if (!list.some((s) => s.ts <= e.ts && e.ts <= s.end)) {
      bad.push(`flow ${e.id} ${e.ph} at ${e.ts} has no slice on ${e.pid}/${e.tid}`);
    }
  });
  return bad;
}

Deno.test("validate rejects overlapping slices, unpaired flows and bad fields", () => {
  // the validator itself must be able to fail
  const bad = validate([
    { name: "a", ph: "X", ts: 0, dur: 10, pid: 1, tid: 1 },
    { name: "b", ph: "X", ts: 5, dur: 10, pid: 1, tid: 1 },
    { name: "f", cat: "c", ph: "s", id: 1, ts: 1, pid: 1, tid: 1 },
    { name: "c", ph: "C", ts: 1, pid: 1.5, tid: 1, args: { value: "x" } },
    { name: "d", ph: "B", ts: 20, pid: 2, tid: 2 },
  ]);
  assert.deepEqual(bad, [
    "event 2 (s f): ts goes back on 1/1",
    "event 3 (C c): pid/tid must be integers",
    "event 3 (C c): counter args must be numbers",
    "unclosed B on 2/2",
    "slices overlap on 1/1: [0,10] and [5,15]",
    "flow 1: 1 starts, 0 ends",
  ]);
});

Deno.test("PerfettoRecorder writes trace-event JSON that follows the format's rules", async () => {
  const { events } = await timeline();
  assert.deepEqual(validate(events), []);
  // every phase the recorder uses appears, so each rule above was exercised
  const phases = new Set(events.map((e) => e.ph));
  for (const ph of ["M", "X", "i", "C", "s", "f"]) assert.ok(phases.has(ph as never), ph);
});

Deno.test("PerfettoRecorder draws one interrupt of observe.yaml on the right tracks", async () => {
  const { events } = await timeline();
  const cpu0 = CPU_PID_BASE;
  const at = (ts: number) => events.filter((e) => e.ts === ts && e.ph !== "M");
  // The source fires at 1 ms (the stimulus) on an idle CPU; the entry path
  // costs irq_entry_ns = 1.2 µs, so irq_handler_entry is at 1001.2 µs.
  const hard = events.find((e) => e.ph === "X" && e.name === "irq 5: observe_src")!;
  assert.deepEqual(
    { ts: hard.ts, pid: hard.pid, tid: hard.tid },
    { ts: 1001.2, pid: cpu0, tid: cpuTid(0, 3) },
  );
  // the raise inside it: an instant on the hardirq track, the counter goes to 1,
  // an arrow to NET_RX's entry at irq_exit on the softirq track
  const raise = at(1001.2);
  assert.ok(
    raise.some((e) => e.ph === "i" && e.name === "softirq_raise" && e.tid === cpuTid(0, 3)),
  );
  assert.ok(
    raise.some((e) => e.ph === "C" && e.name === "pending softirqs" && e.args!.value === 1),
  );
  const s = raise.find((e) => e.ph === "s" && e.cat === "softirq")!;
  const f = events.find((e) => e.ph === "f" && e.id === s.id)!;
  const rx = events.find((e) => e.ph === "X" && e.name === "NET_RX")!;
  assert.equal(f.ts, rx.ts);
  assert.equal(rx.tid, cpuTid(0, 1));
  // IRQ_WAKE_THREAD: an arrow from the hardirq to the irq thread's first run
  const wake = events.find((e) => e.ph === "s" && e.cat === "wakeup" && e.ts > 1000)!;
  assert.equal(wake.tid, cpuTid(0, 3));
  // the whole hardirq (irq_enter .. irq_exit) encloses the handler and the wake-up,
  // which comes after irq_handler_exit (__irq_wake_thread)
  const whole = events.find((e) =>
    e.ph === "X" && e.name === "IRQ 5" && e.tid === cpuTid(0, 3) && e.ts <= hard.ts
  )!;
  assert.ok(whole.ts + whole.dur! >= hard.ts + hard.dur!);
  assert.ok(whole.ts + whole.dur! >= wake.ts && wake.ts >= hard.ts + hard.dur!);
  const run = events.find((e) => e.ph === "f" && e.id === wake.id)!;
  const thread = events.find((e) => e.ph === "X" && e.tid === cpuTid(0, 0) && e.ts === run.ts)!;
  assert.equal(thread.name, "irq/5-observe_s");
  // the thread's own track, named as ps shows it
  const pid = thread.args!.pid as number;
  assert.ok(
    events.some((e) =>
      e.ph === "M" && e.name === "thread_name" && e.pid === pid &&
      e.args!.name === "irq/5-observe_s"
    ),
  );
  assert.ok(events.some((e) => e.ph === "X" && e.pid === pid && e.tid === pid && e.ts === run.ts));
});

Deno.test("PerfettoRecorder gives byte-identical JSON for the same seed", async () => {
  const a = await timeline(3);
  const b = await timeline(3);
  assert.ok(a.json.length > 1000);
  assert.equal(a.json, b.json);
});

Deno.test("PerfettoRecorder.finish can save a live run and recording goes on", async () => {
  let tl: PerfettoRecorder | undefined;
  let mid: ChromeEvent[] = [];
  await runScenario(MACHINE, {
    stepNs: 1_000_000,
    onStart: (k) => {
      tl = new PerfettoRecorder(k);
      k.trace.addSink(tl);
    },
    onStep: (_k, now) => {
      if (now === 3_000_000) mid = tl!.finish();
    },
  });
  const end = JSON.parse(tl!.json()).traceEvents as ChromeEvent[];
  assert.deepEqual(validate(mid), []);
  assert.deepEqual(validate(end), []);
  const count = (es: ChromeEvent[]) => es.filter((e) => e.name === "irq 5: observe_src").length;
  // requests at 1 and 2 ms by 3 ms; all ten by the end
  assert.equal(count(mid), 2);
  assert.equal(count(end), 10);
});

Deno.test("PerfettoRecorder puts tasklets and work items from other plugins on their tracks", () => {
  // The events as include/trace/events/{irq,workqueue}.h print them; the
  // tasklet and workqueue plugins define theirs with defineTraceEvent the same way.
  const k = testKernel();
  const tl = new PerfettoRecorder(k);
  k.trace.addSink(tl);
  const entry = defineTraceEvent<{ fn: string }>(
    "irq",
    "tasklet_entry",
    (a) => `tasklet=0xffff888003c2e000 function=${a.fn}`,
  );
  const exit = defineTraceEvent<{ fn: string }>(
    "irq",
    "tasklet_exit",
    (a) => `tasklet=0xffff888003c2e000 function=${a.fn}`,
  );
  const start = defineTraceEvent<{ fn: string }>(
    "workqueue",
    "workqueue_execute_start",
    (a) => `work struct 00000000d5c4b0e6: function ${a.fn}`,
  );
  const end = defineTraceEvent<{ fn: string }>(
    "workqueue",
    "workqueue_execute_end",
    (a) => `work struct 00000000d5c4b0e6: function ${a.fn}`,
  );
  const cpu = k.cpus[0];
  const worker = k.sched.create({
    comm: "kworker/0:1",
    body: (function* () {})(),
    start: "sleeping",
  });
  const at = (ns: number, fn: () => void) => k.clock.schedule(ns, fn);
  at(1_000, () => {
    cpu.preemptCount += 0x100; // serving softirq (TASKLET_SOFTIRQ)
    k.traceEvent(entry, { fn: "my_tasklet_fn" }, cpu);
    k.traceFlow("tasklet", "t1", "end", cpu);
  });
  at(3_000, () => {
    k.traceEvent(exit, { fn: "my_tasklet_fn" }, cpu);
    cpu.preemptCount -= 0x100;
  });
  at(5_000, () => {
    cpu.current = worker; // as if switched in, to record from the kworker's context
    k.traceEvent(start, { fn: "my_work_fn" }, cpu);
    k.traceCounter("wq depth events", 0, -1);
  });
  at(9_000, () => {
    k.traceEvent(end, { fn: "my_work_fn" }, cpu);
    cpu.current = cpu.idleTask;
  });
  // tasklet_schedule() from a hardirq: the arrow leaves the hardirq slice
  at(500, () => {
    cpu.irqEnter();
    k.traceFlow("tasklet", "t1", "start", cpu);
    cpu.irqExit();
  });
  // from the idle task's context there is no slice to leave from: no arrow
  at(600, () => k.traceFlow("tasklet", "t2", "start", cpu));
  at(2_000, () => k.traceFlow("tasklet", "t2", "end", cpu));
  k.runUntil(10_000);
  const events = tl.finish();
  assert.deepEqual(validate(events), []);
  assert.deepEqual(
    events.filter((e) => e.ph === "s" || e.ph === "f").map((e) => [e.ph, e.ts, e.tid]),
    [["s", 0.5, cpuTid(0, 3)], ["f", 1, cpuTid(0, 2)]],
  );
  const t = events.find((e) => e.ph === "X" && e.name === "my_tasklet_fn")!;
  assert.deepEqual([t.ts, t.dur, t.tid], [1, 2, cpuTid(0, 2)]);
  const w = events.find((e) => e.ph === "X" && e.name === "my_work_fn")!;
  assert.deepEqual([w.ts, w.dur, w.pid, w.tid], [5, 4, worker.pid, WORK_TID_BASE + worker.pid]);
  assert.ok(
    events.some((e) =>
      e.ph === "M" && e.pid === worker.pid && e.tid === WORK_TID_BASE + worker.pid &&
      e.args!.name === "kworker/0:1 work"
    ),
  );
  assert.ok(
    events.some((e) => e.ph === "C" && e.pid === MACHINE_PID && e.name === "wq depth events"),
  );
});

Deno.test("the timeline draws tasklet_schedule -> run and queue_work -> execute_start arrows and workqueue depths", async () => {
  // contexts (pc.yaml): the keyboard handler schedules a tasklet and queues a work item
  let tl: PerfettoRecorder | undefined;
  const r = await runScenario("machines/pc.yaml", {
    scenario: "scenarios/contexts.yaml",
    onStart: (k) => {
      tl = new PerfettoRecorder(k);
      k.trace.addSink(tl);
    },
  });
  assert.deepEqual(r.failures, []);
  const events: ChromeEvent[] = JSON.parse(tl!.json()).traceEvents;
  assert.deepEqual(validate(events), []);
  for (const kind of ["tasklet", "work"]) {
    const s = events.filter((e) => e.ph === "s" && e.cat === kind);
    const f = events.filter((e) => e.ph === "f" && e.cat === kind);
    assert.ok(s.length >= 1, `a ${kind} arrow starts`);
    assert.equal(s.length, f.length, `${kind} arrows are paired`);
    // the arrow goes forward in time, from the hardirq that scheduled it
    assert.ok(f[0].ts >= s[0].ts);
  }
  const depth = events.filter((e) => e.ph === "C" && e.name === "workqueue events");
  assert.ok(depth.some((e) => (e.args as { value: number }).value >= 1), "system_wq depth rises");
  assert.equal((depth.at(-1)!.args as { value: number }).value, 0, "and drains to 0");
});
