/**
 * The kit's flow rules (expectedChipCalls) against genirq's own flow
 * handlers, on genirq's recording fake chip: what the kit demands of a chip
 * is what the flows really call. The fake chip has irq_mask, irq_unmask,
 * irq_ack and irq_eoi and no irq_mask_ack, so by kernel/irq/chip.c one
 * interrupt makes:
 * - handle_level_irq: mask, ack (mask_ack_irq), handler, unmask (cond_unmask_irq);
 * - handle_edge_irq: ack, handler;
 * - handle_fasteoi_irq: handler, one eoi (cond_unmask_eoi_irq, not oneshot);
 * - handle_simple_irq: handler alone.
 */
import assert from "node:assert/strict";
import { FakeBench, type FakeChip } from "../plugins/genirq/_fake.ts";
import {
  type FlowHandler,
  handle_edge_irq,
  handle_fasteoi_irq,
  handle_level_irq,
  handle_simple_irq,
  IRQ_HANDLED,
} from "../plugins/genirq/mod.ts";
import { expectedChipCalls } from "./chip.ts";

/** The chip calls of one interrupt on IRQ 3 under `flow`, in the kit's names. */
function oneInterrupt(flow: FlowHandler): string[] {
  const b = new FakeBench(1, flow);
  const chip: FakeChip = b.chip;
  b.call(() =>
    b.gi.request_threaded_irq(
      3,
      () => {
        chip.calls.push("handler 3");
        return IRQ_HANDLED;
      },
      null,
      0,
      "t",
      b,
    )
  );
  chip.calls.length = 0;
  b.fire(3);
  b.run(1_000_000);
  return chip.calls.filter((c) => c.endsWith(" 3")).map((c) => {
    const op = c.split(" ")[0];
    return op === "handler" ? op : `irq_${op}`;
  });
}

for (
  const [flow, want] of [
    [handle_level_irq, ["irq_mask", "irq_ack", "handler", "irq_unmask"]],
    [handle_edge_irq, ["irq_ack", "handler"]],
    [handle_fasteoi_irq, ["handler", "irq_eoi"]],
    [handle_simple_irq, ["handler"]],
  ] as const
) {
  Deno.test(`expectedChipCalls matches genirq's ${flow.name} on the fake chip`, () => {
    const seen = oneInterrupt(flow);
    assert.deepEqual(seen, [...want], "what the flow calls (worked out by hand above)");
    assert.deepEqual(expectedChipCalls(flow.name, new FakeBench(1).chip), [...want]);
  });
}

Deno.test("expectedChipCalls prefers irq_mask_ack and has no rule for other flows", () => {
  const noop = () => {};
  const chip = { name: "x", irq_mask: noop, irq_unmask: noop, irq_mask_ack: noop };
  assert.deepEqual(expectedChipCalls(handle_level_irq.name, chip), [
    "irq_mask_ack",
    "handler",
    "irq_unmask",
  ]);
  assert.equal(expectedChipCalls("handle_percpu_irq", chip), undefined);
});
