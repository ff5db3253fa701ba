/**
 * An hrtimer every 1 ms: hrtimer_init(CLOCK_MONOTONIC, HRTIMER_MODE_REL),
 * the callback forwards itself with hrtimer_forward_now(timer, 1 ms) and
 * returns HRTIMER_RESTART until it has run `runs` times. It expires in
 * hardirq context (no HRTIMER_MODE_SOFT), from the clock event interrupt,
 * not the jiffies tick: 1 ms periods whatever HZ is.
 *
 * @module
 */
import {
  CLOCK_MONOTONIC,
  current,
  hrtimer,
  hrtimer_cancel,
  hrtimer_forward_now,
  hrtimer_init,
  HRTIMER_MODE_REL,
  HRTIMER_NORESTART,
  HRTIMER_RESTART,
  hrtimer_start,
  in_hardirq,
  ktime_get,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  ms_to_ktime,
  pr_info,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const runs = module_param("runs", 10) as number;
const timer = new hrtimer();
let count = 0;
let last = 0;

function my_hrtimer_fn(t: hrtimer) {
  const now = ktime_get();
  count++;
  if (count === 1) {
    pr_info("hrtimer: first run in %s, in_hardirq=%d\n", current().comm, Number(in_hardirq()));
  }
  if (count > 1) {
    pr_info("hrtimer: run %d, %d us after the previous one\n", count, (now - last) / 1000);
  }
  last = now;
  if (count >= runs) return HRTIMER_NORESTART;
  hrtimer_forward_now(t, ms_to_ktime(1));
  return HRTIMER_RESTART;
}

function hrtimer_1ms_init() {
  hrtimer_init(timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
  timer.function = my_hrtimer_fn;
  hrtimer_start(timer, ms_to_ktime(1), HRTIMER_MODE_REL);
  return 0;
}

function* hrtimer_1ms_exit() {
  // a number when the callback is not running; else a token to wait on
  const t = hrtimer_cancel(timer);
  const r = typeof t === "number" ? t : (yield t) as number;
  pr_info("hrtimer: %d runs, hrtimer_cancel returned %d\n", count, r);
}

module_init(hrtimer_1ms_init);
module_exit(hrtimer_1ms_exit);
