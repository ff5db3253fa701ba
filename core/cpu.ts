/**
 * One CPU: the kernel's per-CPU execution state and the executor that runs
 * bodies on the virtual clock.
 *
 * A CPU runs one thing at a time: the current task's body, or an interrupt
 * context stacked on top of it (a {@linkcode Frame} per nesting level).
 * `preempt_count` uses the kernel's exact layout (include/linux/preempt.h),
 * so `in_interrupt()` and friends answer from state.
 *
 * The executor loop, in order at every step boundary:
 * 1. deliver a pending NMI, then a pending IRQ if interrupts are enabled
 *    (the arch supplies the entry body);
 * 2. at task level, reschedule when `need_resched` is set and the task may
 *    be preempted;
 * 3. finish the top frame's remaining busy time, if any;
 * 4. step the top body and act on its answer.
 * An interrupt that arrives during a busy segment cuts it: the remainder is
 * kept in the frame and resumes when the interrupt returns.
 *
 * @module
 */

import {
  BLOCK,
  type Body,
  BUSY,
  type BusyToken,
  CALL,
  DONE,
  HALT,
  type SleepToken,
} from "./body.ts";
import { Timer } from "./scheduler.ts";
import type { Kernel } from "./kernel.ts";
import type { Task } from "./sched.ts";

// include/linux/preempt.h
/** Bits 0-7: preemption disable depth. */
export const PREEMPT_MASK = 0x000000ff;
/** Bits 8-15: softirq count. */
export const SOFTIRQ_MASK = 0x0000ff00;
/** Bits 16-19: hardirq nesting. */
export const HARDIRQ_MASK = 0x000f0000;
/** Bits 20-23: NMI nesting. */
export const NMI_MASK = 0x00f00000;
/** One level of preempt_disable(). */
export const PREEMPT_OFFSET = 0x1;
/** Set while serving softirqs (__do_softirq). */
export const SOFTIRQ_OFFSET = 0x100;
/** Added by local_bh_disable(). */
export const SOFTIRQ_DISABLE_OFFSET = 0x200;
/** Added by irq_enter(). */
export const HARDIRQ_OFFSET = 0x10000;
/** Added by nmi_enter() (together with HARDIRQ_OFFSET). */
export const NMI_OFFSET = 0x100000;

/** Context kinds of a frame. */
export type FrameKind = "task" | "irq" | "nmi";

/** A stack of bodies (a call chain) with the busy time left when it was cut. */
export class Frame {
  /** The call chain, outermost first (entries past `depth` are stale). */
  bodies: Body[] = [];
  /** Number of live bodies in `bodies`. */
  depth = 0;
  /** Busy ns still owed to the top body when the frame was preempted. */
  remaining = 0;
  /** Interrupt-enable state to restore when an interrupt frame returns. */
  savedIrqsDisabled = false;

  /** Create a Frame. */
  constructor(readonly kind: FrameKind) {}

  /** Push a body on top of the chain. */
  push(b: Body): void {
    this.bodies[this.depth++] = b;
  }
  /** Drop the top body. */
  pop(): void {
    this.bodies[--this.depth] = undefined as unknown as Body;
  }
  /** The body that runs next, if any. */
  top(): Body | undefined {
    return this.depth > 0 ? this.bodies[this.depth - 1] : undefined;
  }
}

/** What the architecture gives the CPU: the bodies that run on interrupt entry. */
export interface ArchEntry {
  /** Body for an external interrupt taken on `cpu` (preallocated per nesting level). */
  irqEntry(cpu: Cpu, level: number): Body;
  /** Body for an NMI, if the architecture has them. */
  nmiEntry?(cpu: Cpu, level: number): Body;
}

