/**
 * High-resolution timers as Linux 6.1 runs them (kernel/time/hrtimer.c,
 * include/linux/hrtimer.h): per-CPU clock bases (MONOTONIC, REALTIME,
 * BOOTTIME, TAI, each hard and soft), timers ordered by expiry, hard
 * timers expiring in hardirq context and `HRTIMER_MODE_SOFT` ones in
 * HRTIMER_SOFTIRQ (the reference sheet calls that vector unused; it is used
 * since 4.16 for soft hrtimers, kernel source wins).
 *
 * Two modes, as the kernel has them:
 * - **low resolution** (the default, and all a periodic tick allows):
 *   `hrtimer_run_queues()` runs from the tick (run_local_timers), so a timer
 *   runs at the first tick at or after its soft expiry, and
 *   `hrtimer_resolution` is TICK_NSEC (hrtimer_forward() raises shorter
 *   intervals to one tick);
 * - **high resolution**, once an arch plugin gives a CPU a one-shot clock
 *   event device ({@linkcode Hrtimers.switchToHres}): the device is
 *   programmed for the first hard expiry and its hardirq handler calls
 *   {@linkcode Hrtimers.hrtimerInterrupt}; `hrtimer_resolution` is 1 ns.
 *   Taking over the periodic tick (tick_sched_timer) is then the arch's job.
 *
 * The clocks all read the simulated time (REALTIME and TAI offsets are 0).
 * Not modelled: NO_HZ timer migration (timers stay on the CPU that started
 * them), hang detection, PREEMPT_RT.
 *
 * @module
 */

import {
  type Body,
  type BodyGenerator,
  BUSY,
  CALL,
  callToken,
  type Costed,
  DONE,
  GeneratorBody,
} from "../../core/body.ts";
import { type ServiceKey, serviceKey } from "../../core/bus.ts";
import type { Cpu } from "../../core/cpu.ts";
import type { Kernel } from "../../core/kernel.ts";
import { HRTIMER_SOFTIRQ, type Softirq } from "../softirq/mod.ts";
import { tickNsec } from "./jiffies.ts";
import {
  hashedPtr,
  hrtimer_cancel_event,
  hrtimer_expire_entry,
  hrtimer_expire_exit,
  hrtimer_init_event,
  hrtimer_start_event,
} from "./trace.ts";

/** ktime_t: signed 64-bit ns; a JS number (exact up to 2^53 ns, 104 days). */
export type ktime_t = number;
/** KTIME_MAX (as a double). */
export const KTIME_MAX = 2 ** 63 - 1;

// ---- clocks (include/uapi/linux/time.h) ----
/** CLOCK_REALTIME */
export const CLOCK_REALTIME = 0;
/** CLOCK_MONOTONIC */
export const CLOCK_MONOTONIC = 1;
/** CLOCK_BOOTTIME */
export const CLOCK_BOOTTIME = 7;
/** CLOCK_TAI */
export const CLOCK_TAI = 11;

/** enum hrtimer_base_type: MONOTONIC, REALTIME, BOOTTIME, TAI, then the _SOFT ones. */
const BASE_OF_CLOCK: Record<number, number> = {
  [CLOCK_MONOTONIC]: 0,
  [CLOCK_REALTIME]: 1,
  [CLOCK_BOOTTIME]: 2,
  [CLOCK_TAI]: 3,
};
/** HRTIMER_MAX_CLOCK_BASES */
const HRTIMER_MAX_CLOCK_BASES = 8;
const CLOCK_NAMES: Record<number, string> = {
  [CLOCK_REALTIME]: "CLOCK_REALTIME",
  [CLOCK_MONOTONIC]: "CLOCK_MONOTONIC",
  [CLOCK_BOOTTIME]: "CLOCK_BOOTTIME",
  [CLOCK_TAI]: "CLOCK_TAI",
};

