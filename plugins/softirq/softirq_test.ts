import assert from "node:assert/strict";
import { current, in_hardirq, in_serving_softirq, mdelay, preempt_count } from "../../linux/api.ts";
import { CallBody } from "../../core/body.ts";
import type { KernelConfig } from "../../core/kernel.ts";
import { SoftirqHooksKey } from "../../core/kernel.ts";
import { formatTraceLine } from "../../core/trace.ts";
import { FakeBench } from "../genirq/_fake.ts";
import { IRQ_HANDLED, IRQF_NO_THREAD } from "../genirq/constants.ts";
import { handle_edge_irq } from "../genirq/flow.ts";
import {
  HI_SOFTIRQ,
  local_bh_disable,
  local_bh_enable,
  local_softirq_pending,
  NET_RX_SOFTIRQ,
  NET_TX_SOFTIRQ,
  open_softirq,
  raise_softirq,
  RCU_SOFTIRQ,
  type Softirq,
  softirq,
  softirq_register_vector,
  softirq_vector,
  SoftirqKey,
  spin_lock_bh,
  spin_unlock_bh,
  TIMER_SOFTIRQ,
} from "./mod.ts";

/** A FakeBench with the softirq plugin set up and started on its kernel. */
function bench(nrCpus = 1, config: Partial<KernelConfig> = {}): { b: FakeBench; s: Softirq } {
  const b = new FakeBench(nrCpus, handle_edge_irq, config);
  const p = softirq();
  p.setup({ kernel: b.k, defineDevice: () => {} });
  p.start?.(b.k);
  return { b, s: b.k.bus.get(SoftirqKey) };
}

/** A hardirq handler on `irq` that raises `vecs` each time it runs. */
function raiseOn(b: FakeBench, irq: number, ...vecs: number[]): void {
  const h = () => {
    for (const v of vecs) raise_softirq(v);
    return IRQ_HANDLED;
  };
  // IRQF_NO_THREAD: stays a hardirq handler under `threadirqs` too
  const flags = IRQF_NO_THREAD;
  assert.equal(b.call(() => b.gi.request_threaded_irq(irq, h, null, flags, `dev${irq}`, {})), 0);
}

interface Seen {
  vec: string;
  comm: string;
  serving: boolean;
  hardirq: boolean;
  preempt: number;
  at: number;
}

/** Open `vec` with an action that records its context. */
function record(b: FakeBench, vec: number, name: string, seen: Seen[]): void {
  b.call(() =>
    open_softirq(vec, () => {
      seen.push({
        vec: name,
        comm: current().comm,
        serving: in_serving_softirq(),
        hardirq: in_hardirq(),
        preempt: preempt_count(),
        at: b.k.now,
      });
    })
  );
}

function traceLines(b: FakeBench, name: string): string[] {
  return b.k.trace.entries().filter((e) => e.type.name.startsWith(name)).map(formatTraceLine)
    .map((l) => l.trimEnd());
}

Deno.test("softirq provides SoftirqHooks on the bus and on the kernel", () => {
  const { b, s } = bench();
  assert.equal(b.k.bus.get(SoftirqHooksKey), s);
  assert.equal(b.k.softirqHooks, s);
  assert.equal(s.ksoftirqd[0]!.comm, "ksoftirqd/0");
  assert.equal(s.ksoftirqd[0]!.state, "S");
});

Deno.test("raise_softirq from a hardirq runs the action at irq_exit in ..s.. context", () => {
  // (the trace lines show ..s1. and d.h1.: served from the idle task, which
  // runs with preemption disabled — see Kernel.traceEvent)
  const { b } = bench();
  const seen: Seen[] = [];
  record(b, NET_RX_SOFTIRQ, "NET_RX", seen);
  raiseOn(b, 1, NET_RX_SOFTIRQ);
  b.k.trace.enabled = true;
  b.fire(1);
  b.run(100_000);
  // handler 1000 ns (handler_ns), then irq_exit runs __do_softirq on swapper/0
  assert.deepEqual(seen, [{
    vec: "NET_RX",
    comm: "swapper/0",
    serving: true,
    hardirq: false,
    preempt: 0x100,
    at: 1000,
  }]);
  assert.deepEqual(traceLines(b, "softirq"), [
    "          <idle>-0       [000] d.h1.     0.000000: softirq_raise: vec=3 [action=NET_RX]",
    "          <idle>-0       [000] ..s1.     0.000001: softirq_entry: vec=3 [action=NET_RX]",
    "          <idle>-0       [000] ..s1.     0.000002: softirq_exit: vec=3 [action=NET_RX]",
  ]);
  assert.equal(b.call(() => local_softirq_pending()), 0);
  assert.equal(b.k.cpus[0].preemptCount, 0);
});