/** A simulated CPU. */
export class Cpu {
  /** Device name, `cpu<N>`. */
  readonly name: string;
  /** preempt_count, kernel layout. */
  preemptCount = 0;
  /** True while local interrupts are disabled (x86 IF=0, ARM I bit set). */
  irqsDisabled = false;
  /** TIF_NEED_RESCHED. */
  needResched = false;
  /** Set when the body that just stepped passed a voluntary preemption point. */
  voluntaryPoint = false;
  /** False once the CPU is offline: it takes no interrupts and runs no tasks. */
  online = true;
  /** The running task (the idle task when nothing else runs). */
  current!: Task;
  /** swapper/N. */
  idleTask!: Task;
  /** External interrupt request level (x86 INTR pin, ARM IRQ line). */
  intrPending = false;
  /** A latched NMI waiting to be taken. */
  nmiPending = false;
  /** Result of the last finished body (irqreturn_t of a handler). */
  retval = 0;
  /** Body to run next when a step returns CALL. */
  callee: Body | undefined;
  /** Busy ns charged by kernel calls during the current step (inb, udelay, printk...). */
  accum = 0;
  /** Architecture entry points (set by the arch plugin). */
  arch: ArchEntry | undefined;
  /** Per-CPU data of plugins, by plugin-defined symbol. */
  readonly local = new Map<symbol, unknown>();

  #irqFrames: Frame[] = [];
  #irqDepth = 0;
  /** End of the current busy segment (timers, not handles: nothing allocated per event). */
  readonly #busy: Timer;
  /** The coalesced "look again now" event. */
  readonly #poke: Timer;
  #running = false;
  #pendingSleep: SleepToken | undefined;
  /**
   * A sleep token made by a kernel call (msleep, schedule, synchronize_irq...)
   * during the current step and not yet yielded. Set by linux/api.ts; a plain
   * function body that sleeps leaves it set.
   */
  madeSleep: SleepToken | undefined;
  /**
   * A sub-body made by a kernel call during the current step (see
   * `noteCall` in linux/api.ts) and not yet yielded as a call token. A
   * generator body that yields the token clears it; when a plain function
   * made it, the executor runs it right after the step (after the step's
   * busy time), so its time passes and hardirqs nest in it. Such a body must
   * leave `cpu.retval` as it found it (the caller's result may be in it).
   */
  madeCall: Body | undefined;

  /** Create a Cpu. */
  constructor(readonly id: number, readonly kernel: Kernel) {
    this.name = `cpu${id}`;
    this.#busy = new Timer(() => this.#loop());
    this.#poke = new Timer(() => this.#preemptBusy());
  }

  // ---- predicates (include/linux/preempt.h) ----

