/**
 * Sleeps with a timeout ended by real kernel timers, as the kernel does it
 * (kernel/time/timer.c schedule_timeout, kernel/time/hrtimer.c
 * schedule_hrtimeout_range): the core's `msleep()` / `schedule_timeout()`
 * tokens arm a timer_list at jiffies + timeout whose callback
 * (process_timeout) wakes the task from TIMER_SOFTIRQ; `usleep_range()`
 * arms a hard hrtimer (hrtimer_wakeup) with soft expiry now + min and hard
 * expiry now + max. Waking the task earlier cancels the timer.
 *
 * @module
 */

import type { SleepToken } from "../../core/body.ts";
import type { Cpu } from "../../core/cpu.ts";
import type { Kernel, SleepTimers } from "../../core/kernel.ts";
import type { Task } from "../../core/sched.ts";
import {
  CLOCK_MONOTONIC,
  hrtimer,
  HRTIMER_MODE_ABS,
  HRTIMER_NORESTART,
  type Hrtimers,
} from "./hrtimer.ts";
import { bitsPerLong } from "./api.ts";
import { maxScheduleTimeout } from "./jiffies.ts";
import { timer_list, type Timers } from "./wheel.ts";

const MOD_TIMER_NOTPENDING = 0x04;

/** Per-task sleep timers (the kernel keeps them on the sleeper's stack). */
export class TaskSleepTimers implements SleepTimers {
  readonly #wheel = new Map<Task, timer_list>();
  readonly #hr = new Map<Task, hrtimer>();

  /** Create a TaskSleepTimers. */
  constructor(readonly kernel: Kernel, readonly timers: Timers, readonly hrtimers: Hrtimers) {}

  /** schedule_timeout() / schedule_hrtimeout_range(): arm the wake-up timer on `cpu`. */
  arm(task: Task, tok: SleepToken, _cpu: Cpu): boolean {
    const to = tok.timeout;
    if (!to) return false;
    const k = this.kernel;
    if (to.kind === "jiffies") {
      // MAX_SCHEDULE_TIMEOUT: plain schedule(), no timer
      if (to.jiffies >= maxScheduleTimeout(bitsPerLong(k))) return true;
      if (!(to.jiffies >= 0)) {
        // kernel/time/timer.c: the task does not sleep
        k.printk(3, `schedule_timeout: wrong timeout value ${(to.jiffies >>> 0).toString(16)}`);
        return false;
      }
      let t = this.#wheel.get(task);
      if (!t) {
        t = new timer_list(task);
        this.#wheel.set(task, t);
      }
      // timer_setup_on_stack(&timer.timer, process_timeout, 0)
      this.timers.timerSetup(t, function process_timeout(tl: timer_list) {
        k.sched.wakeUp(tl.owner as Task);
      }, 0);
      // __mod_timer(&timer.timer, expire, MOD_TIMER_NOTPENDING)
      this.timers.modTimer(t, k.jiffies + to.jiffies, MOD_TIMER_NOTPENDING);
      return true;
    }
    let h = this.#hr.get(task);
    if (!h) {
      h = new hrtimer(task);
      this.#hr.set(task, h);
    }
    // hrtimer_init_sleeper_on_stack(&t, clock_id, mode): a hard timer
    this.hrtimers.init(h, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
    h.function = function hrtimer_wakeup(ht: hrtimer) {
      k.sched.wakeUp(ht.owner as Task);
      return HRTIMER_NORESTART;
    };
    // schedule_hrtimeout_range_clock(): real-time tasks get no slack
    const slack = task.rt ? 0 : to.slackNs;
    this.hrtimers.start(h, k.now + to.minNs, slack, HRTIMER_MODE_ABS);
    return true;
  }

  /** The sleeper is being woken: schedule_timeout's del_timer_sync / hrtimer_cancel. */
  cancel(task: Task): void {
    const t = this.#wheel.get(task);
    if (t && t._bucket) this.timers.delTimer(t);
    const h = this.#hr.get(task);
    if (h && h.state !== 0) this.hrtimers.tryToCancel(h);
  }
}
