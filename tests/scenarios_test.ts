/**
 * Every scenario in scenarios/ on every machine in machines/ that can run
 * it (its arch, and a device for every role its stimuli and modules use),
 * with its expectations checked. A scenario no machine can run is an error:
 * it would never be checked.
 */
import assert from "node:assert/strict";
import {
  cannotRun,
  machines as loadMachines,
  scenarios as loadScenarios,
} from "../runner/catalog.ts";
import { runScenario } from "../runner/mod.ts";

const scenarios = await loadScenarios();
const machines = await loadMachines();

for (const { file: sfile, spec: s } of scenarios) {
  const runnable = machines.filter((m) => cannotRun(s, m.spec) === undefined);
  Deno.test(`scenario ${s.name} runs on at least one machine`, () => {
    assert.ok(
      runnable.length > 0,
      `${sfile}: no machine can run it (${
        machines.map((m) => `${m.file}: ${cannotRun(s, m.spec)}`).join("; ")
      })`,
    );
    assert.ok(s.expect, `${sfile}: has no expect: block, so nothing would be checked`);
  });
  for (const { file: mfile, spec: m } of runnable) {
    Deno.test(`scenario ${s.name} on ${m.name} meets its expectations`, async () => {
      const r = await runScenario(mfile, { scenario: sfile });
      assert.deepEqual(r.failures, [], `${sfile} on ${mfile}:\n${r.failures.join("\n")}`);
      assert.equal(r.exitCode, s.expect?.exit_code ?? 0);
    });
  }
}
