/**
 * A work item on a WQ_HIGHPRI workqueue runs in the per-CPU highpri pool:
 * a `kworker/N:xH` at nice -20.
 *
 * @module
 */
import {
  alloc_workqueue,
  type BodyGenerator,
  current,
  DECLARE_WORK,
  destroy_workqueue,
  flush_work,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  queue_work,
  smp_processor_id,
  type workqueue_struct,
  WQ_HIGHPRI,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
let wq: workqueue_struct | null = null;

const hi_work = DECLARE_WORK(function hi_work_fn() {
  const t = current() as { comm: string; nice?: number };
  pr_info("highpri work: in %s on CPU %d, nice %d\n", t.comm, smp_processor_id(), t.nice ?? 0);
});

function* hi_init(): BodyGenerator<number> {
  wq = alloc_workqueue("my_highpri_wq", WQ_HIGHPRI, 0);
  if (!wq) return -12;
  queue_work(wq, hi_work);
  const waited = yield flush_work(hi_work);
  pr_info("flush_work returned %d\n", waited);
  return 0;
}

function* hi_exit() {
  if (wq) yield destroy_workqueue(wq);
}

module_init(hi_init);
module_exit(hi_exit);