// ---- modes and results (include/linux/hrtimer.h) ----
/** Absolute expiry. */
export const HRTIMER_MODE_ABS = 0x00;
/** Expiry relative to now. */
export const HRTIMER_MODE_REL = 0x01;
/** Stay on the CPU it was started on. */
export const HRTIMER_MODE_PINNED = 0x02;
/** Expire in HRTIMER_SOFTIRQ instead of hardirq context. */
export const HRTIMER_MODE_SOFT = 0x04;
/** Expire in hardirq context even on PREEMPT_RT. */
export const HRTIMER_MODE_HARD = 0x08;
/** ABS | PINNED */
export const HRTIMER_MODE_ABS_PINNED = 0x02;
/** REL | PINNED */
export const HRTIMER_MODE_REL_PINNED = 0x03;
/** ABS | SOFT */
export const HRTIMER_MODE_ABS_SOFT = 0x04;
/** REL | SOFT */
export const HRTIMER_MODE_REL_SOFT = 0x05;
/** ABS | PINNED | SOFT */
export const HRTIMER_MODE_ABS_PINNED_SOFT = 0x06;
/** REL | PINNED | SOFT */
export const HRTIMER_MODE_REL_PINNED_SOFT = 0x07;
/** ABS | HARD */
export const HRTIMER_MODE_ABS_HARD = 0x08;
/** REL | HARD */
export const HRTIMER_MODE_REL_HARD = 0x09;
/** ABS | PINNED | HARD */
export const HRTIMER_MODE_ABS_PINNED_HARD = 0x0a;
/** REL | PINNED | HARD */
export const HRTIMER_MODE_REL_PINNED_HARD = 0x0b;

/** enum hrtimer_restart: the callback is done with the timer. */
export const HRTIMER_NORESTART = 0;
/** enum hrtimer_restart: re-enqueue at the (forwarded) expiry. */
export const HRTIMER_RESTART = 1;

/** HRTIMER_STATE_INACTIVE */
export const HRTIMER_STATE_INACTIVE = 0x00;
/** HRTIMER_STATE_ENQUEUED */
export const HRTIMER_STATE_ENQUEUED = 0x01;

/** decode_hrtimer_mode() of include/trace/events/timer.h. */
export function decodeHrtimerMode(mode: number): string {
  const names = [
    "ABS",
    "REL",
    "ABS|PINNED",
    "REL|PINNED",
    "ABS|SOFT",
    "REL|SOFT",
    "ABS|PINNED|SOFT",
    "REL|PINNED|SOFT",
    "ABS|HARD",
    "REL|HARD",
    "ABS|PINNED|HARD",
    "REL|PINNED|HARD",
  ];
  return names[mode] ?? `0x${mode.toString(16)}`;
}

/** An hrtimer callback: returns HRTIMER_RESTART or HRTIMER_NORESTART (a generator returns it). */
export type HrtimerFn = (t: hrtimer) => number | BodyGenerator<number>;

/**
 * `struct hrtimer`. `node.expires` is the hard expiry, `_softexpires` the
 * soft one (hrtimer_start_range_ns: soft = tim, hard = tim + delta).
 */
export class hrtimer {
  /** Hard expiry, ns of the timer's clock (node.expires). */
  expires: ktime_t = 0;
  /** Soft expiry: the timer may run from here on. */
  _softexpires: ktime_t = 0;
  /** The callback (set by hrtimer_init's caller or hrtimer_setup). */
  function: HrtimerFn | undefined = undefined;
  /** HRTIMER_STATE_* */
  state: number = HRTIMER_STATE_INACTIVE;
  /** Set by hrtimer_init from the clock and mode. */
  is_rel = false;
  /** Expires in softirq context (HRTIMER_MODE_SOFT). */
  is_soft = false;
  /** Expires in hardirq context. */
  is_hard = false;
  /** The object this timer is embedded in (for container_of-style access). */
  owner: unknown;
  /** Clock id, CPU and base index: internal. */
  _clockid: number = CLOCK_MONOTONIC;
  /** CPU of the base it is queued on. */
  _cpu = 0;
  /** Index of its clock base. */
  _base = 0;

  /** Create a hrtimer. */
  constructor(owner?: unknown) {
    this.owner = owner;
  }
}

