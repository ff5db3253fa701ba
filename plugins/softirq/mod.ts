/**
 * The softirq plugin: softirq vectors, `__do_softirq` at irq_exit,
 * `ksoftirqd/N`, bottom-half disabling and `/proc/softirqs`, as Linux 6.1
 * runs them (6.6 when the machine's kernel version says so). It provides
 * {@linkcode SoftirqKey} and the core's {@linkcode SoftirqHooksKey}.
 *
 * @example
 * ```yaml
 * plugins:
 *   - genirq
 *   - softirq
 * ```
 * @module
 */

import { SoftirqHooksKey } from "../../core/kernel.ts";
import type { Plugin } from "../../core/plugin.ts";
import { Softirq, SoftirqKey } from "./softirq.ts";

export * from "./softirq.ts";
export * from "./api.ts";

/**
 * Options of the softirq plugin. Named `SoftirqOptions` (not `Options`)
 * because the root mod.ts re-exports this module next to genirq's, which
 * already exports `Options` and `defaults`.
 */
export interface SoftirqOptions {
  /** Create ksoftirqd/N at start (spawn_ksoftirqd). Without them every raise waits for irq_exit. */
  ksoftirqd: boolean;
}

/** Default options: ksoftirqd threads as in every kernel. */
export const softirqDefaults = { ksoftirqd: true } satisfies SoftirqOptions;

/** The softirq plugin factory. */
export function softirq(options: Partial<SoftirqOptions> = {}): Plugin {
  const opts: SoftirqOptions = { ...softirqDefaults, ...options };
  return {
    name: "softirq",
    requires: [],
    setup(ctx) {
      const k = ctx.kernel;
      const s = new Softirq(k);
      k.bus.provide(SoftirqKey, s, "softirq");
      k.bus.provide(SoftirqHooksKey, s, "softirq");
      k.softirqHooks = s;
      k.procfs.register("/proc/softirqs", () => s.show());
    },
    start(k) {
      if (opts.ksoftirqd) k.bus.get(SoftirqKey).spawnKsoftirqd();
    },
  };
}
