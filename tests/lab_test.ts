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
