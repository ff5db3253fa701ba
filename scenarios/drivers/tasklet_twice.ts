/**
 * tasklet_schedule() twice before the tasklet runs: the second call finds
 * TASKLET_STATE_SCHED set and does nothing, so the tasklet runs once.
 * Scheduled from process context (insmod), the raise wakes ksoftirqd/0,
 * which runs it.
 *
 * @module
 */
import {
  current,
  DECLARE_TASKLET,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  tasklet_kill,
  tasklet_schedule,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

let runs = 0;

function my_tasklet_fn(): void {
  runs++;
  pr_info("tasklet_twice: run %d in %s\n", runs, current().comm);
}

const my_tasklet = DECLARE_TASKLET("my_tasklet", my_tasklet_fn);

function twice_init(): number {
  tasklet_schedule(my_tasklet);
  tasklet_schedule(my_tasklet); // TASKLET_STATE_SCHED already set: no-op
  pr_info("tasklet_twice: scheduled twice\n");
  return 0;
}

function* twice_exit() {
  yield tasklet_kill(my_tasklet);
  pr_info("tasklet_twice: ran %d time(s)\n", runs);
}

module_init(twice_init);
module_exit(twice_exit);
