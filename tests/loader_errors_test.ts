/**
 * Bad machine files that only the loader can judge (plugins, device kinds,
 * wires, roles): each gives one located message naming file:line:col, the
 * key path, what was expected and a hint.
 */
import assert from "node:assert/strict";
import { ConfigError } from "../core/errors.ts";
import type { Plugin } from "../core/plugin.ts";
import { buildMachine, type PluginRegistry } from "../config/loader.ts";
import { loadMachineSpec } from "../config/machine.ts";
import { builtinPlugins } from "../plugins/mod.ts";

async function loadError(text: string, registry: PluginRegistry = builtinPlugins): Promise<string> {
  const { spec, source } = loadMachineSpec(text, "t.yaml");
  try {
    await buildMachine(spec, source, registry);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    return e.message;
  }
  throw new Error("the machine loaded");
}

const HEAD = "name: t\narch: x86\ncpus: { count: 1 }\n";

Deno.test("buildMachine reports an unknown plugin with its position and a did-you-mean hint", async () => {
  const msg = await loadError(HEAD + "plugins: [genirq, x86, i8295]\ndevices: {}\n");
  assert.equal(
    msg,
    't.yaml:4:24: error at plugins[2]: unknown plugin "i8295"\n' +
      "  expected: one of: arm, bcm2835_gpio, bcm2835_intc, bcm2836, devices, genirq, i8259, ioapic, lapic, pci, rpi_devices, softirq, tasklet, timers, workqueue, x86, or { path: ./my_plugin.ts }\n" +
      '  hint: did you mean "i8259"?',
  );
});

Deno.test("buildMachine reports a plugin whose requirement is not loaded", async () => {
  const msg = await loadError(HEAD + "plugins: [i8259]\ndevices: {}\n");
  assert.equal(
    msg,
    't.yaml:4:11: error at plugins[0]: plugin "i8259" requires "genirq", which is not loaded\n' +
      '  hint: add "genirq" to plugins:',
  );
});

Deno.test("buildMachine reports a requires cycle by name", async () => {
  const p = (name: string, requires: string[]) => (): Plugin => ({ name, requires, setup() {} });
  const registry = { a: p("a", ["b"]), b: p("b", ["c"]), c: p("c", ["a"]) };
  const msg = await loadError(HEAD + "plugins: [a, b, c]\ndevices: {}\n", registry);
  assert.equal(
    msg,
    "t.yaml:4:11: error at plugins: plugins form a requires cycle: a -> b -> c -> a\n" +
      "  hint: a plugin may only require plugins that do not require it back",
  );
});

Deno.test("buildMachine reports an unknown device kind", async () => {
  const msg = await loadError(
    HEAD + "plugins: [genirq, x86, devices]\ndevices:\n  kbd: { kind: i8043 }\n",
  );
  assert.equal(
    msg,
    't.yaml:6:16: error at devices.kbd.kind: unknown device kind "i8043"\n' +
      "  expected: one of: ata, i8042, i8254, irq_source, mc146818, uart16550\n" +
      '  hint: did you mean "i8042"?',
  );
});

Deno.test("buildMachine reports a wire to a missing pin", async () => {
  const msg = await loadError(
    HEAD +
      "plugins: [genirq, x86, i8259]\ndevices:\n  pic: { kind: i8259 }\nwires:\n  - pic.int -> cpu0.intx\n",
  );
  assert.equal(
    msg,
    't.yaml:8:5: error at wires[0]: device "cpu0" (cpu) has no pin "intx"\n' +
      "  expected: one of: intr, nmi\n" +
      '  hint: did you mean "intr"?',
  );
});

Deno.test("buildMachine reports a wire to a missing device", async () => {
  const msg = await loadError(
    HEAD +
      "plugins: [genirq, x86, i8259]\ndevices:\n  pic: { kind: i8259 }\nwires:\n  - pic.int -> cpu1.intr\n",
  );
  assert.equal(
    msg,
    't.yaml:8:5: error at wires[0]: no device "cpu1" for wire "pic.int -> cpu1.intr"\n' +
      "  expected: one of: cpu0, pic\n" +
      '  hint: did you mean "cpu0"?',
  );
});

Deno.test("buildMachine reports a wire that starts at an input pin", async () => {
  const msg = await loadError(
    HEAD +
      "plugins: [genirq, x86, i8259]\ndevices:\n  pic: { kind: i8259 }\nwires:\n  - cpu0.intr -> pic.ir0\n",
  );
  assert.equal(
    msg,
    't.yaml:8:5: error at wires[0]: pin "cpu0.intr" is an input and cannot be the source of a wire\n' +
      "  expected: an output pin of cpu0: \n" +
      "  hint: write wires as <output device>.<pin> -> <input device>.<pin>",
  );
});

Deno.test("buildMachine reports two drivers on one input", async () => {
  const msg = await loadError(
    HEAD + "plugins: [genirq, x86, i8259]\ndevices:\n  a: { kind: i8259 }\n" +
      "  b: { kind: i8259, options: { io_base: 0xa0 } }\nwires:\n  - a.int -> cpu0.intr\n  - b.int -> cpu0.intr\n",
  );
  assert.equal(
    msg,
    "t.yaml:10:5: error at wires[1]: Cannot connect b.int -> cpu0.intr: cpu0.intr is already driven by a.int and is not a shared line",
  );
});

Deno.test("buildMachine reports a role bound to no device", async () => {
  const msg = await loadError(HEAD + "plugins: [genirq]\ndevices: {}\nroles:\n  keyboard: kbd\n");
  assert.equal(
    msg,
    't.yaml:7:13: error at roles.keyboard: role "keyboard" names no device "kbd"\n' +
      "  hint: roles map a role to a device declared under devices:",
  );
});

Deno.test("buildMachine reports overlapping ports of two devices", async () => {
  const msg = await loadError(
    HEAD + "plugins: [genirq, x86, i8259]\ndevices:\n  a: { kind: i8259 }\n  b: { kind: i8259 }\n",
  );
  assert.match(
    msg,
    /^t\.yaml:7:3: error at devices\.b: cannot create device: Cannot map port range 0x20-0x21 for b: it overlaps a at 0x20-0x21$/,
  );
});
