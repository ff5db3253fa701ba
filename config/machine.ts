/**
 * The machine file: CPUs, kernel settings, cost model, plugins, devices, the
 * wiring between them and the roles scenarios refer to (DESIGN.md, "Machine
 * files and scenarios"). This module checks the file's shape and fills in
 * defaults; the loader then checks what needs the plugins (device kinds and
 * their options, pins named by wires, roles naming devices).
 *
 * ```yaml
 * # yaml-language-server: $schema=../schema/machine.schema.json
 * name: pc
 * arch: x86
 * cpus: { count: 1 }
 * plugins: [i8259, i8042]
 * devices:
 *   pic: { kind: i8259 }
 *   keyboard: { kind: i8042 }
 * wires:
 *   - keyboard.irq -> pic.ir1
 *   - pic.int -> cpu0.intr
 * roles: { keyboard: keyboard }
 * ```
 *
 * @module
 */
import { z } from "zod";
import type { Costs, KernelConfig } from "../core/kernel.ts";
import {
  configIssue,
  parseYamlSource,
  type PathSegment,
  type YamlSource,
  type YamlSourceOptions,
} from "./source.ts";

/** Where the published JSON Schema of machine files lives (named in hints). */
export const MACHINE_SCHEMA_REF = "schema/machine.schema.json";

/** Names of devices, pins and roles: a lowercase letter, then a-z, 0-9 or _. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

const CPU_NAME = /^cpu[0-9]+$/;

/**
 * Default costs of kernel paths, in ns: rough figures for an 800 MHz
 * single-core x86 (ISA port I/O is about 1 µs whatever the CPU speed).
 */
export const DEFAULT_COSTS: Costs = {
  irq_entry_ns: 1500,
  irq_exit_ns: 800,
  context_switch_ns: 3000,
  handler_ns: 1000,
  port_io_ns: 1000,
  mmio_ns: 150,
  printk_ns: 4000,
};

const nanoseconds = (key: keyof Costs, what: string) =>
  z.int().min(0).default(DEFAULT_COSTS[key]).describe(`${what}, in ns.`);

const costsSchema = z.object({
  irq_entry_ns: nanoseconds("irq_entry_ns", "Hardware and entry code until the flow handler runs"),
  irq_exit_ns: nanoseconds("irq_exit_ns", "irq_exit() and the return from interrupt"),
  context_switch_ns: nanoseconds("context_switch_ns", "One context switch"),
  handler_ns: nanoseconds("handler_ns", "A handler body that declares no cost of its own"),
  port_io_ns: nanoseconds("port_io_ns", "One port I/O access (ISA bus: about 1 µs)"),
  mmio_ns: nanoseconds("mmio_ns", "One MMIO access"),
  printk_ns: nanoseconds("printk_ns", "One printk() call"),
}).strict();

// The costs section has exactly the fields of Costs: adding one to the
// interface without a default here fails type checking.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _costsMatchInterface: Same<z.output<typeof costsSchema>, Costs> = true;

const optionsSchema = z.record(z.string(), z.unknown());

const kernelVersion = z.union([
  z.enum(["6.1", "6.6"]),
  // `version: 6.1` unquoted is a YAML number; take it and say it as a string.
  z.literal([6.1, 6.6]).transform((n) => (n === 6.1 ? "6.1" : "6.6") as "6.1" | "6.6"),
]);

const kernelSchema = z.object({
  // prefault, not default: zod leaves a transforming schema's default out of
  // the input-side JSON Schema, but shows a prefault (which is parsed too).
  version: kernelVersion.prefault("6.1").describe(
    'Kernel version whose behaviour is simulated: "6.1" or "6.6".',
  ),
  hz: z.literal([100, 250, 300, 1000]).default(250).describe(
    "CONFIG_HZ: timer ticks per second (jiffies).",
  ),
  threadirqs: z.boolean().default(false).describe(
    "Force-thread all handlers, as the threadirqs boot parameter does.",
  ),
  preempt: z.enum(["none", "voluntary", "full"]).default("voluntary").describe(
    "Preemption model: CONFIG_PREEMPT_NONE, _VOLUNTARY or full CONFIG_PREEMPT.",
  ),
  cmdline: z.array(z.string()).default([]).describe(
    "Extra boot parameters, e.g. noirqdebug or irqpoll.",
  ),
}).strict();

