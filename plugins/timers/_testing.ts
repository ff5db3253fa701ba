/**
 * A test bench for the timers plugin: the genirq FakeBench with the softirq
 * and timers plugins, and a periodic tick on every CPU (a per-CPU timer
 * interrupt on IRQ 1 + cpu whose handler is tick_handle_periodic: CPU 0
 * advances jiffies, every CPU runs update_process_times). Ticks come every
 * `tickNs` (default 10^9 / HZ, rounded), CPU 0 first.
 *
 * @module
 */

import type { KernelConfig } from "../../core/kernel.ts";
import { FakeBench } from "../genirq/_fake.ts";
import { IRQ_HANDLED, IRQF_NO_THREAD, IRQF_TIMER } from "../genirq/constants.ts";
import { handle_edge_irq } from "../genirq/flow.ts";
import { type Softirq, softirq, SoftirqKey } from "../softirq/mod.ts";
import { timers } from "./mod.ts";
import { type Timers, TimersKey } from "./wheel.ts";
import { type Hrtimers, HrtimersKey, KTIME_MAX } from "./hrtimer.ts";

/** FakeBench + softirq + timers + a periodic tick per CPU. */
export class TimerBench extends FakeBench {
  readonly s: Softirq;
  readonly t: Timers;
  readonly tickNs: number;
  /** Ticks taken per CPU. */
  readonly ticks: number[];

  constructor(nrCpus = 1, config: Partial<KernelConfig> = {}, tickNs?: number) {
    super(nrCpus, handle_edge_irq, config);
    const k = this.k;
    const plugins = [softirq(), timers()];
    for (const p of plugins) p.setup({ kernel: k, defineDevice: () => {} });
    for (const p of plugins) p.start?.(k);
    this.s = k.bus.get(SoftirqKey);
    this.t = k.bus.get(TimersKey);
    this.tickNs = tickNs ?? Math.round(1e9 / k.config.hz);
    this.ticks = k.cpus.map(() => 0);
    for (const cpu of k.cpus) {
      const irq = 1 + cpu.id;
      const handler = () => {
        const c = k.thisCpu();
        this.ticks[c.id]++;
        k.tick(c);
        return IRQ_HANDLED;
      };
      const flags = IRQF_NO_THREAD | IRQF_TIMER;
      const r = this.call(() =>
        this.gi.request_threaded_irq(irq, handler, null, flags, "timer", {})
      );
      if (r !== 0) throw new Error(`request_irq(${irq}) failed: ${r}`);
    }
    const fire = () => {
      for (const cpu of k.cpus) this.fire(1 + cpu.id, cpu.id);
      k.clock.scheduleIn(this.tickNs, fire);
    };
    k.clock.scheduleIn(this.tickNs, fire);
  }

  /** Run until jiffies reaches `j` and half a tick more (the tick's softirqs have run). */
  runToJiffies(j: number): void {
    while (this.k.jiffies < j && !this.k.halted) this.run(this.tickNs);
    this.run(Math.floor(this.tickNs / 2));
  }
}

/**
 * Give every CPU of the bench a fake one-shot clock event device (an
 * interrupt on IRQ 20 + cpu at the programmed time, whose handler is
 * hrtimer_interrupt) and switch its hrtimers to high resolution.
 */
export function oneShot(b: TimerBench): Hrtimers {
  const h = b.k.bus.get(HrtimersKey);
  for (const cpu of b.k.cpus) {
    const irq = 20 + cpu.id;
    let ev = -1;
    const r = b.call(() =>
      b.gi.request_threaded_irq(
        irq,
        () => {
          h.hrtimerInterrupt(b.k.thisCpu());
          return IRQ_HANDLED;
        },
        null,
        IRQF_NO_THREAD | IRQF_TIMER,
        "hrtimer",
        {},
      )
    );
    if (r !== 0) throw new Error(`request_irq(${irq}) failed: ${r}`);
    h.switchToHres(cpu, {
      name: "fake-oneshot",
      program(c, at) {
        if (ev >= 0) b.k.clock.cancel(ev);
        ev = -1;
        if (at >= KTIME_MAX) return;
        ev = b.k.clock.schedule(Math.max(at, b.k.now), () => {
          ev = -1;
          b.fire(irq, c.id);
        });
      },
    });
  }
  return h;
}
