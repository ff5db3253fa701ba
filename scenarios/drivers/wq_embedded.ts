/**
 * A work item embedded in a larger structure, found again with
 * container_of(); flush_work() and cancel_work_sync() return values.
 *
 * @module
 */
import {
  cancel_work_sync,
  container_of,
  flush_work,
  module_init,
  MODULE_LICENSE,
  pr_info,
  schedule_work,
  work_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

class my_device {
  readonly name: string;
  count = 0;
  readonly work = new work_struct(this); /* struct work_struct work; */
  constructor(name: string) {
    this.name = name;
  }
}

function my_device_work(w: work_struct) {
  const dev = container_of(w, my_device, "work");
  dev.count++;
  pr_info("%s: work ran, count %d\n", dev.name, dev.count);
}

const dev = new my_device("mydev0");
dev.work.func = my_device_work;

function* embedded_init() {
  pr_info("schedule_work: %d\n", schedule_work(dev.work));
  pr_info("schedule_work again: %d\n", schedule_work(dev.work));
  pr_info("flush_work: %d\n", yield flush_work(dev.work));
  pr_info("flush_work on an idle work: %d\n", yield flush_work(dev.work));
  schedule_work(dev.work);
  pr_info("cancel_work_sync on a pending work: %d\n", yield cancel_work_sync(dev.work));
  pr_info("cancel_work_sync on an idle work: %d\n", yield cancel_work_sync(dev.work));
  pr_info("%s: count %d\n", dev.name, dev.count);
  return 0;
}

module_init(embedded_init);
