/**
 * The bottom-half scenarios of scenarios/ run on pc.yaml with their
 * `expect:` blocks checked, plus the facts each one stands for, read back
 * from the run. Expected values are worked out in each scenario's
 * description (kernel/softirq.c rules: softirqs run at irq_exit, at most 10
 * __do_softirq passes, tasklet run-once and requeue-while-disabled).
 */
import assert from "node:assert/strict";
import { loadScenarioSpec } from "../config/scenario.ts";
import { ConfigError, ConfigErrors } from "../core/errors.ts";
import { runScenario } from "../runner/mod.ts";

async function run(name: string) {
  const r = await runScenario("machines/pc.yaml", { scenario: `scenarios/${name}.yaml` });
  assert.deepEqual(r.failures, [], `${name}: expectations hold`);
  assert.equal(r.exitCode, 0);
  return r;
}

function softirqRows(text: string): string[] {
  return text.split("\n").slice(1).filter((l) => l).map((l) => l.split(":")[0].trim());
}

Deno.test("scenario my_softirq: MY sits between HRTIMER and RCU in /proc/softirqs with 4 runs", async () => {
  const r = await run("my_softirq");
  const text = r.kernel.procfs.read("/proc/softirqs")!;
  assert.deepEqual(softirqRows(text), [
    "HI",
    "TIMER",
    "NET_TX",
    "NET_RX",
    "BLOCK",
    "IRQ_POLL",
    "TASKLET",
    "SCHED",
    "HRTIMER",
    "MY",
    "RCU",
  ]);
  assert.match(text, /\n {10}MY: {10}4\n/);
});

Deno.test("scenario softirq_storm: 10 runs at irq_exit, the other 15 in ksoftirqd/0", async () => {
  const r = await run("softirq_storm");
  const lines = r.kernel.log.lines().filter((l) => l.includes("softirq_storm: run"));
  assert.equal(lines.length, 2, "the comm changes once: swapper/0 then ksoftirqd/0");
});

Deno.test("scenario tasklet_twice: one run", async () => {
  await run("tasklet_twice");
});

Deno.test("scenario tasklet_disabled: spins in ksoftirqd until enabled, then runs once", async () => {
  const r = await run("tasklet_disabled");
  const lines = r.kernel.log.lines();
  const enable = lines.findIndex((l) => l.includes("tasklet_enable"));
  const ran = lines.findIndex((l) => l.includes("ran in ksoftirqd/0"));
  assert.ok(enable >= 0 && ran === enable + 1, "runs right after tasklet_enable");
});

Deno.test("scenario tasklet_keyboard: the tasklet logs each key at the same interrupt", async () => {
  await run("tasklet_keyboard");
});

Deno.test("scenario contexts: hardirq, tasklet, softirq and thread answer as the kernel does", async () => {
  await run("contexts");
});

Deno.test("checkExpectations names each failed /proc/softirqs expectation", async () => {
  const r = await runScenario("machines/pc.yaml", {
    scenario: "tests/fixtures/wrong_softirqs.yaml",
  });
  assert.deepEqual(r.failures, [
    "softirq MY: 4 executions, expected 3",
    "softirq TASKLET: 0 executions, expected at least 1",
    "/proc/softirqs has no row NOPE",
  ]);
  assert.equal(r.exitCode, 1);
});

Deno.test("loadScenarioSpec refuses a softirqs expectation with neither total nor min", () => {
  const text = "name: s\nduration_ms: 1\nexpect:\n  softirqs:\n    - { name: MY }\n";
  assert.throws(
    () => loadScenarioSpec(text, "s.yaml"),
    (e: unknown) => {
      const msg = e instanceof ConfigErrors || e instanceof ConfigError ? e.message : String(e);
      assert.match(
        msg,
        /s\.yaml:5:\d+: error at expect\.softirqs\[0\]: nothing expected of softirq MY/,
      );
      return true;
    },
  );
});

Deno.test("scenario tasklet_disabled runs to the same dmesg and /proc/softirqs twice", async () => {
  const a = await run("tasklet_disabled");
  const b = await run("tasklet_disabled");
  assert.equal(a.dmesg, b.dmesg);
  assert.equal(a.kernel.procfs.read("/proc/softirqs"), b.kernel.procfs.read("/proc/softirqs"));
});

Deno.test("scenario softirq_heavy: MAX_SOFTIRQ_TIME ends irq_exit's part after 4 runs at HZ=250, the 10-pass limit at HZ=100", async () => {
  // pc, HZ=250: the keyboard interrupt at 0.501 s; end = jiffies + msecs_to_jiffies(2) = +1
  // jiffy; the tick at 0.504 s lands during run 4 (0.504-0.505), so after
  // run 4 time_before(jiffies, end) is false: wakeup_softirqd(), run 5 in ksoftirqd/0.
  const pc = await run("softirq_heavy");
  const pcRuns = pc.kernel.log.lines().filter((l) => l.includes("softirq_storm: run"));
  assert.deepEqual(pcRuns.map((l) => l.replace(/^\[[^\]]*\] /, "")), [
    "softirq_storm: run 1 in swapper/0",
    "softirq_storm: run 5 in ksoftirqd/0",
  ]);
  // Pi 3, HZ=100: a 10 ms jiffy; runs 1-10 (10 ms and the USB interrupts
  // nesting) reach the restart limit: run 11 is the first in ksoftirqd/0.
  const pi = await runScenario("machines/rpi.yaml", { scenario: "scenarios/softirq_heavy.yaml" });
  assert.deepEqual(pi.failures, []);
  const piRuns = pi.kernel.log.lines().filter((l) => l.includes("softirq_storm: run"));
  assert.deepEqual(piRuns.map((l) => l.replace(/^\[[^\]]*\] /, "")), [
    "softirq_storm: run 1 in swapper/0",
    "softirq_storm: run 11 in ksoftirqd/0",
  ]);
});

Deno.test("scenario tasklet_irq: 4 keyboard interrupts and 4 runs on pc, one per Start-of-Frame on a Pi", async () => {
  // pc: "hi" is two keys, make and break code each: 4 interrupts on IRQ 1
  const pc = await run("tasklet_irq");
  assert.ok(
    pc.kernel.log.lines().some((l) => l.endsWith("tasklet_irq: 4 interrupts, 4 tasklet runs")),
  );
  // Pi 3: dwc_otg's SOF every 125 µs for 1 s = 8000 interrupts on IRQ 66
  const pi = await runScenario("machines/rpi.yaml", { scenario: "scenarios/tasklet_irq.yaml" });
  assert.deepEqual(pi.failures, []);
  const lines = pi.kernel.log.lines();
  assert.ok(lines.some((l) => l.endsWith("the keyboard's interrupt is IRQ 66")));
  assert.ok(lines.some((l) => l.endsWith("tasklet_irq: 8000 interrupts, 8000 tasklet runs")));
});
