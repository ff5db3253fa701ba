/**
 * The x86 entry path's irq_vectors tracepoints: a system vector's handler
 * is bracketed by its `<name>_entry` / `<name>_exit` pair with
 * `vector=%d` (arch/x86/include/asm/trace/irq_vectors.h), in hardirq
 * context with irqs off, from the idle task (preempt depth 1: `d.h1.`), after
 * the entry cost (TEST_COSTS irq_entry_ns = 1 µs).
 *
 * @module
 */
import assert from "node:assert/strict";
import { testKernel } from "../../tests/helpers.ts";
import { genirq } from "../genirq/mod.ts";
import { LOCAL_TIMER_VECTOR, RESCHEDULE_VECTOR, x86, X86Key } from "./mod.ts";

function x86Kernel() {
  const k = testKernel();
  for (const p of [genirq(), x86()]) p.setup({ kernel: k, defineDevice: () => {} });
  const arch = k.bus.get(X86Key);
  return { k, arch };
}

Deno.test("x86 traces local_timer_entry/exit around the LOCAL_TIMER_VECTOR handler", () => {
  const { k, arch } = x86Kernel();
  k.trace.enabled = true;
  let vector = LOCAL_TIMER_VECTOR;
  arch.acknowledge = () => vector;
  const ran: number[] = [];
  for (const v of [LOCAL_TIMER_VECTOR, RESCHEDULE_VECTOR]) {
    arch.systemVectors.set(v, (cpu) => {
      ran.push(v);
      cpu.setIntr(false);
    });
  }
  const cpu = k.cpus[0];
  cpu.start();
  k.runUntil(10_000);
  cpu.setIntr(true);
  k.runUntil(20_000);
  vector = RESCHEDULE_VECTOR;
  cpu.setIntr(true);
  k.runUntil(30_000);
  assert.deepEqual(ran, [LOCAL_TIMER_VECTOR, RESCHEDULE_VECTOR]);
  const lines = k.trace.format(1).split("\n").filter((l) => l && !l.startsWith("#"));
  assert.deepEqual(lines, [
    "          <idle>-0       [000] d.h1.     0.000011: local_timer_entry: vector=236",
    "          <idle>-0       [000] d.h1.     0.000011: local_timer_exit: vector=236",
    "          <idle>-0       [000] d.h1.     0.000021: reschedule_entry: vector=253",
    "          <idle>-0       [000] d.h1.     0.000021: reschedule_exit: vector=253",
  ]);
});
