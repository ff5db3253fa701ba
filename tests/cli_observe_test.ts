// deno-lint-ignore-file no-control-regex -- the terminal escapes are what these tests check
/**
 * The observability subcommands of tools/run.ts end to end: `cat`, `watch`,
 * `report`, `run --perfetto`, progress on stderr, and bad input (unknown
 * path, bad time, unknown events) answered with a located message and exit
 * code 2. The machine is tests/fixtures/observe_pc.yaml (IRQ 5 fires every
 * millisecond from 1 ms, 20 ms scenario).
 *
 * @module
 */
import assert from "node:assert/strict";
import { main } from "../tools/run.ts";
import type { TermEnv } from "../tools/progress.ts";

const M = "tests/fixtures/observe_pc.yaml";

async function cli(args: string[], env?: TermEnv) {
  let out = "", err = "";
  const code = await main(args, {
    write: (s) => (out += s),
    error: (s) => (err += s),
    env,
    sleep: () => Promise.resolve(),
  });
  return { code, out, err };
}

/** A terminal whose wall clock advances 400 ms per reading. */
function tty(noColor = false): TermEnv {
  let t = 0;
  return { errTty: true, outTty: true, noColor, now: () => (t += 400) };
}

Deno.test("main cat prints a view at --at", async () => {
  const r = await cli(["cat", M, "/proc/interrupts", "--at", "5ms"]);
  assert.equal(r.err, "");
  assert.equal(r.code, 0);
  // fired at 1, 2, 3, 4 ms; the 5 ms request's handler runs 1.2 µs later
  assert.match(r.out, /\n {2}5: {10}4 {4}XT-PIC {6}observe_src\n/);
});

Deno.test("main cat answers ps and dmesg paths", async () => {
  const ps = await cli(["cat", M, "ps -eLo pid,cls,rtprio,ni,psr,comm", "--at", "2ms"]);
  assert.equal(ps.code, 0);
  assert.match(ps.out, /^ {4}PID CLS RTPRIO {2}NI PSR COMMAND\n/);
  assert.match(ps.out, /\n {6}\d+ {2}FF {5}50 {3}- {3}0 irq\/5-observe_s\n/);
  const dmesg = await cli(["cat", M, "dmesg", "--at", "1ms"]);
  assert.match(dmesg.out, /^\[ {4}0\.000000\] serio: i8042 KBD port/);
});

Deno.test("main cat exits 2 naming a bad path, the known paths and a suggestion", async () => {
  const r = await cli(["cat", M, "/proc/intrerupts", "--at", "1ms"]);
  assert.equal(r.code, 2);
  assert.equal(r.out, "");
  const lines = r.err.split("\n");
  assert.equal(
    lines[0],
    'error at /proc/intrerupts: no such file or view "/proc/intrerupts" on machine "observe_pc"',
  );
  assert.match(lines[1], /^ {2}expected: one of: .*\/proc\/interrupts, .*\/proc\/stat.*ps -ef/);
  assert.equal(lines[2], '  hint: did you mean "/proc/interrupts"?');
  assert.doesNotMatch(r.err, /at .*\.ts:\d+/, "no stack trace");
});

Deno.test("main cat exits 2 for a time it cannot read", async () => {
  const r = await cli(["cat", M, "/proc/stat", "--at", "5 parsecs"]);
  assert.equal(r.code, 2);
  assert.match(
    r.err,
    /--at must be a time with a unit \(ns, us, ms, s\), e\.g\. 500ms; got "5 parsecs"/,
  );
});

