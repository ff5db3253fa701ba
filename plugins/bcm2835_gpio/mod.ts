/**
 * The BCM2835 GPIO plugin: the `bcm2835_gpio` device (54 pins, event
 * detect, pulls, bank interrupts), Linux's pinctrl-bcm2835 driver with its
 * `pinctrl-bcm2835` irq chip and chained bank handlers, and the legacy GPIO
 * API for modules (`gpio_request`, `gpio_to_irq`, ...).
 *
 * @example
 * ```yaml
 * devices:
 *   gpio: { kind: bcm2835_gpio, options: { base: 0x3f200000 } }
 * wires:
 *   - gpio.int0 -> armctrl.gpu49
 *   - button.out -> gpio.gpio15
 * ```
 * @module
 */

import { serviceKey } from "../../core/bus.ts";
import type { Plugin } from "../../core/plugin.ts";
import { ArmKey, INIT_ARCH } from "../arm/mod.ts";
import { Armctrl, Bcm2835IntcKey, GPU_IRQ } from "../bcm2835_intc/mod.ts";
import { Bcm2835Gpio, gpioKind } from "./gpio.ts";
import { Gpiolib, GpiolibKey } from "./gpiolib.ts";
import { bcm2835_pinctrl_probe, type Bcm2835Pinctrl } from "./linux.ts";

export * from "./gpio.ts";
export * from "./gpiolib.ts";
export * from "./linux.ts";

/** The driver state, once probed. */
export interface Bcm2835GpioService {
  device: Bcm2835Gpio | undefined;
  pinctrl: Bcm2835Pinctrl | undefined;
}

/** Service key of the pinctrl driver. */
export const Bcm2835GpioKey = serviceKey<Bcm2835GpioService>("bcm2835_gpio");

/** Options of the plugin (none). */
export type Options = Record<string, never>;
/** Defaults of {@linkcode Options}. */
export const defaults = {} satisfies Options;

/** The GPU interrupt a bank output is wired to (its DT `interrupts` entry), or the datasheet's. */
function bankGpuIrq(dev: Bcm2835Gpio, g: number): number {
  for (const t of dev.banks[g].targets) {
    const m = /\.gpu(\d+)$/.exec(t.name);
    if (m && t.owner instanceof Armctrl) return Number(m[1]);
  }
  return GPU_IRQ.GPIO0 + g;
}

/** The bcm2835_gpio plugin factory. */
export function bcm2835_gpio(_options: Partial<Options> = {}): Plugin {
  return {
    name: "bcm2835_gpio",
    requires: ["arm", "bcm2835_intc"],
    setup(ctx) {
      const k = ctx.kernel;
      ctx.defineDevice(gpioKind);
      const gpiolib = new Gpiolib(k);
      k.bus.provide(GpiolibKey, gpiolib, "bcm2835_gpio");
      const svc: Bcm2835GpioService = { device: undefined, pinctrl: undefined };
      k.bus.provide(Bcm2835GpioKey, svc, "bcm2835_gpio");
      const arm = k.bus.get(ArmKey);
      arm.initcall(INIT_ARCH, "bcm2835_pinctrl_probe", () => {
        const dev = [...k.devices.values()].find((d) => d instanceof Bcm2835Gpio) as
          | Bcm2835Gpio
          | undefined;
        const armctrl = k.bus.get(Bcm2835IntcKey).linux;
        if (!dev || !armctrl) return;
        svc.device = dev;
        const banks = [0, 1, 2].map((g) => bankGpuIrq(dev, g));
        svc.pinctrl = bcm2835_pinctrl_probe(k, arm, dev.options.base, gpiolib, armctrl, banks);
        // role_irq(): a device wired to pad gpio<n> is served by gpio_to_irq(n),
        // mapped on first use (the chip's base is 0)
        for (const [name, pin] of dev.pins) {
          const m = /^gpio(\d+)$/.exec(name);
          if (!m) continue;
          const n = Number(m[1]);
          arm.gi.lazyInputIrq.set(pin, () => {
            const d = gpiolib.toDesc(n);
            return d ? d.chip.to_irq(d.offset) : -1;
          });
        }
      });
    },
  };
}