Deno.test("raise_softirq from task context wakes ksoftirqd/0, which runs the action", () => {
  const { b, s } = bench();
  const seen: Seen[] = [];
  record(b, TIMER_SOFTIRQ, "TIMER", seen);
  b.call(() => raise_softirq(TIMER_SOFTIRQ));
  assert.equal(s.ksoftirqd[0]!.state, "R", "woken by the raise");
  b.run(100_000);
  // swapper/0 -> ksoftirqd/0 costs context_switch_ns (2000)
  assert.deepEqual(seen, [{
    vec: "TIMER",
    comm: "ksoftirqd/0",
    serving: true,
    hardirq: false,
    preempt: 0x100,
    at: 2000,
  }]);
  assert.equal(s.ksoftirqd[0]!.state, "S", "asleep again once nothing is pending");
});

Deno.test("raise_softirq with BH disabled runs the action at local_bh_enable", () => {
  const { b, s } = bench();
  const seen: Seen[] = [];
  record(b, NET_TX_SOFTIRQ, "NET_TX", seen);
  const marks: [string, number, number][] = [];
  b.k.sched.create({
    comm: "bhtask",
    body: (function* () {
      local_bh_disable();
      raise_softirq(NET_TX_SOFTIRQ);
      marks.push(["raised", local_softirq_pending(), seen.length]);
      yield mdelay(1);
      marks.push(["still disabled", local_softirq_pending(), seen.length]);
      yield local_bh_enable();
      marks.push(["enabled", local_softirq_pending(), seen.length]);
      return 0;
    })(),
  });
  b.run(10_000_000);
  assert.deepEqual(marks, [
    ["raised", 1 << NET_TX_SOFTIRQ, 0],
    ["still disabled", 1 << NET_TX_SOFTIRQ, 0],
    ["enabled", 0, 1],
  ]);
  // runs in the task, with the one preempt level __local_bh_enable_ip keeps
  assert.equal(seen[0].comm, "bhtask");
  assert.equal(seen[0].serving, true);
  assert.equal(seen[0].preempt, 0x101);
  assert.equal(s.ksoftirqd[0]!.state, "S", "ksoftirqd never woken");
});

Deno.test("spin_unlock_bh runs softirqs raised under spin_lock_bh", () => {
  const { b } = bench();
  const seen: Seen[] = [];
  record(b, NET_TX_SOFTIRQ, "NET_TX", seen);
  const lock = {};
  const counts: number[] = [];
  b.k.sched.create({
    comm: "locker",
    body: (function* () {
      spin_lock_bh(lock);
      raise_softirq(NET_TX_SOFTIRQ);
      counts.push(seen.length);
      yield spin_unlock_bh(lock);
      counts.push(seen.length);
      return 0;
    })(),
  });
  b.run(1_000_000);
  assert.deepEqual(counts, [0, 1]);
  assert.equal(seen[0].comm, "locker");
});

Deno.test("/proc/softirqs counts executions, not raises, in the kernel's format", () => {
  const { b } = bench(2);
  const seen: Seen[] = [];
  record(b, NET_RX_SOFTIRQ, "NET_RX", seen);
  raiseOn(b, 1, NET_RX_SOFTIRQ, NET_RX_SOFTIRQ, NET_RX_SOFTIRQ);
  b.fire(1);
  b.run(100_000);
  b.fire(1);
  b.run(100_000);
  assert.equal(seen.length, 2);
  assert.equal(
    b.k.procfs.read("/proc/softirqs"),
    "                    CPU0       CPU1       \n" +
      "          HI:          0          0\n" +
      "       TIMER:          0          0\n" +
      "      NET_TX:          0          0\n" +
      "      NET_RX:          2          0\n" +
      "       BLOCK:          0          0\n" +
      "    IRQ_POLL:          0          0\n" +
      "     TASKLET:          0          0\n" +
      "       SCHED:          0          0\n" +
      "     HRTIMER:          0          0\n" +
      "         RCU:          0          0\n",
  );
});

