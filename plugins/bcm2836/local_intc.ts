/**
 * The BCM2836/2837 per-core ("local") interrupt controller at 0x40000000
 * (QA7_rev3.4 "ARM Quad A7 core" datasheet; register names from
 * include/linux/irqchip/irq-bcm2836.h), with the four cores' ARM generic
 * timers whose interrupt lines end in it.
 *
 * Per core c: IRQ pending bits 0-3 are the timer lines CNTPS, CNTPNS, CNTHP,
 * CNTV when enabled in the timer interrupt control register; 4-7 the four
 * mailboxes (non-zero and enabled); 8 the GPU interrupt for the core the GPU
 * routing register names; 9 the PMU. A source whose FIQ enable bit is set
 * goes to FIQ instead. Output `irq<c>` is "core c has a pending IRQ".
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler } from "../../core/io.ts";
import type { Kernel } from "../../core/kernel.ts";
import { InputPin, OutputPin, type Pin } from "../../core/line.ts";
import type { Device, DeviceKind } from "../../core/plugin.ts";
import { Timer } from "../../core/scheduler.ts";

// include/linux/irqchip/irq-bcm2836.h
export const LOCAL_CONTROL = 0x000;
export const LOCAL_PRESCALER = 0x008;
/** GPU interrupt routing: bits 1:0 the core taking the GPU IRQ, 3:2 the GPU FIQ. */
export const LOCAL_GPU_ROUTING = 0x00c;
export const LOCAL_PM_ROUTING_SET = 0x010;
export const LOCAL_PM_ROUTING_CLR = 0x014;
/** + 4 * cpu: bits 0-3 IRQ enable of the four timers, 4-7 their FIQ enable. */
export const LOCAL_TIMER_INT_CONTROL0 = 0x040;
/** + 4 * cpu: bits 0-3 IRQ enable of the four mailboxes, 4-7 their FIQ enable. */
export const LOCAL_MAILBOX_INT_CONTROL0 = 0x050;
/** + 4 * cpu: read-only IRQ source bits of the core. */
export const LOCAL_IRQ_PENDING0 = 0x060;
/** + 4 * cpu: read-only FIQ source bits. */
export const LOCAL_FIQ_PENDING0 = 0x070;
/** + 16 * cpu + 4 * mailbox: write 1s to set (write-only). */
export const LOCAL_MAILBOX0_SET0 = 0x080;
export const LOCAL_MAILBOX3_SET0 = 0x08c;
/** + 16 * cpu + 4 * mailbox: read the mailbox, write 1s to clear. */
export const LOCAL_MAILBOX0_CLR0 = 0x0c0;
export const LOCAL_MAILBOX3_CLR0 = 0x0cc;

// hwirq numbers of the local domain
export const LOCAL_IRQ_CNTPSIRQ = 0;
export const LOCAL_IRQ_CNTPNSIRQ = 1;
export const LOCAL_IRQ_CNTHPIRQ = 2;
export const LOCAL_IRQ_CNTVIRQ = 3;
export const LOCAL_IRQ_MAILBOX0 = 4;
export const LOCAL_IRQ_MAILBOX1 = 5;
export const LOCAL_IRQ_MAILBOX2 = 6;
export const LOCAL_IRQ_MAILBOX3 = 7;
export const LOCAL_IRQ_GPU_FAST = 8;
export const LOCAL_IRQ_PMU_FAST = 9;
export const LAST_IRQ = LOCAL_IRQ_PMU_FAST;
/** Bits per mailbox: the IPI domain's size. */
export const BITS_PER_MBOX = 32;

/** Size of the register block. */
export const LOCAL_INTC_SIZE = 0x100;

/** CNTP_CTL / CNTV_CTL bits (ARM ARM, generic timer). */
export const ARCH_TIMER_CTRL_ENABLE = 1 << 0;
export const ARCH_TIMER_CTRL_IT_MASK = 1 << 1;
export const ARCH_TIMER_CTRL_IT_STAT = 1 << 2;

/** Options of a `bcm2836_l1_intc` device. */
export interface LocalIntcOptions {
  /** Physical base (0x40000000 on BCM2836/7). */
  base: number;
  /** Number of cores (the machine's CPUs if larger is given). */
  cores: number;
  /** CNTFRQ the firmware reports, Hz (19.2 MHz crystal). */
  cntfrq: number;
}

/** The option schema. */
export const localIntcOptions: z.ZodType<LocalIntcOptions> = z.object({
  base: z.number().int().min(0).default(0x40000000).describe("Physical base address."),
  cores: z.number().int().min(1).max(4).default(4).describe("Cores served (at most 4)."),
  cntfrq: z.number().int().positive().default(19_200_000).describe("Generic timer frequency."),
}).strict() as unknown as z.ZodType<LocalIntcOptions>;

