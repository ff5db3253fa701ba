/**
 * The loader: from a validated machine spec to a running kernel. Resolves
 * plugins (built-in by name, third-party by path), orders them
 * topologically by `requires` then file order, runs `setup`, creates the
 * CPUs and devices, connects the wires, binds roles and runs `start`.
 * Every fault is a located {@linkcode ConfigError}.
 *
 * @module
 */

import { ConfigError, ConfigErrors } from "../core/errors.ts";
import { Kernel } from "../core/kernel.ts";
import { connect, InputPin, OutputPin, type Pin, WireError } from "../core/line.ts";
import type { Device, DeviceKind, Plugin, PluginFactory } from "../core/plugin.ts";
import type { MachineSpec } from "./machine.ts";
import { parseWire } from "./machine.ts";
import type { YamlSource } from "./source.ts";

/** Built-in plugins by name. */
export type PluginRegistry = Readonly<Record<string, PluginFactory>>;

/** Options of a load. */
export interface LoadOptions {
  /** Seed of the run (overrides the machine file's). */
  seed?: number;
  /** Trace buffer capacity. */
  traceCapacity?: number;
}

/** A CPU as a device: pins `intr` (level) and `nmi` (rising edge). */
class CpuDevice implements Device {
  readonly kind = "cpu";
  readonly pins = new Map<string, Pin>();
  constructor(readonly name: string, k: Kernel, id: number) {
    const cpu = k.cpus[id];
    this.pins.set("intr", new InputPin(`${name}.intr`, (l) => cpu.setIntr(l), false, this));
    this.pins.set("nmi", new InputPin(`${name}.nmi`, (l) => l && cpu.raiseNmi(), false, this));
  }
}

/** Levenshtein distance, for did-you-mean hints. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return d[a.length][b.length];
}

/** A hint naming the closest candidate, if it is close. */
export function didYouMean(word: string, candidates: readonly string[], fallback: string): string {
  let best = "", bestD = Infinity;
  for (const c of candidates) {
    const dd = editDistance(word, c);
    if (dd < bestD) {
      bestD = dd;
      best = c;
    }
  }
  return bestD <= 2 ? `did you mean "${best}"?` : fallback;
}

function err(
  source: YamlSource,
  path: (string | number)[],
  message: string,
  expected?: string,
  hint?: string,
  at: "key" | "value" = "value",
): ConfigError {
  return new ConfigError({
    location: source.locate(path, at),
    path: formatPath(path),
    message,
    expected,
    hint,
  });
}

function formatPath(path: (string | number)[]): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : (s ? "." : "") + p;
  return s;
}