const pluginSchema = z.union([
  z.string().min(1).describe('A built-in plugin by name, e.g. "i8259".'),
  z.object({
    name: z.string().min(1).describe("Name of a built-in plugin."),
    options: optionsSchema.optional().describe("Options of the plugin (see its Options type)."),
  }).strict().describe("A built-in plugin with options."),
  z.object({
    path: z.string().min(1).describe(
      "A third-party plugin module: a path relative to this machine file, or a URL.",
    ),
    options: optionsSchema.optional().describe("Options of the plugin (see its Options type)."),
  }).strict().describe("A plugin loaded from a file or URL."),
]).describe("A plugin: a built-in name, { name, options } or { path, options }.");

const deviceNameSchema = z.string().regex(NAME_PATTERN).check((ctx) => {
  if (CPU_NAME.test(ctx.value)) {
    ctx.issues.push(configIssue(ctx.value, `device name "${ctx.value}" is reserved`, {
      expected: "a name other than cpu0, cpu1, ... (the core creates the CPUs)",
      hint: "rename the device; wire to the CPU as cpuN.<pin>",
      at: "key",
    }));
  }
});

const deviceSchema = z.object({
  kind: z.string().min(1).describe(
    "Device kind, provided by a plugin (e.g. i8259, i8042, bcm2835_ic).",
  ),
  options: optionsSchema.optional().describe(
    "Options of this device, checked against the device kind's own schema.",
  ),
  description: z.string().optional().describe("What this device is, for people."),
}).strict();

const ENDPOINT = /^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$/;
const WIRE_SHAPE = "<device>.<pin> -> <device>.<pin>";

/** One end of a wire: a pin of a device (`cpu0` for the CPUs). */
export interface WireEnd {
  device: string;
  pin: string;
}

/** A wire from an output pin to an input pin. */
export interface Wire {
  from: WireEnd;
  to: WireEnd;
}

/** What is wrong with a wire's text, or undefined if it is well formed. */
function wireFault(text: string): string | undefined {
  const ends = text.split("->");
  if (ends.length === 1) return 'join the two ends with "->"';
  if (ends.length > 2) return 'give one wire per entry, with one "->"';
  for (const raw of ends) {
    const end = raw.trim();
    if (end === "") return `give both ends as <device>.<pin>`;
    if (!end.includes(".")) return `"${end}" has no pin: write it as <device>.<pin>`;
    if (!ENDPOINT.test(end)) {
      return `"${end}" is not <device>.<pin>: names start with a lowercase letter and use only a-z, 0-9 and _`;
    }
  }
  return undefined;
}

/**
 * Split a wire's text into its two ends. Throws a TypeError for text that the
 * machine schema would have rejected.
 *
 * @example
 * ```ts
 * parseWire("pic.int -> cpu0.intr");
 * // { from: { device: "pic", pin: "int" }, to: { device: "cpu0", pin: "intr" } }
 * ```
 */
export function parseWire(text: string): Wire {
  const fault = wireFault(text);
  if (fault) throw new TypeError(`Cannot parse wire "${text}": ${fault}`);
  const [from, to] = text.split("->").map((end) => {
    const [, device, pin] = ENDPOINT.exec(end.trim())!;
    return { device, pin };
  });
  return { from, to };
}

const wireSchema = z.string().check((ctx) => {
  const fault = wireFault(ctx.value);
  if (fault) {
    ctx.issues.push(configIssue(ctx.value, `invalid wire "${ctx.value}"`, {
      expected: `"${WIRE_SHAPE}"`,
      hint: fault,
    }));
  }
}).meta({
  description: `A connection "${WIRE_SHAPE}", from an output pin to an input pin.`,
  // For editors only (zod ignores it): the check above gives the better message.
  pattern: "^\\s*[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*\\s*->\\s*[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*\\s*$",
});

