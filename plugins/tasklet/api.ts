/**
 * The tasklet driver API in the kernel's names, for kernel modules. Each
 * call acts on the machine whose code is running, on the current CPU.
 *
 * The calls that may wait (`tasklet_disable`, `tasklet_unlock_wait`,
 * `tasklet_kill`, `tasklet_disable_in_atomic`) return a token: a generator
 * body yields it (`yield tasklet_kill(t)`) and waits right there. A plain
 * function cannot yield: its wait runs right after the function returns.
 *
 * @example
 * ```ts
 * const t = DECLARE_TASKLET("my_tasklet", () => pr_info("ran\n"));
 * tasklet_schedule(t);
 * tasklet_schedule(t); // already scheduled: no-op, it runs once
 * ```
 * @module
 */

import type { BusyToken, CallToken } from "../../core/body.ts";
import { kernel } from "../../core/kernel.ts";
import {
  TASKLET_STATE_RUN,
  TASKLET_STATE_SCHED,
  type tasklet_struct,
  TaskletKey,
} from "./tasklet.ts";

const SCHED = 1 << TASKLET_STATE_SCHED;
const RUN = 1 << TASKLET_STATE_RUN;

function tl() {
  return kernel().bus.get(TaskletKey);
}

/** tasklet_schedule(t): queue on this CPU's tasklet_vec unless already scheduled. May be called in interrupt context. */
export function tasklet_schedule(t: tasklet_struct): void {
  tl().tasklet_schedule(t);
}

/** tasklet_hi_schedule(t): the same on tasklet_hi_vec (HI_SOFTIRQ). May be called in interrupt context. */
export function tasklet_hi_schedule(t: tasklet_struct): void {
  tl().tasklet_hi_schedule(t);
}

/** tasklet_disable_nosync(t): count++, no wait. May be called in interrupt context. */
export function tasklet_disable_nosync(t: tasklet_struct): void {
  tl().tasklet_disable_nosync(t);
}

/** tasklet_disable(t): count++, then sleep until it is not running (tasklet_unlock_wait). Yield it. */
export function tasklet_disable(t: tasklet_struct): BusyToken | CallToken {
  const s = tl();
  s.tasklet_disable_nosync(t);
  return tasklet_unlock_wait(t);
}

/** tasklet_disable_in_atomic(t): count++, then spin until it is not running. Yield it. */
export function tasklet_disable_in_atomic(t: tasklet_struct): BusyToken | CallToken {
  const s = tl();
  s.tasklet_disable_nosync(t);
  return tasklet_unlock_spin_wait(t);
}

/** tasklet_enable(t): count--. May be called in interrupt context. */
export function tasklet_enable(t: tasklet_struct): void {
  tl().tasklet_enable(t);
}

/** tasklet_unlock_wait(t): sleep until TASKLET_STATE_RUN is clear. Yield it. */
export function tasklet_unlock_wait(t: tasklet_struct): BusyToken | CallToken {
  const s = tl();
  return s.waitToken(
    (t.state & RUN) !== 0,
    () => s.unlockWait(t),
    "tasklet_unlock_wait",
  );
}

/** tasklet_unlock_spin_wait(t): spin until TASKLET_STATE_RUN is clear. Yield it. */
export function tasklet_unlock_spin_wait(t: tasklet_struct): BusyToken | CallToken {
  const s = tl();
  return s.waitToken(
    (t.state & RUN) !== 0,
    () => s.unlockSpinWait(t),
    "tasklet_unlock_spin_wait",
  );
}

/**
 * tasklet_kill(t): wait for a scheduled tasklet to run, then for it to
 * finish, leaving it unscheduled. From interrupt context the kernel says
 * "Attempt to kill tasklet from interrupt" (and sleeping there is a BUG).
 * Yield it.
 */
export function tasklet_kill(t: tasklet_struct): BusyToken | CallToken {
  const s = tl();
  const k = kernel();
  s.killNotice(k.thisCpu());
  // Nothing to wait for: test_and_set SCHED, RUN clear, clear SCHED at once.
  if ((t.state & (SCHED | RUN)) === 0) {
    t.state |= SCHED;
    s.tasklet_clear_sched(t);
  }
  return s.waitToken((t.state & (SCHED | RUN)) !== 0, () => s.killBody(t), "tasklet_kill");
}
