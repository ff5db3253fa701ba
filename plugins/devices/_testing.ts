/**
 * Test helpers for the device models: a probe that records every level
 * change of an output pin with the simulated time it happened.
 *
 * @module
 */

import type { Kernel } from "../../core/kernel.ts";
import { connect, InputPin, type OutputPin } from "../../core/line.ts";

/** One recorded level change. */
export interface Edge {
  /** Simulated time, ns. */
  t: number;
  level: boolean;
}

/**
 * An input pin connected to a device's output that records its edges.
 *
 * @example
 * ```ts
 * const probe = new Probe(k, pit.out0);
 * k.runUntil(1e9);
 * probe.rises().length;
 * ```
 */
export class Probe {
  /** Every change, in order. */
  readonly edges: Edge[] = [];
  /** The input pin wired to the probed output. */
  readonly pin: InputPin;

  constructor(kernel: Kernel, out: OutputPin, onChange?: (level: boolean) => void) {
    this.pin = new InputPin(`probe.${out.name}`, (level) => {
      this.edges.push({ t: kernel.clock.now, level });
      onChange?.(level);
    });
    connect(out, this.pin);
  }

  /** Current level of the probed line. */
  get level(): boolean {
    return this.pin.level;
  }

  /** Times of rising edges. */
  rises(): number[] {
    return this.edges.filter((e) => e.level).map((e) => e.t);
  }

  /** Times of falling edges. */
  falls(): number[] {
    return this.edges.filter((e) => !e.level).map((e) => e.t);
  }
}
