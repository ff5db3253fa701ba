/**
 * The timer tracepoints (include/trace/events/timer.h, Linux 6.1), with the
 * kernel's TP_printk formats. `%p` prints a stable per-object stand-in for
 * the kernel's hashed pointer; `%ps` prints the callback's function name.
 *
 * @module
 */

import { defineTraceEvent, type TraceEventType } from "../../core/trace.ts";

/** TIMER_* flag bits (include/linux/timer.h), needed by the formats. */
export const TIMER_CPUMASK = 0x0003ffff;
/** The timer is being moved between bases. */
export const TIMER_MIGRATING = 0x00040000;
/** TIMER_CPUMASK | TIMER_MIGRATING */
export const TIMER_BASEMASK = TIMER_CPUMASK | TIMER_MIGRATING;
/** A deferrable timer: does not wake an idle CPU (it sits on the BASE_DEF wheel). */
export const TIMER_DEFERRABLE = 0x00080000;
/** Stays on the CPU it was armed on (no migration to a busy CPU under NO_HZ). */
export const TIMER_PINNED = 0x00100000;
/** The callback runs with interrupts disabled; del_timer_sync() may be called from hardirq. */
export const TIMER_IRQSAFE = 0x00200000;
/** The flags timer_setup() accepts. */
export const TIMER_INIT_FLAGS = TIMER_DEFERRABLE | TIMER_PINNED | TIMER_IRQSAFE;
/** Position of the wheel bucket index in `flags`. */
export const TIMER_ARRAYSHIFT = 22;
/** The wheel bucket index field of `flags`. */
export const TIMER_ARRAYMASK = 0xffc00000;
/** The flags the timer_start tracepoint decodes. */
export const TIMER_TRACE_FLAGMASK = TIMER_MIGRATING | TIMER_DEFERRABLE | TIMER_PINNED |
  TIMER_IRQSAFE;

/** A stable stand-in for a hashed `%p` (16 hex digits, as on 64-bit kernels). */
export function hashedPtr(id: number): string {
  return (0xffff0000 + id * 0x40).toString(16).padStart(16, "0");
}

/** decode_timer_flags(): __print_flags(flags, "|", M, D, P, I). */
export function decodeTimerFlags(flags: number): string {
  const out: string[] = [];
  if (flags & TIMER_MIGRATING) out.push("M");
  if (flags & TIMER_DEFERRABLE) out.push("D");
  if (flags & TIMER_PINNED) out.push("P");
  if (flags & TIMER_IRQSAFE) out.push("I");
  return out.join("|");
}

/** Arguments of timer_init / timer_expire_exit / timer_cancel. */
export interface TimerClassArgs {
  /** The timer, as `%p` prints it. */
  timer: string;
}

/** timer:timer_init */
export const timer_init: TraceEventType<TimerClassArgs> = defineTraceEvent<TimerClassArgs>(
  "timer",
  "timer_init",
  (a) => `timer=${a.timer}`,
);

/** Arguments of timer_start. */
export interface TimerStartArgs {
  /** The timer, as `%p` prints it. */
  timer: string;
  /** The callback's symbol. */
  function: string;
  /** Expiry (jiffies for timer_list, ns for hrtimers). */
  expires: number;
  /** Current time (jiffies or ns). */
  now: number;
  /** TIMER_* flags. */
  flags: number;
}
/** timer:timer_start */
export const timer_start: TraceEventType<TimerStartArgs> = defineTraceEvent<TimerStartArgs>(
  "timer",
  "timer_start",
  (a) =>
    `timer=${a.timer} function=${a.function} expires=${a.expires} [timeout=${
      a.expires - a.now
    }] cpu=${a.flags & TIMER_CPUMASK} idx=${(a.flags >>> TIMER_ARRAYSHIFT)} flags=${
      decodeTimerFlags(a.flags & TIMER_TRACE_FLAGMASK)
    }`,
);

