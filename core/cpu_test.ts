/**
 * One CPU: the preempt_count predicates of include/linux/preempt.h, the
 * executor's timing of busy segments, interrupts cutting a segment, and the
 * kernel's reaction to sleeping in atomic context. Times are worked out by
 * hand from TEST_COSTS (context switch 2 µs).
 *
 * Task bodies are generators that yield linux/api.ts tokens; api calls need
 * the ambient kernel, which exists only while `k.runUntil()` runs, so they
 * are made inside task bodies only.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  local_irq_disable,
  local_irq_enable,
  msleep,
  preempt_disable,
  preempt_enable,
  udelay,
} from "../linux/api.ts";
import { CallBody } from "./body.ts";
import {
  type Cpu,
  HARDIRQ_OFFSET,
  NMI_OFFSET,
  PREEMPT_OFFSET,
  SOFTIRQ_DISABLE_OFFSET,
  SOFTIRQ_OFFSET,
} from "./cpu.ts";
import { TEST_COSTS, testKernel } from "../tests/helpers.ts";

const US = 1_000;
const MS = 1_000_000;
const SWITCH = TEST_COSTS.context_switch_ns;

interface Context {
  inNmi: boolean;
  inHardirq: boolean;
  inSoftirq: boolean;
  inServingSoftirq: boolean;
  inInterrupt: boolean;
  inTask: boolean;
  inAtomic: boolean;
}

function context(cpu: Cpu, count: number): Context {
  cpu.preemptCount = count;
  return {
    inNmi: cpu.inNmi(),
    inHardirq: cpu.inHardirq(),
    inSoftirq: cpu.inSoftirq(),
    inServingSoftirq: cpu.inServingSoftirq(),
    inInterrupt: cpu.inInterrupt(),
    inTask: cpu.inTask(),
    inAtomic: cpu.inAtomic(),
  };
}

const TASK: Context = {
  inNmi: false,
  inHardirq: false,
  inSoftirq: false,
  inServingSoftirq: false,
  inInterrupt: false,
  inTask: true,
  inAtomic: false,
};

Deno.test("Cpu predicates with preempt_count 0 say task context", () => {
  const cpu = testKernel().cpus[0];
  assert.deepEqual(context(cpu, 0), TASK);
});

Deno.test("Cpu predicates with preemption disabled say task context, atomic", () => {
  const cpu = testKernel().cpus[0];
  assert.deepEqual(context(cpu, PREEMPT_OFFSET), { ...TASK, inAtomic: true });
  assert.deepEqual(context(cpu, 3 * PREEMPT_OFFSET), { ...TASK, inAtomic: true });
});

Deno.test("Cpu predicates with BH disabled say in_interrupt and in_softirq but still in_task", () => {
  const cpu = testKernel().cpus[0];
  assert.deepEqual(context(cpu, SOFTIRQ_DISABLE_OFFSET), {
    ...TASK,
    inSoftirq: true,
    inInterrupt: true,
    inAtomic: true,
  });
});

Deno.test("Cpu predicates while serving softirqs say in_serving_softirq, not in_task", () => {
  const cpu = testKernel().cpus[0];
  assert.deepEqual(context(cpu, SOFTIRQ_OFFSET), {
    ...TASK,
    inSoftirq: true,
    inServingSoftirq: true,
    inInterrupt: true,
    inTask: false,
    inAtomic: true,
  });
});

Deno.test("Cpu predicates in hardirq say in_hardirq, not in_softirq, not in_task", () => {
  const cpu = testKernel().cpus[0];
  assert.deepEqual(context(cpu, HARDIRQ_OFFSET), {
    ...TASK,
    inHardirq: true,
    inInterrupt: true,
    inTask: false,
    inAtomic: true,
  });
});

Deno.test("Cpu predicates in a hardirq that interrupted BH-disabled code keep in_softirq", () => {
  const cpu = testKernel().cpus[0];
  assert.deepEqual(context(cpu, HARDIRQ_OFFSET + SOFTIRQ_DISABLE_OFFSET), {
    ...TASK,
    inHardirq: true,
    inSoftirq: true,
    inInterrupt: true,
    inTask: false,
    inAtomic: true,
  });
});

Deno.test("Cpu predicates in NMI say in_nmi and in_hardirq as nmi_enter() counts both", () => {
  const cpu = testKernel().cpus[0];
  assert.deepEqual(context(cpu, NMI_OFFSET + HARDIRQ_OFFSET), {
    ...TASK,
    inNmi: true,
    inHardirq: true,
    inInterrupt: true,
    inTask: false,
    inAtomic: true,
  });
});

Deno.test("Cpu predicates with only the NMI bits say in_nmi but not in_hardirq", () => {
  const cpu = testKernel().cpus[0];
  assert.deepEqual(context(cpu, NMI_OFFSET), {
    ...TASK,
    inNmi: true,
    inInterrupt: true,
    inTask: false,
    inAtomic: true,
  });
});

Deno.test("Cpu.irqEnter and irqExit add and remove one hardirq level", () => {
  const cpu = testKernel().cpus[0];
  cpu.preemptCount = PREEMPT_OFFSET;
  cpu.irqEnter();
  assert.equal(cpu.preemptCount, 0x10001);
  assert.equal(cpu.inHardirq(), true);
  assert.equal(cpu.irqExit(), undefined, "no softirq hooks: nothing to run at irq_exit");
  assert.equal(cpu.preemptCount, 0x1);
  assert.equal(cpu.inHardirq(), false);
});

Deno.test("Cpu runs a task that yields udelay(100) twice to completion at 200 µs plus a switch", () => {
  const k = testKernel();
  const resumed: number[] = [];
  const t = k.sched.create({
    comm: "delayer",
    kthread: true,
    body: (function* () {
      yield udelay(100);
      resumed.push(k.now);
      yield udelay(100);
      resumed.push(k.now);
    })(),
  });
  k.runUntil(200 * US + SWITCH - 1);
  assert.equal(t.state, "R");
  assert.deepEqual(resumed, [100 * US + SWITCH]);
  k.runUntil(200 * US + SWITCH);
  assert.equal(t.state, "X");
  assert.deepEqual(resumed, [100 * US + SWITCH, 200 * US + SWITCH]);
  assert.equal(k.cpus[0].current, k.cpus[0].idleTask);
});

Deno.test("Cpu.setIntr cuts a busy segment and the task resumes with the remainder", () => {
  const k = testKernel();
  const cpu = k.cpus[0];
  const inIrq: [number, boolean, number][] = [];
  cpu.arch = {
    irqEntry: (c) =>
      new CallBody(() => {
        inIrq.push([k.now, c.irqsDisabled, c.irqDepth]);
        c.setIntr(false); // the device drops its request once serviced
      }, 10 * US),
  };
  const resumed: number[] = [];
  k.sched.create({
    comm: "worker",
    kthread: true,
    body: (function* () {
      yield udelay(100); // 2 µs .. 102 µs without the interrupt
      resumed.push(k.now);
    })(),
  });
  k.clock.schedule(50 * US, () => cpu.setIntr(true));
  k.runUntil(1 * MS);
  assert.deepEqual(inIrq, [[50 * US, true, 1]]);
  // 48 µs done before the interrupt, 10 µs of handler, then the 52 µs left
  assert.deepEqual(resumed, [SWITCH + 100 * US + 10 * US]);
  assert.equal(cpu.irqsDisabled, false, "interrupts are enabled again after the return");
  assert.equal(cpu.irqDepth, 0);
});

Deno.test("Cpu takes an interrupt raised at the exact end of a busy segment before the next step", () => {
  // Regression guard for the executor's inline end of a busy segment
  // (EventQueue.advanceIn): the request is an event queued at 0 for 2 + 100
  // µs, before the segment's end was armed (at 2 µs), so at that instant it
  // runs first and the CPU takes the interrupt (10 µs) before the task's
  // next step, which then runs at 112 µs, not at 102 µs.
  const k = testKernel();
  const cpu = k.cpus[0];
  const inIrq: number[] = [];
  cpu.arch = {
    irqEntry: (c) =>
      new CallBody(() => {
        inIrq.push(k.now);
        c.setIntr(false);
      }, 10 * US),
  };
  const resumed: number[] = [];
  k.sched.create({
    comm: "worker",
    kthread: true,
    body: (function* () {
      yield udelay(100); // SWITCH .. SWITCH + 100 µs
      resumed.push(k.now);
    })(),
  });
  k.clock.schedule(SWITCH + 100 * US, () => cpu.setIntr(true));
  k.runUntil(1 * MS);
  assert.deepEqual(inIrq, [SWITCH + 100 * US]);
  assert.deepEqual(resumed, [SWITCH + 100 * US + 10 * US]);
});

Deno.test("Cpu.setIntr is not taken while interrupts are disabled", () => {
  const k = testKernel();
  const cpu = k.cpus[0];
  const taken: number[] = [];
  cpu.arch = {
    irqEntry: (c) =>
      new CallBody(() => {
        taken.push(k.now);
        c.setIntr(false);
      }, 1 * US),
  };
  k.sched.create({
    comm: "critical",
    kthread: true,
    body: (function* () {
      local_irq_disable();
      yield udelay(100); // 2 µs .. 102 µs with interrupts off
    })(),
  });
  k.clock.schedule(50 * US, () => cpu.setIntr(true));
  k.runUntil(1 * MS);
  assert.deepEqual(taken, [], "never enabled again: never taken");
  assert.equal(cpu.intrPending, true);
});

Deno.test("local_irq_enable in a task body takes a pending interrupt before the next delay", () => {
  // Bug: Cpu.poke() does nothing while the executor loop is running, so the
  // poke from local_irq_enable() inside a body is lost; the body's following
  // busy segment then starts with an enabled, pending interrupt and is not
  // cut, delaying the interrupt by the whole delay.
  const k = testKernel();
  const cpu = k.cpus[0];
  const taken: number[] = [];
  cpu.arch = {
    irqEntry: (c) =>
      new CallBody(() => {
        taken.push(k.now);
        c.setIntr(false);
      }, 1 * US),
  };
  const resumed: number[] = [];
  k.sched.create({
    comm: "critical",
    kthread: true,
    body: (function* () {
      local_irq_disable();
      yield udelay(100); // 2 µs .. 102 µs with interrupts off
      local_irq_enable(); // at 102 µs: the interrupt raised at 50 µs is taken here
      yield udelay(100);
      resumed.push(k.now);
    })(),
  });
  k.clock.schedule(50 * US, () => cpu.setIntr(true));
  k.runUntil(1 * MS);
  assert.deepEqual(taken, [SWITCH + 100 * US]);
  assert.deepEqual(resumed, [SWITCH + 200 * US + 1 * US]);
});

Deno.test("Cpu.sleep in atomic context prints the BUG line and halts the kernel", () => {
  const k = testKernel();
  let after = false;
  const t = k.sched.create({
    comm: "atomic_sleeper",
    kthread: true,
    body: (function* () {
      preempt_disable();
      yield msleep(1);
      after = true;
    })(),
  });
  k.runUntil(100 * MS);
  const bug = k.log.lines().filter((l) => l.startsWith("BUG:"));
  assert.deepEqual(bug, ["BUG: scheduling while atomic: atomic_sleeper/2/0x00000002"]);
  assert.equal(t.pid, 2);
  assert.equal(k.bugs, 1);
  assert.equal(k.halted, true);
  assert.equal(k.now, SWITCH, "the run stopped at the BUG");
  assert.equal(after, false);
  k.runUntil(200 * MS);
  assert.equal(after, false, "a halted kernel runs nothing more");
});

Deno.test("Cpu.sleep in atomic context with keepGoing spins for the time and continues", () => {
  const k = testKernel();
  k.keepGoing = true;
  const resumed: number[] = [];
  const states: string[] = [];
  const t = k.sched.create({
    comm: "atomic_sleeper",
    kthread: true,
    body: (function* () {
      preempt_disable();
      yield msleep(1); // 1 ms at HZ=250: msecs_to_jiffies(1) + 1 = 2 jiffies = 8 ms
      resumed.push(k.now);
      preempt_enable();
    })(),
  });
  k.clock.schedule(4 * MS, () => states.push(t.state));
  k.runUntil(100 * MS);
  assert.deepEqual(
    k.log.lines().filter((l) => l.startsWith("BUG:")),
    ["BUG: scheduling while atomic: atomic_sleeper/2/0x00000002"],
  );
  assert.equal(k.halted, false);
  assert.equal(k.bugs, 1);
  assert.deepEqual(states, ["R"], "it never slept");
  // switch in, the two printk lines of the BUG report, then 8 ms of spinning
  assert.deepEqual(resumed, [SWITCH + 2 * TEST_COSTS.printk_ns + 8 * MS]);
  assert.equal(t.state, "X");
  assert.equal(k.now, 100 * MS);
});
