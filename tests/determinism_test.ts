/**
 * Same machine + scenario + seed = byte-identical outputs (DESIGN principle 1).
 */
import assert from "node:assert/strict";
import { runScenario } from "../runner/mod.ts";

async function runOnce(seed: number) {
  const r = await runScenario("machines/pc.yaml", { seed, trace: true });
  return {
    trace: r.kernel.trace.format(r.kernel.cpus.length),
    dmesg: r.dmesg,
    interrupts: r.interrupts,
    events: r.kernel.clock.dispatched,
  };
}

Deno.test("runScenario gives byte-identical trace, dmesg and /proc/interrupts for the same seed", async () => {
  const a = await runOnce(7);
  const b = await runOnce(7);
  assert.ok(a.trace.split("\n").length > 50, "the trace records the run");
  assert.equal(a.trace, b.trace);
  assert.equal(a.dmesg, b.dmesg);
  assert.equal(a.interrupts, b.interrupts);
  assert.equal(a.events, b.events);
});
