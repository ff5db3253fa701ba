/**
 * Busy waits against sleeps (Documentation/timers/timers-howto.rst): a
 * kthread times mdelay(10), msleep(10), usleep_range(1000, 2000) and
 * msleep(1) with ktime_get() and prints how long each took. mdelay spins
 * for exactly its time; msleep sleeps on the timer wheel, at least
 * msecs_to_jiffies(ms) + 1 jiffies; usleep_range sleeps on an hrtimer.
 *
 * @module
 */
import {
  HZ,
  kthread_run,
  kthread_should_stop,
  kthread_stop,
  ktime_get,
  mdelay,
  module_exit,
  module_init,
  MODULE_LICENSE,
  msleep,
  pr_info,
  type Task,
  usleep_range,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
let timing: Task | null = null;

function* measure(what: string, wait: () => unknown) {
  const t0 = ktime_get();
  yield wait();
  pr_info("%s took %d us\n", what, Math.round((ktime_get() - t0) / 1000));
}

function* timing_thread() {
  pr_info("delays: HZ=%d, one jiffy is %d us\n", HZ(), 1000000 / HZ());
  yield* measure("mdelay(10)", () => mdelay(10));
  yield* measure("msleep(10)", () => msleep(10));
  yield* measure("usleep_range(1000, 2000)", () => usleep_range(1000, 2000));
  yield* measure("msleep(1)", () => msleep(1));
  pr_info("delays: done\n");
  while (!kthread_should_stop()) yield msleep(100);
  return 0;
}

function delays_init() {
  timing = kthread_run(timing_thread, null, "timing");
  return 0;
}

function* delays_exit() {
  if (timing) yield kthread_stop(timing);
}

module_init(delays_init);
module_exit(delays_exit);
