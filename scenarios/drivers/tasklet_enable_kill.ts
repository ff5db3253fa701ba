/**
 * tasklet_disable / tasklet_enable / tasklet_kill from process context
 * (the seed notes' "Enabling/Disabling Tasklets" and "tasklet_kill"):
 * a disabled tasklet that is scheduled stays scheduled (state 1) but does
 * not run; after tasklet_enable() it runs; tasklet_kill() on a scheduled
 * tasklet waits until it has run, and on an idle one returns at once.
 *
 * @module
 */
import {
  current,
  DECLARE_TASKLET,
  module_exit,
  module_init,
  MODULE_LICENSE,
  msleep,
  pr_info,
  tasklet_disable,
  tasklet_enable,
  tasklet_kill,
  tasklet_schedule,
  type tasklet_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
let runs = 0;

function tasklet_fn(t: tasklet_struct) {
  runs++;
  pr_info("tasklet: run %d in %s (count %d)\n", runs, current().comm, t.count);
}

const my_tasklet = DECLARE_TASKLET("my_tasklet", tasklet_fn);

function show(what: string) {
  pr_info("%s: runs %d state %d count %d\n", what, runs, my_tasklet.state, my_tasklet.count);
}

function* test_init() {
  yield tasklet_disable(my_tasklet); // count 1; nothing runs, so no wait
  tasklet_schedule(my_tasklet);
  show("disabled and scheduled");
  yield msleep(10);
  show("10 ms later, still disabled");
  tasklet_enable(my_tasklet);
  show("tasklet_enable");
  yield msleep(10);
  show("10 ms after enable");
  tasklet_schedule(my_tasklet);
  show("scheduled again");
  yield tasklet_kill(my_tasklet); // waits for the scheduled run
  show("tasklet_kill returned");
  yield tasklet_kill(my_tasklet); // idle: returns at once
  show("tasklet_kill on an idle tasklet");
  return 0;
}

function test_exit() {
  pr_info("tasklet ran %d time(s)\n", runs);
}

module_init(test_init);
module_exit(test_exit);
