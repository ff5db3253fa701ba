/**
 * The tasklet plugin: `struct tasklet_struct`, the per-CPU tasklet lists on
 * TASKLET_SOFTIRQ and HI_SOFTIRQ, and the driver API (`tasklet_schedule`,
 * `tasklet_disable`, `tasklet_kill`, ...) as Linux 6.1 has them
 * (kernel/softirq.c, include/linux/interrupt.h). Provides
 * {@linkcode TaskletKey}; requires the softirq plugin. When genirq is
 * loaded it also installs the software IRQ resend (kernel/irq/resend.c),
 * which replays an edge interrupt from a tasklet when the chip cannot
 * retrigger it.
 *
 * @example
 * ```yaml
 * plugins:
 *   - genirq
 *   - softirq
 *   - tasklet
 * ```
 * @module
 */

import type { Plugin } from "../../core/plugin.ts";
import { GenIrqKey } from "../genirq/mod.ts";
import { SoftirqKey } from "../softirq/mod.ts";
import { installSwResend } from "./resend.ts";
import { TaskletKey, Tasklets } from "./tasklet.ts";

export * from "./tasklet.ts";
export * from "./api.ts";

/**
 * Options of the tasklet plugin (named `TaskletOptions` because the root
 * mod.ts re-exports several plugins' modules side by side).
 */
export interface TaskletOptions {
  /** Install genirq's software resend tasklet (CONFIG_HARDIRQS_SW_RESEND, on for x86 and ARM). */
  swResend: boolean;
}

/** Default options. */
export const taskletDefaults = { swResend: true } satisfies TaskletOptions;

/** The tasklet plugin factory. */
export function tasklet(options: Partial<TaskletOptions> = {}): Plugin {
  const opts: TaskletOptions = { ...taskletDefaults, ...options };
  return {
    name: "tasklet",
    requires: ["softirq"],
    setup(ctx) {
      const k = ctx.kernel;
      const t = new Tasklets(k, k.bus.get(SoftirqKey));
      k.bus.provide(TaskletKey, t, "tasklet");
      t.softirq_init(); // softirq_init(): open_softirq(TASKLET_SOFTIRQ / HI_SOFTIRQ)
    },
    start(k) {
      const gi = k.bus.tryGet(GenIrqKey);
      if (opts.swResend && gi) installSwResend(gi, k.bus.get(TaskletKey));
    },
  };
}