/** Arguments of timer_expire_entry. */
export interface TimerExpireEntryArgs {
  /** The timer, as `%p` prints it. */
  timer: string;
  /** The callback's symbol. */
  function: string;
  /** Current time (jiffies or ns). */
  now: number;
  /** The base clock the wheel ran at. */
  baseclk: number;
}
/** timer:timer_expire_entry */
export const timer_expire_entry: TraceEventType<TimerExpireEntryArgs> = defineTraceEvent<
  TimerExpireEntryArgs
>(
  "timer",
  "timer_expire_entry",
  (a) => `timer=${a.timer} function=${a.function} now=${a.now} baseclk=${a.baseclk}`,
);

/** timer:timer_expire_exit */
export const timer_expire_exit: TraceEventType<TimerClassArgs> = defineTraceEvent<TimerClassArgs>(
  "timer",
  "timer_expire_exit",
  (a) => `timer=${a.timer}`,
);

/** timer:timer_cancel */
export const timer_cancel: TraceEventType<TimerClassArgs> = defineTraceEvent<TimerClassArgs>(
  "timer",
  "timer_cancel",
  (a) => `timer=${a.timer}`,
);

// ---- hrtimers ----

/** Arguments of hrtimer_init. */
export interface HrtimerInitArgs {
  /** The hrtimer, as `%p` prints it. */
  hrtimer: string;
  /** Clock name (CLOCK_MONOTONIC...). */
  clockid: string;
  /** HRTIMER_MODE_* name. */
  mode: string;
}
/** timer:hrtimer_init */
export const hrtimer_init_event: TraceEventType<HrtimerInitArgs> = defineTraceEvent<
  HrtimerInitArgs
>(
  "timer",
  "hrtimer_init",
  (a) => `hrtimer=${a.hrtimer} clockid=${a.clockid} mode=${a.mode}`,
);

/** Arguments of hrtimer_start. */
export interface HrtimerStartArgs {
  /** The hrtimer, as `%p` prints it. */
  hrtimer: string;
  /** The callback's symbol. */
  function: string;
  /** Expiry (jiffies for timer_list, ns for hrtimers). */
  expires: number;
  /** Soft expiry, ns. */
  softexpires: number;
  /** HRTIMER_MODE_* name. */
  mode: string;
}
/** timer:hrtimer_start */
export const hrtimer_start_event: TraceEventType<HrtimerStartArgs> = defineTraceEvent<
  HrtimerStartArgs
>(
  "timer",
  "hrtimer_start",
  (a) =>
    `hrtimer=${a.hrtimer} function=${a.function} expires=${a.expires} softexpires=${a.softexpires} mode=${a.mode}`,
);

/** Arguments of hrtimer_expire_entry. */
export interface HrtimerExpireEntryArgs {
  /** The hrtimer, as `%p` prints it. */
  hrtimer: string;
  /** The callback's symbol. */
  function: string;
  /** Current time (jiffies or ns). */
  now: number;
}
/** timer:hrtimer_expire_entry */
export const hrtimer_expire_entry: TraceEventType<HrtimerExpireEntryArgs> = defineTraceEvent<
  HrtimerExpireEntryArgs
>(
  "timer",
  "hrtimer_expire_entry",
  (a) => `hrtimer=${a.hrtimer} function=${a.function} now=${a.now}`,
);

/** Arguments of hrtimer_expire_exit / hrtimer_cancel. */
export interface HrtimerClassArgs {
  /** The hrtimer, as `%p` prints it. */
  hrtimer: string;
}
/** timer:hrtimer_expire_exit */
export const hrtimer_expire_exit: TraceEventType<HrtimerClassArgs> = defineTraceEvent<
  HrtimerClassArgs
>(
  "timer",
  "hrtimer_expire_exit",
  (a) => `hrtimer=${a.hrtimer}`,
);
/** timer:hrtimer_cancel */
export const hrtimer_cancel_event: TraceEventType<HrtimerClassArgs> = defineTraceEvent<
  HrtimerClassArgs
>(
  "timer",
  "hrtimer_cancel",
  (a) => `hrtimer=${a.hrtimer}`,
);
