/**
 * The workqueue plugin: concurrency-managed workqueues (CMWQ) as Linux 6.1
 * runs them — worker pools and kworkers, max_active, the system workqueues,
 * queueing, flushing and cancelling, trace events and
 * /sys/devices/virtual/workqueue/. It provides {@linkcode WorkqueueKey}.
 *
 * @example
 * ```yaml
 * plugins:
 *   - genirq
 *   - softirq
 *   - timers
 *   - workqueue
 * ```
 * @module
 */

import type { Plugin } from "../../core/plugin.ts";
import { WQ_MEM_RECLAIM, WQ_SYSFS, WQ_UNBOUND } from "./constants.ts";
import {
  workqueueDefaults,
  WorkqueueKey,
  type WorkqueueOptions,
  Workqueues,
  WQ_SYSFS_DIR,
} from "./workqueue.ts";

export * from "./constants.ts";
export * from "./work.ts";
export * from "./workqueue.ts";
export * from "./api.ts";
export * from "./delayed.ts";

/** Raised for bad plugin options (the loader reports it at the plugin's entry in the machine file). */
export class WorkqueueOptionsError extends Error {
  /** Error name. */
  override name = "WorkqueueOptionsError";
}

/** Check the options a machine file gives (`{ name: workqueue, options: {...} }`). */
function checkOptions(options: Record<string, unknown>): void {
  const known = Object.keys(workqueueDefaults);
  for (const [key, v] of Object.entries(options)) {
    if (!known.includes(key)) {
      throw new WorkqueueOptionsError(
        `unknown workqueue option "${key}" (expected one of: ${known.join(", ")})`,
      );
    }
    if (key === "create_worker_ns" && !(Number.isInteger(v) && (v as number) >= 0)) {
      throw new WorkqueueOptionsError(
        `workqueue option create_worker_ns must be a whole number of ns >= 0, got ${
          JSON.stringify(v)
        }`,
      );
    }
    if (key === "power_efficient" && typeof v !== "boolean") {
      throw new WorkqueueOptionsError(
        `workqueue option power_efficient must be true or false, got ${JSON.stringify(v)}`,
      );
    }
  }
}

/** The workqueue plugin factory. */
export function workqueue(options: Partial<WorkqueueOptions> = {}): Plugin {
  checkOptions(options as Record<string, unknown>);
  const opts: WorkqueueOptions = { ...workqueueDefaults, ...options };
  return {
    name: "workqueue",
    requires: ["softirq", "timers"],
    setup(ctx) {
      const k = ctx.kernel;
      const w = new Workqueues(k, opts);
      k.bus.provide(WorkqueueKey, w, "workqueue");
      w.initEarly();
      k.procfs.registerDir(
        WQ_SYSFS_DIR,
        (rest) => w.sysfsRead(rest),
        (rest, data) => w.sysfsWrite(rest, data),
      );
    },
    start(k) {
      const w = k.bus.get(WorkqueueKey);
      w.init();
      // mm/backing-dev.c default_bdi_init(): the WQ_SYSFS workqueue every system has
      k.enter(() => w.alloc_workqueue("writeback", WQ_MEM_RECLAIM | WQ_UNBOUND | WQ_SYSFS, 0));
    },
  };
}