  /** in_nmi() */
  inNmi(): boolean {
    return (this.preemptCount & NMI_MASK) !== 0;
  }
  /** in_hardirq() / in_irq() */
  inHardirq(): boolean {
    return (this.preemptCount & HARDIRQ_MASK) !== 0;
  }
  /** in_softirq(): serving softirqs or BH disabled */
  inSoftirq(): boolean {
    return (this.preemptCount & SOFTIRQ_MASK) !== 0;
  }
  /** in_serving_softirq() */
  inServingSoftirq(): boolean {
    return (this.preemptCount & SOFTIRQ_OFFSET) !== 0;
  }
  /** in_interrupt(): NMI, hardirq or softirq (including BH disabled) */
  inInterrupt(): boolean {
    return (this.preemptCount & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK)) !== 0;
  }
  /** in_task() */
  inTask(): boolean {
    return (this.preemptCount & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET)) === 0;
  }
  /** in_atomic(): preempt_count != 0 */
  inAtomic(): boolean {
    return this.preemptCount !== 0;
  }

  /** Interrupt nesting depth (frames above the task). */
  get irqDepth(): number {
    return this.#irqDepth;
  }

  /** True while the executor is stepping a body on this CPU (kernel code runs "on" it). */
  get executing(): boolean {
    return this.#running;
  }

  /**
   * The stack of what runs now, outermost first: the current task's frame,
   * then one frame per interrupt nesting level (for dump_stack()).
   */
  frames(): Frame[] {
    const out = [this.current.frame];
    for (let i = 0; i < this.#irqDepth; i++) out.push(this.#irqFrames[i]);
    return out;
  }

  /** True while a busy segment is in progress. */
  get busy(): boolean {
    return this.#busy.pending;
  }

  // ---- entry / exit (kernel/softirq.c irq_enter_rcu / __irq_exit_rcu) ----

  /** irq_enter(): count the hardirq level. Runs in interrupt context. */
  irqEnter(): void {
    this.preemptCount += HARDIRQ_OFFSET;
    const k = this.kernel;
    if (k.trace.enabled) k.trace.irqContext(this.id, true, k.now);
  }

  /**
   * irq_exit(): leave hardirq level. Returns the body that runs pending
   * softirqs when the kernel would run them here (!in_interrupt() and
   * pending), else undefined. Runs in interrupt context.
   */
  irqExit(): Body | undefined {
    this.preemptCount -= HARDIRQ_OFFSET;
    const k = this.kernel;
    if (k.trace.enabled) k.trace.irqContext(this.id, false, k.now);
    const hooks = this.kernel.softirqHooks;
    if (hooks && !this.inInterrupt() && hooks.pending(this)) return hooks.onIrqExit(this);
    return undefined;
  }

  // ---- external requests ----

  /** Set the external interrupt request level (the arch plugin wires INTR here). */
  setIntr(level: boolean): void {
    if (level === this.intrPending) return;
    this.intrPending = level;
    if (level && !this.irqsDisabled) this.poke();
  }

  /** Latch an NMI. */
  raiseNmi(): void {
    this.nmiPending = true;
    this.poke();
  }

  /**
   * Ask the CPU to look at its state again at the current instant (a wake-up,
   * a pending interrupt, need_resched). Coalesced: at most one poke event.
   */
  poke(): void {
    if (this.#poke.pending || this.#running) return;
    this.kernel.clock.armIn(this.#poke, 0, this.id);
  }

  /** Start the executor (after boot). */
  start(): void {
    this.poke();
  }

  /** Record a sleep request from a generator body; returns BLOCK, or busy ns when atomic. */
  sleep(tok: SleepToken): number {
    if (this.madeSleep === tok) this.madeSleep = undefined;
    if (tok.reported) return Number.isFinite(tok.ns) ? tok.ns : 0;
    if (this.inAtomic() || this.irqsDisabled || this.#irqDepth > 0) {
      this.kernel.schedulingWhileAtomic(this, tok);
      // --keep-going: the CPU cannot sleep here; it spins for the time instead.
      return Number.isFinite(tok.ns) ? tok.ns : 0;
    }
    this.#pendingSleep = tok;
    return BLOCK;
  }

  /**
   * A plain function body called a sleeping function: it cannot suspend.
   * In atomic context that is the kernel's BUG; otherwise the model says so
   * once. Either way the CPU spins for the sleep's time.
   */
  #plainSleep(): void {
    const tok = this.madeSleep!;
    this.madeSleep = undefined;
    if (!tok.reported) {
      this.kernel.notImplemented(
        `${tok.caller}() in a plain function body cannot sleep; write the body as a generator ` +
          `(function*) and yield ${tok.caller}(...) — the CPU spins for the time instead`,
      );
    }
    if (Number.isFinite(tok.ns)) this.accum += tok.ns;
  }

  /**
   * A plain function made a call it could not yield: run it right after the
   * step. Returns true when the step's answer was handled here (busy, DONE
   * or CALL). A step that sleeps or halts keeps its answer: the call waits
   * on top of the task's frame and runs first when the task runs again (it
   * must not leak to whatever runs next on this CPU).
   */
  #plainCall(f: Frame, r: number): boolean {
    const call = this.madeCall!;
    this.madeCall = undefined;
    if (r === BLOCK || r === HALT) {
      f.push(call);
      return false;
    }
    f.remaining += this.accum + (r >= 0 ? r : 0);
    if (r === DONE) f.pop();
    else if (r === CALL) {
      f.push(this.callee!);
      this.callee = undefined;
    }
    f.push(call);
    return true;
  }

  // ---- executor ----

  #topFrame(): Frame {
    return this.#irqDepth > 0 ? this.#irqFrames[this.#irqDepth - 1] : this.current.frame;
  }

  #startBusy(ns: number): void {
    this.kernel.clock.armIn(this.#busy, ns, this.id);
  }

  /** Poke handler: cut a busy segment when something must preempt it, else just loop. */
  #preemptBusy(): void {
    if (this.#busy.pending) {
      if (!this.#mustPreempt()) return;
      const clock = this.kernel.clock;
      const left = clock.timeLeft(this.#busy);
      clock.disarm(this.#busy);
      this.#topFrame().remaining += left;
    }
    this.#loop();
  }

  #mustPreempt(): boolean {
    if (this.nmiPending && !this.inNmi()) return true;
    if (this.intrPending && !this.irqsDisabled) return true;
    return this.#irqDepth === 0 && this.needResched && this.#preemptibleNow();
  }

  /** May the current task be switched out at this boundary? */
  #preemptibleNow(): boolean {
    if (this.preemptCount !== 0 || this.irqsDisabled) return false;
    const t = this.current;
    if (t === this.idleTask || !t.kthread) return true; // user mode: always
    return this.kernel.config.preempt === "full" || this.voluntaryPoint;
  }

  #pushInterrupt(kind: FrameKind, entry: Body): void {
    let f = this.#irqFrames[this.#irqDepth];
    if (!f || f.kind !== kind) {
      f = new Frame(kind);
      this.#irqFrames[this.#irqDepth] = f;
    }
    f.remaining = 0;
    f.savedIrqsDisabled = this.irqsDisabled;
    this.irqsDisabled = true; // the CPU clears IF / sets the I bit on entry
    f.push(entry);
    this.#irqDepth++;
  }

  #finishFrame(f: Frame): void {
    if (f.kind !== "task") {
      this.#irqDepth--;
      this.irqsDisabled = f.savedIrqsDisabled;
      return;
    }
    this.kernel.sched.exitCurrent(this);
  }

  #loop(): void {
    if (this.#running) return;
    this.#running = true;
    const k = this.kernel;
    const prevCpu = k.currentCpu;
    k.currentCpu = this;
    try {
      for (;;) {
        if (k.halted) return;
        // 1. interrupts
        if (this.nmiPending && !this.inNmi() && this.arch?.nmiEntry) {
          this.nmiPending = false;
          this.#pushInterrupt("nmi", this.arch.nmiEntry(this, this.#irqDepth));
        } else if (this.intrPending && !this.irqsDisabled && this.arch) {
          this.#pushInterrupt("irq", this.arch.irqEntry(this, this.#irqDepth));
        }
        // 2. preemption at task level
        if (this.#irqDepth === 0 && this.needResched && this.#preemptibleNow()) {
          this.voluntaryPoint = false;
          k.sched.schedule(this, true);
        }
        // #topFrame() and f.top() written out: this loop runs at every event
        // and V8's inlining budget is spent before these tiny calls
        const f = this.#irqDepth > 0 ? this.#irqFrames[this.#irqDepth - 1] : this.current.frame;
        // 3. remaining busy time
        if (f.remaining > 0) {
          const ns = f.remaining;
          f.remaining = 0;
          if (k.clock.advanceIn(ns)) continue; // the segment ends before anything else happens
          this.#startBusy(ns);
          return;
        }
        const body = f.depth > 0 ? f.bodies[f.depth - 1] : undefined;
        if (!body) {
          this.#finishFrame(f);
          continue;
        }
        // 4. step
        this.accum = 0;
        this.voluntaryPoint = false;
        const r = body.step(this);
        if (this.madeSleep !== undefined) this.#plainSleep();
        if (this.madeCall !== undefined && this.#plainCall(f, r)) continue;
        if (r >= 0) {
          const ns = r + this.accum;
          if (ns > 0) {
            // The step may have made an interrupt or a reschedule due
            // (local_irq_enable, preempt_enable, a wake-up): take it before
            // the busy time, which then resumes where it was cut.
            if (this.#mustPreempt()) {
              f.remaining += ns;
              continue;
            }
            if (k.clock.advanceIn(ns)) continue; // the segment ends before anything else happens
            this.#startBusy(ns);
            return;
          }
          continue;
        }
        f.remaining += this.accum;
        if (r === DONE) f.pop();
        else if (r === CALL) {
          f.push(this.callee!);
          this.callee = undefined;
        } else if (r === BLOCK) {
          const tok = this.#pendingSleep!;
          this.#pendingSleep = undefined;
          k.sched.sleepCurrent(this, tok);
        } else if (r === HALT) {
          if (this.#irqDepth === 0 && this.needResched) continue;
          if (this.intrPending && !this.irqsDisabled) continue;
          if (this.nmiPending) continue;
          return;
        }
      }
    } finally {
      k.currentCpu = prevCpu;
      this.#running = false;
    }
  }
}

/** Idle task body: halt until something happens. */
export class IdleBody implements Body {
  readonly label = "cpu_idle";
  /** Run the idle loop: halt until an interrupt or a wake-up. */
  step(_cpu: Cpu): number {
    return HALT;
  }
}

/** Re-export for convenience of bodies. */
export { BUSY };
export type { BusyToken };
