/**
 * The local APIC of one CPU at register level (Intel SDM vol. 3A ch. 10,
 * "Advanced Programmable Interrupt Controller"; register offsets and bits as
 * arch/x86/include/asm/apicdef.h names them): ID, version, TPR/PPR, EOI,
 * the 256-bit ISR/TMR/IRR, ICR with the destination shorthands, the LVT
 * (timer, thermal, performance counter, LINT0, LINT1, error), the
 * spurious-vector register and the timer with its divide configuration.
 *
 * Every CPU sees its own LAPIC at the same physical address: the MMIO
 * handler picks the LAPIC of the CPU that makes the access
 * (`Kernel.thisCpu()`), which is how xAPIC hardware behaves.
 *
 * Interrupt acceptance follows SDM 10.8: a fixed interrupt sets its IRR bit
 * (and TMR bit for level), the LAPIC asserts the CPU's INTR when the highest
 * IRR vector's priority class (vector >> 4) is above the PPR class, and the
 * CPU's acknowledge moves that vector from IRR to ISR. EOI clears the
 * highest ISR bit and, for a level interrupt (TMR set), broadcasts the EOI to
 * the IOAPICs.
 *
 * @module
 */

import { OutputPin } from "../../core/line.ts";
import { InputPin } from "../../core/line.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { Device, InterruptAcknowledge } from "../../core/plugin.ts";
import { Timer } from "../../core/scheduler.ts";

// ---- register offsets (arch/x86/include/asm/apicdef.h) ----
/** Local APIC ID register. */
export const APIC_ID = 0x20;
/** Local APIC version register. */
export const APIC_LVR = 0x30;
/** Task priority register. */
export const APIC_TASKPRI = 0x80;
/** Arbitration priority register. */
export const APIC_ARBPRI = 0x90;
/** Processor priority register. */
export const APIC_PROCPRI = 0xa0;
/** End of interrupt register. */
export const APIC_EOI = 0xb0;
/** Remote read register. */
export const APIC_RRR = 0xc0;
/** Logical destination register. */
export const APIC_LDR = 0xd0;
/** Destination format register. */
export const APIC_DFR = 0xe0;
/** Spurious interrupt vector register. */
export const APIC_SPIV = 0xf0;
/** In-service register, 8 x 32 bits at 0x10 stride. */
export const APIC_ISR = 0x100;
/** Trigger mode register. */
export const APIC_TMR = 0x180;
/** Interrupt request register. */
export const APIC_IRR = 0x200;
/** Error status register. */
export const APIC_ESR = 0x280;
/** LVT corrected machine check. */
export const APIC_LVTCMCI = 0x2f0;
/** Interrupt command register, low half. */
export const APIC_ICR = 0x300;
/** Interrupt command register, high half (destination in bits 24-31). */
export const APIC_ICR2 = 0x310;
/** LVT timer. */
export const APIC_LVTT = 0x320;
/** LVT thermal sensor. */
export const APIC_LVTTHMR = 0x330;
/** LVT performance counter. */
export const APIC_LVTPC = 0x340;
/** LVT LINT0. */
export const APIC_LVT0 = 0x350;
/** LVT LINT1. */
export const APIC_LVT1 = 0x360;
/** LVT error. */
export const APIC_LVTERR = 0x370;
/** Timer initial count. */
export const APIC_TMICT = 0x380;
/** Timer current count (read only). */
export const APIC_TMCCT = 0x390;
/** Timer divide configuration. */
export const APIC_TDCR = 0x3e0;

