/**
 * A timer_list that re-arms itself every 100 ms: timer_setup(), then
 * mod_timer(&t, jiffies + msecs_to_jiffies(100)); the callback runs from
 * TIMER_SOFTIRQ (run_timer_softirq -> expire_timers), prints its context
 * and the jiffies, and re-arms until it has run `runs` times;
 * del_timer_sync() at exit.
 *
 * @module
 */
import {
  current,
  del_timer_sync,
  HZ,
  in_serving_softirq,
  jiffies,
  mod_timer,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  msecs_to_jiffies,
  pr_info,
  timer_list,
  timer_setup,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const runs = module_param("runs", 5) as number;
const period_ms = module_param("period_ms", 100) as number;
const my_timer = new timer_list();
let count = 0;
let armed_at = 0;

function my_timer_fn(_t: timer_list) {
  count++;
  pr_info(
    "timer: run %d in %s, in_serving_softirq=%d, jiffies %d (+%d)\n",
    count,
    current().comm,
    Number(in_serving_softirq()),
    jiffies(),
    jiffies() - armed_at,
  );
  if (count < runs) {
    armed_at = jiffies();
    mod_timer(my_timer, jiffies() + msecs_to_jiffies(period_ms));
  }
}

function timer_init() {
  timer_setup(my_timer, my_timer_fn, 0);
  armed_at = jiffies();
  pr_info(
    "timer: HZ=%d, msecs_to_jiffies(%d) = %d\n",
    HZ(),
    period_ms,
    msecs_to_jiffies(period_ms),
  );
  mod_timer(my_timer, jiffies() + msecs_to_jiffies(period_ms));
  return 0;
}

function* timer_exit() {
  // a number when the callback is not running; else a token to wait on
  const t = del_timer_sync(my_timer);
  const r = typeof t === "number" ? t : (yield t) as number;
  pr_info("timer: del_timer_sync returned %d after %d runs\n", r, count);
}

module_init(timer_init);
module_exit(timer_exit);
