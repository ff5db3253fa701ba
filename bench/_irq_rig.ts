/**
 * The end-to-end interrupt workload shared by `irq_bench.ts` (deno bench)
 * and `report.ts` (a table with wall-clock rates and heap growth).
 *
 * One rig is one loaded bench machine (`pc_bench.yaml` or
 * `pc256_bench.yaml`): a level-mode `irq_source` on pic_master.ir5, fired
 * every {@linkcode PERIOD_NS} by a core {@linkcode Timer} that calls
 * `src.fire()`, and a plain handler on IRQ 5 that acknowledges it with
 * `outb(0, 0x300)`. (The source's own `period_ns` option would do the same,
 * but it keeps its event as a handle, which V8 boxes once the slot's
 * generation grows: 16 bytes a period that are the device's, not the
 * interrupt path's.) Each interrupt takes the whole path: line ->
 * i8259 IRR -> INT -> CPU INTR -> common_interrupt -> INTA ->
 * handle_level_irq -> mask_and_ack_8259A (port I/O) -> handler ->
 * cond_unmask_irq -> irq_exit. A period comfortably longer than the path's
 * simulated cost (about 8 µs with the machine's costs) keeps interrupts from
 * overlapping, so `run(n * PERIOD_NS)` takes exactly `n` interrupts.
 *
 * @example
 * ```ts
 * const rig = await loadRig("bench/pc_bench.yaml");
 * runInterrupts(rig, 1_000);
 * irqCount(rig, 5); // 1_000 (from /proc/interrupts)
 * ```
 * @module
 */
import { IRQ_HANDLED, Machine, outb, request_irq, Timer } from "../mod.ts";
import type { IrqSource } from "../plugins/devices/mod.ts";

/** Interrupts per bench iteration. */
export const N = 100_000;
/** Period of the source, ns. */
export const PERIOD_NS = 20_000;
/** The IRQ the source is wired to (pic_master.ir5). */
export const BENCH_IRQ = 5;
/** The source's acknowledge port (`ack_port` in the bench machine files). */
export const ACK_PORT = 0x300;

/** A loaded bench machine with its handler registered. */
export interface IrqRig {
  /** Machine file it was loaded from. */
  readonly file: string;
  readonly m: Machine;
  readonly src: IrqSource;
  /** Fires the source every {@linkcode PERIOD_NS}. */
  readonly period: Timer;
}

/**
 * The bench handler: clear the cause at the device (deasserting its level
 * request) and claim the interrupt. Runs in interrupt context.
 */
function bench_irq(_irq: number, _dev: unknown): number {
  outb(0, ACK_PORT);
  return IRQ_HANDLED;
}

/** Load `file` and register {@linkcode bench_irq} on IRQ 5 as `bench`. */
export async function loadRig(file: string, opts: { trace?: boolean } = {}): Promise<IrqRig> {
  const m = await Machine.load(file);
  const k = m.kernel;
  const src = k.devices.get("src") as IrqSource | undefined;
  if (!src || src.kind !== "irq_source") {
    throw new Error(`Cannot bench ${file}: it has no irq_source device named "src"`);
  }
  const r = k.enter(() => request_irq(BENCH_IRQ, bench_irq, 0, "bench", src));
  if (r !== 0) throw new Error(`Cannot bench ${file}: request_irq(${BENCH_IRQ}) returned ${r}`);
  k.trace.enabled = opts.trace ?? false;
  // Re-arm, then fire: the order of irq_source's own period_ns event.
  const period = new Timer(() => {
    k.clock.armIn(period, PERIOD_NS);
    src.fire();
  });
  k.clock.arm(period, PERIOD_NS);
  // Start the CPUs and offset every later window by half a period: the
  // source fires at whole periods and its path ends well before the next
  // half, so each window holds exactly its interrupts, start to finish.
  m.run(PERIOD_NS / 2);
  return { file, m, src, period };
}

/** Take `n` interrupts: run the machine for `n` source periods. */
export function runInterrupts(rig: IrqRig, n: number): void {
  rig.m.run(n * PERIOD_NS);
}

/** The count of `irq` in /proc/interrupts, summed over the CPU columns. */
export function irqCount(rig: IrqRig, irq: number): number {
  const text = rig.m.proc("/proc/interrupts") ?? "";
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] !== `${irq}:`) continue;
    let sum = 0;
    for (const c of cols.slice(1)) {
      if (!/^\d+$/.test(c)) break; // the chip name ends the CPU columns
      sum += Number(c);
    }
    return sum;
  }
  return 0;
}

/**
 * Check that `n` more interrupts show up as `n` more IRQ 5 counts in
 * /proc/interrupts and `n` acknowledges at the source (the bench measures
 * what it claims). Throws on a mismatch.
 */
export function checkRig(rig: IrqRig, n: number): void {
  const before = irqCount(rig, BENCH_IRQ), acked = rig.src.acked;
  runInterrupts(rig, n);
  const got = irqCount(rig, BENCH_IRQ) - before;
  const ack = rig.src.acked - acked;
  if (got !== n || ack !== n) {
    throw new Error(
      `Cannot bench ${rig.file}: ${n} source periods gave ${got} IRQ ${BENCH_IRQ} counts in ` +
        `/proc/interrupts and ${ack} acknowledges, want ${n} of each`,
    );
  }
}
