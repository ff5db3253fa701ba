/**
 * Machine and scenario files: every fault is reported with file:line:col, the
 * key path, what was expected and a hint. The expected messages are written
 * out by hand from the format in core/source.ts, not produced by the code.
 *
 * @module
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { ConfigError, ConfigErrors } from "../core/errors.ts";
import {
  DEFAULT_COSTS,
  loadMachineSpec,
  machineSchema,
  parseWire,
  validateAt,
} from "../config/machine.ts";
import { loadScenarioSpec, scenarioSchema } from "../config/scenario.ts";
import { formatPath, parseYamlSource, toJsonSchema } from "../config/source.ts";
import { schemaText } from "../tools/schema.ts";

/** The text of the ConfigError that `load` throws. */
function failure(load: () => unknown): ConfigError {
  try {
    load();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    return e;
  }
  assert.fail("expected a ConfigError, but the file loaded");
}

function machineError(text: string): string {
  return failure(() => loadMachineSpec(text, "pc.yaml")).message;
}

const MACHINE_KEYS =
  "name, description, arch, cpus, kernel, costs, plugins, devices, wires, roles, scenario, seed";

Deno.test("loadMachineSpec reports an unknown top-level key with its line and column", () => {
  const text = `name: pc
arch: x86
cpus: { count: 1 }
plugins: []
devices: {}
colour: beige
`;
  assert.equal(
    machineError(text),
    `pc.yaml:6:1: error at colour: unknown key "colour"
  expected: one of: ${MACHINE_KEYS}
  hint: check the spelling; the schema is in schema/machine.schema.json`,
  );
});

Deno.test("loadMachineSpec suggests the nearest key for a misspelt top-level key", () => {
  const text = `name: pc
arch: x86
cpus: { count: 1 }
plugins: []
devices: {}
kernal:
  hz: 100
`;
  assert.equal(
    machineError(text),
    `pc.yaml:6:1: error at kernal: unknown key "kernal"
  expected: one of: ${MACHINE_KEYS}
  hint: did you mean "kernel"?`,
  );
});

Deno.test("loadMachineSpec reports a misspelt nested key at the key, without a missing-key error", () => {
  const text = `name: pc
arch: x86
cpus: { count: 1 }
plugins: [i8259]
devices:
  pic:
    kind: i8259
    optoins: { io_base: 0x20 }
`;
  assert.equal(
    machineError(text),
    `pc.yaml:8:5: error at devices.pic.optoins: unknown key "optoins"
  expected: one of: kind, options, description
  hint: did you mean "options"?`,
  );
  // A required key misspelt: one message, not also `missing key "count"`.
  assert.equal(
    machineError("name: pc\narch: x86\ncpus: { cuont: 2 }\nplugins: []\ndevices: {}\n"),
    `pc.yaml:3:9: error at cpus.cuont: unknown key "cuont"
  expected: one of: count, model, mhz
  hint: did you mean "count"?`,
  );
});

Deno.test("loadMachineSpec reports a wrong type with the value seen", () => {
  const text = `name: pc
arch: x86
cpus:
  count: "four"
plugins: []
devices: {}
`;
  assert.equal(
    machineError(text),
    `pc.yaml:4:10: error at cpus.count: wrong type: got string "four"
  expected: an integer from 1 to 256
  hint: write a number in digits, without quotes`,
  );
  assert.equal(
    machineError("name: pc\narch: x86\ncpus: { count: 1 }\nplugins: i8259\ndevices: {}\n"),
    `pc.yaml:4:10: error at plugins: wrong type: got string "i8259"
  expected: a list
  hint: write one "- item" per line, or [a, b]`,
  );
});

Deno.test("loadMachineSpec reports a value outside an enum with the allowed values", () => {
  const text = `name: pc
arch: x86
cpus: { count: 1 }
kernel:
  preempt: sometimes
plugins: []
devices: {}
`;
  assert.equal(
    machineError(text),
    `pc.yaml:5:12: error at kernel.preempt: invalid value "sometimes"
  expected: one of: none, voluntary, full
  hint: use one of the listed values`,
  );
  assert.equal(
    machineError("name: pc\narch: X86\ncpus: { count: 1 }\nplugins: []\ndevices: {}\n"),
    `pc.yaml:2:7: error at arch: invalid value "X86"
  expected: one of: x86, arm, arm64
  hint: did you mean "x86"?`,
  );
});

