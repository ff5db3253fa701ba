/**
 * Periodic work: a delayed work item that re-queues itself every second
 * until module exit cancels it with cancel_delayed_work_sync().
 *
 * @module
 */
import {
  type BodyGenerator,
  cancel_delayed_work_sync,
  delayed_work,
  HZ,
  INIT_DELAYED_WORK,
  jiffies,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  schedule_delayed_work,
  to_delayed_work,
  type work_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

class poller_dev {
  readonly dwork = new delayed_work(this);
  ticks = 0;
}
const dev = new poller_dev();

function poll_fn(w: work_struct) {
  const d = to_delayed_work(w).container as poller_dev;
  d.ticks++;
  pr_info("poll %d at jiffies %lu\n", d.ticks, jiffies());
  schedule_delayed_work(to_delayed_work(w), HZ()); /* again in one second */
}

function poll_init() {
  INIT_DELAYED_WORK(dev.dwork, poll_fn);
  schedule_delayed_work(dev.dwork, HZ());
  return 0;
}

function* poll_exit(): BodyGenerator<void> {
  const pending = yield cancel_delayed_work_sync(dev.dwork);
  pr_info("poll: cancel_delayed_work_sync returned %d after %d polls\n", pending, dev.ticks);
}

module_init(poll_init);
module_exit(poll_exit);
