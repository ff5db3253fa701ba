/**
 * Concurrency management on a per-CPU pool: three work items on system_wq.
 * A sleeps (msleep), so the pool wakes another kworker for B; B busy-waits
 * (mdelay), which keeps nr_running at 1, so C waits and then runs in the
 * same kworker as B.
 *
 * @module
 */
import {
  current,
  flush_scheduled_work,
  mdelay,
  module_init,
  MODULE_LICENSE,
  msleep,
  pr_info,
  schedule_work,
  work_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

class item {
  readonly work = new work_struct(this);
  constructor(readonly name: string, readonly sleeps: boolean) {}
}

function* item_fn(w: work_struct) {
  const it = w.container as item;
  pr_info("%s: start in %s\n", it.name, current().comm);
  if (it.sleeps) yield msleep(20);
  else yield mdelay(5);
  pr_info("%s: end in %s\n", it.name, current().comm);
}

const items = [
  new item("A (sleeps)", true),
  new item("B (busy)", false),
  new item("C (busy)", false),
];
for (const it of items) it.work.func = item_fn;

function* concurrency_init() {
  for (const it of items) schedule_work(it.work);
  yield flush_scheduled_work();
  pr_info("all done\n");
  return 0;
}

module_init(concurrency_init);