Deno.test("loadMachineSpec reports a missing key at its parent map", () => {
  const text = `name: pc
arch: x86
cpus: { count: 1 }
plugins: [i8259]
devices:
  pic:
    options: { io_base: 32 }
`;
  assert.equal(
    machineError(text),
    `pc.yaml:6:3: error at devices.pic.kind: missing key "kind"
  expected: a non-empty string
  hint: add "kind:" under devices.pic`,
  );
  assert.equal(
    machineError("# a machine\nname: pc\ncpus: { count: 1 }\nplugins: []\ndevices: {}\n"),
    `pc.yaml:2:1: error at arch: missing key "arch"
  expected: one of: x86, arm, arm64
  hint: add "arch:" at the top level`,
  );
});

Deno.test("loadMachineSpec reports an integer out of range with the range", () => {
  const text = `name: pc
arch: x86
cpus: { count: 300 }
plugins: []
devices: {}
`;
  assert.equal(
    machineError(text),
    `pc.yaml:3:16: error at cpus.count: value 300 is out of range
  expected: an integer from 1 to 256
  hint: use a value of at most 256`,
  );
});

Deno.test("loadMachineSpec reports bad wire syntax with the wire's text", () => {
  const text = `name: pc
arch: x86
cpus: { count: 1 }
plugins: [i8259]
devices:
  pic: { kind: i8259 }
wires:
  - pic.int -> cpu0.intr
  - pic.int => cpu0.intr
`;
  assert.equal(
    machineError(text),
    `pc.yaml:9:5: error at wires[1]: invalid wire "pic.int => cpu0.intr"
  expected: "<device>.<pin> -> <device>.<pin>"
  hint: join the two ends with "->"`,
  );
  const noPin = text.replace("pic.int => cpu0.intr", "pic -> cpu0.intr");
  assert.equal(
    machineError(noPin),
    `pc.yaml:9:5: error at wires[1]: invalid wire "pic -> cpu0.intr"
  expected: "<device>.<pin> -> <device>.<pin>"
  hint: "pic" has no pin: write it as <device>.<pin>`,
  );
});

Deno.test("loadMachineSpec reports a device named like a CPU at its key", () => {
  const text = `name: pc
arch: x86
cpus: { count: 1 }
plugins: []
devices:
  cpu0: { kind: i8259 }
`;
  assert.equal(
    machineError(text),
    `pc.yaml:6:3: error at devices.cpu0: device name "cpu0" is reserved
  expected: a name other than cpu0, cpu1, ... (the core creates the CPUs)
  hint: rename the device; wire to the CPU as cpuN.<pin>`,
  );
});

Deno.test("loadMachineSpec reports an unclosed flow map as a YAML syntax error", () => {
  const text = `name: pc
cpus: { count: 1
arch: x86
`;
  assert.equal(
    machineError(text),
    `pc.yaml:3:1: error: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }
  hint: close the { ... } map opened above with }`,
  );
});

Deno.test("loadMachineSpec reports bad indentation at the misplaced key", () => {
  const text = `name: pc
cpus:
    count: 1
  model: Pentium
`;
  assert.equal(
    machineError(text),
    `pc.yaml:4:3: error: YAML syntax error: All mapping items must start at the same column
  hint: indent with spaces; all keys of one map start in the same column`,
  );
});

Deno.test("loadMachineSpec reports a duplicate key as a YAML error", () => {
  assert.equal(
    machineError("name: pc\narch: x86\nname: pc2\n"),
    `pc.yaml:3:1: error: YAML syntax error: Map keys must be unique
  hint: a key may appear once per map: remove or merge the repeated one`,
  );
});

Deno.test("loadMachineSpec reports all faults at once, in document order", () => {
  const text = `name: pc
arch: mips
cpus:
  count: 0
kernel:
  hz: 99
  threadirqs: yes
costs: { irq_entry_ns: -5 }
plugins: [i8259, 42]
devices:
  pic: { kind: i8259 }
wires: [pic.int cpu0.intr]
seed: 1.5
`;
  const error = failure(() => loadMachineSpec(text, "pc.yaml"));
  assert.ok(error instanceof ConfigErrors);
  assert.equal(error.errors.length, 8);
  assert.equal(
    error.message,
    `pc.yaml:2:7: error at arch: invalid value "mips"
  expected: one of: x86, arm, arm64
  hint: use one of the listed values
pc.yaml:4:10: error at cpus.count: value 0 is out of range
  expected: an integer from 1 to 256
  hint: use a value of at least 1
pc.yaml:6:7: error at kernel.hz: invalid value 99
  expected: one of: 100, 250, 300, 1000
  hint: use one of the listed values
pc.yaml:7:15: error at kernel.threadirqs: wrong type: got string "yes"
  expected: true or false
  hint: write true or false (yes/no and on/off are strings in YAML 1.2)
pc.yaml:8:24: error at costs.irq_entry_ns: value -5 is out of range
  expected: a non-negative integer
  hint: use a value of at least 0
pc.yaml:9:18: error at plugins[1]: wrong type: got number 42
  expected: a non-empty string or a map
  hint: write a plugin: a built-in name, { name, options } or { path, options }
pc.yaml:12:9: error at wires[0]: invalid wire "pic.int cpu0.intr"
  expected: "<device>.<pin> -> <device>.<pin>"
  hint: join the two ends with "->"
pc.yaml:13:7: error at seed: wrong type: got number 1.5
  expected: a non-negative integer
  hint: use a whole number`,
  );
});

