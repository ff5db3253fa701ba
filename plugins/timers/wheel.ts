/**
 * The timer wheel of Linux 6.1 (kernel/time/timer.c): `timer_list`, the
 * per-CPU timer bases with their LVL_DEPTH levels of 64 buckets,
 * `__mod_timer` and friends, `run_local_timers()` on the tick raising
 * TIMER_SOFTIRQ when a timer is due, and `run_timer_softirq()` expiring
 * the timers in softirq context.
 *
 * Granularity (calc_wheel_index): a timer `delta` jiffies away goes to the
 * first level n with delta < LVL_START(n+1); its expiry is rounded UP to
 * that level's granularity 8^n, plus one unit (so it never fires early):
 * `bucket_expiry = ((expires >> 3n) + 1) << 3n`. At level 0 that is
 * `expires + 1`: the timer runs in the softirq of the tick that makes
 * jiffies reach expires + 1 when base->clk had caught up with jiffies.
 *
 * Not modelled: NO_HZ idle (bases are never idle, so timers never migrate
 * to another CPU and TIMER_DEFERRABLE only selects the BASE_DEF wheel, as
 * on a busy CPU), CPU hotplug, PREEMPT_RT expiry locks, debugobjects.
 *
 * @module
 */

import {
  type BodyGenerator,
  BUSY,
  callToken,
  type Costed,
  GeneratorBody,
} from "../../core/body.ts";
import { type ServiceKey, serviceKey } from "../../core/bus.ts";
import { type Cpu, HARDIRQ_MASK } from "../../core/cpu.ts";
import type { Kernel } from "../../core/kernel.ts";
import { type Softirq, TIMER_SOFTIRQ } from "../softirq/mod.ts";
import { time_after, time_after_eq, time_before, time_before_eq } from "./jiffies.ts";
import {
  hashedPtr,
  TIMER_ARRAYMASK,
  TIMER_ARRAYSHIFT,
  TIMER_BASEMASK,
  timer_cancel,
  TIMER_CPUMASK,
  TIMER_DEFERRABLE,
  timer_expire_entry,
  timer_expire_exit,
  timer_init,
  TIMER_INIT_FLAGS,
  TIMER_IRQSAFE,
  timer_start,
} from "./trace.ts";

// ---- wheel geometry (kernel/time/timer.c) ----
/** Each level's clock runs 2^LVL_CLK_SHIFT times slower than the one below. */
export const LVL_CLK_SHIFT = 3;
/** LVL_CLK_DIV = 8 */
export const LVL_CLK_DIV = 1 << LVL_CLK_SHIFT;
/** LVL_CLK_MASK = 7 */
export const LVL_CLK_MASK = LVL_CLK_DIV - 1;
/** Buckets per level: 2^LVL_BITS. */
export const LVL_BITS = 6;
/** LVL_SIZE = 64 */
export const LVL_SIZE = 1 << LVL_BITS;
/** LVL_MASK = 63 */
export const LVL_MASK = LVL_SIZE - 1;
/** NEXT_TIMER_MAX_DELTA = (1 << 30) - 1 */
export const NEXT_TIMER_MAX_DELTA = (1 << 30) - 1;

/** LVL_SHIFT(n) = n * LVL_CLK_SHIFT */
export function LVL_SHIFT(n: number): number {
  return n * LVL_CLK_SHIFT;
}
/** LVL_GRAN(n) = 1 << LVL_SHIFT(n): the granularity of level n, in jiffies. */
export function LVL_GRAN(n: number): number {
  return 2 ** LVL_SHIFT(n);
}
/** LVL_START(n) = (LVL_SIZE - 1) << ((n - 1) * LVL_CLK_SHIFT): first delta that needs level n. */
export function LVL_START(n: number): number {
  return (LVL_SIZE - 1) * 2 ** ((n - 1) * LVL_CLK_SHIFT);
}
/** LVL_DEPTH: 9 levels when HZ > 100, else 8. */
export function LVL_DEPTH(hz: number): number {
  return hz > 100 ? 9 : 8;
}
/** WHEEL_TIMEOUT_CUTOFF = LVL_START(LVL_DEPTH) */
export function WHEEL_TIMEOUT_CUTOFF(hz: number): number {
  return LVL_START(LVL_DEPTH(hz));
}
/** WHEEL_TIMEOUT_MAX = WHEEL_TIMEOUT_CUTOFF - LVL_GRAN(LVL_DEPTH - 1) */
export function WHEEL_TIMEOUT_MAX(hz: number): number {
  return WHEEL_TIMEOUT_CUTOFF(hz) - LVL_GRAN(LVL_DEPTH(hz) - 1);
}

