/**
 * End-to-end interrupts per second on the simulated PC: line -> i8259 ->
 * CPU INTR -> common_interrupt -> INTA -> handle_level_irq ->
 * mask_and_ack_8259A (port I/O) -> handler -> cond_unmask_irq -> irq_exit,
 * N = 100_000 interrupts per iteration (workload in `_irq_rig.ts`).
 *
 * One group, so `deno bench` prints each case as a ratio of the baseline:
 * - 1 CPU, tracing off (baseline);
 * - 1 CPU, tracing on: the price of recording irq_handler_entry/exit and
 *   the vector event;
 * - 256 CPUs, tracing off: CPU 0 takes the interrupts, the other 255 idle;
 *   nothing on the path may cost per CPU (STYLE rule 10), so this should be
 *   close to 1x.
 *
 * Interrupts per second = N / (time per iteration). `bench/report.ts`
 * (`deno task bench:report`) prints them, with events per interrupt and heap
 * growth per interrupt.
 *
 * Each machine is loaded on its case's first iteration, not at module load:
 * JIT feedback is per process, so a case measured after another machine ran
 * (tracing on, 256 CPUs) would carry that machine's shapes and paths; this
 * way the baseline runs first and alone, as `report.ts` times it. That
 * first iteration also checks, outside timing, that N periods add N to
 * IRQ 5's count in /proc/interrupts. Later iterations continue the same run
 * (a steady state: pools and the event queue at their working size).
 *
 * Run: `deno bench --allow-read=. bench/irq_bench.ts`
 *
 * @module
 */
import { checkRig, type IrqRig, loadRig, N, runInterrupts } from "./_irq_rig.ts";

/** A bench case; its machine is loaded and checked on its first iteration. */
interface Case {
  name: string;
  file: string;
  trace: boolean;
  baseline?: boolean;
  rig?: IrqRig;
}

const cases: Case[] = [
  { name: `1 CPU, tracing off, N=${N}`, file: "bench/pc_bench.yaml", trace: false, baseline: true },
  { name: `1 CPU, tracing on, N=${N}`, file: "bench/pc_bench.yaml", trace: true },
  { name: `256 CPUs, tracing off, N=${N}`, file: "bench/pc256_bench.yaml", trace: false },
];

for (const c of cases) {
  Deno.bench({
    name: c.name,
    group: "irq",
    baseline: c.baseline ?? false,
    async fn(b) {
      if (!c.rig) {
        // Once, outside timing: load, then check that N periods add N to
        // IRQ 5's count in /proc/interrupts (the bench measures what it claims).
        c.rig = await loadRig(c.file, { trace: c.trace });
        checkRig(c.rig, N);
      }
      const rig = c.rig;
      const acked = rig.src.acked;
      b.start();
      runInterrupts(rig, N);
      b.end();
      const got = rig.src.acked - acked; // cheap per-iteration check, outside timing
      if (got !== N) throw new Error(`${c.name}: ${got} interrupts acknowledged, want ${N}`);
    },
  });
}
