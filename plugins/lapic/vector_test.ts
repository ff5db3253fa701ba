/**
 * Vector matrix allocation as arch/x86/kernel/apic/vector.c and
 * kernel/irq/matrix.c do it: system vectors reserved, the least loaded CPU
 * of the mask, the lowest free vector from FIRST_EXTERNAL_VECTOR.
 */
import assert from "node:assert/strict";
import { testKernel } from "../../tests/helpers.ts";
import type { X86Arch } from "../x86/mod.ts";
import { VectorMatrix } from "./vector.ts";

function matrix(n: number) {
  const k = testKernel(n);
  const x86 = {
    vectorIrq: k.cpus.map(() => new Int32Array(256).fill(-1)),
  } as unknown as X86Arch;
  return { m: new VectorMatrix(x86, n, true), x86 };
}

Deno.test("VectorMatrix spreads IRQs over the least loaded CPUs at the lowest free vector", () => {
  const { m, x86 } = matrix(4);
  m.assignLegacy(0, 0); // the timer keeps ISA_IRQ_VECTOR(0) = 0x30 on CPU 0
  const all = [0, 1, 2, 3];
  // 0x20 is IRQ_MOVE_CLEANUP_VECTOR: the first device vector is 0x21.
  // CPU 0 already holds one vector, so CPUs 1, 2, 3 come first, then CPU 0.
  assert.deepEqual(m.assign(9, all), { vector: 0x21, cpu: 1 });
  assert.deepEqual(m.assign(12, all), { vector: 0x21, cpu: 2 });
  assert.deepEqual(m.assign(1, all), { vector: 0x21, cpu: 3 });
  assert.deepEqual(m.assign(4, all), { vector: 0x21, cpu: 0 });
  assert.deepEqual(m.assign(8, all), { vector: 0x22, cpu: 1 });
  assert.equal(x86.vectorIrq[3][0x21], 1);
  assert.equal(x86.vectorIrq[0][0x30], 0);
});

Deno.test("VectorMatrix keeps a vector whose CPU is in the new mask and moves it otherwise", () => {
  const { m, x86 } = matrix(4);
  const a = m.assign(19, [0, 1, 2, 3])!;
  assert.deepEqual(m.assign(19, [a.cpu, 3]), a);
  const b = m.assign(19, [2])!;
  assert.deepEqual(b, { vector: 0x21, cpu: 2 });
  assert.equal(x86.vectorIrq[a.cpu][a.vector], -1, "the old vector is released");
  assert.equal(x86.vectorIrq[2][0x21], 19);
});

Deno.test("VectorMatrix never hands out system vectors, the cascade or the syscall vector", () => {
  const { m } = matrix(1);
  const got = new Set<number>();
  for (let irq = 100;; irq++) {
    const a = m.assign(irq, [0]);
    if (!a) break;
    got.add(a.vector);
  }
  // 0x21..0xeb minus 0x32 (ISA_IRQ_VECTOR(2), the PIC cascade) and 0x80 (IA32_SYSCALL_VECTOR)
  assert.equal(got.size, 0xeb - 0x21 + 1 - 2);
  for (const v of [0x20, 0x32, 0x80, 0xec, 0xfd, 0xff]) assert.equal(got.has(v), false);
  assert.equal(Math.min(...got), 0x21);
  assert.equal(Math.max(...got), 0xeb);
});