/** Where calc_wheel_index() puts a timer. */
export interface WheelSlot {
  /** Bucket index over all levels (LVL_OFFS(lvl) + bucket). */
  idx: number;
  /** The level. */
  lvl: number;
  /** The jiffy at which the bucket expires (the effective expiry). */
  bucketExpiry: number;
}

/** calc_index(expires, lvl): round up to the level's granularity, never early. */
function calcIndex(expires: number, lvl: number, out: WheelSlot): void {
  const g = LVL_GRAN(lvl);
  const e = Math.floor(expires / g) + 1; // (expires >> LVL_SHIFT(lvl)) + 1
  out.bucketExpiry = e * g;
  out.lvl = lvl;
  out.idx = lvl * LVL_SIZE + (e & LVL_MASK);
}

/**
 * calc_wheel_index(expires, clk) (kernel/time/timer.c): the bucket of a
 * timer expiring at `expires` on a base whose clock is `clk`.
 */
export function calcWheelIndex(
  expires: number,
  clk: number,
  hz: number,
  out: WheelSlot = { idx: 0, lvl: 0, bucketExpiry: 0 },
): WheelSlot {
  const depth = LVL_DEPTH(hz);
  const delta = expires - clk;
  if (delta < 0) {
    // (long) delta < 0: an already expired timer goes in the current bucket
    out.idx = clk & LVL_MASK;
    out.lvl = 0;
    out.bucketExpiry = clk;
    return out;
  }
  for (let lvl = 0; lvl < depth - 1; lvl++) {
    if (delta < LVL_START(lvl + 1)) {
      calcIndex(expires, lvl, out);
      return out;
    }
  }
  // Force expire obscene large timeouts to expire at the capacity limit of the wheel.
  if (delta >= WHEEL_TIMEOUT_CUTOFF(hz)) expires = clk + WHEEL_TIMEOUT_MAX(hz);
  calcIndex(expires, depth - 1, out);
  return out;
}

// ---- timer_list ----

/** The callback of a timer: a plain function or a generator function (it may `yield mdelay(n)`). */
export type TimerFn = (t: timer_list) => void;

/**
 * `struct timer_list` (include/linux/timer_types.h). `expires` is in
 * jiffies; `flags` holds the CPU of the base in its low bits, TIMER_* flags
 * and, while queued, the wheel bucket index — as in the kernel.
 *
 * TypeScript has no container_of: pass the object the timer is embedded in
 * as `owner` (`timer = new timer_list(this)` in a class field) and get it
 * back with {@linkcode from_timer}, or let the callback close over it.
 */
export class timer_list {
  /** Absolute expiry, in jiffies. */
  expires = 0;
  /** The callback; runs in softirq context. */
  function: TimerFn | undefined = undefined;
  /** TIMER_* flags | CPU | bucket index. */
  flags = 0;
  /** The object this timer is embedded in (for from_timer). */
  owner: unknown;
  /** Bucket list while queued (entry.pprev != NULL): internal. */
  _bucket: timer_list[] | undefined = undefined;

  /** Create a timer_list. */
  constructor(owner?: unknown) {
    this.owner = owner;
  }
}

/** The name `%ps` prints for a callback. */
export function fnName(fn: ((...a: never[]) => unknown) | undefined): string {
  return fn?.name || "0x0";
}

// ---- per-CPU bases ----

/** BASE_STD: the normal wheel. */
export const BASE_STD = 0;
/** BASE_DEF: the wheel of deferrable timers (CONFIG_NO_HZ_COMMON). */
export const BASE_DEF = 1;

