/**
 * An LED on a GPIO output (through its resistor to ground): lit while the
 * pad is high. Input `in`, wired from `gpio.gpio<n>_out`.
 *
 * @module
 */

import { z } from "zod";
import type { Kernel } from "../../../core/kernel.ts";
import { InputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind } from "../../../core/plugin.ts";

/** Options of an `led` (none). */
export type LedOptions = Record<string, never>;

/** The LED. */
export class Led implements Device {
  readonly kind = "led";
  readonly in: InputPin;
  readonly pins: ReadonlyMap<string, Pin>;
  /** Times it lit (rising edges seen). */
  flashes = 0;
  /** Lit time so far, ns (up to the last change). */
  litNs = 0;
  #since = 0;

  constructor(readonly kernel: Kernel, readonly name: string) {
    this.in = new InputPin(
      `${name}.in`,
      (l) => {
        const now = kernel.now;
        if (l) {
          this.flashes++;
          this.#since = now;
        } else this.litNs += now - this.#since;
      },
      false,
      this,
    );
    this.pins = new Map<string, Pin>([["in", this.in]]);
  }

  /** Lit now? */
  get lit(): boolean {
    return this.in.level;
  }
}

/** Device kind `led`. */
export const ledKind: DeviceKind<LedOptions> = {
  kind: "led",
  description: "LED on a GPIO output, lit while the pad is high",
  options: z.object({}).strict() as unknown as z.ZodType<LedOptions>,
  create: (name, _options, kernel) => new Led(kernel, name),
};
