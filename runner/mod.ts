/**
 * Runs a scenario on a machine: builds the machine from its file, loads the
 * scenario's kernel modules (insmod), applies the stimuli through the
 * machine's roles, runs for the scenario's duration, unloads the modules
 * (rmmod) and checks the expectations. Used by the CLI and the tests.
 *
 * @example
 * ```ts
 * const r = await runScenario("machines/pc.yaml");
 * console.log(r.dmesg, r.interrupts);
 * ```
 * @module
 */

import { ConfigError, ConfigErrors } from "../core/errors.ts";
import type { Kernel } from "../core/kernel.ts";
import { setTaskStack } from "../linux/dump_stack.ts";
import { formatDmesgTime } from "../core/printk.ts";
import { buildMachine, didYouMean, fileUrl, type PluginRegistry } from "../config/loader.ts";
import { loadMachineSpec, type MachineSpec } from "../config/machine.ts";
import { importModule, type KernelModule } from "../linux/module.ts";
import { loadScenarioSpec, type ScenarioSpec } from "../config/scenario.ts";
import type { YamlSource } from "../config/source.ts";
import { builtinPlugins } from "../plugins/mod.ts";
import { strerror } from "./errno.ts";
import {
  type JobResult,
  type ShellJob,
  startShell,
  UserArchKey,
  type UserMain,
} from "../plugins/signal/mod.ts";
import { machinePluginNames } from "./catalog.ts";
import { readView } from "./views.ts";

/** Options of a run. */
export interface RunOptions {
  /** Scenario file (default: the machine file's `scenario:`). */
  scenario?: string;
  /** PRNG seed (default: the machine file's, else 1). */
  seed?: number;
  /** Continue after a kernel BUG. */
  keepGoing?: boolean;
  /** Record trace events. */
  trace?: boolean;
  /** `set_event`-style filter (`irq:*,sched:*`). */
  events?: string;
  /** Override the scenario's duration. */
  durationMs?: number;
  /** Plugin registry (default: the built-in plugins). */
  registry?: PluginRegistry;
  /** Unload the modules at the end (default: the scenario's `unload`). */
  unload?: boolean;
  /** Called once the machine is built, before anything runs (attach trace sinks here). */
  onStart?: (k: Kernel) => void;
  /**
   * Run the scenario's duration in steps of this many ns, calling `onStep`
   * after each (progress, `watch`). The result is the same as one run.
   */
  stepNs?: number;
  /** Called after each step with the simulated time reached and the end. */
  onStep?: (k: Kernel, nowNs: number, endNs: number) => void | Promise<void>;
}

/** What a run produced. */
export interface RunResult {
  /** The machine file, parsed. */
  machine: MachineSpec;
  /** The scenario file, parsed. */
  scenario: ScenarioSpec;
  /** The kernel after the run. */
  kernel: Kernel;
  /** Shell transcript lines (insmod/rmmod results). */
  shell: string[];
  /** /proc/interrupts while the modules were loaded (before rmmod). */
  interrupts: string;
  /** dmesg at the end. */
  dmesg: string;
  /** Failed expectations, in words. */
  failures: string[];
  /** How each user program ended, in order. */
  programs: JobResult[];
  /** 0 ok, 1 kernel BUG or failed expectation. */
  exitCode: number;
}

/** Read and parse a machine file; ConfigError for a missing file. */
async function readText(file: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (e) {
    throw new ConfigError({
      location: undefined,
      message: `cannot read ${what} file "${file}": ${
        e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message
      }`,
      hint: what === "machine"
        ? "machine files live in machines/ (pc.yaml, x86.yaml, rpi.yaml)"
        : undefined,
    });
  }
}

/** Build a machine from its file (no scenario). */
export async function loadMachine(
  file: string,
  opts: { seed?: number; registry?: PluginRegistry; traceCapacity?: number } = {},
): Promise<{ kernel: Kernel; spec: MachineSpec; source: YamlSource }> {
  const text = await readText(file, "machine");
  const { spec, source } = loadMachineSpec(text, file);
  const built = await buildMachine(spec, source, opts.registry ?? builtinPlugins, {
    seed: opts.seed,
    traceCapacity: opts.traceCapacity,
  });
  return { kernel: built.kernel, spec, source };
}