/** `struct timer_base`. */
export class TimerBase {
  /** base->clk: the next jiffy to process. */
  clk: number;
  /** base->next_expiry */
  nextExpiry: number;
  /** next_expiry must be recomputed. */
  nextExpiryRecalc = false;
  /** Some timer is queued on this base. */
  timersPending = false;
  /** base->running_timer */
  runningTimer: timer_list | undefined = undefined;
  /** base->pending_map, one byte per bucket. */
  readonly pendingMap: Uint8Array;
  /** base->vectors: each bucket's timers, the hlist head last. */
  readonly vectors: timer_list[][];

  /** Create a TimerBase. */
  constructor(readonly cpu: number, readonly index: number, jiffies: number, depth: number) {
    // init_timer_cpu()
    this.clk = jiffies;
    this.nextExpiry = jiffies + NEXT_TIMER_MAX_DELTA;
    this.pendingMap = new Uint8Array(LVL_SIZE * depth);
    this.vectors = Array.from({ length: LVL_SIZE * depth }, () => []);
  }
}

/** The timer service of one machine: bases, the timer_list operations and the softirq. */
export const TimersKey: ServiceKey<Timers> = serviceKey<Timers>("timers");

const MOD_TIMER_PENDING_ONLY = 0x01;
const MOD_TIMER_REDUCE = 0x02;
const MOD_TIMER_NOTPENDING = 0x04;

/** What a timer hook plugin (hrtimers) does on the tick before the wheel check. */
export type TickHook = (cpu: Cpu) => void;

/** Timer wheels of one machine. */
export class Timers {
  /** timer_bases[cpu][BASE_STD | BASE_DEF] */
  readonly bases: TimerBase[][];
  /** Called first in run_local_timers() (hrtimer_run_queues in low-resolution mode). */
  readonly tickHooks: TickHook[] = [];
  /** LVL_DEPTH of the wheel for the machine's HZ. */
  readonly depth: number;
  #slot: WheelSlot = { idx: 0, lvl: 0, bucketExpiry: 0 };
  #warnedOnce = new Set<string>();

  /** Create a Timers. */
  constructor(readonly kernel: Kernel, readonly softirq: Softirq) {
    this.depth = LVL_DEPTH(kernel.config.hz);
    this.bases = kernel.cpus.map((c) => [
      new TimerBase(c.id, BASE_STD, kernel.jiffies, this.depth),
      new TimerBase(c.id, BASE_DEF, kernel.jiffies, this.depth),
    ]);
  }

  /**
   * `%p` of a timer in traces: a stand-in numbered per machine in the order
   * timers are first seen, so runs are byte-identical.
   */
  ptr(t: timer_list): string {
    let id = this.#ids.get(t);
    if (id === undefined) this.#ids.set(t, id = ++this.#nextId);
    return hashedPtr(id);
  }
  readonly #ids = new WeakMap<timer_list, number>();
  #nextId = 0;

