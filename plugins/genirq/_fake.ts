/**
 * A fake irq chip and a minimal architecture for genirq tests (the idea of
 * kernel/irq/irq_test.c's "fake" chip): every chip call is recorded, and
 * `fire(irq)` delivers an interrupt through a CPU's real entry path
 * (irq_enter -> flow handler -> irq_exit), so flows, threads and the
 * executor are exercised together.
 *
 * @module
 */

import { type Body, CALL, DONE } from "../../core/body.ts";
import type { Cpu } from "../../core/cpu.ts";
import type { Kernel } from "../../core/kernel.ts";
import { testKernel } from "../../tests/helpers.ts";
import type { IrqChip, IrqData } from "./desc.ts";
import type { FlowHandler } from "./flow.ts";
import { GenIrq, GenIrqKey } from "./genirq.ts";
import { showInterrupts } from "./proc.ts";

/** A recording chip. */
export class FakeChip implements IrqChip {
  readonly name = "fake";
  readonly calls: string[] = [];
  /** When false, the chip has no irq_retrigger (software resend path). */
  retrigger = true;
  flags = 0;
  irq_mask(d: IrqData): void {
    this.calls.push(`mask ${d.irq}`);
  }
  irq_unmask(d: IrqData): void {
    this.calls.push(`unmask ${d.irq}`);
  }
  irq_ack(d: IrqData): void {
    this.calls.push(`ack ${d.irq}`);
  }
  irq_eoi(d: IrqData): void {
    this.calls.push(`eoi ${d.irq}`);
  }
  irq_set_type(d: IrqData, type: number): number {
    this.calls.push(`set_type ${d.irq} ${type}`);
    return 0;
  }
  irq_retrigger = (d: IrqData): number => {
    this.calls.push(`retrigger ${d.irq}`);
    return this.retrigger ? 1 : 0;
  };
}

class FakeEntry implements Body {
  readonly label = "fake_entry";
  phase = 0;
  constructor(readonly bench: FakeBench) {}
  step(cpu: Cpu): number {
    switch (this.phase) {
      case 0: {
        this.phase = 1;
        cpu.irqEnter();
        const irq = this.bench.pending[cpu.id].shift()!;
        if (this.bench.pending[cpu.id].length === 0) cpu.setIntr(false);
        const b = this.bench.gi.flowBody(cpu, irq);
        if (b) {
          cpu.callee = b;
          return CALL;
        }
        return 0;
      }
      case 1: {
        this.phase = 2;
        const sb = cpu.irqExit();
        if (sb) {
          cpu.callee = sb;
          return CALL;
        }
        return 0;
      }
      default:
        this.phase = 0;
        return DONE;
    }
  }
}

/** A kernel with genirq, a fake chip on IRQs 1..31 and a fake arch. */
export class FakeBench {
  readonly k: Kernel;
  readonly gi: GenIrq;
  readonly chip = new FakeChip();
  readonly pending: number[][];

  constructor(nrCpus = 1, flow?: FlowHandler, opts: Parameters<typeof testKernel>[1] = {}) {
    this.k = testKernel(nrCpus, opts);
    this.gi = new GenIrq(this.k);
    this.k.bus.provide(GenIrqKey, this.gi, "genirq");
    this.pending = this.k.cpus.map(() => []);
    for (const cpu of this.k.cpus) {
      const pool: FakeEntry[] = [];
      cpu.arch = {
        irqEntry: (_c, level) => {
          pool[level] ??= new FakeEntry(this);
          pool[level].phase = 0;
          return pool[level];
        },
      };
    }
    if (flow) {
      for (let i = 1; i < 32; i++) this.gi.irq_set_chip_and_handler_name(i, this.chip, flow);
    }
    for (const c of this.k.cpus) c.start();
  }

  /** Deliver `irq` to `cpu` now (it is taken when the CPU has interrupts enabled). */
  fire(irq: number, cpu = 0): void {
    this.pending[cpu].push(irq);
    this.k.cpus[cpu].setIntr(true);
  }

  /** Run `fn` as kernel code (request_irq and friends need the ambient kernel). */
  call<R>(fn: () => R): R {
    return this.k.enter(fn);
  }

  /** Advance simulated time. */
  run(ns: number): void {
    this.k.runUntil(this.k.now + ns);
  }

  /** /proc/interrupts */
  interrupts(): string {
    return showInterrupts(this.gi, this.k);
  }
}
