/**
 * Workqueue experiments end to end: the per-CPU scenario on a 4-CPU PC
 * (tests/fixtures/pc_smp4.yaml; scenarios/wq_*.yaml run on pc.yaml through
 * tests/scenarios_test.ts), the kworkers a machine boots with, and
 * determinism of a run with workqueue tracing.
 */
import assert from "node:assert/strict";
import { runScenario } from "../runner/mod.ts";

Deno.test("wq_percpu on the 4-CPU PC: queue_work_on(2) runs in kworker/2:0, max_active 1 is per CPU", async () => {
  const r = await runScenario("tests/fixtures/pc_smp4.yaml", {
    scenario: "tests/fixtures/wq_percpu.yaml",
  });
  assert.deepEqual(r.failures, []);
  assert.equal(r.exitCode, 0);
  // two per-CPU pools per CPU, then the unbound pool 8: kworker/u8:0
  const kw = r.kernel.sched.tasks.map((t) => t.comm).filter((c) => c.startsWith("kworker/u"));
  assert.equal(kw[0], "kworker/u8:0");
});

Deno.test("a workqueue scenario traced twice with the same seed gives byte-identical output", async () => {
  const run = async () => {
    const r = await runScenario("machines/pc.yaml", {
      scenario: "scenarios/wq_unbound_parallel.yaml",
      trace: true,
      events: "workqueue:*",
    });
    return { trace: r.kernel.trace.format(r.kernel.cpus.length), dmesg: r.dmesg };
  };
  const a = await run();
  const b = await run();
  assert.ok(a.trace.includes("workqueue_execute_start"));
  assert.equal(a.trace, b.trace);
  assert.equal(a.dmesg, b.dmesg);
});
