/**
 * An hrtimer every 1 ms (hrtimer_forward_now + HRTIMER_RESTART) in hardirq
 * context, and a soft one every 10 ms on HRTIMER_SOFTIRQ; both count. With a
 * periodic tick the hrtimers run in low-resolution mode, from the tick:
 * hrtimer_resolution is one tick, hrtimer_forward() raises the 1 ms
 * interval to it, so the "1 ms" timer runs once per tick (HZ times a
 * second). With a one-shot clock event (high-resolution mode) it runs every
 * millisecond.
 *
 * @module
 */
import {
  CLOCK_MONOTONIC,
  hrtimer,
  hrtimer_cancel,
  hrtimer_forward_now,
  HRTIMER_MODE_REL,
  HRTIMER_MODE_REL_SOFT,
  hrtimer_resolution,
  HRTIMER_RESTART,
  hrtimer_setup,
  hrtimer_start,
  in_hardirq,
  in_serving_softirq,
  module_exit,
  module_init,
  MODULE_LICENSE,
  ms_to_ktime,
  pr_info,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

const hard = new hrtimer(), soft = new hrtimer();
let hardCount = 0, softCount = 0;

function hard_fn(t: hrtimer): number {
  if (hardCount++ === 0) {
    pr_info("hrtimer_1ms: hard callback in_hardirq=%d\n", in_hardirq() ? 1 : 0);
  }
  hrtimer_forward_now(t, ms_to_ktime(1));
  return HRTIMER_RESTART;
}

function soft_fn(t: hrtimer): number {
  if (softCount++ === 0) {
    pr_info("hrtimer_1ms: soft callback in_serving_softirq=%d\n", in_serving_softirq() ? 1 : 0);
  }
  hrtimer_forward_now(t, ms_to_ktime(10));
  return HRTIMER_RESTART;
}

function hrtimer_1ms_init(): number {
  hrtimer_setup(hard, hard_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
  hrtimer_setup(soft, soft_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
  pr_info("hrtimer_1ms: hrtimer_resolution %u ns\n", hrtimer_resolution());
  hrtimer_start(hard, ms_to_ktime(1), HRTIMER_MODE_REL);
  hrtimer_start(soft, ms_to_ktime(10), HRTIMER_MODE_REL_SOFT);
  return 0;
}

function* hrtimer_1ms_exit() {
  yield hrtimer_cancel(hard);
  yield hrtimer_cancel(soft);
  pr_info("hrtimer_1ms: %d hard expiries, %d soft expiries\n", hardCount, softCount);
}

module_init(hrtimer_1ms_init);
module_exit(hrtimer_1ms_exit);
