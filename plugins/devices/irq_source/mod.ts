/**
 * A signal generator: a device with one interrupt output, for experiments,
 * register-level tests and benchmarks. In `level` mode it asserts `irq` and
 * holds it until software writes its acknowledge port (like a device whose
 * driver clears the cause); in `edge` mode it drives a pulse of `width_ns`.
 * With `period_ns` it fires by itself; stimuli fire it from scenarios.
 *
 * @example
 * ```yaml
 * devices:
 *   gen: { kind: irq_source, options: { mode: level, ack_port: 0x300, period_ns: 10000 } }
 * wires:
 *   - gen.irq -> pic_master.ir5
 * ```
 * @module
 */

import { z } from "zod";
import type { Kernel } from "../../../core/kernel.ts";
import { OutputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind, StimulusKind } from "../../../core/plugin.ts";
import { Timer } from "../../../core/scheduler.ts";

/** Options of an irq_source. */
export const irqSourceOptions = z.object({
  mode: z.enum(["level", "edge"]).default("level").describe(
    "level: held until acknowledged; edge: a pulse of width_ns",
  ),
  ack_port: z.number().int().min(0).max(0xffff).optional().describe(
    "x86 port whose write acknowledges (deasserts) a level request; reads return the pending count",
  ),
  ack_mmio: z.number().int().min(0).optional().describe(
    "MMIO address with the same role as ack_port",
  ),
  period_ns: z.number().int().min(0).default(0).describe(
    "Fire every period_ns (0: only on stimuli)",
  ),
  width_ns: z.number().int().min(1).default(100).describe("Pulse width in edge mode"),
}).strict();

/** Parsed options. */
export type IrqSourceOptions = z.output<typeof irqSourceOptions>;

/** The signal generator. */
export class IrqSource implements Device {
  readonly kind = "irq_source";
  readonly pins: ReadonlyMap<string, Pin>;
  readonly irq: OutputPin;
  /** Requests made so far. */
  fired = 0;
  /** Acknowledges received. */
  acked = 0;
  readonly stimuli: Record<string, StimulusKind<unknown>>;
  // One timer each for the period and the pulse end: armed by identity, no
  // allocation per request.
  #period = new Timer(() => {
    this.k.clock.armIn(this.#period, this.o.period_ns);
    this.fire();
  });
  #pulseEnd = new Timer(() => this.irq.set(false));

  constructor(readonly name: string, readonly o: IrqSourceOptions, readonly k: Kernel) {
    this.irq = new OutputPin(`${name}.irq`, this);
    this.pins = new Map([["irq", this.irq]]);
    const handler = {
      read: () => this.fired - this.acked,
      write: () => this.ack(),
    };
    if (o.ack_port !== undefined) k.ports.map(o.ack_port, 1, handler, name);
    if (o.ack_mmio !== undefined) k.mmio.map(o.ack_mmio, 4, handler, name);
    if (o.period_ns > 0) k.clock.arm(this.#period, o.period_ns);
    this.stimuli = {
      fire: {
        description: "fire `count` requests, `interval_us` apart",
        args: z.object({
          count: z.number().int().min(1).default(1),
          interval_us: z.number().min(0).default(1000),
        }).strict(),
        apply: (a, at) => {
          const { count, interval_us } = a as { count: number; interval_us: number };
          for (let i = 0; i < count; i++) {
            k.clock.schedule(at + Math.round(i * interval_us * 1000), () => this.fire());
          }
        },
      },
    };
  }

  /** Raise one request. */
  fire(): void {
    this.fired++;
    if (this.o.mode === "level") this.irq.set(true);
    else {
      this.irq.set(true);
      this.k.clock.armIn(this.#pulseEnd, this.o.width_ns);
    }
  }

  /** Acknowledge: deassert a level request. */
  ack(): void {
    this.acked++;
    if (this.o.mode === "level") this.irq.set(false);
  }

  /** Stop the periodic source. */
  stop(): void {
    this.k.clock.disarm(this.#period);
  }
}

/** The device kind. */
export const irqSourceKind: DeviceKind<IrqSourceOptions> = {
  kind: "irq_source",
  description:
    "signal generator with one interrupt output (level with an ack port, or edge pulses)",
  options: irqSourceOptions,
  create: (name, o, k) => new IrqSource(name, o, k),
};
