/**
 * Busy waits versus sleeps (Documentation/timers/timers-howto.rst): a
 * kthread measures mdelay(10), msleep(10), msleep(1) and
 * usleep_range(100, 200) with ktime_get(). mdelay spins for exactly its
 * time (plus the interrupts that nest); msleep(ms) sleeps
 * msecs_to_jiffies(ms) + 1 jiffies on the timer wheel, which runs a level-0
 * timer one jiffy after it expires, so msleep(1) lasts 2 to 3 ticks;
 * usleep_range is an hrtimer: with a periodic tick (low-resolution mode) it
 * ends at the first tick after min, in high-resolution mode near max.
 *
 * @module
 */
import {
  kthread_run,
  kthread_should_stop,
  kthread_stop,
  ktime_get,
  ktime_to_us,
  mdelay,
  module_exit,
  module_init,
  MODULE_LICENSE,
  msleep,
  pr_info,
  schedule,
  set_current_state,
  type Task,
  TASK_INTERRUPTIBLE,
  usleep_range,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

let worker: Task | undefined;

function* delays_thread(_data: unknown) {
  let t0 = ktime_get();
  yield mdelay(10);
  pr_info("delays: mdelay(10) took %lld us\n", ktime_to_us(ktime_get() - t0));
  t0 = ktime_get();
  yield msleep(10);
  pr_info("delays: msleep(10) took %lld us\n", ktime_to_us(ktime_get() - t0));
  t0 = ktime_get();
  yield msleep(1);
  pr_info("delays: msleep(1) took %lld us\n", ktime_to_us(ktime_get() - t0));
  t0 = ktime_get();
  yield usleep_range(100, 200);
  pr_info("delays: usleep_range(100, 200) took %lld us\n", ktime_to_us(ktime_get() - t0));
  pr_info("delays: done\n");
  while (!kthread_should_stop()) {
    set_current_state(TASK_INTERRUPTIBLE);
    yield schedule();
  }
  return 0;
}

function delays_init(): number {
  worker = kthread_run(delays_thread, null, "delays");
  return 0;
}

function* delays_exit() {
  if (worker) yield kthread_stop(worker);
}

module_init(delays_init);
module_exit(delays_exit);
