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
