/**
 * Two work items, the seed notes' "Scheduling more than one work items":
 * two `my_work` structures embedding a work_struct and their data, both
 * queued with schedule_work_on(cpu, ...) (`cpu` a module parameter, default
 * 2); work_fn finds its structure with container_of() and prints the data,
 * the CPU and current.
 *
 * @module
 */
import {
  container_of,
  current,
  flush_work,
  INIT_WORK,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  pr_err,
  pr_info,
  schedule_work_on,
  smp_processor_id,
  work_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const cpu = module_param("cpu", 2) as number;

class my_work {
  readonly work = new work_struct(this);
  data = "";
}
const deferred_work1 = new my_work();
const deferred_work2 = new my_work();

function work_fn(work: work_struct) {
  const defer_work = container_of(work, my_work, "work");
  pr_info("processor id:%d\tdeferred work execution\n", smp_processor_id());
  pr_info("Data:%s\n", defer_work.data);
  pr_info("current pid : %d , current process : %s\n", current().pid, current().comm);
}

function test_tasklet_init() {
  pr_info("processor id:%d: In init\n", smp_processor_id());
  INIT_WORK(deferred_work1.work, work_fn);
  INIT_WORK(deferred_work2.work, work_fn);
  deferred_work1.data = "Linux is easy";
  deferred_work2.data = "We make it easy";
  if (schedule_work_on(cpu, deferred_work1.work)) pr_info("work1 queued\n");
  else pr_err("work1 queuing failed\n");
  if (schedule_work_on(cpu, deferred_work2.work)) pr_info("work2 queued\n");
  else pr_err("work2 queuing failed\n");
  return 0;
}

function* test_tasklet_exit() {
  pr_info("%s: In exit\n", "test_tasklet_exit");
  yield flush_work(deferred_work1.work);
  yield flush_work(deferred_work2.work);
}

module_init(test_tasklet_init);
module_exit(test_tasklet_exit);
