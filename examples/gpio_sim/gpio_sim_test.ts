/**
 * The gpio-sim example plugin, tested the way a third party tests theirs:
 * the conformance kit on its chip and device kind, its scenario, and the
 * sysfs and irq_sim rules worked out by hand from drivers/gpio/gpio-sim.c
 * and kernel/irq/irq_sim.c (Linux 6.1).
 */
import assert from "node:assert/strict";
import {
  EINVAL,
  EPERM,
  GenIrqKey,
  gpio_request,
  gpio_to_irq,
  type Kernel,
  loadMachine,
  runScenario,
} from "../../mod.ts";
import { irq_set_irq_type, IRQ_TYPE_EDGE_RISING, IRQ_TYPE_LEVEL_HIGH } from "../../mod.ts";
import { builtinPlugins } from "../../plugins/mod.ts";
import { chipConformance, deviceConformance } from "../../testing/mod.ts";
import { gpio_sim, GpioSimDevice } from "./mod.ts";

const MACHINE = "examples/gpio_sim/pc_gpio_sim.yaml";
const SYS = "/sys/devices/platform/gpio-sim.0/gpiochip0";

/**
 * What a driver does before its IRQ exists: request the line, map it with
 * gpio_to_irq() and give it the rising-edge type a device tree would; then
 * tell genirq which input pin carries the IRQ, so the kit can wire it.
 */
function mapLines(lines: number[]) {
  return (k: Kernel) => {
    const dev = [...k.devices.values()].find((d) => d instanceof GpioSimDevice) as GpioSimDevice;
    const gi = k.bus.get(GenIrqKey);
    for (const line of lines) {
      k.enter(() => {
        const gpio = dev.chip!.gc.base + line;
        assert.equal(gpio_request(gpio, "conform"), 0);
        const irq = gpio_to_irq(gpio);
        assert.equal(irq_set_irq_type(irq, IRQ_TYPE_EDGE_RISING), 0);
        gi.inputIrq.set(dev.pins.get(`sim_gpio${line}`), irq);
      });
    }
  };
}

// irq_sim: edge-only set_type, so the kit skips "level masked while handled"
// by itself (irq_set_type refuses IRQ_TYPE_LEVEL_HIGH with -EINVAL); the
// software resend of the tasklet plugin replays a lazily-disabled edge.
await chipConformance({ chip: "irq_sim", machine: MACHINE, prepare: mapLines([0, 1]) });

deviceConformance(gpio_sim(), {}, [builtinPlugins.genirq()]);

async function machine() {
  const { kernel: k } = await loadMachine(MACHINE);
  for (const c of k.cpus) c.start();
  k.runUntil(k.now + 1_000_000);
  return k;
}

Deno.test("gpio_sim bank sits at the top of the legacy numbers (6.1 gpiochip_find_base)", async () => {
  const k = await machine();
  const dev = k.devices.get("sim") as GpioSimDevice;
  // ARCH_NR_GPIOS 512 - 8 lines = 504; the first chip is gpiochip0
  assert.equal(dev.chip!.gc.base, 504);
  assert.equal(dev.sysfsDir, SYS);
  assert.equal(dev.chip!.gc.label, "gpio-sim.0-node0");
});

Deno.test("gpio_sim pull file reads, accepts the two words and refuses the rest", async () => {
  const k = await machine();
  const rd = (p: string) => k.procfs.read(`${SYS}/${p}`);
  const wr = (p: string, s: string) => k.enter(() => k.procfs.write(`${SYS}/${p}`, s));
  assert.equal(rd("sim_gpio3/pull"), "pull-down\n"); // pull_map starts zeroed
  assert.equal(rd("sim_gpio3/value"), "0\n");
  assert.equal(wr("sim_gpio3/pull", "pull-up\n"), 8); // sysfs_streq ignores the newline
  assert.equal(rd("sim_gpio3/pull"), "pull-up\n");
  // not requested: the value follows the pull, no interrupt anywhere
  assert.equal(rd("sim_gpio3/value"), "1\n");
  assert.equal(wr("sim_gpio3/pull", "up"), -EINVAL);
  assert.equal(wr("sim_gpio3/value", "1"), -EPERM); // gpio_sim_sysfs_val_store
  assert.equal(rd("sim_gpio8/pull"), undefined); // 8 lines: 0..7
});

Deno.test("gpio_sim irq_sim refuses level types and records edge types", async () => {
  const k = await machine();
  const irq = k.enter(() => gpio_to_irq(504));
  // x86: hint = hwirq (at least 1), 0-15 are the legacy IRQs: first free is 16
  assert.equal(irq, 16);
  assert.equal(k.enter(() => irq_set_irq_type(irq, IRQ_TYPE_LEVEL_HIGH)), -EINVAL);
  assert.equal(k.enter(() => irq_set_irq_type(irq, IRQ_TYPE_EDGE_RISING)), 0);
  assert.equal(k.bus.get(GenIrqKey).irq_to_desc(irq)!.irq_data.triggerType(), IRQ_TYPE_EDGE_RISING);
});

Deno.test("gpio_sim edges while the IRQ is masked are dropped, not latched", async () => {
  const k = await machine();
  const gi = k.bus.get(GenIrqKey);
  let calls = 0;
  const irq = k.enter(() => {
    gpio_request(504, "t");
    const irq = gpio_to_irq(504);
    const h = () => {
      calls++;
      return 1;
    };
    assert.equal(gi.request_threaded_irq(irq, h, null, 1, /* IRQF_TRIGGER_RISING */ "t", h), 0);
    return irq;
  });
  const wr = (s: string) => k.enter(() => k.procfs.write(`${SYS}/sim_gpio0/pull`, s));
  // the masked state is the chip's `enabled` flag: mask it as a flow handler would
  const d = gi.irq_to_desc(irq)!.irq_data;
  d.chip.irq_mask!(d);
  wr("pull-up");
  k.runUntil(k.now + 1_000_000);
  d.chip.irq_unmask!(d);
  k.runUntil(k.now + 1_000_000);
  // irq_sim_set_irqchip_state() only sets the pending bit when enabled
  assert.equal(calls, 0);
  wr("pull-down");
  wr("pull-up");
  k.runUntil(k.now + 1_000_000);
  assert.equal(calls, 1);
  // the dropped edge queued no irq_work: the parent IRQ 5 ran once, for the second edge
  assert.equal(gi.irq_to_desc(5)!.tot_count, 1);
});

Deno.test("gpio_sim scenario sim_button meets its expectations", async () => {
  const r = await runScenario(MACHINE);
  assert.deepEqual(r.failures, []);
  assert.equal(r.exitCode, 0);
  // the row of a domain IRQ shows the hwirq column (x86: no Edge/Level column)
  assert.match(r.interrupts, /^ 16:\s+2\s+irq_sim\s+0\s+sim_button$/m);
});