// ---- bits ----
/** SPIV: APIC software enable. */
export const APIC_SPIV_APIC_ENABLED = 1 << 8;
/** SPIV: focus processor checking disabled. */
export const APIC_SPIV_FOCUS_DISABLED = 1 << 9;
/** ICR / LVT delivery modes (bits 8-10). */
export const APIC_DM_FIXED = 0x00000;
export const APIC_DM_LOWEST = 0x00100;
export const APIC_DM_SMI = 0x00200;
export const APIC_DM_REMRD = 0x00300;
export const APIC_DM_NMI = 0x00400;
export const APIC_DM_INIT = 0x00500;
export const APIC_DM_STARTUP = 0x00600;
export const APIC_DM_EXTINT = 0x00700;
/** ICR: logical destination mode. */
export const APIC_DEST_LOGICAL = 0x00800;
/** ICR: physical destination mode. */
export const APIC_DEST_PHYSICAL = 0x00000;
/** ICR / LVT: delivery status (send pending). */
export const APIC_ICR_BUSY = 0x01000;
/** ICR: level assert. */
export const APIC_INT_ASSERT = 0x04000;
/** ICR / LVT: level triggered. */
export const APIC_INT_LEVELTRIG = 0x08000;
/** ICR destination shorthands (bits 18-19). */
export const APIC_DEST_SELF = 0x40000;
export const APIC_DEST_ALLINC = 0x80000;
export const APIC_DEST_ALLBUT = 0xc0000;
/** Mask of the shorthand field. */
export const APIC_SHORT_MASK = 0xc0000;
/** Vector field. */
export const APIC_VECTOR_MASK = 0x000ff;
/** Delivery mode field. */
export const APIC_MODE_MASK = 0x00700;
/** LVT: masked. */
export const APIC_LVT_MASKED = 1 << 16;
/** LVT: remote IRR (LINT0/1, level). */
export const APIC_LVT_REMOTE_IRR = 1 << 14;
/** LVT timer modes (bits 17-18). */
export const APIC_LVT_TIMER_ONESHOT = 0 << 17;
export const APIC_LVT_TIMER_PERIODIC = 1 << 17;
export const APIC_LVT_TIMER_TSCDEADLINE = 2 << 17;
/** TDCR values (SDM table 10-? "Divide Configuration Register"). */
export const APIC_TDR_DIV_1 = 0xb;
export const APIC_TDR_DIV_2 = 0x0;
export const APIC_TDR_DIV_4 = 0x1;
export const APIC_TDR_DIV_8 = 0x2;
export const APIC_TDR_DIV_16 = 0x3;
export const APIC_TDR_DIV_32 = 0x8;
export const APIC_TDR_DIV_64 = 0x9;
export const APIC_TDR_DIV_128 = 0xa;
/** ESR: send illegal vector (bit 5), receive illegal vector (bit 6), illegal register address (bit 7). */
export const APIC_ESR_SENDILL = 0x20;
export const APIC_ESR_RECVILL = 0x40;
export const APIC_ESR_ILLREGA = 0x80;
/** Physical destination broadcast (xAPIC). */
export const APIC_BROADCAST_ID = 0xff;

/** Local APIC base address (APIC_DEFAULT_PHYS_BASE). */
export const APIC_DEFAULT_PHYS_BASE = 0xfee00000;
/**
 * LVR of an integrated xAPIC: version 0x14, max LVT entry 5 (six entries:
 * timer, thermal, PMC, LINT0, LINT1, error), as Intel Core CPUs report it.
 */
export const APIC_LVR_DEFAULT = 0x00050014;

/** The divide value of a TDCR setting: bits 0, 1 and 3 (SDM 10.5.4). */
export function tdcrDivide(tdcr: number): number {
  const v = (tdcr & 3) | ((tdcr & 8) >> 1);
  return v === 7 ? 1 : 2 << v;
}

/** An interrupt message on the APIC bus (IOAPIC redirection, IPI, MSI). */
export interface ApicMessage {
  vector: number;
  /** APIC_DM_* >> 8: 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT. */
  deliveryMode: number;
  /** 0 physical, 1 logical. */
  destMode: number;
  /** APIC ID (physical) or logical mask. */
  dest: number;
  /** 0 edge, 1 level. */
  trigger: number;
}

/** What a LAPIC needs from the system it sits in. */
export interface ApicBusLink {
  /** Send an IPI from `from` (ICR write). */
  sendIpi(from: LocalApic, msg: ApicMessage, shorthand: number): void;
  /** EOI of a level interrupt: broadcast to the IOAPICs. */
  broadcastEoi(vector: number): void;
}