/** Resolve, order and instantiate the plugins of a machine. */
export async function resolvePlugins(
  spec: MachineSpec,
  source: YamlSource,
  registry: PluginRegistry,
): Promise<{ plugin: Plugin; index: number }[]> {
  const errors: ConfigError[] = [];
  const loaded: { plugin: Plugin; index: number }[] = [];
  for (let i = 0; i < spec.plugins.length; i++) {
    const ref = spec.plugins[i];
    const name = typeof ref === "string" ? ref : "name" in ref ? ref.name : undefined;
    const options = typeof ref === "string" ? {} : (ref.options ?? {});
    let factory: PluginFactory | undefined;
    if (name !== undefined) {
      factory = registry[name];
      if (!factory) {
        const known = Object.keys(registry).sort();
        errors.push(err(
          source,
          typeof ref === "string" ? ["plugins", i] : ["plugins", i, "name"],
          `unknown plugin "${name}"`,
          `one of: ${known.join(", ")}, or { path: ./my_plugin.ts }`,
          didYouMean(name, known, "a third-party plugin is loaded with { path: <file or URL> }"),
        ));
        continue;
      }
    } else {
      const path = (ref as { path: string }).path;
      const url = new URL(path, fileUrl(source.file)).href;
      try {
        const mod = await import(url);
        factory = (mod.default ?? Object.values(mod).find((v) => typeof v === "function")) as
          | PluginFactory
          | undefined;
        if (typeof factory !== "function") throw new Error("it exports no plugin factory");
      } catch (e) {
        errors.push(err(
          source,
          ["plugins", i, "path"],
          `cannot load plugin from "${path}": ${(e as Error).message.split("\n")[0]}`,
          "a module whose default export is a plugin factory",
          "see README, section 'Writing a plugin'",
        ));
        continue;
      }
    }
    try {
      loaded.push({ plugin: factory(options as Record<string, unknown>), index: i });
    } catch (e) {
      errors.push(err(source, ["plugins", i], `plugin failed to build: ${(e as Error).message}`));
    }
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new ConfigErrors(errors);
  return orderPlugins(loaded, source);
}

/** Topological order by `requires`, then file order; cycles and missing providers are errors. */
export function orderPlugins(
  loaded: { plugin: Plugin; index: number }[],
  source: YamlSource,
): { plugin: Plugin; index: number }[] {
  const byName = new Map(loaded.map((l) => [l.plugin.name, l]));
  for (const l of loaded) {
    for (const r of l.plugin.requires ?? []) {
      if (!byName.has(r)) {
        throw err(
          source,
          ["plugins", l.index],
          `plugin "${l.plugin.name}" requires "${r}", which is not loaded`,
          undefined,
          `add "${r}" to plugins:`,
        );
      }
    }
  }
  const out: { plugin: Plugin; index: number }[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (l: { plugin: Plugin; index: number }, stack: string[]) => {
    const s = state.get(l.plugin.name);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(l.plugin.name)), l.plugin.name];
      throw new ConfigError({
        location: source.locate(["plugins", byName.get(cycle[0])!.index]),
        path: "plugins",
        message: `plugins form a requires cycle: ${cycle.join(" -> ")}`,
        hint: "a plugin may only require plugins that do not require it back",
      });
    }
    state.set(l.plugin.name, "visiting");
    for (const r of l.plugin.requires ?? []) visit(byName.get(r)!, [...stack, l.plugin.name]);
    state.set(l.plugin.name, "done");
    out.push(l);
  };
  for (const l of loaded) visit(l, []);
  return out;
}

/** A machine built from a spec: the kernel plus what the loader resolved. */
export interface Built {
  kernel: Kernel;
  plugins: Plugin[];
  kinds: Map<string, DeviceKind<unknown>>;
}

