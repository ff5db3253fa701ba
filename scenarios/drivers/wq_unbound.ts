/**
 * Two work items on one WQ_UNBOUND workqueue. With `max_active` 1 (an
 * implicitly ordered workqueue in 6.1) the second waits on the inactive list
 * until the first ends; with 2 both are active at once and each gets a
 * worker of its own (unbound workers are not concurrency managed). Each
 * prints current->comm, the CPU and (through dmesg) the time.
 *
 * @module
 */
import {
  alloc_workqueue,
  container_of,
  current,
  destroy_workqueue,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  msleep,
  pr_info,
  queue_work,
  smp_processor_id,
  work_struct,
  type workqueue_struct,
  WQ_UNBOUND,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const max_active = module_param("max_active", 1) as number;

class my_item {
  readonly work = new work_struct(this);
  constructor(readonly name: string) {}
}

function* my_work_fn(w: work_struct) {
  const item = container_of(w, my_item, "work");
  pr_info("%s: start in %s on CPU %d\n", item.name, current().comm, smp_processor_id());
  yield msleep(100);
  pr_info("%s: end in %s\n", item.name, current().comm);
}

const a = new my_item("work A");
const b = new my_item("work B");
a.work.func = my_work_fn;
b.work.func = my_work_fn;
let wq: workqueue_struct | null = null;

function wq_unbound_init() {
  wq = alloc_workqueue("my_unbound_wq", WQ_UNBOUND, max_active);
  if (!wq) return -12; /* -ENOMEM */
  pr_info("my_unbound_wq: max_active %d\n", wq.saved_max_active);
  queue_work(wq, a.work);
  queue_work(wq, b.work);
  return 0;
}

function* wq_unbound_exit() {
  if (wq) yield destroy_workqueue(wq);
  pr_info("my_unbound_wq destroyed\n");
}

module_init(wq_unbound_init);
module_exit(wq_unbound_exit);