/** One clock base of one CPU: its queue in expiry order and the running timer. */
export class HrtimerClockBase {
  /** Enqueued timers by node.expires (equal expiries in start order). */
  readonly active: hrtimer[] = [];
  /** The timer whose callback runs now, if any. */
  running: hrtimer | undefined = undefined;
  /** Create a HrtimerClockBase. */
  constructor(readonly cpu: number, readonly index: number) {}
}

/** A one-shot clock event device an arch plugin gives a CPU for high-resolution mode. */
export interface OneShotClockEvent {
  /** Name (lapic, arch_sys_timer...). */
  readonly name: string;
  /**
   * clockevents_program_event(): raise the device's interrupt on `cpu` at
   * simulated time `expiresNs` (absolute), replacing any earlier
   * programming; KTIME_MAX means stop.
   */
  program(cpu: Cpu, expiresNs: number): void;
}

/** `struct hrtimer_cpu_base`. */
export class HrtimerCpuBase {
  /** The clock bases of the CPU (hard and soft). */
  readonly clockBase: HrtimerClockBase[];
  /** hres_active, with the device programmed in high-resolution mode. */
  device: OneShotClockEvent | undefined = undefined;
  /** Next hard expiry (KTIME_MAX: none). */
  expiresNext: ktime_t = KTIME_MAX;
  /** Next soft expiry. */
  softirqExpiresNext: ktime_t = KTIME_MAX;
  /** HRTIMER_SOFTIRQ is raised and not yet run. */
  softirqActivated = false;
  /** hrtimer_interrupt() is running. */
  inHrtirq = false;
  /** Create a HrtimerCpuBase. */
  constructor(readonly cpu: number) {
    this.clockBase = Array.from(
      { length: HRTIMER_MAX_CLOCK_BASES },
      (_, i) => new HrtimerClockBase(cpu, i),
    );
  }
}

/** Service key of the hrtimer layer. */
export const HrtimersKey: ServiceKey<Hrtimers> = serviceKey<Hrtimers>("hrtimers");

const ACTIVE_HARD = 0x0f, ACTIVE_SOFT = 0xf0;
/** Runs of due timers in one pass of one base after which the pass is a livelock. */
export const HRTIMER_LIVELOCK_RUNS = 10_000;

/** The hrtimer layer of one machine. */
export class Hrtimers {
  /** Per-CPU hrtimer bases. */
  readonly cpuBases: HrtimerCpuBase[];
  #warned = new Set<string>();

  /** Create a Hrtimers. */
  constructor(readonly kernel: Kernel, readonly softirq: Softirq) {
    this.cpuBases = kernel.cpus.map((c) => new HrtimerCpuBase(c.id));
  }

  /** `%p` of an hrtimer in traces, numbered per machine (see Timers.ptr). */
  ptr(t: hrtimer): string {
    let id = this.#ids.get(t);
    if (id === undefined) this.#ids.set(t, id = ++this.#nextId);
    return hashedPtr(0x1000 + id);
  }
  readonly #ids = new WeakMap<hrtimer, number>();
  #nextId = 0;

  /** hrtimer_resolution: TICK_NSEC in low-resolution mode, 1 ns in high resolution. */
  resolution(cpu: number = this.kernel.thisCpu().id): number {
    return this.cpuBases[cpu].device ? 1 : tickNsec(this.kernel.config.hz);
  }

  /** The clock of a base: every clock reads the simulated time. */
  now(): ktime_t {
    return this.kernel.now;
  }

  #warnOnce(site: string, fn: string): void {
    if (this.#warned.has(site)) return;
    this.#warned.add(site);
    this.kernel.warn(undefined, fn, "kernel/time/hrtimer.c");
  }

