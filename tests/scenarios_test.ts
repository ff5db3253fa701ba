/**
 * Every scenario in scenarios/ on every machine in machines/ that can run
 * it (its arch, and a device for every role its stimuli and modules use),
 * with its expectations checked. A scenario no machine can run is an error:
 * it would never be checked.
 */
import assert from "node:assert/strict";
import { loadMachineSpec } from "../config/machine.ts";
import { loadScenarioSpec, type ScenarioSpec } from "../config/scenario.ts";
import type { MachineSpec } from "../config/machine.ts";
import { runScenario } from "../runner/mod.ts";

async function specs<T>(
  dir: string,
  load: (text: string, file: string) => T,
): Promise<[string, T][]> {
  const out: [string, T][] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".yaml")) {
      const file = `${dir}/${e.name}`;
      out.push([file, load(await Deno.readTextFile(file), file)]);
    }
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

/** Why `m` cannot run `s`, or undefined when it can. */
function cannotRun(s: ScenarioSpec, m: MachineSpec): string | undefined {
  if (s.arch && !s.arch.includes(m.arch)) return `arch ${m.arch}`;
  const roles = new Set(Object.keys(m.roles ?? {}));
  const need = [...s.stimuli.map((x) => x.role), ...(s.roles ?? [])];
  const missing = need.filter((r) => !roles.has(r));
  return missing.length ? `no role ${missing.join(", ")}` : undefined;
}

const scenarios = await specs("scenarios", (t, f) => loadScenarioSpec(t, f).spec);
const machines = await specs("machines", (t, f) => loadMachineSpec(t, f).spec);

for (const [sfile, s] of scenarios) {
  const runnable = machines.filter(([, m]) => cannotRun(s, m) === undefined);
  Deno.test(`scenario ${s.name} runs on at least one machine`, () => {
    assert.ok(
      runnable.length > 0,
      `${sfile}: no machine can run it (${
        machines.map(([f, m]) => `${f}: ${cannotRun(s, m)}`).join("; ")
      })`,
    );
    assert.ok(s.expect, `${sfile}: has no expect: block, so nothing would be checked`);
  });
  for (const [mfile, m] of runnable) {
    Deno.test(`scenario ${s.name} on ${m.name} meets its expectations`, async () => {
      const r = await runScenario(mfile, { scenario: sfile });
      assert.deepEqual(r.failures, [], `${sfile} on ${mfile}:\n${r.failures.join("\n")}`);
      assert.equal(r.exitCode, s.expect?.exit_code ?? 0);
    });
  }
}
