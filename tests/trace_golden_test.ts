/**
 * Golden trace lines: the first IRQ 5 of tests/fixtures/observe.yaml on
 * observe_pc.yaml (costs: irq_entry 1.2 µs, port I/O 1 µs, handler 1 µs,
 * irq_exit 0.7 µs, context switch 3 µs), worked out by hand:
 *
 * - 1 ms: the source asserts IR5 on an idle CPU; common_interrupt's entry
 *   takes 1.2 µs: irq_enter and irq_handler_entry at 1001.2 µs (`0.001001`,
 *   ns2usecs rounds). Context: hardirq, irqs off, from the idle task
 *   (depth 1): `d.h1.`.
 * - The hard handler raises NET_RX at once (`softirq_raise`, same flags).
 * - handle_level_irq's mask_and_ack_8259A makes three port accesses (the
 *   dummy IMR read, the IMR write, the specific EOI: 3 µs) and the handler
 *   costs handler_ns + its outb (2 µs): irq_handler_exit at 1006.2 µs, `ret=handled`
 *   for IRQ_WAKE_THREAD.
 * - __irq_wake_thread: sched_waking (depth 1 + 2 in hardirq: `d.h3.`), then
 *   sched_wakeup with need_resched set (depth 4, `N` on x86: `dNh4.`).
 * - IRQF_ONESHOT keeps the line masked (no unmask cost), irq_exit runs
 *   NET_RX at once: softirq_entry at 1006.2 µs with irqs on (`.Ns1.`), the
 *   action costs handler_ns: softirq_exit at 1007.2 µs (`0.001007`).
 * - irq_exit's 0.7 µs, then the idle task switches to the irq thread at
 *   1007.9 µs (`0.001008`), `d..2.`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runScenario } from "../runner/mod.ts";

Deno.test("the trace of one threaded interrupt matches the hand-worked lines", async () => {
  const r = await runScenario("tests/fixtures/observe_pc.yaml", { trace: true, durationMs: 2 });
  const lines = r.kernel.trace.format(1).split("\n")
    .filter((l) => / 0\.00100\d: /.test(l));
  assert.deepEqual(lines, [
    "          <idle>-0       [000] d.h1.     0.001001: irq_handler_entry: irq=5 name=observe_src",
    "          <idle>-0       [000] d.h1.     0.001001: softirq_raise: vec=3 [action=NET_RX]",
    "          <idle>-0       [000] d.h1.     0.001006: irq_handler_exit: irq=5 ret=handled",
    "          <idle>-0       [000] d.h3.     0.001006: sched_waking: comm=irq/5-observe_s pid=4 prio=49 target_cpu=000",
    "          <idle>-0       [000] dNh4.     0.001006: sched_wakeup: comm=irq/5-observe_s pid=4 prio=49 target_cpu=000",
    "          <idle>-0       [000] .Ns1.     0.001006: softirq_entry: vec=3 [action=NET_RX]",
    "          <idle>-0       [000] .Ns1.     0.001007: softirq_exit: vec=3 [action=NET_RX]",
    "          <idle>-0       [000] d..2.     0.001008: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=irq/5-observe_s next_pid=4 next_prio=49",
  ]);
});

Deno.test("--events-style filtering keeps the ring's other entries out, set_event order", async () => {
  const r = await runScenario("tests/fixtures/observe_pc.yaml", {
    trace: true,
    events: "irq,!irq:softirq_raise,sched:sched_switch",
    durationMs: 2,
  });
  const names = new Set(
    r.kernel.trace.entries().map((e) => `${e.type.system}:${e.type.name}`),
  );
  assert.deepEqual([...names].sort(), [
    "irq:irq_handler_entry",
    "irq:irq_handler_exit",
    "irq:softirq_entry",
    "irq:softirq_exit",
    "sched:sched_switch",
  ]);
});
