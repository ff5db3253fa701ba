/**
 * IRQ affinity: the cpumask parsers (lib/bitmap.c), write_irq_affinity()'s
 * errno answers (kernel/irq/proc.c, 6.1), the chip callback and the deferred
 * move (kernel/irq/manage.c, migration.c). Expected values are worked out
 * from those functions by hand.
 */
import assert from "node:assert/strict";
import { Machine } from "../../runner/machine.ts";
import {
  defaultAffinityWrite,
  EOVERFLOW,
  ERANGE,
  moveIrq,
  parseCpulist,
  parseCpumask,
  setAffinity,
  writeIrqAffinity,
} from "./affinity.ts";
import { EINVAL, EIO, IRQ_SET_MASK_OK, IRQD_MOVE_PCNTXT, IRQF_NOBALANCING } from "./constants.ts";
import type { IrqData } from "./desc.ts";
import { handle_fasteoi_irq } from "./flow.ts";
import { readProcIrq } from "./proc.ts";
import { FakeBench, FakeChip } from "./_fake.ts";

/** A chip that can move interrupts: it targets the first CPU of the mask. */
class MovableChip extends FakeChip {
  irq_set_affinity(d: IrqData, mask: number[], _force: boolean): number {
    this.calls.push(`set_affinity ${d.irq} ${mask.join(",")}`);
    d.effective_affinity = [mask[0]];
    return IRQ_SET_MASK_OK;
  }
}

function movableBench(nrCpus: number, pcntxt = true) {
  const b = new FakeBench(nrCpus, handle_fasteoi_irq);
  const chip = new MovableChip();
  for (let i = 1; i < 32; i++) {
    const d = b.gi.irq_to_desc(i)!.irq_data;
    d.chip = chip;
    if (pcntxt) d.state |= IRQD_MOVE_PCNTXT;
  }
  return { b, chip };
}

Deno.test("parseCpumask reads 32-bit hex words, most significant first", () => {
  assert.deepEqual(parseCpumask("3\n", 4), [0, 1]);
  assert.deepEqual(parseCpumask("f", 4), [0, 1, 2, 3]);
  assert.deepEqual(parseCpumask("1,00000000\n", 64), [32]);
  assert.deepEqual(parseCpumask("00000001", 4), [0], "leading zeros are fine");
  assert.deepEqual(parseCpumask("\n", 4), [], "an empty write parses to an empty mask");
  assert.equal(parseCpumask("ff", 4), -EOVERFLOW, "bits 4-7 beyond nr_cpumask_bits");
  assert.equal(parseCpumask("1,0", 4), -EOVERFLOW, "a second word on a 4-CPU machine");
  assert.equal(parseCpumask("100000000", 64), -EOVERFLOW, "nine digits in one word");
  assert.equal(parseCpumask("0x3", 4), -EINVAL, "no 0x prefix in bitmap_parse");
  assert.equal(parseCpumask("g", 4), -EINVAL);
});

Deno.test("parseCpulist reads ranges, used/group strides and N", () => {
  assert.deepEqual(parseCpulist("0-2,3\n", 4), [0, 1, 2, 3]);
  assert.deepEqual(parseCpulist("1", 4), [1]);
  assert.deepEqual(parseCpulist("0-7:2/4", 8), [0, 1, 4, 5]);
  assert.deepEqual(parseCpulist("N", 4), [3]);
  assert.equal(parseCpulist("4", 4), -ERANGE);
  assert.equal(parseCpulist("2-1", 4), -EINVAL);
  assert.equal(parseCpulist("a", 4), -EINVAL);
});

Deno.test("write_irq_affinity moves an IRQ whose chip can, and the thread follows", () => {
  const { b, chip } = movableBench(4);
  b.call(() => b.gi.request_threaded_irq(5, null, () => 1, 0x2000, /* IRQF_ONESHOT */ "dev", 1));
  chip.calls.length = 0;
  assert.equal(writeIrqAffinity(b.gi, 5, false, "c\n"), 2, "the bytes written");
  assert.deepEqual(chip.calls, ["set_affinity 5 2,3"]);
  assert.equal(readProcIrq(b.gi, b.k, 5, "smp_affinity"), "c\n");
  assert.equal(readProcIrq(b.gi, b.k, 5, "smp_affinity_list"), "2-3\n");
  assert.equal(readProcIrq(b.gi, b.k, 5, "effective_affinity_list"), "2\n");
  const thread = b.gi.irq_to_desc(5)!.action!.thread!;
  assert.deepEqual(thread.cpusAllowed, [2], "irq/5-dev follows the effective affinity");
  assert.equal(writeIrqAffinity(b.gi, 5, true, "1\n"), 2);
  assert.equal(readProcIrq(b.gi, b.k, 5, "smp_affinity"), "2\n");
});

