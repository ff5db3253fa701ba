/**
 * Static tasklets, after the seed notes' two examples ("Example defining
 * tasklets", "Example scheduling a tasklet with static initialization"):
 * DECLARE_TASKLET and DECLARE_TASKLET_DISABLED, their `state` and `count`
 * before and after tasklet_schedule(). Linux 6.1's DECLARE_TASKLET takes a
 * callback that receives the tasklet (the notes' three-argument form with
 * an `unsigned long data` is the pre-5.9 API; DECLARE_TASKLET_OLD keeps
 * data 0), so the callback reads tasklet_data itself.
 *
 * @module
 */
import {
  current,
  DECLARE_TASKLET,
  DECLARE_TASKLET_DISABLED,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  tasklet_kill,
  tasklet_schedule,
  type tasklet_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const tasklet_data = "linux kernel is very easy";

function tasklet_function(t: tasklet_struct) {
  pr_info("%s:data:%s\n", "tasklet_function", tasklet_data);
  pr_info("in %s: State:%d Count:%d\n", current().comm, t.state, t.count);
}

const my_tasklet = DECLARE_TASKLET("my_tasklet", tasklet_function);
const my_tasklet_disabled = DECLARE_TASKLET_DISABLED("my_tasklet_disabled", tasklet_function);

function test_tasklet_init() {
  pr_info("%s: In init\n", "test_tasklet_init");
  pr_info("State:%d\n", my_tasklet.state); // zero value means not scheduled
  pr_info("Count:%d\n", my_tasklet.count); // zero value means enabled
  pr_info("State:%d\n", my_tasklet_disabled.state);
  pr_info("Count:%d\n", my_tasklet_disabled.count); // non-zero value means disabled
  tasklet_schedule(my_tasklet);
  pr_info("after tasklet_schedule: State:%d\n", my_tasklet.state);
  pr_info("after tasklet_schedule: Count:%d\n", my_tasklet.count);
  return 0;
}

function* test_tasklet_exit() {
  pr_info("%s: In exit\n", "test_tasklet_exit");
  yield tasklet_kill(my_tasklet);
  pr_info("after tasklet_kill: State:%d\n", my_tasklet.state);
}

module_init(test_tasklet_init);
module_exit(test_tasklet_exit);
