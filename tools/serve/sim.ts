/**
 * A machine run paced to wall time for the status server: the server loop
 * calls {@linkcode PacedSim.step} every few milliseconds and the simulated
 * clock advances by the wall time elapsed times the speed factor, in slices,
 * never more than a compute budget per step (when the host cannot keep up the
 * pace is re-anchored and `lagging` is reported, instead of piling up debt).
 *
 * The wall clock is read here, in tools/, never in core/ or plugins/: the
 * machine itself stays deterministic (same events in the same order for the
 * same stimuli; only the wall instants at which the server looks differ).
 *
 * A kernel BUG (without `keepGoing`) halts the machine and is shown in the
 * status; an exception escaping the simulation is caught and shown too —
 * neither stops the server.
 *
 * @example
 * ```ts
 * const sim = await PacedSim.load("machines/pc.yaml", { speed: 10 });
 * setInterval(() => sim.step(), 10);
 * sim.status().simTimeNs;
 * ```
 * @module
 */

import type { Kernel } from "../../core/kernel.ts";
import { HARDIRQ_MASK, NMI_MASK, SOFTIRQ_MASK, SOFTIRQ_OFFSET } from "../../core/cpu.ts";
import { loadMachine } from "../../runner/mod.ts";
import type { PluginRegistry } from "../../config/loader.ts";

/** Lowest and highest speed factor (simulated s per wall s). */
export const SPEED_MIN = 0.01;
/** Highest speed factor. */
export const SPEED_MAX = 1000;

/** Options of a paced simulation. */
export interface SimOptions {
  /** Simulated seconds per wall second, SPEED_MIN..SPEED_MAX (default 1). */
  speed?: number;
  /** Wall clock in ms (default `performance.now`); tests pass a fake one. */
  wallMs?: () => number;
  /** Longest compute time one step may take, ms (default 40). */
  budgetMs?: number;
  /** Continue after a kernel BUG instead of halting (default false). */
  keepGoing?: boolean;
}

/** The execution context of one CPU at the end of the last slice. */
export interface CpuContext {
  cpu: number;
  /** Current task: `comm` and `pid` (swapper/N, pid 0, when idle). */
  comm: string;
  pid: number;
  /** Hardirq nesting: preempt_count bits 16-19 (include/linux/preempt.h). */
  hardirq: number;
  /** Softirq count: preempt_count bits 8-15 (0x100 serving, +0x200 per local_bh_disable). */
  softirq: number;
  /** in_serving_softirq(). */
  servingSoftirq: boolean;
  /** in_nmi(). */
  nmi: boolean;
  /** preempt_count as the kernel prints it (`0x%08x`). */
  preemptCount: string;
  /** irqs_disabled(). */
  irqsDisabled: boolean;
}

/** What `/api/status` answers. */
export interface SimStatus {
  machine: string;
  cpus: CpuContext[];
  simTimeNs: number;
  jiffies: number;
  /** Events dispatched since boot. */
  events: number;
  /** Events per wall second over the last second or so. */
  eventsPerSec: number;
  speed: number;
  paused: boolean;
  /** True when the host could not keep the pace in the last step. */
  lagging: boolean;
  /** Kernel BUGs seen. */
  bugs: number;
  /** True once a BUG stopped the machine (without keepGoing). */
  halted: boolean;
  /** The last BUG line of dmesg, if any. */
  bug: string | null;
  /** An exception that escaped the simulation (an irqlab bug), if any. */
  error: string | null;
  trace: { enabled: boolean; written: number; capacity: number };
}

/** A machine stepped in slices paced to wall time. */
export class PacedSim {
  readonly kernel: Kernel;
  readonly machine: string;
  #speed: number;
  #paused = false;
  #lagging = false;
  #error: string | null = null;
  readonly #wallMs: () => number;
  readonly #budgetMs: number;
  /** Wall ms and simulated ns of the pace anchor. */
  #anchorWall = 0;
  #anchorSim = 0;
  /** (wall ms, events) samples for events/s. */
  #rate: { wall: number; events: number }[] = [];

  constructor(kernel: Kernel, machine: string, opts: SimOptions = {}) {
    this.kernel = kernel;
    this.machine = machine;
    this.#speed = checkSpeed(opts.speed ?? 1);
    this.#wallMs = opts.wallMs ?? (() => performance.now());
    this.#budgetMs = opts.budgetMs ?? 40;
    kernel.keepGoing = opts.keepGoing ?? false;
    for (const c of kernel.cpus) c.start();
    this.#anchor();
  }

  /** Load a machine file (booted, CPUs started, tracing on) and wrap it. */
  static async load(
    file: string,
    opts: SimOptions & { seed?: number; registry?: PluginRegistry; traceCapacity?: number } = {},
  ): Promise<PacedSim> {
    const { kernel, spec } = await loadMachine(file, {
      seed: opts.seed,
      registry: opts.registry,
      traceCapacity: opts.traceCapacity,
    });
    kernel.trace.enabled = true;
    return new PacedSim(kernel, spec.name, opts);
  }