/** Highest set bit in a 256-bit register, or -1. */
function highest(reg: Uint32Array): number {
  for (let i = 7; i >= 0; i--) {
    const w = reg[i];
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}

function testBit(reg: Uint32Array, v: number): boolean {
  return (reg[v >> 5] & (1 << (v & 31))) !== 0;
}
function setBit(reg: Uint32Array, v: number): void {
  reg[v >> 5] |= 1 << (v & 31);
}
function clearBit(reg: Uint32Array, v: number): void {
  reg[v >> 5] &= ~(1 << (v & 31));
}

/** One local APIC. A device `lapicN` with output pins `int`, `nmi` and input pins `lint0`, `lint1`. */
export class LocalApic implements Device, InterruptAcknowledge {
  readonly kind = "lapic";
  readonly pins = new Map<string, OutputPin | InputPin>();
  /** Drives the CPU's INTR pin. */
  readonly int: OutputPin;
  /** Pulsed to raise an NMI on the CPU. */
  readonly nmi: OutputPin;
  /** Physical APIC ID (bits 24-31 of APIC_ID). */
  id: number;
  tpr = 0;
  svr = 0xff;
  ldr = 0;
  dfr = 0xffffffff;
  readonly irr = new Uint32Array(8);
  readonly isr = new Uint32Array(8);
  readonly tmr = new Uint32Array(8);
  /** ESR bits collected since the last ESR write. */
  esrPending = 0;
  /** ESR as last latched by a write. */
  esr = 0;
  icrLow = 0;
  icrHigh = 0;
  lvtTimer = APIC_LVT_MASKED;
  lvtThermal = APIC_LVT_MASKED;
  lvtPerf = APIC_LVT_MASKED;
  lvtLint0 = APIC_LVT_MASKED;
  lvtLint1 = APIC_LVT_MASKED;
  lvtError = APIC_LVT_MASKED;
  lvtCmci = APIC_LVT_MASKED;
  timerInitial = 0;
  tdcr = 0;
  /** Time the current count was loaded (ns). */
  #timerStart = 0;
  readonly #timer: Timer;
  /** Timer expiries so far (for tests). */
  timerFired = 0;
  /** Input level of LINT0 / LINT1. */
  #lint = [false, false];
  /** The link to the other APICs (set by the plugin). */
  bus: ApicBusLink | undefined;
  /** An ExtINT (8259 virtual wire) request waiting for INTA. */
  #extint = false;

  /**
   * @param name device name (`lapic0`)
   * @param kernel the machine
   * @param cpu the CPU this LAPIC belongs to
   * @param busNsPerCount ns per timer count before division (10 for a 100 MHz bus clock)
   */
  constructor(
    readonly name: string,
    readonly kernel: Kernel,
    readonly cpu: number,
    readonly busNsPerCount: number,
  ) {
    this.id = cpu;
    this.int = new OutputPin(`${name}.int`, this);
    this.nmi = new OutputPin(`${name}.nmi`, this);
    this.pins.set("int", this.int);
    this.pins.set("nmi", this.nmi);
    for (const n of [0, 1]) {
      this.pins.set(
        `lint${n}`,
        new InputPin(`${name}.lint${n}`, (l) => this.#lintChanged(n, l), false, this),
      );
    }
    this.#timer = new Timer(() => this.#timerExpired());
  }

  /** SVR bit 8. */
  get enabled(): boolean {
    return (this.svr & APIC_SPIV_APIC_ENABLED) !== 0;
  }

  /** PPR (SDM 10.8.3.1): TPR when its class is at least the highest ISR class, else that class. */
  get ppr(): number {
    const isrv = Math.max(0, highest(this.isr));
    return (this.tpr >> 4) >= (isrv >> 4) ? this.tpr & 0xff : isrv & 0xf0;
  }

  /** Highest vector requested (IRR), or -1. */
  get highestIrr(): number {
    return highest(this.irr);
  }
  /** Highest vector in service (ISR), or -1. */
  get highestIsr(): number {
    return highest(this.isr);
  }
  /** True when `vector` is requested. */
  irrHas(vector: number): boolean {
    return testBit(this.irr, vector);
  }
  /** True when `vector` is in service. */
  isrHas(vector: number): boolean {
    return testBit(this.isr, vector);
  }

  // ---- acceptance ----

  /**
   * Accept a fixed or lowest-priority interrupt (SDM 10.8.1): vectors 0-15
   * are illegal (ESR "receive illegal vector", dropped), else the IRR bit is
   * set and the TMR bit records the trigger. Interrupt context.
   */
  accept(vector: number, level: boolean): void {
    if (vector < 16) {
      this.#error(APIC_ESR_RECVILL);
      return;
    }
    setBit(this.irr, vector);
    if (level) setBit(this.tmr, vector);
    else clearBit(this.tmr, vector);
    this.update();
  }

  /** Raise an NMI on the CPU (NMI delivery mode: edge, no IRR/ISR). */
  acceptNmi(): void {
    this.nmi.pulse();
  }

  /** Drive INTR from the IRR/PPR state: the one writer of the `int` pin. */
  update(): void {
    let want = this.#extint;
    if (!want && this.enabled) {
      const v = highest(this.irr);
      want = v >= 0 && (v >> 4) > (this.ppr >> 4);
    }
    this.int.set(want);
  }

  /**
   * The CPU's interrupt acknowledge: the highest deliverable IRR vector
   * moves to ISR and is returned. When the TPR was raised between the
   * request and the acknowledge, the spurious vector (SVR bits 0-7) is
   * returned and no ISR bit is set (SDM 10.9). Interrupt context.
   */
  inta(): number {
    if (this.#extint) {
      this.#extint = false;
      const pic = (this.pins.get("lint0") as InputPin).drivers[0]?.owner as
        | InterruptAcknowledge
        | undefined;
      const v = pic?.inta?.() ?? (this.svr & 0xff);
      this.#lintChanged(0, this.#lint[0]);
      this.update();
      return v;
    }
    const v = highest(this.irr);
    if (v < 0 || (v >> 4) <= (this.ppr >> 4) || !this.enabled) {
      this.update();
      return this.svr & 0xff;
    }
    clearBit(this.irr, v);
    setBit(this.isr, v);
    this.update();
    return v;
  }

  /** EOI write: retire the highest in-service vector; broadcast a level EOI. Interrupt context. */
  eoi(): void {
    const v = highest(this.isr);
    if (v < 0) return;
    clearBit(this.isr, v);
    if (testBit(this.tmr, v)) this.bus?.broadcastEoi(v);
    this.update();
  }

  #error(bits: number): void {
    this.esrPending |= bits;
    if (!(this.lvtError & APIC_LVT_MASKED) && this.enabled) {
      this.accept(this.lvtError & APIC_VECTOR_MASK, false);
    }
  }

  /** Set by a performance counter overflow delivered as an NMI (read by the NMI handler). */
  perfPending = false;

  /**
   * A performance counter overflowed: deliver through the LVT performance
   * counter entry. The LAPIC sets the entry's mask bit on delivery (SDM
   * 18.6.3.5.8 / 10.5.1: "the mask bit in the LVT performance counter
   * register is set"), so the handler must re-arm it.
   */
  perfOverflow(): void {
    const lvt = this.lvtPerf;
    if (lvt & APIC_LVT_MASKED || !this.enabled) return;
    this.lvtPerf |= APIC_LVT_MASKED;
    if ((lvt & APIC_MODE_MASK) === APIC_DM_NMI) {
      this.perfPending = true;
      this.acceptNmi();
    } else this.accept(lvt & APIC_VECTOR_MASK, false);
  }

  // ---- LINT0 / LINT1 ----

  #lintChanged(n: number, level: boolean): void {
    this.#lint[n] = level;
    const lvt = n === 0 ? this.lvtLint0 : this.lvtLint1;
    if (lvt & APIC_LVT_MASKED || !level) {
      if (n === 0 && this.#extint && !level) {
        this.#extint = false;
        this.update();
      }
      return;
    }
    switch (lvt & APIC_MODE_MASK) {
      case APIC_DM_NMI:
        this.acceptNmi();
        break;
      case APIC_DM_EXTINT:
        // Virtual wire mode: the 8259's INTR passes through; INTA goes to it.
        this.#extint = true;
        this.update();
        break;
      case APIC_DM_FIXED:
        this.accept(lvt & APIC_VECTOR_MASK, (lvt & APIC_INT_LEVELTRIG) !== 0);
        break;
      default:
        this.kernel.notImplemented(`lapic: LINT${n} delivery mode ${(lvt >> 8) & 7}`);
    }
  }

  // ---- timer (SDM 10.5.4) ----

  /** ns per timer count with the current divide. */
  get countNs(): number {
    return this.busNsPerCount * tdcrDivide(this.tdcr);
  }

  /** The current count (TMCCT): counts down from the initial count; 0 when a one-shot ran out. */
  get currentCount(): number {
    if (this.timerInitial === 0) return 0;
    const elapsed = Math.floor((this.kernel.now - this.#timerStart) / this.countNs);
    if ((this.lvtTimer & (3 << 17)) === APIC_LVT_TIMER_PERIODIC) {
      return this.timerInitial - (elapsed % this.timerInitial);
    }
    return Math.max(0, this.timerInitial - elapsed);
  }

  #armTimer(): void {
    const clock = this.kernel.clock;
    clock.disarm(this.#timer);
    if (this.timerInitial === 0) return;
    this.#timerStart = this.kernel.now;
    clock.armIn(this.#timer, this.timerInitial * this.countNs, this.cpu);
  }

  #timerExpired(): void {
    this.timerFired++;
    const mode = this.lvtTimer & (3 << 17);
    if (mode === APIC_LVT_TIMER_PERIODIC) {
      this.#timerStart = this.kernel.now;
      this.kernel.clock.armIn(this.#timer, this.timerInitial * this.countNs, this.cpu);
    }
    if (!(this.lvtTimer & APIC_LVT_MASKED) && this.enabled) {
      this.accept(this.lvtTimer & APIC_VECTOR_MASK, false);
    }
  }

  // ---- ICR ----

  #sendIcr(): void {
    const low = this.icrLow;
    const vector = low & APIC_VECTOR_MASK;
    const mode = (low & APIC_MODE_MASK) >> 8;
    if ((mode === 0 || mode === 1) && vector < 16) {
      this.#error(APIC_ESR_SENDILL);
      return;
    }
    this.bus?.sendIpi(this, {
      vector,
      deliveryMode: mode,
      destMode: (low & APIC_DEST_LOGICAL) ? 1 : 0,
      dest: this.icrHigh >>> 24,
      trigger: (low & APIC_INT_LEVELTRIG) ? 1 : 0,
    }, low & APIC_SHORT_MASK);
  }

  /**
   * 0xff in a physical destination is the xAPIC broadcast. A machine with
   * 256 CPUs needs APIC ID 255 for a CPU (x2APIC physical mode, whose
   * broadcast is 0xffffffff): the plugin turns this off there.
   */
  xapicBroadcast = true;

  /** Does a message's destination select this LAPIC (SDM 10.6.2)? */
  matches(destMode: number, dest: number): boolean {
    if (destMode === 0) {
      return (this.xapicBroadcast && dest === APIC_BROADCAST_ID) || dest === this.id;
    }
    // logical: flat model (DFR bits 28-31 = 1111) compares the 8-bit mask with LDR bits 24-31
    if ((this.dfr >>> 28) === 0xf) return (dest & (this.ldr >>> 24)) !== 0;
    // cluster model: high nibble cluster, low nibble members
    const ldr = this.ldr >>> 24;
    return (dest >> 4) === (ldr >> 4) && (dest & ldr & 0xf) !== 0 ||
      dest === APIC_BROADCAST_ID;
  }

  // ---- register access ----

  /** Read a register (32-bit, 16-byte aligned offsets). */
  read(offset: number): number {
    const reg = offset & 0xff0;
    if (reg >= APIC_ISR && reg < APIC_ISR + 0x80) return this.isr[(reg - APIC_ISR) >> 4] >>> 0;
    if (reg >= APIC_TMR && reg < APIC_TMR + 0x80) return this.tmr[(reg - APIC_TMR) >> 4] >>> 0;
    if (reg >= APIC_IRR && reg < APIC_IRR + 0x80) return this.irr[(reg - APIC_IRR) >> 4] >>> 0;
    switch (reg) {
      case APIC_ID:
        return (this.id << 24) >>> 0;
      case APIC_LVR:
        return APIC_LVR_DEFAULT;
      case APIC_TASKPRI:
        return this.tpr;
      case APIC_ARBPRI:
        return this.ppr; // Pentium 4 / Xeon: APR reads as PPR (SDM 10.8.3.1 note)
      case APIC_PROCPRI:
        return this.ppr;
      case APIC_EOI:
        return 0;
      case APIC_LDR:
        return this.ldr >>> 0;
      case APIC_DFR:
        return this.dfr >>> 0;
      case APIC_SPIV:
        return this.svr;
      case APIC_ESR:
        return this.esr;
      case APIC_ICR:
        return this.icrLow; // delivery status idle: the model delivers at once
      case APIC_ICR2:
        return this.icrHigh >>> 0;
      case APIC_LVTT:
        return this.lvtTimer;
      case APIC_LVTTHMR:
        return this.lvtThermal;
      case APIC_LVTPC:
        return this.lvtPerf;
      case APIC_LVT0:
        return this.lvtLint0;
      case APIC_LVT1:
        return this.lvtLint1;
      case APIC_LVTERR:
        return this.lvtError;
      case APIC_LVTCMCI:
        return this.lvtCmci;
      case APIC_TMICT:
        return this.timerInitial;
      case APIC_TMCCT:
        return this.currentCount;
      case APIC_TDCR:
        return this.tdcr;
      default:
        this.#error(APIC_ESR_ILLREGA);
        return 0;
    }
  }

  /** Write a register. */
  write(offset: number, value: number): void {
    const reg = offset & 0xff0;
    value >>>= 0;
    // SDM 10.4.7.2: while software-disabled, LVT mask bits stay set.
    const lvt = (v: number, keep: number) => (v & keep) | (this.enabled ? 0 : APIC_LVT_MASKED);
    switch (reg) {
      case APIC_ID:
        this.id = value >>> 24;
        return;
      case APIC_TASKPRI:
        this.tpr = value & 0xff;
        this.update();
        return;
      case APIC_EOI:
        this.eoi();
        return;
      case APIC_LDR:
        this.ldr = value & 0xff000000;
        return;
      case APIC_DFR:
        this.dfr = value | 0x0fffffff;
        return;
      case APIC_SPIV: {
        this.svr = value & 0x3ff;
        if (!this.enabled) {
          // software disable masks every LVT entry
          this.lvtTimer |= APIC_LVT_MASKED;
          this.lvtThermal |= APIC_LVT_MASKED;
          this.lvtPerf |= APIC_LVT_MASKED;
          this.lvtLint0 |= APIC_LVT_MASKED;
          this.lvtLint1 |= APIC_LVT_MASKED;
          this.lvtError |= APIC_LVT_MASKED;
        }
        this.update();
        return;
      }
      case APIC_ESR:
        // a write latches the errors collected since the last write
        this.esr = this.esrPending;
        this.esrPending = 0;
        return;
      case APIC_ICR:
        this.icrLow = value & ~APIC_ICR_BUSY;
        this.#sendIcr();
        return;
      case APIC_ICR2:
        this.icrHigh = value & 0xff000000;
        return;
      case APIC_LVTT: {
        const before = this.lvtTimer & (3 << 17);
        this.lvtTimer = lvt(value, 0x700ff);
        if ((this.lvtTimer & (3 << 17)) === APIC_LVT_TIMER_TSCDEADLINE) {
          this.kernel.notImplemented("lapic: TSC-deadline timer mode");
        }
        if (before !== (this.lvtTimer & (3 << 17))) {
          // a mode change stops the timer (SDM 10.5.4.1)
          this.kernel.clock.disarm(this.#timer);
          this.timerInitial = 0;
        }
        return;
      }
      case APIC_LVTTHMR:
        this.lvtThermal = lvt(value, 0x107ff);
        return;
      case APIC_LVTPC:
        this.lvtPerf = lvt(value, 0x107ff);
        return;
      case APIC_LVT0:
        this.lvtLint0 = lvt(value, 0x1a7ff);
        this.#lintChanged(0, this.#lint[0]);
        return;
      case APIC_LVT1:
        this.lvtLint1 = lvt(value, 0x1a7ff);
        this.#lintChanged(1, this.#lint[1]);
        return;
      case APIC_LVTERR:
        this.lvtError = lvt(value, 0x100ff);
        return;
      case APIC_LVTCMCI:
        this.lvtCmci = lvt(value, 0x107ff);
        return;
      case APIC_TMICT:
        this.timerInitial = value;
        this.#armTimer();
        return;
      case APIC_TDCR:
        this.tdcr = value & 0xb;
        return;
      case APIC_LVR:
      case APIC_ARBPRI:
      case APIC_PROCPRI:
      case APIC_RRR:
      case APIC_TMCCT:
        return; // read only
      default:
        if (reg >= APIC_ISR && reg < APIC_IRR + 0x80) return; // read only
        this.#error(APIC_ESR_ILLREGA);
    }
  }
}