Deno.test("__do_softirq makes at most 10 passes, then ksoftirqd takes over", () => {
  const { b, s } = bench();
  const comms: string[] = [];
  b.call(() =>
    open_softirq(NET_RX_SOFTIRQ, () => {
      comms.push(current().comm);
      if (comms.length < 25) raise_softirq(NET_RX_SOFTIRQ); // in softirq: no wake-up
    })
  );
  raiseOn(b, 1, NET_RX_SOFTIRQ);
  b.fire(1);
  b.run(1_000_000);
  assert.equal(comms.length, 25);
  assert.deepEqual(comms.slice(0, 10), new Array(10).fill("swapper/0"), "10 passes at irq_exit");
  assert.deepEqual(comms.slice(10), new Array(15).fill("ksoftirqd/0"));
  assert.equal(s.counts[0][NET_RX_SOFTIRQ], 25);
  assert.equal(s.ksoftirqd[0]!.state, "S");
});

Deno.test("__do_softirq stops at the next jiffy and wakes ksoftirqd", () => {
  const { b } = bench();
  const comms: string[] = [];
  b.call(() =>
    open_softirq(TIMER_SOFTIRQ, () => {
      comms.push(current().comm);
      // the 2nd pass sees jiffies move (HZ=250: msecs_to_jiffies(2) = 1 jiffy)
      if (comms.length === 2) b.k.jiffies++;
      if (comms.length < 4) raise_softirq(TIMER_SOFTIRQ);
    })
  );
  raiseOn(b, 1, TIMER_SOFTIRQ);
  b.fire(1);
  b.run(1_000_000);
  assert.deepEqual(comms, ["swapper/0", "swapper/0", "ksoftirqd/0", "ksoftirqd/0"]);
});

Deno.test("__do_softirq runs bits raised during a pass in the next pass, lowest first", () => {
  const { b } = bench();
  const order: string[] = [];
  b.call(() => {
    open_softirq(HI_SOFTIRQ, () => void order.push("HI"));
    open_softirq(TIMER_SOFTIRQ, () => void order.push("TIMER"));
    open_softirq(NET_RX_SOFTIRQ, () => {
      order.push("NET_RX");
      raise_softirq(HI_SOFTIRQ);
    });
  });
  raiseOn(b, 1, NET_RX_SOFTIRQ, TIMER_SOFTIRQ);
  b.fire(1);
  b.run(100_000);
  assert.deepEqual(order, ["TIMER", "NET_RX", "HI"]);
});

Deno.test("__do_softirq lets a hardirq nest in a long action; its irq_exit does not recurse", () => {
  const { b } = bench();
  const events: string[] = [];
  b.call(() => {
    open_softirq(NET_RX_SOFTIRQ, function* () {
      events.push(`NET_RX start ${b.k.now}`);
      yield mdelay(2);
      events.push(`NET_RX end ${b.k.now}`);
    });
    open_softirq(TIMER_SOFTIRQ, () => {
      events.push(`TIMER ${b.k.now} ${current().comm}`);
    });
  });
  raiseOn(b, 1, NET_RX_SOFTIRQ);
  const h2 = () => {
    events.push(`irq2 ${b.k.now} serving=${in_serving_softirq()} hardirq=${in_hardirq()}`);
    raise_softirq(TIMER_SOFTIRQ);
    return IRQ_HANDLED;
  };
  assert.equal(b.call(() => b.gi.request_threaded_irq(2, h2, null, 0, "dev2", {})), 0);
  b.fire(1);
  b.run(500_000);
  b.fire(2);
  b.run(10_000_000);
  // NET_RX from 1000 for 2 ms of busy time, cut at 500 µs by IRQ 2 (1000 ns)
  assert.deepEqual(events, [
    "NET_RX start 1000",
    "irq2 500000 serving=true hardirq=true",
    "NET_RX end 2002000",
    "TIMER 2002000 swapper/0",
  ]);
  assert.equal(b.k.cpus[0].preemptCount, 0);
});

