/**
 * The genirq plugin: the generic IRQ layer as a service, plus the driver
 * API in the kernel's names (`request_irq`, `free_irq`, `disable_irq`, ...).
 *
 * @example
 * ```ts
 * import { IRQF_SHARED, IRQ_NONE, request_irq } from "../../mod.ts";
 * const dev = {};
 * function handler(irq: number, dev_id: unknown) { return IRQ_NONE; }
 * request_irq(1, handler, IRQF_SHARED, "my_keyboard_handler", dev);
 * ```
 * @module
 */

import type { Plugin } from "../../core/plugin.ts";
import { defaultAffinityWrite, writeIrqAffinity } from "./affinity.ts";
import { GenIrq, GenIrqKey } from "./genirq.ts";
import { formatCpumask, readProcIrq, showInterrupts } from "./proc.ts";

export * from "./constants.ts";
export * from "./desc.ts";
export * from "./flow.ts";
export * from "./genirq.ts";
export * from "./proc.ts";
export * from "./api.ts";
export * from "./affinity.ts";
export { SPURIOUS_THRESHOLD, SPURIOUS_WINDOW } from "./spurious.ts";

/** genirq plugin options. */
export interface Options {
  /** Initial IRQ_* settings of every desc (ARM kernels: IRQ_NOREQUEST | IRQ_NOPROBE). */
  initFlags: number;
}

/** Defaults: x86 (no initial settings). */
export const defaults = { initFlags: 0 } satisfies Options;

/** The generic IRQ layer plugin. Provides {@linkcode GenIrqKey}. */
export function genirq(options: Partial<Options> = {}): Plugin {
  const opts = { ...defaults, ...options };
  return {
    name: "genirq",
    setup(ctx) {
      const k = ctx.kernel;
      const gi = new GenIrq(k, opts);
      k.bus.provide(GenIrqKey, gi, "genirq");
      k.procfs.register("/proc/interrupts", () => showInterrupts(gi, k));
      k.procfs.register(
        "/proc/irq/default_smp_affinity",
        () => formatCpumask(gi.defaultAffinity, k.cpus.length) + "\n",
        (data) => defaultAffinityWrite(gi, data),
      );
      k.procfs.registerDir(
        "/proc/irq/",
        (rest) => {
          const m = /^(\d+)\/([a-z_]+)$/.exec(rest);
          return m ? readProcIrq(gi, k, Number(m[1]), m[2]) : undefined;
        },
        (rest, data) => {
          const m = /^(\d+)\/(smp_affinity|smp_affinity_list)$/.exec(rest);
          if (!m || readProcIrq(gi, k, Number(m[1]), m[2]) === undefined) return undefined;
          return writeIrqAffinity(gi, Number(m[1]), m[2] === "smp_affinity_list", data);
        },
      );
    },
  };
}
