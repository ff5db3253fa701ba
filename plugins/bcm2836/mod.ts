/**
 * The BCM2836/2837 per-core interrupt controller plugin (Raspberry Pi 2/3):
 * the `bcm2836_l1_intc` device (registers at 0x40000000, the cores' generic
 * timers, mailboxes, GPU interrupt routing) and Linux's irq-bcm2836.c
 * driver with the arch timer, booted as the root interrupt controller.
 *
 * @example
 * ```yaml
 * plugins: [genirq, arm, bcm2836, bcm2835_intc]
 * devices:
 *   local_intc: { kind: bcm2836_l1_intc }
 * wires:
 *   - local_intc.irq0 -> cpu0.intr
 * ```
 * @module
 */

import { serviceKey } from "../../core/bus.ts";
import type { Plugin } from "../../core/plugin.ts";
import { ArmKey, INIT_IRQCHIP_ROOT, INIT_TIMER } from "../arm/mod.ts";
import {
  arch_timer_of_init,
  bcm2836_arm_irqchip_l1_intc_of_init,
  type Bcm2836Linux,
} from "./linux.ts";
import { LocalIntc, localIntcKind } from "./local_intc.ts";

export * from "./local_intc.ts";
export * from "./linux.ts";

/** What the ARMCTRL driver needs from this one. */
export interface Bcm2836 {
  /** The driver's state once booted (undefined before, or without the device). */
  linux: Bcm2836Linux | undefined;
}

/** Service key of the BCM2836 driver. */
export const Bcm2836Key = serviceKey<Bcm2836>("bcm2836");

/** Options of the bcm2836 plugin. */
export interface Options {
  /** Cost of the arch timer interrupt's tick work (tick_handle_periodic), ns. */
  tick_ns: number;
}

/** Defaults of {@linkcode Options}. */
export const defaults = { tick_ns: 2000 } satisfies Options;

/** The bcm2836 plugin factory. */
export function bcm2836(options: Partial<Options> = {}): Plugin {
  const opts = { ...defaults, ...options };
  return {
    name: "bcm2836",
    requires: ["arm"],
    setup(ctx) {
      const k = ctx.kernel;
      ctx.defineDevice(localIntcKind);
      const svc: Bcm2836 = { linux: undefined };
      k.bus.provide(Bcm2836Key, svc, "bcm2836");
      const arm = k.bus.get(ArmKey);
      const find = () => [...k.devices.values()].find((d) => d instanceof LocalIntc) as LocalIntc;
      arm.initcall(INIT_IRQCHIP_ROOT, "bcm2836_arm_irqchip_l1_intc_of_init", () => {
        const intc = find();
        if (intc) svc.linux = bcm2836_arm_irqchip_l1_intc_of_init(k, arm, intc);
      });
      // timer_probe() in device-tree order: the SoC's system timer first.
      arm.initcall(INIT_TIMER + 1, "arch_timer_of_init", () => {
        if (svc.linux) arch_timer_of_init(k, arm, svc.linux, opts.tick_ns);
      });
    },
  };
}