/** ksoftirqd woken (runnable, not yet running) when IRQ 1 raises TIMER; returns who ran what. */
function deferral(version: "6.1" | "6.6", vecs: number[]): string[] {
  const { b, s } = bench(1, { version });
  const ran: string[] = [];
  b.call(() => {
    for (
      const [v, n] of [[HI_SOFTIRQ, "HI"], [TIMER_SOFTIRQ, "TIMER"], [NET_RX_SOFTIRQ, "NET_RX"]]
    ) {
      open_softirq(v as number, () => void ran.push(`${n} ${current().comm}`));
    }
  });
  raiseOn(b, 1, ...vecs);
  b.call(() => {
    raise_softirq(NET_RX_SOFTIRQ); // task context: wakes ksoftirqd
    assert.equal(s.ksoftirqd[0]!.state, "R");
    b.fire(1); // taken before the switch to ksoftirqd
  });
  b.run(1_000_000);
  return ran;
}

Deno.test("invoke_softirq in 6.1 leaves the work to a runnable ksoftirqd (ksoftirqd_running)", () => {
  assert.deepEqual(deferral("6.1", [TIMER_SOFTIRQ]), ["TIMER ksoftirqd/0", "NET_RX ksoftirqd/0"]);
});

Deno.test("invoke_softirq in 6.1 runs inline when HI is pending despite a runnable ksoftirqd", () => {
  assert.deepEqual(deferral("6.1", [HI_SOFTIRQ]), ["HI swapper/0", "NET_RX swapper/0"]);
});

Deno.test("invoke_softirq in 6.6 runs inline although ksoftirqd is runnable", () => {
  assert.deepEqual(deferral("6.6", [TIMER_SOFTIRQ]), ["TIMER swapper/0", "NET_RX swapper/0"]);
});

Deno.test("invoke_softirq with threadirqs wakes ksoftirqd instead of running inline", () => {
  const { b } = bench(1, { threadirqs: true });
  const seen: Seen[] = [];
  record(b, NET_RX_SOFTIRQ, "NET_RX", seen);
  raiseOn(b, 1, NET_RX_SOFTIRQ);
  b.fire(1);
  b.run(1_000_000);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].comm, "ksoftirqd/0");
});

Deno.test("softirq_register_vector inserts MY before RCU and /proc/softirqs shows it", () => {
  const { b } = bench();
  const MY_SOFTIRQ = b.call(() => softirq_register_vector("MY", RCU_SOFTIRQ));
  assert.equal(MY_SOFTIRQ, 9);
  assert.equal(b.call(() => softirq_vector("RCU")), 10, "RCU renumbered, still last");
  assert.equal(b.call(() => softirq_register_vector("MY")), 9, "same name, same vector");
  const seen: Seen[] = [];
  record(b, MY_SOFTIRQ, "MY", seen);
  raiseOn(b, 1, MY_SOFTIRQ);
  b.k.trace.enabled = true;
  b.fire(1);
  b.run(100_000);
  assert.equal(seen.length, 1);
  assert.deepEqual(traceLines(b, "softirq_entry"), [
    "          <idle>-0       [000] ..s1.     0.000001: softirq_entry: vec=9 [action=MY]",
  ]);
  assert.equal(
    b.k.procfs.read("/proc/softirqs"),
    "                    CPU0       \n" +
      "          HI:          0\n" +
      "       TIMER:          0\n" +
      "      NET_TX:          0\n" +
      "      NET_RX:          0\n" +
      "       BLOCK:          0\n" +
      "    IRQ_POLL:          0\n" +
      "     TASKLET:          0\n" +
      "       SCHED:          0\n" +
      "     HRTIMER:          0\n" +
      "          MY:          1\n" +
      "         RCU:          0\n",
  );
});

Deno.test("softirq runs a scenario to the same trace twice", () => {
  const run = () => {
    const { b } = bench();
    b.call(() => open_softirq(NET_RX_SOFTIRQ, () => raise_softirq(TIMER_SOFTIRQ)));
    b.call(() => open_softirq(TIMER_SOFTIRQ, () => {}));
    raiseOn(b, 1, NET_RX_SOFTIRQ);
    b.k.trace.enabled = true;
    b.fire(1);
    b.run(100_000);
    b.call(() => raise_softirq(NET_RX_SOFTIRQ));
    b.run(100_000);
    return b.k.trace.format(1);
  };
  assert.equal(run(), run());
});