/** Build and start a machine from a validated spec. */
export async function buildMachine(
  spec: MachineSpec,
  source: YamlSource,
  registry: PluginRegistry,
  opts: LoadOptions = {},
): Promise<Built> {
  const ordered = await resolvePlugins(spec, source, registry);
  const k = new Kernel(
    {
      version: spec.kernel.version,
      hz: spec.kernel.hz,
      threadirqs: spec.kernel.threadirqs,
      preempt: spec.kernel.preempt,
      arch: spec.arch,
      cmdline: spec.kernel.cmdline,
    },
    spec.costs,
    spec.cpus.count,
    opts.seed ?? spec.seed ?? 1,
    opts.traceCapacity,
  );
  const kinds = new Map<string, DeviceKind<unknown>>();
  for (const { plugin, index } of ordered) {
    try {
      plugin.setup({
        kernel: k,
        defineDevice(kind) {
          if (kinds.has(kind.kind)) {
            throw new Error(`device kind "${kind.kind}" is defined twice`);
          }
          kinds.set(kind.kind, kind as DeviceKind<unknown>);
        },
      });
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw err(
        source,
        ["plugins", index],
        `plugin "${plugin.name}" failed in setup: ${(e as Error).message}`,
      );
    }
  }
  // CPUs are devices cpu0..cpuN-1
  for (const cpu of k.cpus) k.devices.set(cpu.name, new CpuDevice(cpu.name, k, cpu.id));
  const errors: ConfigError[] = [];
  for (const [name, d] of Object.entries(spec.devices)) {
    const kind = kinds.get(d.kind);
    if (!kind) {
      const known = [...kinds.keys()].sort();
      errors.push(err(
        source,
        ["devices", name, "kind"],
        `unknown device kind "${d.kind}"`,
        `one of: ${known.join(", ")}`,
        didYouMean(
          d.kind,
          known,
          "device kinds come from plugins: is the plugin listed under plugins:?",
        ),
      ));
      continue;
    }
    let options: unknown;
    try {
      options = source.validate(kind.options, d.options ?? {}, ["devices", name, "options"]);
    } catch (e) {
      if (e instanceof ConfigErrors) errors.push(...e.errors);
      else if (e instanceof ConfigError) errors.push(e);
      else throw e;
      continue;
    }
    try {
      k.devices.set(name, kind.create(name, options, k));
    } catch (e) {
      errors.push(
        err(
          source,
          ["devices", name],
          `cannot create device: ${(e as Error).message}`,
          undefined,
          undefined,
          "key",
        ),
      );
    }
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new ConfigErrors(errors);
  spec.wires.forEach((w, i) => {
    const path = ["wires", i];
    const { from, to } = parseWire(w);
    const pin = (end: { device: string; pin: string }, dir: "from" | "to"): Pin | undefined => {
      const dev = k.devices.get(end.device);
      if (!dev) {
        const known = [...k.devices.keys()].sort();
        errors.push(err(
          source,
          path,
          `no device "${end.device}" for wire "${w}"`,
          `one of: ${known.join(", ")}`,
          didYouMean(end.device, known, "declare the device under devices:"),
        ));
        return undefined;
      }
      const p = dev.pins.get(end.pin);
      const want = dir === "from" ? OutputPin : InputPin;
      const fitting = [...dev.pins.entries()].filter(([, v]) => v instanceof want).map(([n]) => n);
      if (!p) {
        errors.push(err(
          source,
          path,
          `device "${end.device}" (${dev.kind}) has no pin "${end.pin}"`,
          `one of: ${fitting.join(", ")}`,
          didYouMean(end.pin, fitting, `a wire goes from an output pin to an input pin`),
        ));
        return undefined;
      }
      if (!(p instanceof want)) {
        errors.push(err(
          source,
          path,
          `pin "${end.device}.${end.pin}" is an ${
            dir === "from" ? "input" : "output"
          } and cannot be the ${dir === "from" ? "source" : "target"} of a wire`,
          `an ${dir === "from" ? "output" : "input"} pin of ${end.device}: ${fitting.join(", ")}`,
          "write wires as <output device>.<pin> -> <input device>.<pin>",
        ));
        return undefined;
      }
      return p;
    };
    const a = pin(from, "from"), b = pin(to, "to");
    if (!a || !b) return;
    try {
      connect(a as OutputPin, b as InputPin);
    } catch (e) {
      if (e instanceof WireError) errors.push(err(source, path, e.message));
      else throw e;
    }
  });
  for (const [role, dev] of Object.entries(spec.roles ?? {})) {
    if (!k.devices.has(dev)) {
      errors.push(
        err(
          source,
          ["roles", role],
          `role "${role}" names no device "${dev}"`,
          undefined,
          "roles map a role to a device declared under devices:",
        ),
      );
    } else k.roles.set(role, dev);
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new ConfigErrors(errors);
  for (const { plugin, index } of ordered) {
    try {
      plugin.start?.(k);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw err(
        source,
        ["plugins", index],
        `plugin "${plugin.name}" failed to start: ${(e as Error).message}`,
      );
    }
  }
  return { kernel: k, plugins: ordered.map((o) => o.plugin), kinds };
}

/** file path or URL -> URL string. */
export function fileUrl(file: string): string {
  if (/^[a-z]+:\/\//.test(file)) return file;
  const abs = file.startsWith("/") ? file : `${Deno.cwd()}/${file}`;
  return "file://" + abs.split("/").map(encodeURIComponent).join("/").replace(/%3A/g, ":");
}
