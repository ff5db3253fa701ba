/**
 * Test rig: a bare kernel with the softirq and workqueue plugins set up and
 * started, and a way to run driver code in a task.
 *
 * @module
 */
import type { BodyGenerator } from "../../core/body.ts";
import type { Kernel, KernelConfig } from "../../core/kernel.ts";
import type { Task } from "../../core/sched.ts";
import { testKernel } from "../../tests/helpers.ts";
import { softirq } from "../softirq/mod.ts";
import { timers } from "../timers/mod.ts";
import { workqueue } from "./mod.ts";
import { WorkqueueKey, type WorkqueueOptions, type Workqueues } from "./workqueue.ts";

/** A kernel with `nrCpus` CPUs, softirq and workqueue started (kworkers exist, asleep once run). */
export function wqKernel(
  nrCpus = 1,
  opts: Partial<WorkqueueOptions> = {},
  config: Partial<KernelConfig> = {},
  ticks = true,
): { k: Kernel; w: Workqueues } {
  const k = testKernel(nrCpus, config);
  const plugins = [softirq(), timers(), workqueue(opts)];
  for (const p of plugins) p.setup({ kernel: k, defineDevice: () => {} });
  for (const p of plugins) p.start?.(k);
  if (ticks) {
    // the periodic tick, without an interrupt controller: CPU 0 advances jiffies, every CPU
    // runs the tick listeners (the timers plugin raises TIMER_SOFTIRQ; ksoftirqd runs it)
    const period = Math.round(1e9 / k.config.hz);
    const tick = () => {
      for (const c of k.cpus) k.tick(c);
      k.clock.scheduleIn(period, tick);
    };
    k.clock.schedule(period, tick);
  }
  return { k, w: k.bus.get(WorkqueueKey) };
}

/** Run `body` in a new user task (like insmod) on `cpu`. */
export function runTask(
  k: Kernel,
  body: () => BodyGenerator<unknown>,
  cpu = 0,
  comm = "insmod",
): Task {
  return k.sched.create({ comm, kthread: false, cpu, cpusAllowed: [cpu], body: body() });
}

/** comm of every live task, in pid order. */
export function comms(k: Kernel): string[] {
  return k.sched.tasks.filter((t) => t.state !== "X").map((t) => t.comm);
}