Deno.test("write_irq_affinity answers the kernel's errno and changes nothing on error", () => {
  const { b } = movableBench(4);
  b.call(() => b.gi.request_threaded_irq(5, () => 1, null, 0, "dev", 1));
  b.call(() => b.gi.request_threaded_irq(6, () => 1, null, IRQF_NOBALANCING, "nobal", 1));
  const before = readProcIrq(b.gi, b.k, 5, "smp_affinity");
  assert.equal(writeIrqAffinity(b.gi, 5, false, "0\n"), -EINVAL, "no online CPU targeted");
  assert.equal(writeIrqAffinity(b.gi, 5, false, "ff\n"), -EOVERFLOW);
  assert.equal(writeIrqAffinity(b.gi, 5, true, "9\n"), -ERANGE);
  assert.equal(readProcIrq(b.gi, b.k, 5, "smp_affinity"), before);
  assert.equal(writeIrqAffinity(b.gi, 6, false, "1\n"), -EIO, "IRQF_NOBALANCING");
  // the FakeBench chip of a plain bench has no irq_set_affinity
  const plain = new FakeBench(2, handle_fasteoi_irq);
  plain.call(() => plain.gi.request_threaded_irq(5, () => 1, null, 0, "dev", 1));
  assert.equal(writeIrqAffinity(plain.gi, 5, false, "1\n"), -EIO, "chip cannot move it");
});

Deno.test("without IRQD_MOVE_PCNTXT the move waits for the next interrupt (irq_move_irq)", () => {
  const { b, chip } = movableBench(4, false);
  b.call(() => b.gi.request_threaded_irq(5, () => 1, null, 0, "dev", 1));
  chip.calls.length = 0;
  assert.equal(b.call(() => setAffinity(b.gi, 5, [3])), 0);
  assert.deepEqual(chip.calls, [], "nothing programmed yet");
  // show_irq_affinity() (kernel/irq/proc.c): with CONFIG_GENERIC_PENDING_IRQ a
  // pending move shows desc->pending_mask; the chip is not programmed yet
  assert.equal(readProcIrq(b.gi, b.k, 5, "smp_affinity"), "8\n", "the pending mask");
  assert.deepEqual(b.gi.irq_to_desc(5)!.irq_data.affinity, [0, 1, 2, 3], "still the old affinity");
  moveIrq(b.gi, b.gi.irq_to_desc(5)!.irq_data);
  assert.deepEqual(chip.calls, ["set_affinity 5 3"]);
  assert.equal(readProcIrq(b.gi, b.k, 5, "smp_affinity"), "8\n");
  moveIrq(b.gi, b.gi.irq_to_desc(5)!.irq_data);
  assert.equal(chip.calls.length, 1, "nothing pending any more");
});

Deno.test("startup programs the default affinity; default_smp_affinity writes are checked", () => {
  const { b, chip } = movableBench(4);
  assert.equal(defaultAffinityWrite(b.gi, "6\n"), 2);
  assert.equal(defaultAffinityWrite(b.gi, "0\n"), -EINVAL, "at least one online CPU");
  assert.equal(defaultAffinityWrite(b.gi, "1f\n"), -EOVERFLOW);
  chip.calls.length = 0;
  b.call(() => b.gi.request_threaded_irq(7, () => 1, null, 0, "dev", 1));
  assert.ok(chip.calls.includes("set_affinity 7 1,2"), chip.calls.join("; "));
  assert.equal(readProcIrq(b.gi, b.k, 7, "effective_affinity_list"), "1\n");
});

Deno.test("on pc.yaml (XT-PIC) smp_affinity writes fail with EIO; a read-only file with EACCES", async () => {
  const m = await Machine.load("machines/pc.yaml");
  assert.equal(m.write("/proc/irq/1/smp_affinity", "1\n"), -EIO);
  assert.equal(m.write("/proc/irq/1/spurious", "1\n"), -13);
  assert.equal(m.write("/proc/irq/99/smp_affinity", "1\n"), -2);
  assert.equal(m.write("/proc/irq/default_smp_affinity", "1\n"), 2);
  assert.equal(m.proc("/proc/irq/default_smp_affinity"), "1\n");
});
