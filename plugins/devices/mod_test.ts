import assert from "node:assert/strict";
import type { DeviceKind, SetupContext } from "../../core/plugin.ts";
import { testKernel } from "../../tests/helpers.ts";
import { devices, I8254, NMISC_PORT, NMISC_SPKR_DAT_EN } from "./mod.ts";

function kinds(): Map<string, DeviceKind<unknown>> {
  const k = testKernel();
  const defined = new Map<string, DeviceKind<unknown>>();
  const ctx: SetupContext = {
    kernel: k,
    defineDevice: (kind) => void defined.set(kind.kind, kind as DeviceKind<unknown>),
  };
  devices().setup(ctx);
  return defined;
}

Deno.test("devices defines the signal generator and the five legacy PC device kinds", () => {
  assert.equal(devices().name, "devices");
  assert.deepEqual([...kinds().keys()], [
    "irq_source",
    "i8254",
    "i8042",
    "uart16550",
    "mc146818",
    "ata",
  ]);
});

Deno.test("devices kinds build devices with their pins on one machine from default options", () => {
  const k = testKernel();
  const pins: Record<string, string[]> = {};
  for (const [name, kind] of kinds()) {
    const dev = kind.create(name, kind.options.parse({}), k);
    assert.equal(dev.kind, name);
    assert.equal(dev.name, name);
    pins[name] = [...dev.pins.keys()];
    for (const pin of dev.pins.values()) assert.equal((pin as { owner?: unknown }).owner, dev);
  }
  assert.deepEqual(pins, {
    irq_source: ["irq"],
    i8254: ["out0"],
    i8042: ["irq1", "irq12"],
    uart16550: ["irq"],
    mc146818: ["irq8"],
    ata: ["irq14"],
  });
  // The PC port map: no overlaps among the five at their default bases.
  const owners = k.ports.regions.map((r) => `${r.owner}@0x${r.base.toString(16)}`);
  assert.deepEqual(owners, [
    "i8254@0x40",
    "i8042@0x60",
    "i8254.nmisc@0x61",
    "i8042@0x64",
    "mc146818.index@0x70",
    "mc146818@0x71",
    "ata@0x1f0",
    "ata.ctl@0x3f6",
    "uart16550@0x3f8",
  ]);
});

Deno.test("devices kinds reject unknown option keys", () => {
  for (const [name, kind] of kinds()) {
    assert.equal(kind.options.safeParse({ no_such_option: 1 }).success, false, name);
  }
});

Deno.test("devices report a not-implemented feature once per machine, on every machine", () => {
  for (let run = 0; run < 2; run++) {
    const k = testKernel();
    new I8254(k, "pit");
    k.ports.write(NMISC_PORT, NMISC_SPKR_DAT_EN, 1);
    k.ports.write(NMISC_PORT, 0, 1);
    k.ports.write(NMISC_PORT, NMISC_SPKR_DAT_EN, 1);
    const lines = k.log.records.filter((r) => r.text.includes("not implemented"));
    assert.deepEqual(lines.map((r) => r.text), [
      "irqlab: not implemented: i8254: PC speaker sound output (SPKR_DAT_EN is stored only)",
    ], `run ${run}`);
  }
});
