/**
 * Work items competing with a user task by nice: the same CPU-bound work
 * (`ms` times mdelay(1) then cond_resched(), so the kworker can be switched
 * out between chunks on a voluntary-preemption kernel) runs first on
 * system_wq (a kworker at nice 0) and then on system_highpri_wq (a
 * kworker/N:xH at nice -20) while a user program spins at nice 0. Each
 * prints its kworker, nice and how long its `ms` of CPU took on the wall.
 *
 * @module
 */
import {
  cond_resched,
  current,
  flush_work,
  INIT_WORK,
  ktime_get,
  mdelay,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  pr_info,
  queue_work,
  system_highpri_wq,
  system_wq,
  work_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const ms = module_param("ms", 100) as number;
const normal_work = new work_struct();
const highpri_work = new work_struct();

function* burn(what: string) {
  const t0 = ktime_get();
  for (let i = 0; i < ms; i++) {
    yield mdelay(1);
    yield cond_resched();
  }
  const wall = Math.round((ktime_get() - t0) / 1e6);
  pr_info("%s: %d ms of CPU took %d ms in %s\n", what, ms, wall, current().comm);
}

function* normal_fn(_w: work_struct) {
  yield* burn("nice 0 work");
  queue_work(system_highpri_wq, highpri_work);
}

function* highpri_fn(_w: work_struct) {
  yield* burn("nice -20 work");
}

function wq_nice_init() {
  INIT_WORK(normal_work, normal_fn);
  INIT_WORK(highpri_work, highpri_fn);
  queue_work(system_wq, normal_work);
  pr_info("wq_nice: queued; the user program starts after insmod\n");
  return 0;
}

function* wq_nice_exit() {
  yield flush_work(normal_work);
  yield flush_work(highpri_work);
}

module_init(wq_nice_init);
module_exit(wq_nice_exit);
