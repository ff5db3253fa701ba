/**
 * Delayed work: schedule_delayed_work(&dw, msecs_to_jiffies(5000)) fires
 * after the 1250 jiffies (HZ=250) rounded up to the timer wheel's bucket.
 *
 * @module
 */
import {
  type BodyGenerator,
  cancel_delayed_work_sync,
  current,
  DECLARE_DELAYED_WORK,
  jiffies,
  module_exit,
  module_init,
  MODULE_LICENSE,
  msecs_to_jiffies,
  pr_info,
  schedule_delayed_work,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
let queued_at = 0;

const dw = DECLARE_DELAYED_WORK(function my_delayed_fn() {
  pr_info(
    "delayed work: ran in %s at jiffies %lu, %lu jiffies after queueing\n",
    current().comm,
    jiffies(),
    jiffies() - queued_at,
  );
});

function delayed_init() {
  queued_at = jiffies();
  const delay = msecs_to_jiffies(5000);
  const ok = schedule_delayed_work(dw, delay);
  pr_info("delayed work: queued at jiffies %lu for %lu jiffies: %d\n", queued_at, delay, ok);
  pr_info("delayed work: queue again while pending: %d\n", schedule_delayed_work(dw, delay));
  return 0;
}

function* delayed_exit(): BodyGenerator<void> {
  const pending = yield cancel_delayed_work_sync(dw);
  pr_info("delayed work: cancel_delayed_work_sync returned %d\n", pending);
}

module_init(delayed_init);
module_exit(delayed_exit);