  #anchor(): void {
    this.#anchorWall = this.#wallMs();
    this.#anchorSim = this.kernel.now;
  }

  get speed(): number {
    return this.#speed;
  }
  /** Change the speed factor (throws RangeError outside SPEED_MIN..SPEED_MAX). */
  set speed(v: number) {
    this.#speed = checkSpeed(v);
    this.#anchor();
  }

  get paused(): boolean {
    return this.#paused;
  }
  /** Stop advancing simulated time. */
  pause(): void {
    this.#paused = true;
  }
  /** Advance again from now (the paused wall time is not caught up). */
  resume(): void {
    if (this.#paused) this.#anchor();
    this.#paused = false;
  }

  /** True when the machine cannot advance: halted by a BUG or broken by an exception. */
  get stopped(): boolean {
    return this.kernel.halted || this.#error !== null;
  }

  /**
   * Advance the simulation to where the wall clock says it should be, within
   * the compute budget. Returns the simulated ns advanced. Never throws.
   */
  step(): number {
    const wall = this.#wallMs();
    this.#sampleRate(wall);
    if (this.#paused || this.stopped) {
      this.#anchor();
      return 0;
    }
    const k = this.kernel;
    const start = k.now;
    const target = this.#anchorSim + Math.floor((wall - this.#anchorWall) * 1e6 * this.#speed);
    // Slices of at most 1/8 of the gap, so the budget check runs often enough.
    const slice = Math.max(10_000, Math.ceil((target - start) / 8));
    this.#lagging = false;
    while (k.now < target) {
      if (!this.advance(Math.min(slice, target - k.now))) break;
      if (this.#wallMs() - wall > this.#budgetMs) {
        this.#lagging = k.now < target;
        break;
      }
    }
    if (this.#lagging) this.#anchor();
    return k.now - start;
  }

  /**
   * Run `ns` of simulated time now, unpaced (tests and injections use it).
   * Returns false when the machine stopped (BUG or exception). Never throws.
   */
  advance(ns: number): boolean {
    if (this.stopped) return false;
    const k = this.kernel;
    try {
      k.runUntil(k.now + ns);
    } catch (e) {
      this.#error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return false;
    }
    return !this.stopped;
  }

  #sampleRate(wall: number): void {
    const r = this.#rate;
    r.push({ wall, events: this.kernel.clock.dispatched });
    while (r.length > 2 && wall - r[1].wall >= 1000) r.shift();
  }

  /** Events per wall second over the samples kept (about the last second). */
  eventsPerSec(): number {
    const r = this.#rate;
    if (r.length < 2) return 0;
    const a = r[0], b = r[r.length - 1];
    return b.wall > a.wall ? Math.round(((b.events - a.events) * 1000) / (b.wall - a.wall)) : 0;
  }

  /** Run `fn` with the kernel ambient (procfs writes, stimuli); exceptions propagate. */
  enter<R>(fn: () => R): R {
    return this.kernel.enter(fn);
  }

  /** The status document. */
  status(): SimStatus {
    const k = this.kernel;
    let bug: string | null = null;
    if (k.bugs > 0) {
      const lines = k.log.lines();
      for (let i = lines.length - 1; i >= 0; i--) {
        if (lines[i].includes("BUG:")) {
          bug = lines[i];
          break;
        }
      }
    }
    return {
      machine: this.machine,
      cpus: k.cpus.map(cpuContext),
      simTimeNs: k.now,
      jiffies: k.jiffies,
      events: k.clock.dispatched,
      eventsPerSec: this.eventsPerSec(),
      speed: this.#speed,
      paused: this.#paused,
      lagging: this.#lagging,
      bugs: k.bugs,
      halted: k.halted,
      bug,
      error: this.#error,
      trace: { enabled: k.trace.enabled, written: k.trace.written, capacity: k.trace.capacity },
    };
  }
}

function checkSpeed(v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < SPEED_MIN || v > SPEED_MAX) {
    throw new RangeError(`speed must be a number from ${SPEED_MIN} to ${SPEED_MAX}, got ${v}`);
  }
  return v;
}

/** The context of one CPU, from its preempt_count (include/linux/preempt.h) and IF. */
export function cpuContext(c: Kernel["cpus"][number]): CpuContext {
  const pc = c.preemptCount >>> 0;
  return {
    cpu: c.id,
    comm: c.current.comm,
    pid: c.current.pid,
    hardirq: (pc & HARDIRQ_MASK) >>> 16,
    softirq: (pc & SOFTIRQ_MASK) >>> 8,
    servingSoftirq: (pc & SOFTIRQ_OFFSET) !== 0,
    nmi: (pc & NMI_MASK) !== 0,
    preemptCount: "0x" + pc.toString(16).padStart(8, "0"),
    irqsDisabled: c.irqsDisabled,
  };
}
