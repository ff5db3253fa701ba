/**
 * Per-CPU work: queue_work_on() picks the CPU (and so the kworker/N:x that
 * runs it); schedule_work() from a task uses the CPU the task runs on; on a
 * bound workqueue, max_active counts per CPU. The items busy-wait (mdelay):
 * on the PIC-only 4-CPU test PC only CPU 0 has a tick, so a sleep's timer
 * on CPUs 1-3 would never fire.
 *
 * @module
 */
import {
  alloc_workqueue,
  current,
  destroy_workqueue,
  flush_workqueue,
  mdelay,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  pr_info,
  queue_work_on,
  schedule_work_on,
  smp_processor_id,
  work_struct,
  type workqueue_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const cpu = module_param("cpu", 2) as number;

class job {
  readonly work = new work_struct(this);
  constructor(readonly name: string) {}
}

function* job_fn(w: work_struct) {
  const j = w.container as job;
  pr_info("%s: start in %s on CPU %d\n", j.name, current().comm, smp_processor_id());
  yield mdelay(20);
  pr_info("%s: end on CPU %d\n", j.name, smp_processor_id());
}

const jobs = ["job0", "job1", "job2", "sys"].map((n) => new job(n));
for (const j of jobs) j.work.func = job_fn;
let wq: workqueue_struct | null = null;

function* percpu_init() {
  wq = alloc_workqueue("my_percpu_wq", 0, 1);
  if (!wq) return -12;
  /* max_active 1 per CPU: job0 and job1 on CPU `cpu` one after the other, job2 on CPU 1 at once */
  pr_info("queue_work_on(%d): %d\n", cpu, queue_work_on(cpu, wq, jobs[0].work));
  pr_info("queue_work_on(%d): %d\n", cpu, queue_work_on(cpu, wq, jobs[1].work));
  pr_info("queue_work_on(1): %d\n", queue_work_on(1, wq, jobs[2].work));
  schedule_work_on(3, jobs[3].work);
  yield flush_workqueue(wq);
  pr_info("flushed\n");
  return 0;
}

function* percpu_exit() {
  if (wq) yield destroy_workqueue(wq);
}

module_init(percpu_init);
module_exit(percpu_exit);
