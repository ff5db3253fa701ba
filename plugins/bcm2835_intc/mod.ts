/**
 * The BCM2835 ARM interrupt controller plugin ("ARMCTRL", irq-bcm2835.c):
 * the `bcm2835_armctrl` device at peripheral base + 0xB200 and Linux's
 * driver, chained from the BCM2836 per-core controller when that plugin is
 * loaded (Pi 2/3), else the root controller (Pi 1).
 *
 * @example
 * ```yaml
 * devices:
 *   armctrl: { kind: bcm2835_armctrl, options: { base: 0x3f00b200 } }
 * wires:
 *   - armctrl.irq -> local_intc.gpu
 * ```
 * @module
 */

import { serviceKey } from "../../core/bus.ts";
import type { Plugin } from "../../core/plugin.ts";
import { ArmKey, INIT_IRQCHIP } from "../arm/mod.ts";
import { Bcm2836Key } from "../bcm2836/mod.ts";
import { Armctrl, armctrlKind } from "./armctrl.ts";
import { armctrl_of_init, type ArmctrlLinux } from "./linux.ts";

export * from "./armctrl.ts";
export * from "./linux.ts";

/** What GPU-interrupt drivers (pinctrl, USB, UART) use. */
export interface Bcm2835Intc {
  /** The device and its driver state once booted. */
  device: Armctrl | undefined;
  linux: ArmctrlLinux | undefined;
}

/** Service key of the ARMCTRL driver. */
export const Bcm2835IntcKey = serviceKey<Bcm2835Intc>("bcm2835_intc");

/** Options of the plugin (none). */
export type Options = Record<string, never>;
/** Defaults of {@linkcode Options}. */
export const defaults = {} satisfies Options;

/** The bcm2835_intc plugin factory. */
export function bcm2835_intc(_options: Partial<Options> = {}): Plugin {
  return {
    name: "bcm2835_intc",
    requires: ["arm"],
    setup(ctx) {
      const k = ctx.kernel;
      ctx.defineDevice(armctrlKind);
      const svc: Bcm2835Intc = { device: undefined, linux: undefined };
      k.bus.provide(Bcm2835IntcKey, svc, "bcm2835_intc");
      const arm = k.bus.get(ArmKey);
      arm.initcall(INIT_IRQCHIP, "armctrl_of_init", () => {
        const dev = [...k.devices.values()].find((d) => d instanceof Armctrl) as Armctrl;
        if (!dev) return;
        svc.device = dev;
        svc.linux = armctrl_of_init(k, arm, dev.options.base, k.bus.tryGet(Bcm2836Key)?.linux);
        // The platform's interrupt resources: which Linux IRQ each input is.
        for (let n = 0; n < 64; n++) {
          const irq = svc.linux.gpuIrq(n);
          if (irq) arm.gi.inputIrq.set(dev.pins.get(`gpu${n}`), irq);
        }
        for (let n = 0; n < 8; n++) {
          const irq = svc.linux.domain.findMapping(n);
          if (irq) arm.gi.inputIrq.set(dev.pins.get(`arm${n}`), irq);
        }
      });
    },
  };
}
