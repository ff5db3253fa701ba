/**
 * ARMCTRL register rules as properties over random line levels and enables:
 * pending = asserted & enabled; basic pending's bank bits and shortcuts as
 * the quirks at the top of drivers/irqchip/irq-bcm2835.c describe them; and
 * the order get_next_armctrl_hwirq() dispatches in.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { testKernel } from "../../tests/helpers.ts";
import {
  Armctrl,
  DISABLE_IRQS_2,
  ENABLE_IRQS_1,
  ENABLE_IRQS_2,
  IRQ_BASIC_PENDING,
  IRQ_PENDING_1,
  IRQ_PENDING_2,
} from "./armctrl.ts";
import { get_next_armctrl_hwirq } from "./linux.ts";

const BASE = 0x3f00b200;
// The shortcut sources, written out from the datasheet's basic pending
// table (bits 10-20: GPU 7, 9, 10, 18, 19, 53, 54, 55, 56, 57, 62).
const SHORTCUT_GPU = [7, 9, 10, 18, 19, 53, 54, 55, 56, 57, 62];

function setup(levels: [number, number], enables: [number, number]) {
  const k = testKernel();
  const a = new Armctrl(k, "armctrl", { base: BASE });
  for (let n = 0; n < 64; n++) {
    const on = ((levels[n >> 5] >>> (n & 31)) & 1) === 1;
    if (on) (a.pins.get(`gpu${n}`) as { driverChanged(l: boolean): void }).driverChanged(true);
  }
  k.mmio.write(BASE + ENABLE_IRQS_1, enables[0], 4);
  k.mmio.write(BASE + ENABLE_IRQS_2, enables[1], 4);
  return { k, a };
}

const word = fc.integer({ min: 0, max: 0xffffffff });

Deno.test("Armctrl pending and basic pending follow the datasheet for any levels and enables", () => {
  fc.assert(
    fc.property(word, word, word, word, (l1, l2, e1, e2) => {
      const { k, a } = setup([l1, l2], [e1, e2]);
      const p1 = (l1 & e1) >>> 0, p2 = (l2 & e2) >>> 0;
      assert.equal(k.mmio.read(BASE + IRQ_PENDING_1, 4), p1);
      assert.equal(k.mmio.read(BASE + IRQ_PENDING_2, 4), p2);
      const basic = k.mmio.read(BASE + IRQ_BASIC_PENDING, 4);
      let rest1 = p1, rest2 = p2;
      SHORTCUT_GPU.forEach((gpu, i) => {
        const pending = gpu < 32 ? (p1 >>> gpu) & 1 : (p2 >>> (gpu - 32)) & 1;
        assert.equal((basic >>> (10 + i)) & 1, pending, `shortcut GPU ${gpu}`);
        if (gpu < 32) rest1 &= ~(1 << gpu);
        else rest2 &= ~(1 << (gpu - 32));
      });
      // Quirk 1: a shortcut source does not set bit 8/9.
      assert.equal((basic >>> 8) & 1, rest1 ? 1 : 0);
      assert.equal((basic >>> 9) & 1, rest2 ? 1 : 0);
      assert.equal(a.irq.level, (p1 | p2) !== 0);
    }),
    { numRuns: 300 },
  );
});

Deno.test("get_next_armctrl_hwirq takes shortcuts first, then pending 1, then pending 2, lowest bit first", () => {
  fc.assert(
    fc.property(word, word, (l1, l2) => {
      const { k } = setup([l1, l2], [0xffffffff, 0xffffffff]);
      let want = -1;
      for (const gpu of SHORTCUT_GPU) {
        const on = gpu < 32 ? (l1 >>> gpu) & 1 : (l2 >>> (gpu - 32)) & 1;
        if (on) {
          want = 32 + gpu;
          break;
        }
      }
      if (want < 0 && l1) want = 32 + (31 - Math.clz32(l1 & -l1));
      else if (want < 0 && l2) want = 64 + (31 - Math.clz32(l2 & -l2));
      assert.equal(k.enter(() => get_next_armctrl_hwirq(BASE)), want);
    }),
    { numRuns: 300 },
  );
});

Deno.test("Armctrl disable registers clear enables (write 1 to clear) and read back their complement", () => {
  const { k } = setup([0, 0], [0, 0xffffffff]);
  k.mmio.write(BASE + DISABLE_IRQS_2, 0x00020000, 4);
  assert.equal(k.mmio.read(BASE + ENABLE_IRQS_2, 4), 0xfffdffff);
  assert.equal(k.mmio.read(BASE + DISABLE_IRQS_2, 4), 0x00020000);
});