/** The machine file's schema (zod); tools/schema.ts publishes it as JSON Schema. */
export const machineSchema = z.object({
  name: z.string().min(1).describe("Name of the machine, e.g. pc or rpi3."),
  description: z.string().optional().describe("What this machine is, for people."),
  arch: z.enum(["x86", "arm", "arm64"]).describe("CPU architecture."),
  cpus: z.object({
    count: z.int().min(1).max(256).describe("Number of CPUs (cpu0 ... cpuN-1)."),
    model: z.string().optional().describe("CPU model name, shown in /proc/cpuinfo."),
    mhz: z.number().positive().optional().describe("Clock frequency in MHz."),
  }).strict().describe("The CPUs."),
  kernel: kernelSchema.prefault({}).describe("Kernel build and boot settings."),
  costs: costsSchema.prefault({}).describe("Costs of kernel paths, in ns."),
  plugins: z.array(pluginSchema).describe(
    "Plugins to load, in order: a name, { name, options } or { path, options }.",
  ),
  devices: z.record(deviceNameSchema, deviceSchema).describe(
    "Devices by name; cpu0 ... cpuN-1 are created by the core.",
  ),
  wires: z.array(wireSchema).default([]).describe(
    `Wires between pins, each "${WIRE_SHAPE}"; a cascade is a wire like any other.`,
  ),
  roles: z.record(z.string().regex(NAME_PATTERN), z.string().regex(NAME_PATTERN)).default({})
    .describe(
      "Role name (timer, keyboard, button, nic, serial, ...) -> device name, for scenarios.",
    ),
  scenario: z.string().optional().describe(
    "Default scenario file, relative to this machine file.",
  ),
  seed: z.int().min(0).optional().describe("Seed of the simulation's random numbers."),
}).strict().meta({
  title: "irqlab machine file",
  description: "CPUs, kernel settings, plugins, devices, wires and roles of a simulated machine.",
});

/**
 * A machine file after validation, with defaults applied. Its shape is
 * schema/machine.schema.json; the type is zod's output type of the schema,
 * hidden from the generated docs because zod's types are not part of this
 * package's API.
 * @ignore
 */
export type MachineSpec = z.output<typeof machineSchema>;
/** One entry of `plugins`. */
export type PluginRef = z.output<typeof pluginSchema>;
/** One entry of `devices`. */
export type DeviceSpec = z.output<typeof deviceSchema>;

/**
 * Parse and check a machine file. Throws a located ConfigError (or
 * ConfigErrors) for a syntax error or any schema fault.
 *
 * @example
 * ```ts
 * const { spec, source } = loadMachineSpec(await Deno.readTextFile(path), path);
 * spec.kernel.hz; // 250 unless the file says otherwise
 * source.locate(["devices", "pic", "kind"]); // for the loader's own errors
 * ```
 */
export function loadMachineSpec(
  text: string,
  file: string,
): { spec: MachineSpec; source: YamlSource } {
  const source = parseYamlSource(text, file, { schemaRef: MACHINE_SCHEMA_REF });
  const spec = source.validate(machineSchema, source.value, []);
  return { spec, source };
}

/**
 * Check a value at `path` of a machine file against another schema (a
 * device kind's or plugin's options), with errors located in that file. By
 * default an unknown key's hint names no schema file; pass `schemaRef` to
 * name one.
 *
 * @example
 * ```ts
 * const opts = validateAt(source, i8259Options, spec.devices.pic.options ?? {}, [
 *   "devices", "pic", "options",
 * ]);
 * ```
 */
export function validateAt<T>(
  source: YamlSource,
  schema: z.ZodType<T>,
  value: unknown,
  path: readonly PathSegment[],
  options: YamlSourceOptions = {},
): T {
  return source.validate(schema, value, path, options);
}

/** The kernel settings of a machine, as the Kernel takes them. */
export function kernelConfigOf(spec: MachineSpec): KernelConfig {
  return { ...spec.kernel, arch: spec.arch };
}