  #base(t: hrtimer): HrtimerClockBase {
    return this.cpuBases[t._cpu].clockBase[t._base];
  }

  /** __hrtimer_init(timer, clock_id, mode). */
  init(t: hrtimer, clockid: number, mode: number): void {
    const k = this.kernel;
    if (!(clockid in BASE_OF_CLOCK)) {
      throw new RangeError(
        `Cannot hrtimer_init with clock ${clockid}: use CLOCK_MONOTONIC (1), CLOCK_REALTIME (0), ` +
          `CLOCK_BOOTTIME (7) or CLOCK_TAI (11)`,
      );
    }
    if (k.trace.enabled) {
      k.traceEvent(hrtimer_init_event, {
        hrtimer: this.ptr(t),
        clockid: CLOCK_NAMES[clockid],
        mode: decodeHrtimerMode(mode),
      });
    }
    const soft = (mode & HRTIMER_MODE_SOFT) !== 0;
    // a relative CLOCK_REALTIME timer is not affected by clock setting: MONOTONIC
    if (clockid === CLOCK_REALTIME && (mode & HRTIMER_MODE_REL)) clockid = CLOCK_MONOTONIC;
    t.state = HRTIMER_STATE_INACTIVE;
    t._clockid = clockid;
    t._cpu = k.thisCpu().id;
    t._base = BASE_OF_CLOCK[clockid] + (soft ? HRTIMER_MAX_CLOCK_BASES / 2 : 0);
    t.is_soft = soft;
    t.is_hard = (mode & HRTIMER_MODE_HARD) !== 0;
    t.is_rel = (mode & HRTIMER_MODE_REL) !== 0;
  }

  /** enqueue_hrtimer(): returns true when it became the first of its base. */
  #enqueue(t: hrtimer, base: HrtimerClockBase, mode: number): boolean {
    const k = this.kernel;
    if (k.trace.enabled) {
      k.traceEvent(hrtimer_start_event, {
        hrtimer: this.ptr(t),
        function: t.function?.name || "0x0",
        expires: t.expires,
        softexpires: t._softexpires,
        mode: decodeHrtimerMode(mode),
      });
    }
    t.state = HRTIMER_STATE_ENQUEUED;
    const q = base.active;
    // timerqueue_add: rb-tree by expiry, equal keys to the right
    let i = q.length;
    while (i > 0 && q[i - 1].expires > t.expires) i--;
    q.splice(i, 0, t);
    return i === 0;
  }

  /** __remove_hrtimer(): take the timer off its queue. */
  #removeFromQueue(t: hrtimer, base: HrtimerClockBase, newState: number): void {
    const q = base.active;
    const i = q.indexOf(t);
    if (i >= 0) q.splice(i, 1);
    t.state = newState;
  }

  /** remove_hrtimer(): 1 when it was queued (traces hrtimer_cancel). */
  #remove(t: hrtimer, base: HrtimerClockBase, restart: boolean): number {
    if (!(t.state & HRTIMER_STATE_ENQUEUED)) return 0;
    const k = this.kernel;
    if (k.trace.enabled) k.traceEvent(hrtimer_cancel_event, { hrtimer: this.ptr(t) });
    this.#removeFromQueue(t, base, restart ? t.state : HRTIMER_STATE_INACTIVE);
    if (!restart) t.state = HRTIMER_STATE_INACTIVE;
    this.#recomputeNext(this.cpuBases[t._cpu]);
    return 1;
  }

  /**
   * hrtimer_start_range_ns(timer, tim, delta_ns, mode): (re)start on this
   * CPU (or stay where the callback runs). May run in interrupt context.
   */
  start(t: hrtimer, tim: ktime_t, deltaNs: number, mode: number): void {
    const k = this.kernel;
    // WARN_ON_ONCE(!(mode & HRTIMER_MODE_SOFT) ^ !timer->is_soft)
    if (!(mode & HRTIMER_MODE_SOFT) !== !t.is_soft) {
      this.#warnOnce("hrtimer_start_range_ns", "hrtimer_start_range_ns");
    }
    let base = this.#base(t);
    this.#remove(t, base, true);
    if (mode & HRTIMER_MODE_REL) tim = Math.min(tim + this.now(), KTIME_MAX); // ktime_add_safe
    t._softexpires = tim;
    t.expires = Math.min(tim + Math.max(0, deltaNs), KTIME_MAX);
    // switch_hrtimer_base(): to this CPU unless the callback runs on the old base
    const here = k.thisCpu().id;
    if (t._cpu !== here && base.running !== t) {
      t._cpu = here;
      base = this.#base(t);
    }
    const first = this.#enqueue(t, base, mode);
    if (first) this.#reprogram(t);
  }

  /** hrtimer_reprogram(): soft bookkeeping, and the device in high-resolution mode. */
  #reprogram(t: hrtimer): void {
    const cb = this.cpuBases[t._cpu];
    const expires = Math.max(0, t.expires);
    if (t.is_soft) {
      if (cb.softirqActivated) return;
      if (!(expires < cb.softirqExpiresNext)) return;
      cb.softirqExpiresNext = expires;
      if (!(expires < cb.expiresNext)) return;
    }
    if (expires >= cb.expiresNext) return;
    if (cb.inHrtirq) return;
    cb.expiresNext = expires;
    if (cb.device) cb.device.program(this.kernel.cpus[cb.cpu], expires);
  }

  /** __hrtimer_get_next_event(cpu_base, mask): the first hard expiry in the masked bases. */
  #nextEvent(cb: HrtimerCpuBase, mask: number): ktime_t {
    let next = KTIME_MAX;
    for (let i = 0; i < HRTIMER_MAX_CLOCK_BASES; i++) {
      if (!(mask & (1 << i))) continue;
      const first = cb.clockBase[i].active[0];
      if (first && first.expires < next) next = first.expires;
    }
    return next;
  }

  /** After a removal: what the next events are (hrtimer_force_reprogram without the device write). */
  #recomputeNext(cb: HrtimerCpuBase): void {
    if (!cb.softirqActivated) cb.softirqExpiresNext = this.#nextEvent(cb, ACTIVE_SOFT);
  }

  /** hrtimer_try_to_cancel(): 0 inactive, 1 dequeued, -1 while its callback runs. */
  tryToCancel(t: hrtimer): number {
    if (!this.active(t)) return 0;
    const base = this.#base(t);
    if (base.running === t) return -1;
    return this.#remove(t, base, false);
  }

  /** hrtimer_active(): queued or its callback running. */
  active(t: hrtimer): boolean {
    return t.state !== HRTIMER_STATE_INACTIVE || this.#base(t).running === t;
  }

  /** hrtimer_callback_running() */
  callbackRunning(t: hrtimer): boolean {
    return this.#base(t).running === t;
  }

  /**
   * hrtimer_forward(timer, now, interval): move the expiry forward by whole
   * intervals past `now`; returns the overrun count (0 when not expired yet).
   */
  forward(t: hrtimer, now: ktime_t, interval: ktime_t): number {
    const delta = now - t.expires;
    if (delta < 0) return 0;
    if (t.state & HRTIMER_STATE_ENQUEUED) {
      // WARN_ON(timer->state & HRTIMER_STATE_ENQUEUED)
      this.kernel.warn(undefined, "hrtimer_forward", "kernel/time/hrtimer.c");
      return 0;
    }
    const res = this.resolution(t._cpu);
    if (interval < res) interval = res;
    let orun = 1;
    if (delta >= interval) {
      orun = Math.floor(delta / interval);
      t.expires += interval * orun;
      t._softexpires += interval * orun;
      if (t.expires > now) return orun;
      orun++; // the correction for exact multiples
    }
    t.expires += interval;
    t._softexpires += interval;
    return orun;
  }

  // ---- expiry ----

  /**
   * hrtimer_run_queues(): from run_local_timers() on the tick, in
   * low-resolution mode only: raise HRTIMER_SOFTIRQ when the first soft
   * timer is due, then run the due hard timers here, in hardirq context
   * (inline: their time is charged to the tick's interrupt).
   */
  runQueues(cpu: Cpu): void {
    const cb = this.cpuBases[cpu.id];
    if (cb.device) return; // __hrtimer_hres_active()
    const now = this.now();
    if (!(now < cb.softirqExpiresNext)) {
      cb.softirqExpiresNext = KTIME_MAX;
      cb.softirqActivated = true;
      this.softirq.raise_softirq_irqoff(HRTIMER_SOFTIRQ, cpu);
    }
    if (this.#hasDue(cb, now, ACTIVE_HARD)) {
      runInline(cpu, this.#runQueuesBody(cpu, now, ACTIVE_HARD, true, true));
    }
  }

  /**
   * hrtimer_interrupt(): the one-shot clock event's handler in
   * high-resolution mode, in hardirq context: soft timers due raise
   * HRTIMER_SOFTIRQ, hard timers run, the device is programmed for the next
   * expiry. The arch plugin calls it from the device's interrupt handler.
   */
  hrtimerInterrupt(cpu: Cpu): void {
    const cb = this.cpuBases[cpu.id];
    cb.inHrtirq = true;
    cb.expiresNext = KTIME_MAX;
    const now = this.now();
    if (!(now < cb.softirqExpiresNext)) {
      cb.softirqExpiresNext = KTIME_MAX;
      cb.softirqActivated = true;
      this.softirq.raise_softirq_irqoff(HRTIMER_SOFTIRQ, cpu);
    }
    if (this.#hasDue(cb, now, ACTIVE_HARD)) {
      runInline(cpu, this.#runQueuesBody(cpu, now, ACTIVE_HARD, true, true));
    }
    cb.inHrtirq = false;
    this.#programNext(cb);
  }

  /** hrtimer_update_next_event() + tick_program_event() in high-resolution mode. */
  #programNext(cb: HrtimerCpuBase): void {
    let next = this.#nextEvent(cb, ACTIVE_HARD);
    if (!cb.softirqActivated) {
      const soft = this.#nextEvent(cb, ACTIVE_SOFT);
      cb.softirqExpiresNext = soft;
      if (soft < next) next = soft;
    }
    cb.expiresNext = next;
    if (cb.device) cb.device.program(this.kernel.cpus[cb.cpu], next);
  }

  /**
   * hrtimer_switch_to_hres() on `cpu`: from now on `device` drives this
   * CPU's hrtimers (the arch plugin calls it once its one-shot clock event
   * device is set up, and calls hrtimerInterrupt from its handler).
   */
  switchToHres(cpu: Cpu, device: OneShotClockEvent): void {
    const cb = this.cpuBases[cpu.id];
    cb.device = device;
    cb.expiresNext = KTIME_MAX;
    this.#programNext(cb); // retrigger_next_event()
  }

  /** hrtimer_run_softirq(): the soft timers due, in softirq context. */
  *runSoftirq(cpu: Cpu): BodyGenerator<void> {
    const cb = this.cpuBases[cpu.id];
    const flags = cpu.irqsDisabled;
    cpu.irqsDisabled = true; // raw_spin_lock_irqsave
    yield* this.#runQueuesBody(cpu, this.now(), ACTIVE_SOFT, flags);
    cb.softirqActivated = false;
    // hrtimer_update_softirq_timer(cpu_base, true)
    const soft = this.#nextEvent(cb, ACTIVE_SOFT);
    cb.softirqExpiresNext = soft;
    if (cb.device && soft < cb.expiresNext) {
      cb.expiresNext = soft;
      cb.device.program(cpu, soft);
    }
    cpu.irqsDisabled = flags;
    if (!flags && cpu.intrPending) cpu.poke();
  }

  #hasDue(cb: HrtimerCpuBase, now: ktime_t, mask: number): boolean {
    for (let i = 0; i < HRTIMER_MAX_CLOCK_BASES; i++) {
      if (!(mask & (1 << i))) continue;
      const first = cb.clockBase[i].active[0];
      if (first && !(now < first._softexpires)) return true;
    }
    return false;
  }

  /**
   * __hrtimer_run_queues(cpu_base, now, flags, active_mask): per base in
   * order, run every timer whose soft expiry has passed, earliest hard
   * expiry first. `irqFlags` is what the callbacks run with (irqrestore);
   * `inline` when run by {@linkcode runInline} in a hardirq.
   */
  *#runQueuesBody(
    cpu: Cpu,
    now: ktime_t,
    mask: number,
    irqFlags = true,
    inline = false,
  ): BodyGenerator<void> {
    const cb = this.cpuBases[cpu.id];
    for (let i = 0; i < HRTIMER_MAX_CLOCK_BASES; i++) {
      if (!(mask & (1 << i))) continue;
      const base = cb.clockBase[i];
      const basenow = now;
      let runs = 0;
      for (;;) {
        const t = base.active[0];
        if (!t || basenow < t._softexpires) break;
        if (++runs > HRTIMER_LIVELOCK_RUNS) {
          // A callback returning HRTIMER_RESTART without moving its expiry
          // past now runs again at once: the kernel spins here until the
          // watchdog. Say so and stop this pass instead of hanging the run.
          this.#livelock(t);
          break;
        }
        yield* this.#runHrtimer(cpu, base, t, basenow, irqFlags, inline);
      }
    }
  }

  #livelock(t: hrtimer): void {
    if (this.#warned.has("livelock")) return;
    this.#warned.add("livelock");
    this.kernel.printk(
      3,
      `irqlab: hrtimer ${
        t.function?.name || "0x0"
      } returned HRTIMER_RESTART ${HRTIMER_LIVELOCK_RUNS} ` +
        `times without moving its expiry past now (forward it with hrtimer_forward_now): ` +
        `the kernel would loop in __hrtimer_run_queues forever`,
    );
  }

  /** __run_hrtimer(): dequeue, run the callback, re-enqueue on HRTIMER_RESTART. */
  *#runHrtimer(
    cpu: Cpu,
    base: HrtimerClockBase,
    t: hrtimer,
    now: ktime_t,
    irqFlags: boolean,
    inline: boolean,
  ): BodyGenerator<void> {
    const k = this.kernel;
    base.running = t;
    this.#removeFromQueue(t, base, HRTIMER_STATE_INACTIVE);
    const fn = t.function;
    cpu.irqsDisabled = irqFlags; // raw_spin_unlock_irqrestore(&cpu_base->lock, flags)
    if (!irqFlags && cpu.intrPending) cpu.poke();
    if (k.trace.enabled) {
      k.traceEvent(hrtimer_expire_entry, {
        hrtimer: this.ptr(t),
        function: fn?.name || "0x0",
        now,
      }, cpu);
    }
    let restart = HRTIMER_NORESTART;
    if (fn) {
      const r = fn(t);
      if (typeof r === "number") {
        restart = r;
        cpu.accum += (fn as Costed<HrtimerFn>).cost_ns ?? k.costs.handler_ns;
        yield BUSY;
      } else if (r && typeof r.next === "function") {
        restart = (yield callToken(new GeneratorBody(r, fn.name || "hrtimer"))) as number;
      }
    }
    if (k.trace.enabled) k.traceEvent(hrtimer_expire_exit, { hrtimer: this.ptr(t) }, cpu);
    cpu.irqsDisabled = true; // raw_spin_lock_irq(&cpu_base->lock)
    if (restart !== HRTIMER_NORESTART && !(t.state & HRTIMER_STATE_ENQUEUED)) {
      this.#enqueue(t, base, HRTIMER_MODE_ABS);
    }
    if (inline && cpu.accum > 0) {
      // Run inline, the callback took no simulated time yet: its time is
      // charged to the interrupt (cpu.accum so far). Keep base->running
      // until then, so hrtimer_cancel() on another CPU waits as long as it
      // would for a callback that really ran that long.
      const until = k.now + cpu.accum;
      k.clock.schedule(until, () => {
        if (base.running === t) base.running = undefined;
      });
    } else base.running = undefined;
  }
}

/**
 * Run a body to completion at this instant, its busy time charged to the
 * running step (hard hrtimers in the tick's hardirq: nothing can nest with
 * interrupts off, so only the time matters). Runs in interrupt context.
 */
function runInline(cpu: Cpu, gen: BodyGenerator<void>): void {
  const stack: Body[] = [new GeneratorBody(gen, "hrtimer_run_queues")];
  const k = cpu.kernel;
  const flags = cpu.irqsDisabled; // hardirq: off, and off again afterwards
  while (stack.length > 0 && !k.halted) {
    const r = stack[stack.length - 1].step(cpu);
    if (r >= 0) cpu.accum += r;
    else if (r === DONE) stack.pop();
    else if (r === CALL) {
      stack.push(cpu.callee!);
      cpu.callee = undefined;
    } else {
      k.notImplemented(`sleeping in a hard hrtimer callback (step result ${r})`);
      break;
    }
  }
  cpu.irqsDisabled = flags;
}
