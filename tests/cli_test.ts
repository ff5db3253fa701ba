/**
 * The CLI end to end: the default run of pc.yaml, and bad input giving a
 * located message and exit code 2 (never a stack trace).
 */
import assert from "node:assert/strict";
import { main } from "../tools/run.ts";

async function cli(args: string[]) {
  let out = "", err = "";
  const code = await main(args, { write: (s) => (out += s), error: (s) => (err += s) });
  return { code, out, err };
}

Deno.test("main runs the keyboard observer on pc.yaml by default and exits 0", async () => {
  const r = await cli(["machines/pc.yaml"]);
  assert.equal(r.err, "");
  assert.equal(r.code, 0);
  assert.match(r.out, /\$ sudo insmod keyboard_observer\.ko\n/);
  assert.match(r.out, /\n {2}1: {9}10 {4}XT-PIC {6}i8042, my_keyboard_handler\n/);
  assert.match(r.out, /\] Character h Pressed\n/);
  assert.match(r.out, /\$ sudo rmmod keyboard_observer\n/);
});

Deno.test("main exits 2 with a located message for a machine file with an unknown key", async () => {
  const dir = await Deno.makeTempDir({ dir: "." });
  try {
    const file = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      file,
      "name: bad\narch: x86\ncpus: { count: 1 }\nplugins: [genirq]\ndevices: {}\nwirez: []\n",
    );
    const r = await cli([file]);
    assert.equal(r.code, 2);
    assert.equal(r.out, "");
    assert.equal(
      r.err,
      `${file}:6:1: error at wirez: unknown key "wirez"\n` +
        "  expected: one of: name, description, arch, cpus, kernel, costs, plugins, devices, wires, roles, scenario, seed\n" +
        '  hint: did you mean "wires"?\n',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main exits 2 for a missing machine file and a bad flag", async () => {
  const r = await cli(["machines/nope.yaml"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^error: cannot read machine file "machines\/nope\.yaml": no such file\n/);
  const f = await cli(["machines/pc.yaml", "--seed", "abc"]);
  assert.equal(f.code, 2);
  assert.match(f.err, /--seed must be a non-negative integer, got "abc"/);
  assert.doesNotMatch(f.err + r.err, /at .*\.ts:\d+/, "no stack trace");
});

Deno.test("main --trace writes the kernel's trace file, filtered by --events", async () => {
  const dir = await Deno.makeTempDir({ dir: "." });
  try {
    const file = `${dir}/trace.txt`;
    const r = await cli([
      "machines/pc.yaml",
      "-q",
      "--trace",
      file,
      "--events",
      "irq:irq_handler_entry",
    ]);
    assert.equal(r.code, 0);
    const text = await Deno.readTextFile(file);
    const lines = text.split("\n");
    assert.equal(lines[0], "# tracer: nop");
    assert.match(lines[2], /^# entries-in-buffer\/entries-written: (\d+)\/\1 {3}#P:1$/);
    const events = lines.filter((l) => l && !l.startsWith("#"));
    assert.ok(
      events.every((l) => l.includes(": irq_handler_entry: irq=")),
      "only the filtered event",
    );
    // 2 s of run plus the 100 ms rmmod phase: 525 ticks; 10 keyboard interrupts, two actions each
    assert.equal(events.filter((l) => l.endsWith("irq=1 name=i8042")).length, 10);
    assert.equal(events.filter((l) => l.endsWith("irq=1 name=my_keyboard_handler")).length, 10);
    assert.equal(events.filter((l) => l.endsWith("irq=0 name=timer")).length, 525);
    // `%16s-%-7d [%03d] FLAGS %5lu.%06lu: `, hardirq with irqs off; the idle
    // task's comm is `<idle>` in the trace file (__trace_find_cmdline, pid 0)
    // and it runs with preemption disabled (depth 1)
    const kbd = events.find((l) => l.endsWith("irq=1 name=i8042"))!;
    assert.match(
      kbd,
      /^ {10}<idle>-0 {7}\[000\] d\.h1\. {5}0\.\d{6}: irq_handler_entry: irq=1 name=i8042$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main exits 1 and names each failed expectation", async () => {
  const r = await cli([
    "machines/pc.yaml",
    "-q",
    "--scenario",
    "tests/fixtures/wrong_expectation.yaml",
  ]);
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    'expectation failed: dmesg has no line containing "Character x Pressed" (in order)\n' +
      "expectation failed: IRQ 1: 4 interrupts, expected 3\n",
  );
});

Deno.test("main exits 2 for stimuli naming an unbound role or an unknown action", async () => {
  const r = await cli(["machines/pc.yaml", "--scenario", "tests/fixtures/unbound_role.yaml"]);
  assert.equal(r.code, 2);
  assert.equal(
    r.err,
    'tests/fixtures/unbound_role.yaml:5:24: error at stimuli[0].role: machine "pc" binds no device to role "buton"\n' +
      "  expected: one of: disk, keyboard, serial, timer\n" +
      "  hint: add buton: <device> under roles: in machines/pc.yaml\n" +
      'tests/fixtures/unbound_role.yaml:6:42: error at stimuli[1].action: device "keyboard" (i8042, role keyboard) has no action "typ"\n' +
      "  expected: one of: key, move, type\n" +
      '  hint: did you mean "type"?\n',
  );
});

Deno.test("main exits 2 for a scenario of another arch and a module role the machine lacks", async () => {
  const r = await cli(["machines/pc.yaml", "--scenario", "tests/fixtures/wrong_arch.yaml"]);
  assert.equal(r.code, 2);
  assert.equal(
    r.err,
    'tests/fixtures/wrong_arch.yaml:2:7: error at arch: scenario "wrong_arch" runs on arm only; machine "pc" is x86\n' +
      "  expected: a machine of arch arm\n" +
      "  hint: pick another machine file, or a scenario written for this architecture\n" +
      'tests/fixtures/wrong_arch.yaml:3:9: error at roles[0]: machine "pc" binds no device to role "gpio_led", which the modules use\n' +
      "  expected: one of: disk, keyboard, serial, timer\n" +
      "  hint: add gpio_led: <device> under roles: in machines/pc.yaml\n",
  );
});

Deno.test("main exits 2 for a scenario that needs a plugin the machine does not load", async () => {
  const r = await cli(["machines/pc.yaml", "--scenario", "tests/fixtures/needs_plugin.yaml"]);
  assert.equal(r.code, 2);
  // workqueue is loaded by pc.yaml; nosuch (plugins[1], line 3 column 22) is not
  assert.match(
    r.err,
    /^tests\/fixtures\/needs_plugin.yaml:3:22: error at plugins\[1\]: machine "pc" does not load the nosuch plugin, which the modules use\n {2}expected: one of the loaded plugins: genirq, x86, i8259, devices, softirq, tasklet, timers, workqueue\n {2}hint: add nosuch under plugins: in machines\/pc.yaml\n$/,
  );
});