Deno.test("loadMachineSpec applies defaults to a valid full machine", () => {
  const text = `# yaml-language-server: $schema=../schema/machine.schema.json
name: pc
description: "A 1990s PC with an i8259 pair"
arch: x86
cpus: { count: 1, model: "Pentium MMX", mhz: 200 }
kernel:
  version: 6.6
  cmdline: [noirqdebug]
costs:
  port_io_ns: 1200
plugins:
  - i8259
  - { name: i8042, options: { scancode_set: 2 } }
  - { path: ./my_plugin.ts }
devices:
  pic: { kind: i8259, options: { io_base: 0x20 } }
  keyboard: { kind: i8042 }
wires:
  - keyboard.irq -> pic.ir1
  - pic.int->cpu0.intr
roles: { keyboard: keyboard }
scenario: ../scenarios/keyboard_observer.yaml
seed: 7
`;
  const { spec, source } = loadMachineSpec(text, "pc.yaml");
  assert.deepEqual(spec, {
    name: "pc",
    description: "A 1990s PC with an i8259 pair",
    arch: "x86",
    cpus: { count: 1, model: "Pentium MMX", mhz: 200 },
    kernel: {
      version: "6.6",
      hz: 250,
      threadirqs: false,
      preempt: "voluntary",
      cmdline: ["noirqdebug"],
    },
    costs: { ...DEFAULT_COSTS, port_io_ns: 1200 },
    plugins: [
      "i8259",
      { name: "i8042", options: { scancode_set: 2 } },
      { path: "./my_plugin.ts" },
    ],
    devices: {
      pic: { kind: "i8259", options: { io_base: 0x20 } },
      keyboard: { kind: "i8042" },
    },
    wires: ["keyboard.irq -> pic.ir1", "pic.int->cpu0.intr"],
    roles: { keyboard: "keyboard" },
    scenario: "../scenarios/keyboard_observer.yaml",
    seed: 7,
  });
  assert.deepEqual(parseWire(spec.wires[1]), {
    from: { device: "pic", pin: "int" },
    to: { device: "cpu0", pin: "intr" },
  });
  assert.deepEqual(source.locate(["devices", "keyboard", "kind"]), {
    file: "pc.yaml",
    line: 17,
    col: 21,
  });
});

Deno.test("loadMachineSpec fills every default of a minimal machine", () => {
  const { spec } = loadMachineSpec(
    "name: m\narch: arm\ncpus: { count: 4 }\nplugins: []\ndevices: {}\n",
    "m.yaml",
  );
  assert.deepEqual(spec.kernel, {
    version: "6.1",
    hz: 250,
    threadirqs: false,
    preempt: "voluntary",
    cmdline: [],
  });
  assert.deepEqual(spec.costs, {
    irq_entry_ns: 1500,
    irq_exit_ns: 800,
    context_switch_ns: 3000,
    handler_ns: 1000,
    port_io_ns: 1000,
    mmio_ns: 150,
    printk_ns: 4000,
  });
  assert.deepEqual(spec.wires, []);
  assert.deepEqual(spec.roles, {});
});

Deno.test("validateAt locates a device option fault inside the machine file", () => {
  const text = `name: pc
arch: x86
cpus: { count: 1 }
plugins: [i8259]
devices:
  pic:
    kind: i8259
    options:
      io_base: "0x20"
      elcr: true
`;
  const { spec, source } = loadMachineSpec(text, "pc.yaml");
  const options = z.object({ io_base: z.int().min(0).max(0xffff), elcr: z.boolean() }).strict();
  const error = failure(() =>
    validateAt(source, options, spec.devices.pic.options, ["devices", "pic", "options"])
  );
  assert.equal(
    error.message,
    `pc.yaml:9:16: error at devices.pic.options.io_base: wrong type: got string "0x20"
  expected: an integer from 0 to 65535
  hint: remove the quotes: 0x20`,
  );
});