/**
 * One core's generic timer, physical non-secure (CNTP) view: the kernel
 * writes CNTP_CTL and CNTP_TVAL through cp15 (here: methods); ISTATUS rises
 * at the compare value and drives timer line CNTPNSIRQ unless IMASK.
 */
export class ArchTimer {
  ctl = 0;
  /** Absolute expiry, ns (-1: not armed). */
  expires = -1;
  readonly #timer: Timer;

  constructor(readonly intc: LocalIntc, readonly core: number) {
    this.#timer = new Timer(() => this.#fire());
  }

  /** CNTP_TVAL write + CNTP_CTL = ENABLE (set_next_event). */
  setNextEvent(deltaNs: number): void {
    const k = this.intc.kernel;
    this.ctl = ARCH_TIMER_CTRL_ENABLE;
    this.expires = k.now + deltaNs;
    k.clock.disarm(this.#timer);
    k.clock.armIn(this.#timer, deltaNs, this.core);
    this.intc.setTimerLine(this.core, LOCAL_IRQ_CNTPNSIRQ, false);
  }

  /** CNTP_CTL read. */
  readCtl(): number {
    return this.ctl;
  }

  /** CNTP_CTL write. */
  writeCtl(v: number): void {
    this.ctl = v & (ARCH_TIMER_CTRL_ENABLE | ARCH_TIMER_CTRL_IT_MASK) |
      (this.ctl & ARCH_TIMER_CTRL_IT_STAT);
    this.#update();
  }

  #fire(): void {
    this.ctl |= ARCH_TIMER_CTRL_IT_STAT;
    this.#update();
  }

  #update(): void {
    const on = (this.ctl & ARCH_TIMER_CTRL_ENABLE) !== 0 &&
      (this.ctl & ARCH_TIMER_CTRL_IT_STAT) !== 0 && (this.ctl & ARCH_TIMER_CTRL_IT_MASK) === 0;
    this.intc.setTimerLine(this.core, LOCAL_IRQ_CNTPNSIRQ, on);
  }
}

/** The per-core interrupt controller. */
export class LocalIntc implements Device {
  readonly kind = "bcm2836_l1_intc";
  readonly pins: ReadonlyMap<string, Pin>;
  /** GPU interrupt in (the ARMCTRL's output). */
  readonly gpu: InputPin;
  /** Per-core IRQ outputs (to cpuN.intr). */
  readonly irq: OutputPin[] = [];
  /** Per-core FIQ outputs. */
  readonly fiq: OutputPin[] = [];
  /** The cores' generic timers. */
  readonly timers: ArchTimer[] = [];
  control = 0;
  prescaler = 0;
  gpuRouting = 0;
  pmRouting = 0;
  readonly timerCtl: Uint32Array;
  readonly mboxCtl: Uint32Array;
  /** Mailbox contents, [core * 4 + mailbox]. */
  readonly mbox: Uint32Array;
  /** Timer line levels per core, bits 0-3. */
  readonly timerLines: Uint32Array;