Deno.test("local_bh_enable yielded by a generator runs softirqs as a sub-body where a hardirq nests", () => {
  const { b } = bench();
  const events: string[] = [];
  b.call(() =>
    open_softirq(NET_RX_SOFTIRQ, function* () {
      events.push(`NET_RX start ${b.k.now} preempt=${preempt_count().toString(16)}`);
      yield mdelay(2);
      events.push(`NET_RX end ${b.k.now}`);
    })
  );
  const h2 = () => {
    events.push(`irq2 ${b.k.now} serving=${in_serving_softirq()} hardirq=${in_hardirq()}`);
    return IRQ_HANDLED;
  };
  assert.equal(b.call(() => b.gi.request_threaded_irq(2, h2, null, IRQF_NO_THREAD, "d2", {})), 0);
  b.k.sched.create({
    comm: "bhtask",
    body: (function* () {
      local_bh_disable();
      raise_softirq(NET_RX_SOFTIRQ);
      yield local_bh_enable();
      events.push(`bhtask resumes ${b.k.now} preempt=${preempt_count()}`);
      return 0;
    })(),
  });
  b.run(500_000);
  b.fire(2);
  b.run(10_000_000);
  // swapper/0 -> bhtask costs 2000 ns; NET_RX runs 2 ms of busy time from
  // 2000 with the preempt level __local_bh_enable_ip keeps (0x100 + 1); IRQ 2
  // cuts it at 500 µs for its 1000 ns handler, so it ends at 2000 + 2 ms +
  // 1000 and the task resumes only then.
  assert.deepEqual(events, [
    "NET_RX start 2000 preempt=101",
    "irq2 500000 serving=true hardirq=true",
    "NET_RX end 2003000",
    "bhtask resumes 2003000 preempt=0",
  ]);
});

Deno.test("local_bh_enable from a plain function body runs softirqs right after the body's cost", () => {
  const { b } = bench();
  const seen: Seen[] = [];
  record(b, NET_RX_SOFTIRQ, "NET_RX", seen);
  let inside = -1;
  b.k.sched.create({
    comm: "plain",
    body: new CallBody(() => {
      local_bh_disable();
      raise_softirq(NET_RX_SOFTIRQ);
      local_bh_enable(); // a plain function cannot yield the token
      inside = preempt_count();
      return 0;
    }, 3000),
  });
  b.run(1_000_000);
  // the rest of the function keeps the one preempt level until the softirqs run
  assert.equal(inside, 1);
  // switch 2000 ns, then the body's 3000 ns, then NET_RX in the same task
  assert.deepEqual(seen, [{
    vec: "NET_RX",
    comm: "plain",
    serving: true,
    hardirq: false,
    preempt: 0x101,
    at: 5000,
  }]);
  assert.equal(b.k.cpus[0].preemptCount, 0);
});

Deno.test("local_bh_enable called headless (outside an executor) runs pending softirqs at once", () => {
  const { b } = bench();
  const seen: Seen[] = [];
  record(b, NET_TX_SOFTIRQ, "NET_TX", seen);
  b.call(() => {
    local_bh_disable();
    raise_softirq(NET_TX_SOFTIRQ);
    local_bh_enable();
  });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].serving, true);
  assert.equal(b.k.cpus[0].preemptCount, 0);
});

Deno.test("Softirq.local_bh_enable (service) runs due softirqs at once and balances preempt_count", () => {
  const { b, s } = bench();
  const seen: Seen[] = [];
  record(b, NET_TX_SOFTIRQ, "NET_TX", seen);
  const cpu = b.k.cpus[0];
  b.call(() => {
    s.local_bh_disable(cpu);
    s.raise_softirq(NET_TX_SOFTIRQ, cpu);
    s.local_bh_enable(cpu);
  });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].preempt, 0x101, "served under the kept preempt level");
  assert.equal(cpu.preemptCount, 0);
  // nothing due: bhEnableBody finishes the enable itself and returns no body
  b.call(() => s.local_bh_disable(cpu));
  assert.equal(b.call(() => s.bhEnableBody(cpu)), undefined);
  assert.equal(cpu.preemptCount, 0);
});
