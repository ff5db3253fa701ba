/**
 * WQ_SYSFS, after the seed notes' module: an unbound workqueue "my_queue"
 * with WQ_UNBOUND | WQ_SYSFS and max_active 1, a work item embedded in
 * `my_work` with its data, found again with container_of(). The notes queue
 * it once; to see where the work runs before and after someone writes
 * /sys/devices/virtual/workqueue/my_queue/cpumask, a timer_list queues it
 * again every `period_ms`, `runs` times in all (module_param; runs=1 is the
 * notes' module). Not the work itself: a work item that re-queues itself
 * while it runs stays on the pool it runs in (__queue_work()'s
 * non-reentrancy rule), so it would never see the new cpumask.
 *
 * @module
 */
import {
  alloc_workqueue,
  container_of,
  current,
  del_timer_sync,
  destroy_workqueue,
  INIT_WORK,
  jiffies,
  mod_timer,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  msecs_to_jiffies,
  pr_info,
  queue_work,
  smp_processor_id,
  timer_list,
  timer_setup,
  work_struct,
  type workqueue_struct,
  WQ_SYSFS,
  WQ_UNBOUND,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const runs = module_param("runs", 1) as number;
const period_ms = module_param("period_ms", 100) as number;

let my_queue: workqueue_struct | null = null;
class my_work {
  readonly work = new work_struct(this);
  data = "";
}

const deferred_work = new my_work();
let done = 0;

function work_fn(work: work_struct) {
  const defer_work = container_of(work, my_work, "work");
  pr_info("deferred work execution\n");
  pr_info("Data:%s\n", defer_work.data);
  pr_info("current pid : %d , current process : %s\n", current().pid, current().comm);
  pr_info("processor id:%d\n", smp_processor_id());
  done++;
}

/* the timer (TIMER_SOFTIRQ) queues the work again until it has run `runs` times */
const requeue_timer = new timer_list();
function requeue(_t: timer_list) {
  if (done >= runs) return;
  queue_work(my_queue!, deferred_work.work);
  mod_timer(requeue_timer, jiffies() + msecs_to_jiffies(period_ms));
}

function test_tasklet_init() {
  pr_info("%s: In init processorid:%d\n", "test_tasklet_init", smp_processor_id());
  INIT_WORK(deferred_work.work, work_fn);
  deferred_work.data = "Linux is easy";
  my_queue = alloc_workqueue("my_queue", WQ_UNBOUND | WQ_SYSFS, 1);
  if (!my_queue) return -12; /* -ENOMEM */
  queue_work(my_queue, deferred_work.work);
  timer_setup(requeue_timer, requeue, 0);
  if (runs > 1) mod_timer(requeue_timer, jiffies() + msecs_to_jiffies(period_ms));
  pr_info("%s: Init complete processor id:%d\n", "test_tasklet_init", smp_processor_id());
  return 0;
}

function* test_tasklet_exit() {
  pr_info("%s: In exit\n", "test_tasklet_exit");
  yield del_timer_sync(requeue_timer);
  if (my_queue) yield destroy_workqueue(my_queue);
}

module_init(test_tasklet_init);
module_exit(test_tasklet_exit);