  constructor(readonly kernel: Kernel, readonly name: string, readonly options: LocalIntcOptions) {
    const n = options.cores;
    this.timerCtl = new Uint32Array(n);
    this.mboxCtl = new Uint32Array(n);
    this.mbox = new Uint32Array(n * 4);
    this.timerLines = new Uint32Array(n);
    const pins = new Map<string, Pin>();
    this.gpu = new InputPin(`${name}.gpu`, () => this.#update(), false, this);
    pins.set("gpu", this.gpu);
    for (let c = 0; c < n; c++) {
      const i = new OutputPin(`${name}.irq${c}`, this);
      const f = new OutputPin(`${name}.fiq${c}`, this);
      this.irq.push(i);
      this.fiq.push(f);
      pins.set(`irq${c}`, i);
      pins.set(`fiq${c}`, f);
      this.timers.push(new ArchTimer(this, c));
    }
    this.pins = pins;
    const handler: IoHandler = {
      read: (o) => this.read(o),
      write: (o, v) => this.write(o, v),
    };
    kernel.mmio.map(options.base, LOCAL_INTC_SIZE, handler, name);
  }

  /** A timer line of a core changed (from its generic timer). */
  setTimerLine(core: number, which: number, level: boolean): void {
    const b = 1 << which;
    const v = level ? this.timerLines[core] | b : this.timerLines[core] & ~b;
    if (v === this.timerLines[core]) return;
    this.timerLines[core] = v;
    this.#update();
  }

  /** The IRQ source bits of core `c` (LOCAL_IRQ_PENDINGc). */
  pending(c: number): number {
    let p = this.timerLines[c] & this.timerCtl[c] & 0xf & ~(this.timerCtl[c] >> 4);
    const mc = this.mboxCtl[c];
    for (let m = 0; m < 4; m++) {
      if (this.mbox[c * 4 + m] !== 0 && (mc & (1 << m)) && !(mc & (1 << (m + 4)))) {
        p |= 1 << (4 + m);
      }
    }
    if (this.gpu.level && (this.gpuRouting & 3) === c) p |= 1 << LOCAL_IRQ_GPU_FAST;
    return p >>> 0;
  }

  /** The FIQ source bits of core `c`. */
  fiqPending(c: number): number {
    let p = this.timerLines[c] & (this.timerCtl[c] >> 4) & 0xf;
    const mc = this.mboxCtl[c];
    for (let m = 0; m < 4; m++) {
      if (this.mbox[c * 4 + m] !== 0 && (mc & (1 << (m + 4)))) p |= 1 << (4 + m);
    }
    return p >>> 0;
  }

  read(o: number): number {
    const n = this.options.cores;
    if (o === LOCAL_CONTROL) return this.control;
    if (o === LOCAL_PRESCALER) return this.prescaler;
    if (o === LOCAL_GPU_ROUTING) return this.gpuRouting;
    if (o === LOCAL_PM_ROUTING_SET || o === LOCAL_PM_ROUTING_CLR) return this.pmRouting;
    const c = (o & 0xf) >> 2;
    if (o >= LOCAL_TIMER_INT_CONTROL0 && o < LOCAL_TIMER_INT_CONTROL0 + 16 && c < n) {
      return this.timerCtl[c];
    }
    if (o >= LOCAL_MAILBOX_INT_CONTROL0 && o < LOCAL_MAILBOX_INT_CONTROL0 + 16 && c < n) {
      return this.mboxCtl[c];
    }
    if (o >= LOCAL_IRQ_PENDING0 && o < LOCAL_IRQ_PENDING0 + 16 && c < n) return this.pending(c);
    if (o >= LOCAL_FIQ_PENDING0 && o < LOCAL_FIQ_PENDING0 + 16 && c < n) return this.fiqPending(c);
    if (o >= LOCAL_MAILBOX0_SET0 && o < LOCAL_MAILBOX0_CLR0) return 0; // write-only
    if (o >= LOCAL_MAILBOX0_CLR0 && o < LOCAL_MAILBOX0_CLR0 + 64) {
      const core = (o - LOCAL_MAILBOX0_CLR0) >> 4, m = (o >> 2) & 3;
      return core < n ? this.mbox[core * 4 + m] : 0;
    }
    return 0;
  }

  write(o: number, v: number): void {
    const n = this.options.cores;
    v >>>= 0;
    const c = (o & 0xf) >> 2;
    if (o === LOCAL_CONTROL) this.control = v & 0x300;
    else if (o === LOCAL_PRESCALER) this.prescaler = v;
    else if (o === LOCAL_GPU_ROUTING) this.gpuRouting = v & 0xf;
    else if (o === LOCAL_PM_ROUTING_SET) this.pmRouting |= v & 0xff;
    else if (o === LOCAL_PM_ROUTING_CLR) this.pmRouting &= ~v & 0xff;
    else if (o >= LOCAL_TIMER_INT_CONTROL0 && o < LOCAL_TIMER_INT_CONTROL0 + 16 && c < n) {
      this.timerCtl[c] = v & 0xff;
    } else if (o >= LOCAL_MAILBOX_INT_CONTROL0 && o < LOCAL_MAILBOX_INT_CONTROL0 + 16 && c < n) {
      this.mboxCtl[c] = v & 0xff;
    } else if (o >= LOCAL_MAILBOX0_SET0 && o < LOCAL_MAILBOX0_CLR0) {
      const core = (o - LOCAL_MAILBOX0_SET0) >> 4, m = (o >> 2) & 3;
      if (core < n) this.mbox[core * 4 + m] |= v;
    } else if (o >= LOCAL_MAILBOX0_CLR0 && o < LOCAL_MAILBOX0_CLR0 + 64) {
      const core = (o - LOCAL_MAILBOX0_CLR0) >> 4, m = (o >> 2) & 3;
      if (core < n) this.mbox[core * 4 + m] &= ~v;
    } else return; // read-only or reserved: ignored
    this.#update();
  }

  /** The one writer of the outputs. */
  #update(): void {
    for (let c = 0; c < this.options.cores; c++) {
      this.irq[c].set(this.pending(c) !== 0);
      this.fiq[c].set(this.fiqPending(c) !== 0);
    }
  }
}

/** Device kind `bcm2836_l1_intc` (DT compatible "brcm,bcm2836-l1-intc"). */
export const localIntcKind: DeviceKind<LocalIntcOptions> = {
  kind: "bcm2836_l1_intc",
  description: "BCM2836/2837 per-core interrupt controller with the cores' generic timers",
  options: localIntcOptions,
  create: (name, options, kernel) =>
    new LocalIntc(kernel, name, {
      ...options,
      cores: Math.min(options.cores, kernel.cpus.length),
    }),
};