  #thisCpu(): number {
    return this.kernel.thisCpu().id;
  }

  /**
   * BUG_ON() in kernel/time/timer.c (6.1; 6.2 made these WARN_ON_ONCE with
   * a return): the kernel's BUG report, then the run stops unless
   * --keep-going. `line` is the BUG_ON's line in 6.1's timer.c.
   */
  #bug(line: number): void {
    const k = this.kernel;
    const cpu = k.thisCpu(), t = cpu.current;
    k.printk(4, "------------[ cut here ]------------");
    k.printk(2, `kernel BUG at kernel/time/timer.c:${line}!`);
    if (k.config.arch === "x86") {
      const preempt = k.config.preempt === "full" ? " PREEMPT" : "";
      k.printk(4, `invalid opcode: 0000 [#${++k.bugs}]${preempt} SMP`);
    } else k.printk(0, `Internal error: Oops - BUG: 0 [#${++k.bugs}] SMP`);
    k.printk(
      4,
      `CPU: ${cpu.id} PID: ${t.pid} Comm: ${t.comm} Not tainted ${k.config.version}.0 #1`,
    );
    if (!k.keepGoing) {
      k.halted = true;
      k.clock.stop();
    }
  }

  /** 6.1 BUG()s where 6.2+ WARN_ON_ONCE()s and returns. */
  get #bugs(): boolean {
    return this.kernel.config.version === "6.1";
  }

  #warnOnce(site: string, fn: string): void {
    if (this.#warnedOnce.has(site)) return;
    this.#warnedOnce.add(site);
    this.kernel.warn(undefined, fn, "kernel/time/timer.c");
  }

  /** get_timer_cpu_base(tflags, cpu) */
  baseOf(tflags: number, cpu: number): TimerBase {
    const b = this.bases[cpu] ?? this.bases[0];
    return b[tflags & TIMER_DEFERRABLE ? BASE_DEF : BASE_STD];
  }

  /** get_timer_base(tflags): the base the timer's flags name. */
  timerBase(t: timer_list): TimerBase {
    return this.baseOf(t.flags, t.flags & TIMER_CPUMASK);
  }

  // ---- init ----

  /** do_init_timer() / timer_setup(): WARN_ON_ONCE on flags outside TIMER_INIT_FLAGS. */
  timerSetup(t: timer_list, fn: TimerFn | undefined, flags: number): void {
    const k = this.kernel;
    if (k.trace.enabled) k.traceEvent(timer_init, { timer: this.ptr(t) });
    t._bucket = undefined; // timer->entry.pprev = NULL
    t.function = fn;
    if (flags & ~TIMER_INIT_FLAGS) {
      this.#warnOnce("do_init_timer", "do_init_timer");
      flags &= TIMER_INIT_FLAGS;
    }
    t.flags = (flags | this.#thisCpu()) >>> 0;
  }

  // ---- enqueue / dequeue ----

  #enqueue(base: TimerBase, t: timer_list, idx: number, bucketExpiry: number): void {
    const k = this.kernel;
    const v = base.vectors[idx];
    v.push(t); // hlist_add_head: the head is the end of the array
    t._bucket = v;
    base.pendingMap[idx] = 1;
    t.flags = ((t.flags & ~TIMER_ARRAYMASK) | (idx << TIMER_ARRAYSHIFT)) >>> 0;
    if (k.trace.enabled) {
      k.traceEvent(timer_start, {
        timer: this.ptr(t),
        function: fnName(t.function),
        expires: t.expires,
        now: k.jiffies,
        flags: t.flags,
      });
    }
    if (time_before(bucketExpiry, base.nextExpiry)) {
      base.nextExpiry = bucketExpiry;
      base.timersPending = true;
      base.nextExpiryRecalc = false;
    }
  }

  #internalAdd(base: TimerBase, t: timer_list): void {
    const s = calcWheelIndex(t.expires, base.clk, this.kernel.config.hz, this.#slot);
    this.#enqueue(base, t, s.idx, s.bucketExpiry);
  }

  #detach(t: timer_list): void {
    const k = this.kernel;
    if (k.trace.enabled) k.traceEvent(timer_cancel, { timer: this.ptr(t) });
    const v = t._bucket!;
    const i = v.lastIndexOf(t);
    if (i >= 0) v.splice(i, 1);
    t._bucket = undefined;
  }

  #detachIfPending(t: timer_list, base: TimerBase): number {
    if (!t._bucket) return 0;
    const idx = (t.flags & TIMER_ARRAYMASK) >>> TIMER_ARRAYSHIFT;
    // hlist_is_singular_node(&timer->entry, base->vectors + idx)
    if (t._bucket === base.vectors[idx] && t._bucket.length === 1) {
      base.pendingMap[idx] = 0;
      base.nextExpiryRecalc = true;
    }
    this.#detach(t);
    return 1;
  }

  /** forward_timer_base(): catch base->clk up with jiffies before an enqueue. */
  #forward(base: TimerBase): void {
    const jnow = this.kernel.jiffies;
    if (jnow - base.clk < 1) return;
    if (time_after(base.nextExpiry, jnow)) base.clk = jnow;
    else {
      if (time_before(base.nextExpiry, base.clk)) return; // WARN_ON_ONCE in the kernel
      base.clk = base.nextExpiry;
    }
  }

  /** get_target_base(): this CPU's base (no NO_HZ timer migration modelled). */
  #targetBase(tflags: number): TimerBase {
    return this.baseOf(tflags, this.#thisCpu());
  }

  /** __mod_timer(timer, expires, options) (kernel/time/timer.c). May run in interrupt context. */
  modTimer(t: timer_list, expires: number, options = 0): number {
    // 6.1: BUG_ON(!timer->function); 6.2+: a shut-down timer is silently not started
    if (!t.function && this.#bugs) {
      this.#bug(1020);
      return 0;
    }
    let clk = 0, idx = -1, bucketExpiry = 0;
    let base: TimerBase;
    let ret = 0;
    const hz = this.kernel.config.hz;
    if (!(options & MOD_TIMER_NOTPENDING) && t._bucket) {
      // same timeout, or same bucket: only update the expiry
      const diff = t.expires - expires;
      if (!diff) return 1;
      if (options & MOD_TIMER_REDUCE && diff <= 0) return 1;
      base = this.timerBase(t);
      if (!t.function) return 0;
      this.#forward(base);
      if (t._bucket && (options & MOD_TIMER_REDUCE) && time_before_eq(t.expires, expires)) {
        return 1;
      }
      clk = base.clk;
      const s = calcWheelIndex(expires, clk, hz, this.#slot);
      idx = s.idx;
      bucketExpiry = s.bucketExpiry;
      if (idx === (t.flags & TIMER_ARRAYMASK) >>> TIMER_ARRAYSHIFT) {
        if (!(options & MOD_TIMER_REDUCE)) t.expires = expires;
        else if (time_after(t.expires, expires)) t.expires = expires;
        return 1;
      }
    } else {
      base = this.timerBase(t);
      if (!t.function) return 0;
      this.#forward(base);
    }
    ret = this.#detachIfPending(t, base);
    if (!ret && (options & MOD_TIMER_PENDING_ONLY)) return ret;
    const newBase = this.#targetBase(t.flags);
    if (base !== newBase) {
      // the timer's base cannot change while its callback runs (del_timer_sync relies on it)
      if (base.runningTimer !== t) {
        base = newBase;
        t.flags = ((t.flags & ~TIMER_BASEMASK) | base.cpu) >>> 0;
        this.#forward(base);
      }
    }
    t.expires = expires;
    if (idx >= 0 && clk === base.clk) this.#enqueue(base, t, idx, bucketExpiry);
    else this.#internalAdd(base, t);
    return ret;
  }

  /** add_timer(): BUG_ON (6.1) or WARN_ON_ONCE (6.2+) when already pending. */
  addTimer(t: timer_list): void {
    if (t._bucket) {
      if (this.#bugs) this.#bug(1196);
      else this.#warnOnce("add_timer", "add_timer");
      return;
    }
    this.modTimer(t, t.expires, MOD_TIMER_NOTPENDING);
  }

  /** add_timer_on(timer, cpu): BUG_ON (6.1) / WARN_ON_ONCE when pending or without a function. */
  addTimerOn(t: timer_list, cpu: number): void {
    if (t._bucket || !t.function) {
      if (this.#bugs) this.#bug(1213);
      else this.#warnOnce("add_timer_on", "add_timer_on");
      return;
    }
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.bases.length) {
      throw new RangeError(
        `Cannot add_timer_on(timer, ${cpu}): the machine has CPUs 0..${this.bases.length - 1}`,
      );
    }
    const newBase = this.baseOf(t.flags, cpu);
    let base = this.timerBase(t);
    if (!t.function) return;
    if (base !== newBase) {
      base = newBase;
      t.flags = ((t.flags & ~TIMER_BASEMASK) | cpu) >>> 0;
    }
    this.#forward(base);
    this.#internalAdd(base, t);
  }

  /** mod_timer_pending() */
  modTimerPending(t: timer_list, expires: number): number {
    return this.modTimer(t, expires, MOD_TIMER_PENDING_ONLY);
  }

  /** timer_reduce() */
  timerReduce(t: timer_list, expires: number): number {
    return this.modTimer(t, expires, MOD_TIMER_REDUCE);
  }

  /** del_timer(): 1 when it was pending. May run in interrupt context. */
  delTimer(t: timer_list): number {
    if (!t._bucket) return 0;
    return this.#detachIfPending(t, this.timerBase(t));
  }

  /**
   * try_to_del_timer_sync(): -1 while the callback runs (on any CPU).
   * `shutdown` (6.2+ __try_to_del_timer_sync): also clear the function, so
   * the timer can never be armed again.
   */
  tryToDelTimerSync(t: timer_list, shutdown = false): number {
    const base = this.timerBase(t);
    const ret = base.runningTimer === t ? -1 : this.#detachIfPending(t, base);
    if (shutdown) t.function = undefined;
    return ret;
  }

  /** timer_shutdown() (6.2+ __timer_delete(timer, true)): del_timer and clear the function. */
  timerShutdown(t: timer_list): number {
    const ret = this.#detachIfPending(t, this.timerBase(t));
    t.function = undefined;
    return ret;
  }

  /** True while `t`'s callback runs on CPU `cpu`'s base. */
  isRunning(t: timer_list): boolean {
    return this.timerBase(t).runningTimer === t;
  }

  /**
   * del_timer_sync()'s checks before its loop: WARN_ON(in_hardirq() &&
   * !(timer->flags & TIMER_IRQSAFE)).
   */
  delTimerSyncChecks(t: timer_list, cpu: Cpu): void {
    if ((cpu.preemptCount & HARDIRQ_MASK) !== 0 && !(t.flags & TIMER_IRQSAFE)) {
      this.kernel.warn(undefined, "del_timer_sync", "kernel/time/timer.c");
    }
  }

  // ---- the tick and the softirq ----

  /**
   * run_local_timers(), from update_process_times() on every tick of
   * `cpu`: the tick hooks (hrtimer_run_queues), then raise TIMER_SOFTIRQ
   * if a wheel of this CPU has a due bucket. Runs in hardirq context.
   */
  runLocalTimers(cpu: Cpu): void {
    for (const h of this.tickHooks) h(cpu);
    const j = this.kernel.jiffies;
    const b = this.bases[cpu.id];
    if (time_before(j, b[BASE_STD].nextExpiry) && time_before(j, b[BASE_DEF].nextExpiry)) return;
    this.softirq.raise_softirq(TIMER_SOFTIRQ, cpu);
  }

  /** run_timer_softirq(): both wheels of this CPU. Runs in softirq context. */
  *runTimerSoftirq(cpu: Cpu): BodyGenerator<void> {
    const b = this.bases[cpu.id];
    yield* this.#runTimers(cpu, b[BASE_STD]);
    yield* this.#runTimers(cpu, b[BASE_DEF]);
  }

  /** __run_timers(base). Runs in softirq context. */
  *#runTimers(cpu: Cpu, base: TimerBase): BodyGenerator<void> {
    const k = this.kernel;
    if (time_before(k.jiffies, base.nextExpiry)) return;
    cpu.irqsDisabled = true; // raw_spin_lock_irq(&base->lock)
    while (time_after_eq(k.jiffies, base.clk) && time_after_eq(k.jiffies, base.nextExpiry)) {
      const heads = this.#collectExpired(base);
      base.clk++;
      base.nextExpiry = this.nextTimerInterrupt(base);
      for (let l = heads.length - 1; l >= 0; l--) yield* this.#expireTimers(cpu, base, heads[l]);
    }
    cpu.irqsDisabled = false; // raw_spin_unlock_irq(&base->lock)
    if (cpu.intrPending) cpu.poke();
  }

  /** collect_expired_timers(): move the due buckets of every level out of the wheel. */
  #collectExpired(base: TimerBase): timer_list[][] {
    let clk = base.clk = base.nextExpiry;
    const heads: timer_list[][] = [];
    for (let i = 0; i < this.depth; i++) {
      const idx = (clk & LVL_MASK) + i * LVL_SIZE;
      if (base.pendingMap[idx]) {
        base.pendingMap[idx] = 0;
        heads.push(base.vectors[idx]);
        base.vectors[idx] = []; // hlist_move_list: the timers keep pointing at the moved list
      }
      if (clk & LVL_CLK_MASK) break;
      clk = Math.floor(clk / LVL_CLK_DIV);
    }
    return heads;
  }

  /** next_pending_bucket(base, offset, clk) */
  #nextPendingBucket(base: TimerBase, offset: number, clk: number): number {
    const start = offset + clk, end = offset + LVL_SIZE;
    for (let p = start; p < end; p++) if (base.pendingMap[p]) return p - start;
    for (let p = offset; p < start; p++) if (base.pendingMap[p]) return p + LVL_SIZE - start;
    return -1;
  }

  /** __next_timer_interrupt(base): the first bucket expiry over all levels. */
  nextTimerInterrupt(base: TimerBase): number {
    let next = base.clk + NEXT_TIMER_MAX_DELTA;
    let clk = base.clk;
    for (let lvl = 0, offset = 0; lvl < this.depth; lvl++, offset += LVL_SIZE) {
      const pos = this.#nextPendingBucket(base, offset, clk & LVL_MASK);
      const lvlClk = clk & LVL_CLK_MASK;
      if (pos >= 0) {
        const tmp = (clk + pos) * LVL_GRAN(lvl);
        if (time_before(tmp, next)) next = tmp;
        // the next expiry comes before the next level's: no need to look further
        if (pos <= ((LVL_CLK_DIV - lvlClk) & LVL_CLK_MASK)) break;
      }
      clk = Math.floor(clk / LVL_CLK_DIV) + (lvlClk ? 1 : 0);
    }
    base.nextExpiryRecalc = false;
    base.timersPending = next !== base.clk + NEXT_TIMER_MAX_DELTA;
    return next;
  }

  /** expire_timers(base, head). Runs in softirq context. */
  *#expireTimers(cpu: Cpu, base: TimerBase, head: timer_list[]): BodyGenerator<void> {
    const baseclk = base.clk - 1; // for tracing: the clk the timers expired at
    while (head.length > 0) {
      const t = head[head.length - 1];
      base.runningTimer = t;
      this.#detach(t);
      const fn = t.function;
      if (!fn) {
        this.#warnOnce("expire_timers", "expire_timers");
        base.runningTimer = undefined;
        continue;
      }
      if (!(t.flags & TIMER_IRQSAFE)) {
        cpu.irqsDisabled = false; // raw_spin_unlock_irq(): the callback runs with irqs on
        if (cpu.intrPending) cpu.poke();
      }
      yield* this.#callTimerFn(cpu, t, fn, baseclk);
      cpu.irqsDisabled = true; // raw_spin_lock_irq(&base->lock)
      base.runningTimer = undefined;
    }
  }

  /** call_timer_fn(): the callback between the expire tracepoints, with the preempt-leak check. */
  *#callTimerFn(cpu: Cpu, t: timer_list, fn: TimerFn, baseclk: number): BodyGenerator<void> {
    const k = this.kernel;
    const count = cpu.preemptCount;
    if (k.trace.enabled) {
      k.traceEvent(timer_expire_entry, {
        timer: this.ptr(t),
        function: fnName(fn),
        now: k.jiffies,
        baseclk,
      }, cpu);
    }
    const r = fn(t) as unknown;
    if (r && typeof (r as BodyGenerator).next === "function") {
      yield callToken(new GeneratorBody(r as BodyGenerator, fnName(fn)));
    } else {
      cpu.accum += (fn as Costed<TimerFn>).cost_ns ?? k.costs.handler_ns;
      yield BUSY;
    }
    if (k.trace.enabled) k.traceEvent(timer_expire_exit, { timer: this.ptr(t) }, cpu);
    if (count !== cpu.preemptCount) {
      // WARN_ONCE(1, "timer: %pS preempt leak: %08x -> %08x\n", ...)
      if (!this.#warnedOnce.has("call_timer_fn")) {
        this.#warnedOnce.add("call_timer_fn");
        k.warn(
          `timer: ${fnName(fn)}+0x0/0x40 preempt leak: ${hex8(count)} -> ${hex8(cpu.preemptCount)}`,
          "call_timer_fn",
          "kernel/time/timer.c",
        );
      }
      cpu.preemptCount = count; // preempt_count_set(count)
    }
  }
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
