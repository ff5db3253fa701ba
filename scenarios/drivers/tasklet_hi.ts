/**
 * tasklet_hi_schedule(): a high-priority tasklet goes on tasklet_hi_vec and
 * raises HI_SOFTIRQ (0), which __do_softirq runs before TASKLET_SOFTIRQ (6)
 * in the same pass. The normal tasklet is scheduled first, the hi one
 * second; the hi one runs first.
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
  tasklet_hi_schedule,
  tasklet_kill,
  tasklet_schedule,
  type tasklet_struct,
} from "../../mod.ts";

MODULE_LICENSE("GPL");
let order = 0;

function normal_fn(_t: tasklet_struct) {
  pr_info("normal tasklet: run #%d in %s (TASKLET_SOFTIRQ)\n", ++order, current().comm);
}
function hi_fn(_t: tasklet_struct) {
  pr_info("hi tasklet: run #%d in %s (HI_SOFTIRQ)\n", ++order, current().comm);
}

const normal_tasklet = DECLARE_TASKLET("normal_tasklet", normal_fn);
const hi_tasklet = DECLARE_TASKLET("hi_tasklet", hi_fn);

function test_init() {
  tasklet_schedule(normal_tasklet);
  tasklet_hi_schedule(hi_tasklet);
  pr_info("scheduled: normal first, hi second\n");
  return 0;
}

function* test_exit() {
  yield tasklet_kill(normal_tasklet);
  yield tasklet_kill(hi_tasklet);
}

module_init(test_init);
module_exit(test_exit);
