/**
 * The interrupt bench as a table: the workloads of `irq_bench.ts` timed with
 * `performance.now()` (wall clock is fine here: bench/ is outside the
 * simulation), plus what `deno bench` cannot show: events dispatched per
 * interrupt (busy segments the executor ends inline with
 * `EventQueue.advanceIn` count as dispatched), the 256-CPU cost per event relative to 1 CPU, and heap growth
 * per interrupt.
 *
 * Targets (STYLE rule 10): >= 2,000,000 interrupts/s with tracing off,
 * ~0 bytes of heap growth per interrupt with tracing off, and a 256-CPU cost
 * per event <= 1.5x the 1-CPU cost.
 *
 * Heap growth: once every case has been timed (all code compiled), for each
 * chunk of 1,000 interrupts `globalThis.gc()` then `heapUsed` around it,
 * summed over 100 chunks, less the same measurement over chunks of no
 * interrupt (its own floor); the second of two such passes is reported.
 * Chunks are small so that a young-generation collection inside one, which
 * would hide allocation, is unlikely; a chunk that shrank is counted and shown.
 *
 * Run: `deno task bench:report` (needs `--v8-flags=--expose-gc`).
 *
 * @module
 */
import { checkRig, type IrqRig, loadRig, N, runInterrupts } from "./_irq_rig.ts";

/** Timed repetitions of N interrupts per case (after warm-up). */
const REPS = 10;
/** Warm-up repetitions of N interrupts per case. */
const WARMUP = 3;
/** Interrupts per heap-measurement chunk, and chunks per case. */
const HEAP_CHUNK = 1_000;
const HEAP_CHUNKS = 100;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error("bench/report.ts needs --v8-flags=--expose-gc (deno task bench:report)");
  Deno.exit(2);
}

/** What one case measured. */
interface Row {
  name: string;
  /** Mean wall time per interrupt, ns. */
  nsPerIrq: number;
  /** Events dispatched per interrupt. */
  eventsPerIrq: number;
  /** Heap growth per interrupt, bytes (net of the floor). */
  bytesPerIrq: number;
  /** Heap growth of a chunk with no interrupt, bytes: the measurement's own floor. */
  floorPerChunk: number;
  /** Chunks whose heapUsed went down (a collection ran inside). */
  shrunk: number;
}

/** Wall time and events per interrupt, after a check and a warm-up. */
function timeCase(name: string, rig: IrqRig): Row {
  const clock = rig.m.kernel.clock;
  checkRig(rig, N); // measures what it claims (and warms up)
  for (let i = 1; i < WARMUP; i++) runInterrupts(rig, N);
  const ev0 = clock.dispatched;
  const t0 = performance.now();
  for (let i = 0; i < REPS; i++) runInterrupts(rig, N);
  const ms = performance.now() - t0;
  const events = clock.dispatched - ev0;
  const irqs = REPS * N;
  return {
    name,
    nsPerIrq: (ms * 1e6) / irqs,
    eventsPerIrq: events / irqs,
    bytesPerIrq: 0,
    floorPerChunk: 0,
    shrunk: 0,
  };
}

/** Heap growth over HEAP_CHUNKS chunks of `n` interrupts, each after a full collection. */
function heapGrowth(rig: IrqRig, n: number): { grown: number; shrunk: number } {
  let grown = 0, shrunk = 0;
  for (let i = 0; i < HEAP_CHUNKS; i++) {
    gc!();
    const h0 = Deno.memoryUsage().heapUsed;
    runInterrupts(rig, n);
    const d = Deno.memoryUsage().heapUsed - h0;
    if (d < 0) shrunk++;
    else grown += d;
  }
  return { grown, shrunk };
}

/**
 * Heap growth per interrupt, net of the measurement's own floor (the same
 * chunks with no interrupt: `memoryUsage()` and `run(0)` allocate a little).
 */
function heapCase(row: Row, rig: IrqRig): void {
  const floor = heapGrowth(rig, 0);
  const { grown, shrunk } = heapGrowth(rig, HEAP_CHUNK);
  row.bytesPerIrq = Math.max(0, grown - floor.grown) / (HEAP_CHUNK * HEAP_CHUNKS);
  row.floorPerChunk = floor.grown / HEAP_CHUNKS;
  row.shrunk = shrunk;
}

const rigs: [string, IrqRig][] = [
  ["1 CPU, tracing off", await loadRig("bench/pc_bench.yaml")],
  ["1 CPU, tracing on", await loadRig("bench/pc_bench.yaml", { trace: true })],
  ["256 CPUs, tracing off", await loadRig("bench/pc256_bench.yaml")],
];
// Time every case first, then weigh the heap once all code is compiled
// (a first pass of chunks, not counted, lets collections settle too).
const rows = rigs.map(([name, rig]) => timeCase(name, rig));
rigs.forEach(([, rig], i) => heapCase(rows[i], rig));
rigs.forEach(([, rig], i) => heapCase(rows[i], rig));

const fmtInt = (x: number) => Math.round(x).toLocaleString("en-US");
console.log(`irqlab end-to-end interrupts (${REPS} x ${fmtInt(N)} per case, after warm-up)\n`);
console.log(
  "| case                  |  interrupts/s | ns/interrupt | events/interrupt | ns/event | heap bytes/interrupt |",
);
console.log(
  "| --------------------- | ------------: | -----------: | ---------------: | -------: | -------------------: |",
);
for (const r of rows) {
  const heap = r.bytesPerIrq.toFixed(2) + (r.shrunk ? ` (${r.shrunk} chunks shrank)` : "");
  console.log(
    `| ${r.name.padEnd(21)} | ${fmtInt(1e9 / r.nsPerIrq).padStart(13)} | ${
      r.nsPerIrq.toFixed(1).padStart(12)
    } | ${r.eventsPerIrq.toFixed(2).padStart(16)} | ${
      (r.nsPerIrq / r.eventsPerIrq).toFixed(1).padStart(8)
    } | ${heap.padStart(20)} |`,
  );
}
const [off, on, smp] = rows;
const perEvent = (r: Row) => r.nsPerIrq / r.eventsPerIrq;
console.log("");
console.log(`tracing on / off, cost per interrupt:  ${(on.nsPerIrq / off.nsPerIrq).toFixed(2)}x`);
console.log(
  `256 CPUs / 1 CPU, cost per event:      ${
    (perEvent(smp) / perEvent(off)).toFixed(2)
  }x (target <= 1.5x)`,
);
console.log(
  `interrupts/s, tracing off:             ${fmtInt(1e9 / off.nsPerIrq)} (target >= 2,000,000)`,
);
console.log(
  `heap growth, tracing off:              ${off.bytesPerIrq.toFixed(2)} bytes/interrupt ` +
    `(target ~0; net of a ${fmtInt(off.floorPerChunk)}-byte floor per ${
      fmtInt(HEAP_CHUNK)
    }-interrupt chunk)`,
);
