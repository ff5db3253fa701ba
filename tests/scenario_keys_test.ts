/**
 * Scenario keys added for the bottom-half lab book: write stimuli, min_cpus and expect.views.
 *
 * The write stimulus, `{ at_ms, write: { path, data } }`: a root shell runs
 * `echo DATA | sudo tee PATH` at at_ms; the transcript shows what tee
 * prints (the data, or its error with the errno the file's writer
 * returned). Bad entries are refused before the run with located errors.
 */
import assert from "node:assert/strict";
import { runScenario } from "../runner/mod.ts";

Deno.test("a write stimulus runs tee at its time; refusals show the kernel's errno", async () => {
  const r = await runScenario("machines/pc.yaml", {
    scenario: "tests/fixtures/write_stimulus.yaml",
  });
  assert.deepEqual(r.failures, []);
  assert.deepEqual(r.shell, [
    // XT-PIC has no irq_set_affinity: write_irq_affinity() answers -EIO
    // (kernel/irq/proc.c, !irq_can_set_affinity_usr())
    "$ echo 1 | sudo tee /proc/irq/1/smp_affinity",
    "tee: /proc/irq/1/smp_affinity: Input/output error",
    // no descriptor 99 on a PC (nr_irqs 16): no such file
    "$ echo 1 | sudo tee /proc/irq/99/smp_affinity",
    "tee: /proc/irq/99/smp_affinity: No such file or directory",
    // /proc/interrupts is 0444: the open fails
    "$ echo 0 | sudo tee /proc/interrupts",
    "tee: /proc/interrupts: Permission denied",
    "$ echo 0 | sudo tee /proc/irq/1/smp_affinity",
    "tee: /proc/irq/1/smp_affinity: Input/output error",
  ]);
});

Deno.test("a write stimulus changes sysfs: wq_unbound_cpumask takes 3, refuses an empty mask", async () => {
  const r = await runScenario("machines/rpi.yaml", {
    scenario: "tests/fixtures/write_stimulus_rpi.yaml",
  });
  assert.deepEqual(r.shell, [
    "$ echo 3 | sudo tee /sys/devices/virtual/workqueue/cpumask",
    "3",
    // workqueue_set_unbound_cpumask(): an empty mask after & cpu_possible_mask is -EINVAL
    "$ echo 0 | sudo tee /sys/devices/virtual/workqueue/cpumask",
    "tee: /sys/devices/virtual/workqueue/cpumask: Invalid argument",
  ]);
  // the accepted write is what the file reads back (4 CPUs: one hex digit)
  assert.equal(r.kernel.procfs.read("/sys/devices/virtual/workqueue/cpumask"), "3\n");
});

Deno.test("bad write stimuli are refused with located errors before the run", async () => {
  await assert.rejects(
    () => runScenario("machines/pc.yaml", { scenario: "tests/fixtures/write_stimulus_bad.yaml" }),
    (e: Error) => {
      assert.equal(
        e.message,
        "tests/fixtures/write_stimulus_bad.yaml:5:32: error at stimuli[0].write.path: " +
          'cannot write "/etc/passwd"\n' +
          "  expected: an absolute path under /proc/ or /sys/\n" +
          "  hint: e.g. /sys/devices/virtual/workqueue/<name>/cpumask\n" +
          "tests/fixtures/write_stimulus_bad.yaml:6:5: error at stimuli[1]: " +
          "a write stimulus takes no role, action or args\n" +
          "  expected: { at_ms, write: { path, data } } or { at_ms, role, action, args }\n" +
          "  hint: split it into two stimuli\n" +
          "tests/fixtures/write_stimulus_bad.yaml:7:5: error at stimuli[2]: " +
          "a stimulus needs a role and an action, or a write\n" +
          "  expected: { at_ms, role, action, args } or { at_ms, write: { path, data } }\n" +
          "  hint: add action: <action>",
      );
      return true;
    },
  );
});

Deno.test("min_cpus: the catalogue skips smaller machines, runScenario refuses them with a located error", async () => {
  const { cannotRun, machines, scenarios } = await import("../runner/catalog.ts");
  const ms = await machines();
  const s = (await scenarios()).find((x) => x.id === "wq_on_cpu")!.spec;
  const pc = ms.find((m) => m.id === "pc")!.spec;
  const rpi = ms.find((m) => m.id === "rpi")!.spec;
  assert.equal(cannotRun(s, pc), "it has 1 CPU; the scenario needs 3");
  assert.equal(cannotRun(s, rpi), undefined);
  await assert.rejects(
    () => runScenario("machines/pc.yaml", { scenario: "scenarios/wq_on_cpu.yaml" }),
    (e: Error) => {
      assert.match(
        e.message,
        /^scenarios\/wq_on_cpu\.yaml:\d+:11: error at min_cpus: scenario "wq_on_cpu" needs 3 CPUs; machine "pc" has 1\n {2}expected: a machine with at least 3 CPUs\n/,
      );
      return true;
    },
  );
});

Deno.test("expect views: lines in order in a view read before rmmod; a missing view is named", async () => {
  const r = await runScenario("machines/pc.yaml", { scenario: "tests/fixtures/wrong_views.yaml" });
  assert.deepEqual(r.failures, [
    'view "ps -eLo pid,cls,rtprio,ni,psr,comm" has no line containing "no_such_task" (in order)',
    'view "/proc/nope" does not exist on this machine',
  ]);
  assert.equal(r.exitCode, 1);
});
