/** The lab book CLI (`deno task lab`). */
import assert from "node:assert/strict";
import { main } from "../tools/lab.ts";
import { scenarios } from "../runner/catalog.ts";

async function lab(args: string[]) {
  let out = "", err = "";
  const code = await main(args, { write: (s) => void (out += s), error: (s) => void (err += s) });
  return { code, out, err };
}

Deno.test("lab lists every scenario with the machines that can run it", async () => {
  const r = await lab([]);
  assert.equal(r.code, 0);
  for (const s of await scenarios()) {
    assert.match(
      r.out,
      new RegExp(`^${s.id}  \\[[^\\]]+\\]$`, "m"),
      `${s.id} listed with machines`,
    );
  }
  assert.match(r.out, /^keyboard_observer {2}\[pc[\],]/m);
});

Deno.test("lab NAME prints what to look at and runs the scenario like deno task run", async () => {
  const r = await lab(["keyboard_observer"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^# what to look at:\n# {3}The classic keyboard observer/);
  assert.match(r.out, /^# irqlab: machine pc \(x86, 1 CPU, HZ=250\), scenario keyboard_observer/m);
  assert.match(r.out, /Character h Pressed/);
});

Deno.test("lab exits 2 for an unknown experiment or machine, with a did-you-mean", async () => {
  const a = await lab(["keybord_observer"]);
  assert.equal(a.code, 2);
  assert.match(
    a.err,
    /no experiment "keybord_observer"\n.*\n {2}hint: did you mean "keyboard_observer"\?/,
  );
  const b = await lab(["keyboard_observer", "--machine", "pcc"]);
  assert.equal(b.code, 2);
  assert.match(b.err, /no machine "pcc"/);
  const c = await lab(["keyboard_observer", "--machine"]);
  assert.equal(c.code, 2);
  assert.match(c.err, /--machine needs a machine name/);
});

Deno.test("a scenario's machines: list limits where the lab runs it and where its expectations are checked", async () => {
  const { cannotRun, machines } = await import("../runner/catalog.ts");
  const pc = (await machines()).find((m) => m.id === "pc")!.spec;
  const s = (await scenarios()).find((x) => x.id === "mouse_observer")!.spec;
  assert.equal(cannotRun(s, pc), undefined, "written for pc: runs there");
  assert.match(
    cannotRun({ ...s, machines: ["x86"] }, pc) ?? "",
    /^the scenario is written for x86 \(its expectations pin times, counts or IRQ numbers/,
  );
  // runScenario refuses it with a located error, as for arch and roles
  const { runScenario } = await import("../runner/mod.ts");
  await assert.rejects(
    () => runScenario("machines/pc.yaml", { scenario: "tests/fixtures/wrong_machine.yaml" }),
    (e: Error) => {
      assert.equal(
        e.message,
        'tests/fixtures/wrong_machine.yaml:2:11: error at machines: scenario "wrong_machine" ' +
          'is written for x86; machine "pc" is not one of them\n' +
          "  expected: machine x86\n" +
          "  hint: its expectations pin what only those machines give; pick one of them",
      );
      return true;
    },
  );
});

Deno.test("lab runs a portable bottom-half experiment unchanged on the Pi with --machine", async () => {
  // contexts finds the keyboard with role_irq(): IRQ 1 on pc, dwc_otg's IRQ 66 on the Pi 3
  const pc = await lab(["contexts", "-q"]);
  assert.equal(pc.code, 0, pc.err);
  const pi = await lab(["contexts", "--machine", "rpi"]);
  assert.equal(pi.code, 0, pi.err);
  assert.match(pi.out, /^# irqlab: machine rpi \(arm, 4 CPUs, HZ=100\), scenario contexts/m);
  assert.match(
    pi.out,
    /contexts: thread: in_interrupt=0 in_softirq=0 irqs_disabled=0 \(irq\/66-contexts\)/,
  );
  // a scenario that needs 3 CPUs is refused on the 1-CPU Pi 1 with the reason
  const small = await lab(["wq_on_cpu", "--machine", "rpi1"]);
  assert.equal(small.code, 2);
  assert.match(small.err, /wq_on_cpu cannot run on rpi1: it has 1 CPU; the scenario needs 3/);
});

Deno.test("lab runs a bottom-half experiment on x86 with --machine x86, its patterns holding", async () => {
  // softirq_storm's expect: names the tasks as patterns (swapper\/\d,
  // ksoftirqd\/\d). On x86.yaml the vector matrix puts IRQ 1 on CPU 3 (acpi
  // 9 → CPU 1, i8042 AUX 12 → CPU 2, i8042 KBD 1 → CPU 3), so __do_softirq's
  // 10 passes run in swapper/3 and runs 11-25 in ksoftirqd/3.
  const r = await lab(["softirq_storm", "--machine", "x86"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^# irqlab: machine x86 \(x86, 4 CPUs, HZ=250\), scenario softirq_storm/m);
  assert.match(r.out, /on x86\.yaml the vector allocator\n?#? *puts IRQ 1 on CPU 3/);
  assert.match(r.out, /softirq_storm: run 1 in swapper\/3\n/);
  assert.match(r.out, /softirq_storm: run 11 in ksoftirqd\/3\n/);
  assert.match(
    r.out,
    /^ {2}1: {10}0 {10}0 {10}0 {10}4 {3}IO-APIC {3}1-edge {6}i8042, softirq_storm$/m,
  );
  assert.doesNotMatch(r.out, /expectation failed/);
});

Deno.test("every x86 scenario runs on x86.yaml unless its machines: list says why not", async () => {
  // The lab book runs "on x86 or the Pi": a scenario that could run on
  // x86.yaml by arch but is kept off it must carry a comment right above its
  // machines: key giving the reason (one CPU needed, the legacy IRQ layout).
  const { cannotRun, machines } = await import("../runner/catalog.ts");
  const x86 = (await machines()).find((m) => m.id === "x86")!.spec;
  const kept: string[] = [];
  for (const s of await scenarios()) {
    if (s.spec.arch && !s.spec.arch.includes("x86")) continue;
    const why = cannotRun(s.spec, x86);
    if (why === undefined || !s.spec.machines) continue;
    kept.push(s.id);
    const lines = (await Deno.readTextFile(s.file)).split("\n");
    const at = lines.findIndex((l) => l.startsWith("machines:"));
    assert.ok(at > 0 && lines[at - 1].startsWith("# "), `${s.file}: machines: has no comment`);
  }
  assert.deepEqual(kept.sort(), ["current_in_irq", "irq_disable_mdelay", "irq_scan", "wq_nice"]);
});
