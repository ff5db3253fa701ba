/**
 * The catalogue of scenarios and machines in a checkout: which machine can
 * run which scenario (its arch, and a device for every role its stimuli and
 * modules use). Used by the lab book (`deno task lab`) and by the test that
 * runs every scenario on every machine that can run it.
 *
 * @module
 */
import { loadMachineSpec, type MachineSpec } from "../config/machine.ts";
import { loadScenarioSpec, type ScenarioSpec } from "../config/scenario.ts";

/** A parsed file of the catalogue. */
export interface Entry<T> {
  /** Path as given (`scenarios/keyboard_observer.yaml`). */
  file: string;
  /** Base name without `.yaml`. */
  id: string;
  spec: T;
}

async function load<T>(dir: string, parse: (text: string, file: string) => T): Promise<Entry<T>[]> {
  const out: Entry<T>[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".yaml")) continue;
    const file = `${dir}/${e.name}`;
    out.push({ file, id: e.name.slice(0, -5), spec: parse(await Deno.readTextFile(file), file) });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** Every scenario under `dir` (parsed and validated). */
export function scenarios(dir = "scenarios"): Promise<Entry<ScenarioSpec>[]> {
  return load(dir, (t, f) => loadScenarioSpec(t, f).spec);
}

/** Every machine file under `dir` (parsed and validated). */
export function machines(dir = "machines"): Promise<Entry<MachineSpec>[]> {
  return load(dir, (t, f) => loadMachineSpec(t, f).spec);
}

/** Names of the plugins a machine file loads (built-in names; `{ path }` entries by path). */
export function machinePluginNames(m: MachineSpec): string[] {
  return m.plugins.map((p) => typeof p === "string" ? p : "name" in p ? p.name : p.path);
}

/**
 * Why machine `m` cannot run scenario `s`, or undefined when it can: its
 * arch, the scenario's `machines:` list, and a device for every role.
 */
export function cannotRun(s: ScenarioSpec, m: MachineSpec): string | undefined {
  if (s.arch && !s.arch.includes(m.arch)) {
    return `it is ${m.arch}; the scenario needs ${s.arch.join(" or ")}`;
  }
  if (s.machines && !s.machines.includes(m.name)) {
    return `the scenario is written for ${s.machines.join(", ")} (its expectations pin times, ` +
      `counts or IRQ numbers of ${s.machines.length > 1 ? "those machines" : "that machine"})`;
  }
  const roles = new Set(Object.keys(m.roles ?? {}));
  const need = [...new Set([...s.stimuli.flatMap((x) => x.role ?? []), ...(s.roles ?? [])])];
  const missing = need.filter((r) => !roles.has(r));
  if (missing.length) return `it binds no ${missing.join(", ")} role`;
  const loaded = machinePluginNames(m);
  const absent = (s.plugins ?? []).filter((p) => !loaded.includes(p));
  if (absent.length) return `it loads no ${absent.join(", ")} plugin`;
  if (s.min_cpus !== undefined && m.cpus.count < s.min_cpus) {
    return `it has ${m.cpus.count} CPU${m.cpus.count > 1 ? "s" : ""}; the scenario needs ` +
      `${s.min_cpus}`;
  }
  return undefined;
}
