/**
 * A tasklet declared disabled (DECLARE_TASKLET_DISABLED, count 1) and
 * scheduled: every TASKLET_SOFTIRQ pass finds it disabled, puts it back and
 * raises the softirq again, so it spins in ksoftirqd/0 until a kthread
 * calls tasklet_enable() 10 ms later; then it runs once.
 *
 * @module
 */
import {
  current,
  DECLARE_TASKLET_DISABLED,
  kthread_run,
  module_exit,
  module_init,
  MODULE_LICENSE,
  msleep,
  pr_info,
  tasklet_enable,
  tasklet_kill,
  tasklet_schedule,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

let runs = 0;

function my_tasklet_fn(): void {
  runs++;
  pr_info("tasklet_disabled: ran in %s\n", current().comm);
}

const my_tasklet = DECLARE_TASKLET_DISABLED("my_tasklet", my_tasklet_fn);

function* enabler(_data: unknown) {
  yield msleep(10);
  pr_info("tasklet_disabled: tasklet_enable\n");
  tasklet_enable(my_tasklet);
  return 0;
}

function disabled_init(): number {
  tasklet_schedule(my_tasklet);
  pr_info("tasklet_disabled: scheduled while disabled\n");
  kthread_run(enabler, null, "enabler");
  return 0;
}

function* disabled_exit() {
  yield tasklet_kill(my_tasklet);
  pr_info("tasklet_disabled: ran %d time(s)\n", runs);
}

module_init(disabled_init);
module_exit(disabled_exit);
