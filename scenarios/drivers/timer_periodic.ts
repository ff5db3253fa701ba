/**
 * A timer_list that re-arms itself every 100 ms and counts (LDD3 ch. 7 /
 * linux-kernel-labs style), printing the context it runs in. Each expiry is
 * one TIMER softirq: /proc/softirqs shows them in the TIMER row.
 *
 * @module
 */
import {
  del_timer_sync,
  in_interrupt,
  in_serving_softirq,
  jiffies,
  jiffies_to_msecs,
  mod_timer,
  module_exit,
  module_init,
  MODULE_LICENSE,
  msecs_to_jiffies,
  pr_info,
  smp_processor_id,
  timer_list,
  timer_setup,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

const PERIOD_MS = 100;

class timer_demo {
  count = 0;
  last = 0;
  timer = new timer_list(this);
}

const demo = new timer_demo();

function timer_demo_fn(t: timer_list) {
  const d = t.owner as timer_demo;
  const now = jiffies();
  d.count++;
  pr_info(
    "timer_demo: tick %d at jiffies %lu (+%u ms) cpu %d in_serving_softirq=%d in_interrupt=%d\n",
    d.count,
    now,
    jiffies_to_msecs(now - d.last),
    smp_processor_id(),
    in_serving_softirq() ? 1 : 0,
    in_interrupt() ? 1 : 0,
  );
  d.last = now;
  mod_timer(t, now + msecs_to_jiffies(PERIOD_MS)); // re-arm
}

function timer_demo_init(): number {
  demo.last = jiffies();
  timer_setup(demo.timer, timer_demo_fn, 0);
  mod_timer(demo.timer, jiffies() + msecs_to_jiffies(PERIOD_MS));
  pr_info("timer_demo: armed every %d ms (%lu jiffies)\n", PERIOD_MS, msecs_to_jiffies(PERIOD_MS));
  return 0;
}

function* timer_demo_exit() {
  yield del_timer_sync(demo.timer);
  pr_info("timer_demo: %d ticks\n", demo.count);
}

module_init(timer_demo_init);
module_exit(timer_demo_exit);