function resolveRelative(base: string, rel: string): string {
  if (rel.startsWith("/")) return rel;
  const dir = base.includes("/") ? base.slice(0, base.lastIndexOf("/") + 1) : "";
  const parts = (dir + rel).split("/");
  const out: string[] = [];
  for (const p of parts) {
    if (p === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else out.push(p);
    } else if (p !== ".") out.push(p);
  }
  return out.join("/");
}

/** Run a scenario on a machine. */
export async function runScenario(machineFile: string, opts: RunOptions = {}): Promise<RunResult> {
  const mtext = await readText(machineFile, "machine");
  const { spec: mspec, source: msource } = loadMachineSpec(mtext, machineFile);
  const scenarioFile = opts.scenario ??
    (mspec.scenario ? resolveRelative(machineFile, mspec.scenario) : undefined);
  if (!scenarioFile) {
    throw new ConfigError({
      location: msource.locate([]),
      message: "no scenario given and the machine file names none",
      hint: "pass --scenario FILE or add scenario: to the machine file",
    });
  }
  const stext = await readText(scenarioFile, "scenario");
  const { spec: sspec, source: ssource } = loadScenarioSpec(stext, scenarioFile);
  const built = await buildMachine(mspec, msource, opts.registry ?? builtinPlugins, {
    seed: opts.seed,
  });
  const k = built.kernel;
  k.keepGoing = opts.keepGoing ?? false;
  if (opts.trace) {
    k.trace.enabled = true;
    k.trace.setFilter(opts.events);
  }

  const errors: ConfigError[] = [];
  // The scenario's needs: its architectures and the roles its modules use.
  if (sspec.arch && !sspec.arch.includes(mspec.arch)) {
    errors.push(
      new ConfigError({
        location: ssource.locate(["arch"]),
        path: "arch",
        message: `scenario "${sspec.name}" runs on ${
          sspec.arch.join(", ")
        } only; machine "${mspec.name}" is ${mspec.arch}`,
        expected: `a machine of arch ${sspec.arch.join(" or ")}`,
        hint: "pick another machine file, or a scenario written for this architecture",
      }),
    );
  }
  if (sspec.machines && !sspec.machines.includes(mspec.name)) {
    errors.push(
      new ConfigError({
        location: ssource.locate(["machines"]),
        path: "machines",
        message: `scenario "${sspec.name}" is written for ${
          sspec.machines.join(", ")
        }; machine "${mspec.name}" is not one of them`,
        expected: `machine ${sspec.machines.join(" or ")}`,
        hint: "its expectations pin what only those machines give; pick one of them",
      }),
    );
  }
  (sspec.roles ?? []).forEach((role, i) => {
    if (k.roleDevice(role)) return;
    const roles = [...k.roles.keys()].sort();
    errors.push(
      new ConfigError({
        location: ssource.locate(["roles", i]),
        path: `roles[${i}]`,
        message: `machine "${mspec.name}" binds no device to role "${role}", which the modules use`,
        expected: `one of: ${roles.join(", ")}`,
        hint: didYouMean(role, roles, `add ${role}: <device> under roles: in ${machineFile}`),
      }),
    );
  });

  // the CPUs the modules name (queue_work_on(2, ...))
  if (sspec.min_cpus !== undefined && k.cpus.length < sspec.min_cpus) {
    errors.push(
      new ConfigError({
        location: ssource.locate(["min_cpus"]),
        path: "min_cpus",
        message: `scenario "${sspec.name}" needs ${sspec.min_cpus} CPUs; machine "${mspec.name}" ` +
          `has ${k.cpus.length}`,
        expected: `a machine with at least ${sspec.min_cpus} CPUs`,
        hint: "pick a machine with more CPUs (rpi.yaml has 4)",
      }),
    );
  }
  // the plugins whose API the modules call
  const machinePlugins = machinePluginNames(mspec);
  (sspec.plugins ?? []).forEach((name, i) => {
    if (machinePlugins.includes(name)) return;
    errors.push(
      new ConfigError({
        location: ssource.locate(["plugins", i]),
        path: `plugins[${i}]`,
        message: `machine "${mspec.name}" does not load the ${name} plugin, which the modules use`,
        expected: `one of the loaded plugins: ${machinePlugins.join(", ")}`,
        hint: `add ${name} under plugins: in ${machineFile}`,
      }),
    );
  });

  // Stimuli: resolve roles and check arguments before anything runs.
  const stimuli: (() => void)[] = [];
  // a write stimulus runs as root in a shell at at_ms: `echo DATA | sudo tee PATH`
  const shell: string[] = [];
  sspec.stimuli.forEach((s, i) => {
    if (s.write) {
      const { path } = s.write, data = String(s.write.data);
      const at = Math.round(s.at_ms * 1e6);
      stimuli.push(() =>
        k.clock.schedule(at, () => {
          shell.push(`$ echo ${data} | sudo tee ${path}`);
          const r = k.enter(() => k.procfs.write(path, data + "\n"));
          shell.push(r < 0 ? `tee: ${path}: ${strerror(r)}` : data);
        })
      );
      return;
    }
    if (s.role === undefined || s.action === undefined) return; // refused by the schema
    const dev = k.roleDevice(s.role);
    if (!dev) {
      const roles = [...k.roles.keys()].sort();
      errors.push(
        new ConfigError({
          location: ssource.locate(["stimuli", i, "role"]),
          path: `stimuli[${i}].role`,
          message: `machine "${mspec.name}" binds no device to role "${s.role}"`,
          expected: `one of: ${roles.join(", ")}`,
          hint: didYouMean(s.role, roles, `add ${s.role}: <device> under roles: in ${machineFile}`),
        }),
      );
      return;
    }
    const kind = dev.stimuli?.[s.action];
    if (!kind) {
      const actions = Object.keys(dev.stimuli ?? {}).sort();
      errors.push(
        new ConfigError({
          location: ssource.locate(["stimuli", i, "action"]),
          path: `stimuli[${i}].action`,
          message: `device "${dev.name}" (${dev.kind}, role ${s.role}) has no action "${s.action}"`,
          expected: actions.length
            ? `one of: ${actions.join(", ")}`
            : "this device takes no stimuli",
          hint: didYouMean(s.action, actions, "see the device's documentation in README"),
        }),
      );
      return;
    }
    try {
      const args = ssource.validate(kind.args, s.args ?? {}, ["stimuli", i, "args"]);
      const at = Math.round(s.at_ms * 1e6);
      stimuli.push(() => kind.apply(args, at));
    } catch (e) {
      if (e instanceof ConfigErrors) errors.push(...e.errors);
      else if (e instanceof ConfigError) errors.push(e);
      else throw e;
    }
  });
  // Modules
  const modules: KernelModule[] = [];
  for (let i = 0; i < sspec.modules.length; i++) {
    const ref = sspec.modules[i];
    const path = typeof ref === "string" ? ref : ref.path;
    const params = typeof ref === "string" ? {} : (ref.params ?? {});
    const file = resolveRelative(scenarioFile, path);
    try {
      modules.push(await importModule(fileUrl(file), params));
    } catch (e) {
      errors.push(
        new ConfigError({
          location: ssource.locate(["modules", i]),
          path: `modules[${i}]`,
          message: `cannot load module "${path}": ${(e as Error).message.split("\n")[0]}`,
          hint: "a module is a TypeScript file calling module_init()/module_exit()",
        }),
      );
    }
  }
  // User programs: the arch must provide user mode; each file exports main.
  const jobs: ShellJob[] = [];
  for (let i = 0; i < sspec.programs.length; i++) {
    const ps = sspec.programs[i];
    if (!k.bus.tryGet(UserArchKey)) {
      errors.push(
        new ConfigError({
          location: ssource.locate(["programs", i]),
          path: `programs[${i}]`,
          message: `machine "${mspec.name}" cannot run user programs: no plugin provides user mode`,
          hint: "load the x86 plugin (machines/pc.yaml does)",
        }),
      );
      break;
    }
    const file = resolveRelative(scenarioFile, ps.path);
    try {
      try {
        await Deno.stat(file);
      } catch {
        throw new Error(`no such file ${file}`);
      }
      const mod = await import(fileUrl(file));
      const main = mod.default;
      if (typeof main !== "function" || main.constructor?.name !== "GeneratorFunction") {
        throw new Error("its default export is not a generator function main()");
      }
      jobs.push({
        file: file.split("/").pop()!.replace(/\.[tj]s$/, ""),
        main: main as UserMain,
        atNs: Math.round(ps.at_ms * 1e6),
        traced: ps.traced,
        root: ps.root,
        coreDump: ps.core_dump,
        aslr: ps.aslr,
        continueAfterNs: Math.round(ps.continue_after_ms * 1e6),
        repeat: ps.repeat,
      });
    } catch (e) {
      errors.push(
        new ConfigError({
          location: ssource.locate(["programs", i, "path"]),
          path: `programs[${i}].path`,
          message: `cannot load program "${ps.path}": ${(e as Error).message.split("\n")[0]}`,
          hint: "a program is a TypeScript file: export default function* main() { ... }",
        }),
      );
    }
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new ConfigErrors(errors);
  for (const s of stimuli) s();
  const programs: JobResult[] = [];
  opts.onStart?.(k);

  const loaded: KernelModule[] = [];
  let initName = "";
  // insmod: one user task loads every module in order, at boot end (t = 0)
  const insmod = k.sched.create({
    comm: "insmod",
    kthread: false,
    body: (function* () {
      for (const m of modules) {
        shell.push(`$ sudo insmod ${m.name}.ko`);
        let r = 0;
        if (m.init) {
          initName = m.init.name;
          const v = m.init();
          r = typeof v === "number" ? v : ((yield* v) ?? 0);
        }
        if (r !== 0) {
          shell.push(`insmod: ERROR: could not insert module ${m.name}.ko: ${strerror(r)}`);
        } else loaded.push(m);
      }
      // then the user programs, from a shell
      if (jobs.length) startShell(k, jobs, (line) => shell.push(line), programs);
      return 0;
    })(),
  });
  // dump_stack() in a module's init: finit_module(2) -> do_init_module (kernel/module/main.c)
  setTaskStack(insmod, () => [
    "entry_SYSCALL_64_after_hwframe",
    "do_syscall_64",
    "__do_sys_finit_module",
    "load_module",
    "do_init_module",
    "do_one_initcall",
    ...(initName ? [initName] : []),
  ]);
  for (const cpu of k.cpus) cpu.start();
  const end = Math.round((opts.durationMs ?? sspec.duration_ms) * 1e6);
  if (opts.stepNs && opts.stepNs > 0) {
    for (let t = Math.min(end, opts.stepNs);; t = Math.min(end, t + opts.stepNs)) {
      k.runUntil(t);
      await opts.onStep?.(k, t, end);
      if (t >= end || k.halted) break;
    }
  } else k.runUntil(end);
  const gi = k.procfs.read("/proc/interrupts") ?? "";
  // the views an expectation names, read before rmmod as /proc/interrupts is
  const views = new Map<string, string | undefined>();
  for (const v of sspec.expect?.views ?? []) {
    if (!views.has(v.view)) views.set(v.view, readView({ kernel: k, spec: mspec }, v.view));
  }
  if ((opts.unload ?? sspec.unload) && !k.halted) {
    k.sched.create({
      comm: "rmmod",
      kthread: false,
      body: (function* () {
        for (const m of [...loaded].reverse()) {
          shell.push(`$ sudo rmmod ${m.name}`);
          if (m.exit) {
            const v = m.exit();
            if (v && typeof v === "object") yield* v;
          }
        }
        return 0;
      })(),
    });
    k.runUntil(end + 100_000_000);
  }
  const dmesg = k.log.dmesg();
  const failures = checkExpectations(
    sspec,
    k,
    gi,
    opts.keepGoing ? 0 : k.halted ? 1 : 0,
    shell,
    views,
  );
  let exitCode = k.halted ? 1 : 0;
  if (failures.length) exitCode = 1;
  return {
    machine: mspec,
    scenario: sspec,
    kernel: k,
    shell,
    interrupts: gi,
    dmesg,
    failures,
    exitCode,
    programs,
  };
}

/** Check a scenario's `expect:` block against a finished run. */
export function checkExpectations(
  s: ScenarioSpec,
  k: Kernel,
  interrupts: string,
  exit: number,
  shell: readonly string[] = [],
  views: ReadonlyMap<string, string | undefined> = new Map(),
): string[] {
  const out: string[] = [];
  const e = s.expect;
  if (!e) return out;
  if (e.exit_code !== undefined && e.exit_code !== exit) {
    out.push(`exit code ${exit}, expected ${e.exit_code}`);
  }
  // Each line as dmesg prints it, "[    0.101008] text": an expectation may
  // pin the time too (when a late interrupt was finally handled).
  const lines = k.log.records.map((r) => `${formatDmesgTime(r.ts)} ${r.text}`);
  let at = 0;
  for (const want of e.dmesg ?? []) {
    const i = lines.findIndex((l, j) => j >= at && l.includes(want));
    if (i < 0) out.push(`dmesg has no line containing "${want}" (in order)`);
    else at = i + 1;
  }
  let sat = 0;
  for (const want of e.shell ?? []) {
    const i = shell.findIndex((l, j) => j >= sat && l.includes(want));
    if (i < 0) out.push(`shell transcript has no line containing "${want}" (in order)`);
    else sat = i + 1;
  }
  for (const v of e.views ?? []) {
    const text = views.has(v.view) ? views.get(v.view) : readView({ kernel: k }, v.view);
    if (text === undefined) {
      out.push(`view "${v.view}" does not exist on this machine`);
      continue;
    }
    const vlines = text.split("\n");
    let vat = 0;
    for (const want of v.lines) {
      const i = vlines.findIndex((l, j) => j >= vat && l.includes(want));
      if (i < 0) out.push(`view "${v.view}" has no line containing "${want}" (in order)`);
      else vat = i + 1;
    }
  }
  for (const bad of e.dmesg_absent ?? []) {
    const l = lines.find((x) => x.includes(bad));
    if (l) out.push(`dmesg has "${bad}": ${l}`);
  }
  const rows = new Map<number, string>();
  for (const line of interrupts.split("\n")) {
    const m = /^\s*(\d+):/.exec(line);
    if (m) rows.set(Number(m[1]), line);
  }
  for (const want of e.interrupts ?? []) {
    const row = rows.get(want.irq);
    if (!row) {
      out.push(`/proc/interrupts has no row for IRQ ${want.irq}`);
      continue;
    }
    const nums = row.slice(row.indexOf(":") + 1).trim().split(/\s+/);
    const total = nums.slice(0, k.cpus.length).reduce((a, b) => a + Number(b), 0);
    if (want.total !== undefined && total !== want.total) {
      out.push(`IRQ ${want.irq}: ${total} interrupts, expected ${want.total}`);
    }
    if (want.actions !== undefined && !row.endsWith(`  ${want.actions}`)) {
      out.push(`IRQ ${want.irq}: actions "${row.trim()}", expected "${want.actions}"`);
    }
  }
  if (e.softirqs?.length) {
    const text = k.procfs.read("/proc/softirqs");
    const counts = new Map<string, number>();
    for (const line of (text ?? "").split("\n").slice(1)) {
      const m = /^\s*([^\s:]+):(.*)$/.exec(line);
      if (m) counts.set(m[1], m[2].trim().split(/\s+/).reduce((a, b) => a + Number(b), 0));
    }
    for (const want of e.softirqs) {
      const total = counts.get(want.name);
      if (text === undefined) out.push("/proc/softirqs does not exist (load the softirq plugin)");
      else if (total === undefined) out.push(`/proc/softirqs has no row ${want.name}`);
      else if (want.total !== undefined && total !== want.total) {
        out.push(`softirq ${want.name}: ${total} executions, expected ${want.total}`);
      } else if (want.min !== undefined && total < want.min) {
        out.push(`softirq ${want.name}: ${total} executions, expected at least ${want.min}`);
      }
      if (text === undefined) break;
    }
  }
  return out;
}
