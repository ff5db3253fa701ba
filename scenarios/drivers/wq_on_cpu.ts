/**
 * Work on a chosen CPU, the seed notes' queue_work_on() module: INIT_WORK,
 * then queue_work_on(cpu, system_wq, &work) with `cpu` a module parameter
 * (default 2). The work runs in CPU `cpu`'s normal pool, in its kworker,
 * whatever CPU insmod ran on.
 *
 * @module
 */
import {
  current,
  flush_work,
  INIT_WORK,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  pr_err,
  pr_info,
  queue_work_on,
  smp_processor_id,
  system_wq,
  work_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const work = new work_struct();
const cpu = module_param("cpu", 2) as number;

function work_fn(_work: work_struct) {
  pr_info(
    "work_fn executed at processor id:%d\tdeferred work execution (%s)\n",
    smp_processor_id(),
    current().comm,
  );
}

function test_tasklet_init() {
  pr_info("test_tasklet_init executed at processor id:%d: In init\n", smp_processor_id());
  INIT_WORK(work, work_fn);
  if (queue_work_on(cpu, system_wq, work)) pr_info("work queued\n");
  else pr_err("work queuing failed\n");
  return 0;
}

function* test_tasklet_exit() {
  pr_info("%s: In exit\n", "test_tasklet_exit");
  yield flush_work(work); // the notes leave this out; a module must not leave work behind
}

module_init(test_tasklet_init);
module_exit(test_tasklet_exit);
