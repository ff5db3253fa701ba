/**
 * The BCM2835 system timer at peripheral base + 0x3000 (BCM2835 ARM
 * Peripherals chapter 12): a free-running 1 MHz counter (CLO/CHI) and four
 * compare registers C0-C3; a match sets its bit in CS (write 1 to clear)
 * and raises GPU interrupt 0-3 (outputs `c0`..`c3`). C0 and C2 belong to
 * the VideoCore; Linux uses C3 for its clock event (`timer`), C1 is free.
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler } from "../../../core/io.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { OutputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind } from "../../../core/plugin.ts";
import { Timer } from "../../../core/scheduler.ts";

export const ST_CS = 0x00;
export const ST_CLO = 0x04;
export const ST_CHI = 0x08;
export const ST_C0 = 0x0c;
const TICK_NS = 1000;

/** Options of a `bcm2835_systimer`. */
export interface SysTimerOptions {
  base: number;
}

/** The system timer. */
export class SysTimer implements Device {
  readonly kind = "bcm2835_systimer";
  readonly out: OutputPin[] = [];
  readonly pins: ReadonlyMap<string, Pin>;
  cs = 0;
  readonly cmp = new Uint32Array(4);
  readonly #timers: Timer[] = [];

  constructor(readonly kernel: Kernel, readonly name: string, readonly options: SysTimerOptions) {
    const pins = new Map<string, Pin>();
    for (let i = 0; i < 4; i++) {
      const p = new OutputPin(`${name}.c${i}`, this);
      this.out.push(p);
      pins.set(`c${i}`, p);
      this.#timers.push(
        new Timer(() => {
          this.cs |= 1 << i;
          this.#update();
        }),
      );
    }
    this.pins = pins;
    const h: IoHandler = { read: (o) => this.read(o), write: (o, v) => this.write(o, v) };
    kernel.mmio.map(options.base, 0x1c, h, name);
  }

  /** The 64-bit counter, µs since reset. */
  counter(): number {
    const k = this.kernel;
    return Math.floor((k.now + (k.currentCpu?.accum ?? 0)) / TICK_NS);
  }

  read(o: number): number {
    if (o === ST_CS) return this.cs;
    if (o === ST_CLO) return this.counter() >>> 0;
    if (o === ST_CHI) return Math.floor(this.counter() / 2 ** 32) >>> 0;
    if (o >= ST_C0 && o < ST_C0 + 16) return this.cmp[(o - ST_C0) >> 2];
    return 0;
  }

  write(o: number, v: number): void {
    v >>>= 0;
    if (o === ST_CS) {
      this.cs &= ~v & 0xf;
      this.#update();
    } else if (o >= ST_C0 && o < ST_C0 + 16) {
      const i = (o - ST_C0) >> 2;
      this.cmp[i] = v;
      // the next time CLO equals the compare value
      const k = this.kernel;
      const lo = this.counter() >>> 0;
      let delta = (v - lo) >>> 0;
      if (delta === 0) delta = 2 ** 32;
      k.clock.disarm(this.#timers[i]);
      const at = (Math.floor(k.now / TICK_NS) + delta) * TICK_NS;
      k.clock.arm(this.#timers[i], at);
    }
  }

  #update(): void {
    for (let i = 0; i < 4; i++) this.out[i].set((this.cs & (1 << i)) !== 0);
  }
}

/** Device kind `bcm2835_systimer`. */
export const sysTimerKind: DeviceKind<SysTimerOptions> = {
  kind: "bcm2835_systimer",
  description: "BCM2835 system timer: 1 MHz counter, compare matches C0-C3",
  options: z.object({
    base: z.number().int().min(0).default(0x3f003000).describe("Physical base address."),
  }).strict() as unknown as z.ZodType<SysTimerOptions>,
  create: (name, options, kernel) => new SysTimer(kernel, name, options),
};
