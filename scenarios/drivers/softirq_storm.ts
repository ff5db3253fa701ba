/**
 * A softirq that re-raises itself: the first interrupt of the keyboard
 * (role_irq("keyboard"): the i8042's IRQ 1 on a PC, the USB host's on a
 * Pi) raises MY_SOFTIRQ, whose action raises it again until it has run
 * `count` times; with `cost_us` each run also busy-waits that long (a heavy
 * softirq load, for the 2 ms MAX_SOFTIRQ_TIME limit).
 * __do_softirq at irq_exit makes at most MAX_SOFTIRQ_RESTART (10) passes,
 * then wakes ksoftirqd/0, which runs the rest: runs 1-10 happen on
 * swapper/0's irq_exit, runs 11 and later in ksoftirqd/0.
 *
 * @module
 */
import {
  current,
  free_irq,
  IRQ_NONE,
  IRQF_SHARED,
  type irqreturn_t,
  module_exit,
  module_init,
  MODULE_LICENSE,
  module_param,
  open_softirq,
  pr_info,
  raise_softirq,
  RCU_SOFTIRQ,
  request_irq,
  role_irq,
  softirq_register_vector,
  synchronize_irq,
  udelay,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

const count = module_param("count", 25);
const cost_us = module_param("cost_us", 0) as number;
const dev = { id: 0x5354 };
let MY_SOFTIRQ = -1;
let runs = 0;
let started = false;
let lastComm = "";
let irq = -1;

function* storm_action() {
  runs++;
  if (cost_us) yield udelay(cost_us);
  const comm = current().comm;
  if (comm !== lastComm) pr_info("softirq_storm: run %d in %s\n", runs, comm);
  lastComm = comm;
  if (runs < count) raise_softirq(MY_SOFTIRQ); // runs again in the next pass
  else pr_info("softirq_storm: done after %d runs in %s\n", runs, comm);
}

function storm_handler(_irq: number, _dev: unknown): irqreturn_t {
  if (!started) {
    started = true;
    raise_softirq(MY_SOFTIRQ);
  }
  return IRQ_NONE;
}

function storm_init(): number {
  MY_SOFTIRQ = softirq_register_vector("MY", RCU_SOFTIRQ);
  open_softirq(MY_SOFTIRQ, storm_action);
  irq = role_irq("keyboard");
  if (irq < 0) return irq;
  return request_irq(irq, storm_handler, IRQF_SHARED, "softirq_storm", dev);
}

function* storm_exit() {
  yield synchronize_irq(irq);
  free_irq(irq, dev);
}

module_init(storm_init);
module_exit(storm_exit);