Deno.test("main run exits 2 when --events names no known event", async () => {
  const r = await cli([M, "-q", "--events", "irq:*,irq:nope"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^error at --events: no trace event matches "irq:nope"\n/);
  assert.match(r.err, /systems: (\w+, )*irq, irq_vectors, (\w+, )*sched\b/);
});

Deno.test("main watch prints successive frames every interval when not on a terminal", async () => {
  const r = await cli(["watch", M, "/proc/softirqs", "-n", "5ms"]);
  assert.equal(r.code, 0);
  const heads = r.out.split("\n").filter((l) => l.startsWith("Every "));
  // 20 ms scenario in 5 ms steps: frames at 5, 10, 15, 20 ms
  assert.deepEqual(heads, [
    "Every 0.005000s: cat /proc/softirqs    t=0.005000",
    "Every 0.005000s: cat /proc/softirqs    t=0.010000",
    "Every 0.005000s: cat /proc/softirqs    t=0.015000",
    "Every 0.005000s: cat /proc/softirqs    t=0.020000",
  ]);
  // NET_RX ran once per IRQ 5: 4 by 5 ms (the 5 ms one still in entry), 9 by 10 ms
  const rx = r.out.split("\n").filter((l) => l.includes("NET_RX:")).map((l) => l.trim());
  assert.deepEqual(rx.slice(0, 2), ["NET_RX:          4", "NET_RX:          9"]);
  assert.doesNotMatch(r.out, /\x1b/, "no escape codes off a terminal");
});

Deno.test("main watch highlights changed cells on a terminal unless NO_COLOR", async () => {
  const r = await cli(["watch", M, "/proc/softirqs", "-n", "10ms", "-q"], tty());
  assert.equal(r.code, 0);
  const frames = r.out.split("\x1b[H\x1b[2J").filter(Boolean);
  assert.equal(frames.length, 2);
  assert.doesNotMatch(frames[0], /\x1b\[7m/, "the first frame has nothing to compare with");
  // NET_RX went from 9 (at 10 ms) to 10 (all ten by 20 ms): both columns changed
  assert.match(frames[1], /NET_RX: {9}\x1b\[7m10\x1b\[0m\n/);
  const plain = await cli(["watch", M, "/proc/softirqs", "-n", "10ms"], tty(true));
  assert.doesNotMatch(plain.out, /\x1b\[7m/);
  assert.equal(plain.err, "", "no progress line under the frames");
});

Deno.test("main report prints the latency tables and --json the figures", async () => {
  const r = await cli(["report", M]);
  assert.equal(r.code, 0);
  assert.match(r.out, /\nCPU COUNT {6}\| {6}cur {7}min {7}avg {7}max \|/);
  assert.match(r.out, /\n {2}5 observe_src {6}#\d+/);
  assert.match(r.out, /\nWorst IRQ latency: \d+ ns, IRQ \d+ on CPU 0/);
  const j = await cli(["report", M, "--json"]);
  const rep = JSON.parse(j.out);
  const irq5 = rep.irqs.find((q: { irq: number }) => q.irq === 5);
  // ten requests from the stimulus, each one sample; plus the thread's wake-ups
  assert.equal(irq5.irq_latency.count, 10);
  assert.equal(irq5.name, "observe_src");
  assert.ok(irq5.thread.count >= 10);
});

Deno.test("main run --perfetto and --trace write byte-identical files for the same seed", async () => {
  const dir = await Deno.makeTempDir({ dir: "." });
  try {
    const files: string[][] = [];
    for (const n of [1, 2]) {
      const r = await cli([
        M,
        "-q",
        "--seed",
        "5",
        "--trace",
        `${dir}/t${n}.txt`,
        "--perfetto",
        `${dir}/p${n}.json`,
      ]);
      assert.equal(r.code, 0);
      files.push([
        await Deno.readTextFile(`${dir}/t${n}.txt`),
        await Deno.readTextFile(`${dir}/p${n}.json`),
      ]);
    }
    assert.equal(files[0][0], files[1][0]);
    assert.equal(files[0][1], files[1][1]);
    const json = JSON.parse(files[0][1]);
    assert.ok(json.traceEvents.some((e: { name: string }) => e.name === "irq 5: observe_src"));
    assert.match(files[0][0], /: sched_switch: prev_comm=swapper\/0 prev_pid=0 /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main shows progress on a terminal's stderr, not with --quiet or off a terminal", async () => {
  const r = await cli([M], tty());
  assert.equal(r.code, 0);
  // the fake clock passes a second after a few steps: lines redrawn in place, cleared at the end
  assert.match(
    r.err,
    /\r(\x1b\[2m)?irqlab: 0\.\d{6} s of 0\.020000 s simulated \(\d+%\), [\d.]+ [kM]? ?events\/s/,
  );
  assert.ok(r.err.endsWith("\r\x1b[K"), "the line is cleared at the end");
  assert.match(r.err, /\x1b\[2m/, "dim unless NO_COLOR");
  const nc = await cli([M], tty(true));
  assert.doesNotMatch(nc.err, /\x1b\[2m/);
  const q = await cli([M, "-q"], tty());
  assert.equal(q.err, "");
  const pipe = await cli([M]);
  assert.equal(pipe.err, "");
  assert.equal(r.out, pipe.out, "running in 1 ms steps for the progress line changes nothing");
});

Deno.test("main --help lists the subcommands and exits 0 without reading the environment", async () => {
  // regression: commander probed FORCE_COLOR/CLICOLOR_FORCE, which needs --allow-env
  const r = await cli(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.out, /\nCommands:\n {2}run \[options\] <machine> /);
  for (const c of ["report", "cat", "watch"]) assert.match(r.out, new RegExp(`\\n {2}${c} `));
});

Deno.test("main cat reads tracefs: trace with --events, set_event, available_events", async () => {
  const t = await cli([
    "cat",
    M,
    "/sys/kernel/tracing/trace",
    "--at",
    "1010us",
    "--events",
    "irq:*",
  ]);
  assert.equal(t.code, 0);
  const lines = t.out.split("\n");
  assert.equal(lines[0], "# tracer: nop");
  const events = lines.filter((l) => l && !l.startsWith("#"));
  assert.ok(events.length > 0 && events.every((l) => / (irq_handler|softirq)_\w+: /.test(l)));
  assert.ok(events.includes(
    "          <idle>-0       [000] d.h1.     0.001001: irq_handler_entry: irq=5 name=observe_src",
  ));
  const se = await cli([
    "cat",
    M,
    "/sys/kernel/debug/tracing/set_event",
    "--at",
    "0",
    "--events",
    "irq:*,!irq:softirq_raise",
  ]);
  // the list follows the order events were declared (module load order); compare as a set
  assert.deepEqual(
    se.out.split("\n").filter((l) => l).sort(),
    ["irq:irq_handler_entry", "irq:irq_handler_exit", "irq:softirq_entry", "irq:softirq_exit"],
  );
  const av = await cli(["cat", M, "/sys/kernel/tracing/available_events", "--at", "0"]);
  for (const e of ["irq:softirq_raise", "sched:sched_switch", "irq_vectors:local_timer_entry"]) {
    assert.ok(av.out.split("\n").includes(e), e);
  }
  const bad = await cli(["cat", M, "/sys/kernel/tracing/trace", "--events", "nope:*"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^error at --events: no trace event matches "nope:\*"/);
});
