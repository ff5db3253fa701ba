/**
 * The sched tracepoints (include/trace/events/sched.h, 6.1): formats, where
 * each is recorded and the flags it shows. Expected lines are written out by
 * hand from TEST_COSTS (context switch 2 µs) and the kernel's locking at each
 * tracepoint: sched_waking under p->pi_lock (irqs off, depth 2),
 * sched_wakeup under the rq lock too (depth 3), sched_wakeup_new under
 * pi_lock and the rq lock (depth 2), sched_switch in __schedule (irqs off,
 * depth 2); the idle task adds one level (it runs with preemption disabled),
 * except in sched_switch, where schedule_idle() has no preempt_disable() of
 * its own. x86 folds need-resched into preempt_count, so a
 * pending reschedule shows as `N`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { udelay, usleep_range } from "../linux/api.ts";
import { formatPrevState } from "./sched.ts";
import { testKernel } from "../tests/helpers.ts";

function lines(k: ReturnType<typeof testKernel>): string[] {
  return k.trace.format(k.cpus.length).split("\n").filter((l) => l && !l.startsWith("#"));
}

Deno.test("sched tracepoints follow a task through create, sleep, wake-up and exit", () => {
  const k = testKernel();
  k.trace.enabled = true;
  k.sched.create({
    comm: "worker",
    kthread: true,
    body: (function* () {
      yield usleep_range(10, 20); // D for 10 µs
    })(),
  });
  k.cpus[0].start();
  k.runUntil(100_000);
  assert.deepEqual(lines(k), [
    // t=0: wake_up_new_task() from outside any CPU step, seen on CPU 0 (idle current: 2 + 1)
    "          <idle>-0       [000] dN.3.     0.000000: sched_wakeup_new: comm=worker pid=2 prio=120 target_cpu=000",
    "          <idle>-0       [000] d..2.     0.000000: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=worker next_pid=2 next_prio=120",
    // t=2 µs: the switch cost paid, usleep_range() sleeps in D
    "          worker-2       [000] d..2.     0.000002: sched_switch: prev_comm=worker prev_pid=2 prev_prio=120 prev_state=D ==> next_comm=swapper/0 next_pid=0 next_prio=120",
    // t=12 µs: the sleep's timer wakes it while idle is current (its own
    // disabled preemption adds one level); need_resched is set between waking and wakeup
    "          <idle>-0       [000] d..3.     0.000012: sched_waking: comm=worker pid=2 prio=120 target_cpu=000",
    "          <idle>-0       [000] dN.4.     0.000012: sched_wakeup: comm=worker pid=2 prio=120 target_cpu=000",
    "          <idle>-0       [000] d..2.     0.000012: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=worker next_pid=2 next_prio=120",
    // t=14 µs: the body returns; an exited kthread is EXIT_DEAD
    "          worker-2       [000] d..2.     0.000014: sched_switch: prev_comm=worker prev_pid=2 prev_prio=120 prev_state=X ==> next_comm=swapper/0 next_pid=0 next_prio=120",
  ]);
});

Deno.test("sched_switch prints a preempted task as R+ and an RT task's prio as 99 - rt_priority", () => {
  const k = testKernel();
  k.trace.enabled = true;
  k.sched.create({
    comm: "hog",
    kthread: false, // user task: always preemptible
    body: (function* () {
      for (let i = 0; i < 100; i++) yield udelay(1); // 100 µs of work
    })(),
  });
  k.cpus[0].start();
  k.runUntil(5_000);
  const rt = k.sched.create({
    comm: "irq/1-test",
    policy: "fifo",
    rtPriority: 50,
    body: (function* () {})(),
  });
  assert.equal(rt.prio, 49);
  k.runUntil(20_000);
  k.runUntil(200_000);
  const sw = lines(k).filter((l) => l.includes("sched_switch: prev_comm=hog"));
  assert.equal(
    sw[0].slice(sw[0].indexOf("sched_switch")),
    "sched_switch: prev_comm=hog prev_pid=2 prev_prio=120 prev_state=R+ ==> next_comm=irq/1-test next_pid=3 next_prio=49",
  );
  // the user task's exit: EXIT_ZOMBIE until its parent reaps it
  assert.match(sw[1], /prev_state=Z ==> next_comm=swapper\/0/);
});

Deno.test("formatPrevState joins report bits with | and appends + for TASK_REPORT_MAX", () => {
  assert.equal(formatPrevState(0), "R");
  assert.equal(formatPrevState(0x100), "R+");
  assert.equal(formatPrevState(0x1), "S");
  assert.equal(formatPrevState(0x2), "D");
  assert.equal(formatPrevState(0x80), "I");
  assert.equal(formatPrevState(0x3), "S|D");
  assert.equal(formatPrevState(0x20), "Z");
});

Deno.test("Kernel.traceEvent records need-resched as N on x86 and n on 32-bit ARM", () => {
  // asm-generic/preempt.h (32-bit ARM): test_preempt_need_resched() is false
  for (const [arch, flags] of [["x86", "dN.3."], ["arm64", "dN.3."], ["arm", "dn.3."]] as const) {
    const k = testKernel(1, { arch });
    k.trace.enabled = true;
    k.sched.create({ comm: "t", body: (function* () {})() });
    assert.equal(lines(k)[0].slice(31, 36), flags, arch);
  }
});
