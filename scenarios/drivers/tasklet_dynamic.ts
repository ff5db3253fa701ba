/**
 * A dynamic tasklet, after the seed notes' "Example of scheduling a tasklet
 * with dynamic initialization": a tasklet_struct allocated at init,
 * tasklet_init() with an old-style function and its data, then
 * tasklet_schedule(). The notes allocate with kmalloc() and print the
 * uninitialised state and count (garbage); here the new object starts
 * zeroed, as kzalloc() would give it.
 *
 * @module
 */
import {
  current,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  tasklet_init,
  tasklet_kill,
  tasklet_schedule,
  tasklet_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
const tasklet_data = "linux kernel is very easy";

function tasklet_function(data: unknown) {
  pr_info("%s:data:%s (in %s)\n", "tasklet_function", data as string, current().comm);
}

let my_tasklet: tasklet_struct | null = null; // pointer to a tasklet

function test_tasklet_init() {
  pr_info("%s: In init\n", "test_tasklet_init");
  my_tasklet = new tasklet_struct(); // allocate space for the tasklet
  pr_info("State:%d\n", my_tasklet.state);
  pr_info("Count:%d\n", my_tasklet.count);
  tasklet_init(my_tasklet, tasklet_function, tasklet_data); // init the tasklet
  pr_info("State:%d\n", my_tasklet.state);
  pr_info("Count:%d\n", my_tasklet.count);
  tasklet_schedule(my_tasklet); // schedule sets TASKLET_STATE_SCHED: state 1
  pr_info("State:%d\n", my_tasklet.state);
  pr_info("Count:%d\n", my_tasklet.count);
  return 0;
}

function* test_tasklet_exit() {
  pr_info("%s: In exit\n", "test_tasklet_exit");
  if (my_tasklet) yield tasklet_kill(my_tasklet);
  my_tasklet = null; // kfree()
}

module_init(test_tasklet_init);
module_exit(test_tasklet_exit);