Deno.test("loadScenarioSpec applies defaults to a valid scenario", () => {
  const text = `name: keyboard_observer
modules:
  - drivers/keyboard_observer.ts
  - { path: drivers/echo.ts, params: { irq: 1, names: [a, b] } }
duration_ms: 1000
stimuli:
  - { at_ms: 100, role: keyboard, action: type, args: { text: "hello" } }
expect:
  dmesg: ["Character h Pressed"]
  interrupts: [{ irq: 1, total: 10, actions: "i8042, my_keyboard_handler" }]
`;
  const { spec } = loadScenarioSpec(text, "k.yaml");
  assert.deepEqual(spec, {
    name: "keyboard_observer",
    modules: [
      "drivers/keyboard_observer.ts",
      { path: "drivers/echo.ts", params: { irq: 1, names: ["a", "b"] } },
    ],
    duration_ms: 1000,
    unload: true,
    stimuli: [{ at_ms: 100, role: "keyboard", action: "type", args: { text: "hello" } }],
    programs: [],
    expect: {
      dmesg: ["Character h Pressed"],
      interrupts: [{ irq: 1, total: 10, actions: "i8042, my_keyboard_handler" }],
    },
  });
});

Deno.test("loadScenarioSpec reports scenario faults with the scenario schema in hints", () => {
  const text = `name: k
duration_ms: 1000
stimuli:
  - { at_ms: 100, role: keyboard, action: type }
expect:
  interrupts: [{ irq: 1 }]
  dmseg: ["x"]
  outcome: pass
`;
  assert.equal(
    failure(() => loadScenarioSpec(text, "k.yaml")).message,
    `k.yaml:6:16: error at expect.interrupts[0]: nothing expected of IRQ 1
  expected: total, actions, or both
  hint: add total: <count> or actions: "<handler names>"
k.yaml:7:3: error at expect.dmseg: unknown key "dmseg"
  expected: one of: exit_code, dmesg, dmesg_absent, shell, interrupts, softirqs, views
  hint: did you mean "dmesg"?
k.yaml:8:3: error at expect.outcome: unknown key "outcome"
  expected: one of: exit_code, dmesg, dmesg_absent, shell, interrupts, softirqs, views
  hint: check the spelling; the schema is in schema/scenario.schema.json`,
  );
});

Deno.test("loadScenarioSpec reports a stimulus after the end of the run", () => {
  const text = `name: k
duration_ms: 1000
stimuli:
  - { at_ms: 1500, role: keyboard, action: type }
`;
  assert.equal(
    failure(() => loadScenarioSpec(text, "k.yaml")).message,
    `k.yaml:4:14: error at stimuli[0].at_ms: stimulus at 1500 ms comes after the end
  expected: at_ms from 0 to duration_ms (1000)
  hint: raise duration_ms or move the stimulus earlier`,
  );
});

Deno.test("parseYamlSource locates values, missing keys and keys", () => {
  const source = parseYamlSource("a:\n  b: [1, {c: 2}]\n  d:\n", "x.yaml");
  assert.deepEqual(source.locate(["a", "b", 1, "c"]), { file: "x.yaml", line: 2, col: 14 });
  assert.deepEqual(source.locate(["a", "b", 1, "zz"]), { file: "x.yaml", line: 2, col: 10 });
  assert.deepEqual(source.locate(["a", "b", 1, "c"], "key"), { file: "x.yaml", line: 2, col: 11 });
  assert.deepEqual(source.locate(["a", "d"]), { file: "x.yaml", line: 3, col: 3 });
  assert.deepEqual(source.locate(["a", "x"]), { file: "x.yaml", line: 1, col: 1 });
});

Deno.test("formatPath writes keys with dots and indices in brackets", () => {
  assert.equal(formatPath(["devices", "keyboard", "kind"]), "devices.keyboard.kind");
  assert.equal(formatPath(["wires", 2]), "wires[2]");
  assert.equal(formatPath(["plugins", 0, "options", "x"]), "plugins[0].options.x");
  assert.equal(formatPath(["roles", "my role"]), 'roles["my role"]');
  assert.equal(formatPath([]), "");
});

Deno.test("machineSchema JSON Schema forbids unknown keys and lists cpus", () => {
  const json = toJsonSchema(machineSchema, { target: "draft-07" });
  assert.equal(json.additionalProperties, false);
  const properties = json.properties as Record<string, { description?: string }>;
  assert.ok("cpus" in properties);
  assert.deepEqual(json.required, ["name", "arch", "cpus", "plugins", "devices"]);
  for (const [key, property] of Object.entries(properties)) {
    assert.ok(property.description, `${key} has no description`);
  }
});

Deno.test("schemaText matches the published schema files", async () => {
  const published = [
    ["machine.schema.json", machineSchema],
    ["scenario.schema.json", scenarioSchema],
  ] as const;
  for (const [name, schema] of published) {
    const text = await Deno.readTextFile(new URL(`../schema/${name}`, import.meta.url));
    assert.equal(text, schemaText(schema), `schema/${name} is stale: run deno task schema`);
  }
});
