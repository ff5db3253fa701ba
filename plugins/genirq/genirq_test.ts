import assert from "node:assert/strict";
import { mdelay, msleep } from "../../core/api.ts";
import { FakeBench } from "./_fake.ts";
import {
  EBUSY,
  EINVAL,
  ENOSYS,
  ENOTCONN,
  IRQ_HANDLED,
  IRQ_LEVEL,
  IRQ_NONE,
  IRQ_NOREQUEST,
  IRQ_NOTCONNECTED,
  IRQ_WAKE_THREAD,
  IRQF_ONESHOT,
  IRQF_SHARED,
  IRQF_TRIGGER_FALLING,
  IRQF_TRIGGER_RISING,
  IRQS_PENDING,
  IRQS_REPLAY,
} from "./constants.ts";
import { handle_edge_irq, handle_fasteoi_irq, handle_level_irq } from "./flow.ts";

const none = () => IRQ_NONE;
const handled = () => IRQ_HANDLED;

function lines(b: FakeBench): string[] {
  return b.k.log.lines();
}

Deno.test("request_threaded_irq returns the kernel's error codes for bad requests", () => {
  const b = new FakeBench(1, handle_level_irq);
  const gi = b.gi;
  b.call(() => {
    assert.equal(gi.request_threaded_irq(IRQ_NOTCONNECTED, handled, null, 0, "x", 1), -ENOTCONN);
    assert.equal(gi.request_threaded_irq(5, handled, null, IRQF_SHARED, "x", null), -EINVAL);
    assert.equal(gi.request_threaded_irq(5, null, null, 0, "x", 1), -EINVAL);
    assert.equal(gi.request_threaded_irq(200, handled, null, 0, "x", 1), -EINVAL, "no desc");
    gi.allocDesc(40); // desc without a chip
    assert.equal(gi.request_threaded_irq(40, handled, null, 0, "x", 1), -ENOSYS);
    gi.irq_modify_status(6, 0, IRQ_NOREQUEST);
    assert.equal(gi.request_threaded_irq(6, handled, null, 0, "x", 1), -EINVAL);
  });
});

Deno.test("request_threaded_irq refuses a NULL handler without IRQF_ONESHOT", () => {
  const b = new FakeBench(1, handle_level_irq);
  const r = b.call(() => b.gi.request_threaded_irq(5, null, handled, 0, "mydev", 1));
  assert.equal(r, -EINVAL);
  assert.deepEqual(lines(b), [
    "genirq: Threaded irq requested with handler=NULL and !ONESHOT for mydev (irq 5)",
  ]);
});

Deno.test("request_threaded_irq reports a flags mismatch on a shared line with -EBUSY", () => {
  const b = new FakeBench(1, handle_level_irq);
  b.call(() => {
    assert.equal(b.gi.request_threaded_irq(5, handled, null, 0, "first", 1), 0);
    assert.equal(b.gi.request_threaded_irq(5, handled, null, IRQF_SHARED, "second", 2), -EBUSY);
  });
  assert.deepEqual(lines(b), [
    "genirq: Flags mismatch irq 5. 00000080 (second) vs. 00000000 (first)",
  ]);
});

Deno.test("request_irq rejects a sharer with a different trigger type", () => {
  const b = new FakeBench(1, handle_edge_irq);
  b.call(() => {
    assert.equal(
      b.gi.request_threaded_irq(5, handled, null, IRQF_SHARED | IRQF_TRIGGER_RISING, "a", 1),
      0,
    );
    assert.equal(
      b.gi.request_threaded_irq(5, handled, null, IRQF_SHARED | IRQF_TRIGGER_FALLING, "b", 2),
      -EBUSY,
    );
  });
  assert.ok(b.chip.calls.includes("set_type 5 1"));
  assert.deepEqual(b.k.log.lines(), [
    "genirq: Flags mismatch irq 5. 00000082 (b) vs. 00000081 (a)",
  ]);
});

Deno.test("request_irq accepts a sharer's trigger when no type was ever set", () => {
  // __setup_irq: !irqd_trigger_type_was_set() -> the new action's type is taken
  const b = new FakeBench(1, handle_edge_irq);
  b.call(() => {
    assert.equal(b.gi.request_threaded_irq(5, handled, null, IRQF_SHARED, "a", 1), 0);
    assert.equal(
      b.gi.request_threaded_irq(5, handled, null, IRQF_SHARED | IRQF_TRIGGER_RISING, "b", 2),
      0,
    );
  });
});

Deno.test("IrqDesc.depth starts at 1, is 0 after request and 1 again after free_irq", () => {
  const b = new FakeBench(1, handle_level_irq);
  const desc = b.gi.irq_to_desc(5)!;
  assert.equal(desc.depth, 1);
  b.call(() => b.gi.request_threaded_irq(5, handled, null, 0, "a", 1));
  assert.equal(desc.depth, 0);
  b.call(() => b.gi.disable_irq_nosync(5));
  assert.equal(desc.depth, 1);
  assert.equal(b.call(() => b.gi.free_irq(5, 1)), "a");
  assert.ok(desc.depth >= 1);
  // irq_free_disabled_test: a new request starts at depth 0 again
  b.call(() => b.gi.request_threaded_irq(5, handled, null, 0, "a", 1));
  assert.equal(desc.depth, 0);
});

Deno.test("enable_irq at depth 0 warns Unbalanced enable for IRQ", () => {
  const b = new FakeBench(1, handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(5, handled, null, 0, "a", 1));
  b.call(() => b.gi.enable_irq(5));
  assert.ok(lines(b).includes("Unbalanced enable for IRQ 5"));
  assert.ok(
    lines(b).some((l) =>
      l.startsWith("WARNING: CPU: 0 PID: 0 at kernel/irq/manage.c __enable_irq")
    ),
  );
  assert.equal(b.gi.irq_to_desc(5)!.depth, 0);
});

Deno.test("disable_irq nests: two disables need two enables", () => {
  const b = new FakeBench(1, handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(5, handled, null, 0, "a", 1));
  b.call(() => {
    b.gi.disable_irq_nosync(5);
    b.gi.disable_irq_nosync(5);
    b.gi.enable_irq(5);
  });
  assert.equal(b.gi.irq_to_desc(5)!.depth, 1);
  assert.ok(b.gi.irq_to_desc(5)!.disabled);
  b.call(() => b.gi.enable_irq(5));
  assert.equal(b.gi.irq_to_desc(5)!.depth, 0);
  assert.ok(!b.gi.irq_to_desc(5)!.disabled);
});

Deno.test("free_irq of an unknown dev_id warns Trying to free already-free IRQ", () => {
  const b = new FakeBench(1, handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(5, handled, null, 0, "a", 1));
  assert.equal(b.call(() => b.gi.free_irq(5, 99)), null);
  assert.ok(lines(b).includes("Trying to free already-free IRQ 5"));
});

Deno.test("handle_level_irq masks and acks first and unmasks after the handlers", () => {
  const b = new FakeBench(1, handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(5, handled, null, 0, "a", 1));
  b.chip.calls.length = 0;
  b.fire(5);
  b.run(100_000);
  assert.deepEqual(b.chip.calls, ["mask 5", "ack 5", "unmask 5"]);
  assert.equal(b.gi.irq_to_desc(5)!.kstat_irqs[0], 1);
});

Deno.test("shared handlers are all called and their results OR-ed", () => {
  const b = new FakeBench(1, handle_level_irq);
  const called: string[] = [];
  b.call(() => {
    b.gi.request_threaded_irq(5, () => (called.push("a"), IRQ_NONE), null, IRQF_SHARED, "a", 1);
    b.gi.request_threaded_irq(5, () => (called.push("b"), IRQ_HANDLED), null, IRQF_SHARED, "b", 2);
  });
  b.fire(5);
  b.run(100_000);
  assert.deepEqual(called, ["a", "b"]);
  const desc = b.gi.irq_to_desc(5)!;
  assert.equal(desc.irqs_unhandled, 0, "OR of NONE and HANDLED is HANDLED");
  assert.equal(b.interrupts(), "           CPU0       \n  5:          1      fake      a, b\n");
});

Deno.test("disable_irq_nosync is lazy: the next edge masks, stays pending, and enable_irq replays it", () => {
  const b = new FakeBench(1, handle_edge_irq);
  let n = 0;
  b.call(() => b.gi.request_threaded_irq(5, () => (n++, IRQ_HANDLED), null, 0, "a", 1));
  b.call(() => b.gi.disable_irq_nosync(5));
  b.chip.calls.length = 0;
  assert.ok(!b.gi.irq_to_desc(5)!.masked, "hardware is not masked by disable_irq");
  b.fire(5);
  b.run(100_000);
  const desc = b.gi.irq_to_desc(5)!;
  assert.equal(n, 0);
  assert.equal(desc.kstat_irqs[0], 0, "not counted while disabled");
  assert.ok(desc.istate & IRQS_PENDING);
  assert.deepEqual(b.chip.calls, ["mask 5", "ack 5"]);
  b.call(() => b.gi.enable_irq(5));
  assert.deepEqual(b.chip.calls.slice(2), ["unmask 5", "retrigger 5"]);
  assert.ok(desc.istate & IRQS_REPLAY);
});

Deno.test("check_irq_resend never replays a level interrupt", () => {
  const b = new FakeBench(1, handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(5, handled, null, 0, "a", 1));
  const desc = b.gi.irq_to_desc(5)!;
  desc.status |= IRQ_LEVEL;
  desc.istate |= IRQS_PENDING;
  assert.equal(b.gi.check_irq_resend(desc, false), -EINVAL);
  assert.equal(desc.istate & IRQS_PENDING, 0);
  assert.ok(!b.chip.calls.includes("retrigger 5"));
});

Deno.test("note_interrupt disables an IRQ after 99901 of 100000 interrupts went unhandled", () => {
  const b = new FakeBench(1, handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(5, none, null, 0, "quiet", 1));
  for (let i = 0; i < 100000; i++) {
    b.fire(5);
    b.run(20_000);
  }
  const out = lines(b);
  assert.ok(
    out.includes('irq 5: nobody cared (try booting with the "irqpoll" option)'),
    out.slice(0, 5).join("\n"),
  );
  assert.ok(out.includes("Disabling IRQ #5"));
  assert.ok(out.some((l) => /^\[<[0-9a-f]{16}>\] none$/.test(l)), "handlers: list");
  const desc = b.gi.irq_to_desc(5)!;
  assert.equal(desc.depth, 1);
  assert.ok(desc.disabled);
});

Deno.test("note_interrupt keeps an IRQ with 99900 unhandled of 100000", () => {
  const b = new FakeBench(1, handle_level_irq);
  let i = 0;
  b.call(() =>
    b.gi.request_threaded_irq(5, () => (i++ < 100 ? IRQ_HANDLED : IRQ_NONE), null, 0, "q", 1)
  );
  for (let j = 0; j < 100000; j++) {
    b.fire(5);
    b.run(20_000);
  }
  assert.ok(!lines(b).some((l) => l.includes("nobody cared")));
  assert.ok(!b.gi.irq_to_desc(5)!.disabled);
});

Deno.test("IRQ_WAKE_THREAD without a thread function warns once", () => {
  const b = new FakeBench(1, handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(5, () => IRQ_WAKE_THREAD, null, 0, "nothr", 1));
  b.fire(5);
  b.run(100_000);
  b.fire(5);
  b.run(100_000);
  const warn = "IRQ 5 device nothr returned IRQ_WAKE_THREAD but no thread function available.";
  assert.equal(lines(b).filter((l) => l === warn).length, 1);
});

Deno.test("IRQF_ONESHOT keeps a level line masked until the irq thread returns", () => {
  const b = new FakeBench(1, handle_level_irq);
  let threadRuns = 0;
  function* thread_fn() {
    threadRuns++;
    yield mdelay(1);
    return IRQ_HANDLED;
  }
  b.call(() => b.gi.request_threaded_irq(5, null, thread_fn, IRQF_ONESHOT, "btn", 1));
  const desc = b.gi.irq_to_desc(5)!;
  const t = desc.action!.thread!;
  assert.equal(t.comm, "irq/5-btn");
  assert.equal(t.prio, 49, "SCHED_FIFO 50 prints as prio 49");
  b.chip.calls.length = 0;
  b.fire(5);
  b.run(500_000); // hardirq done, thread mid-mdelay
  assert.deepEqual(b.chip.calls, ["mask 5", "ack 5"], "still masked while the thread runs");
  assert.ok(desc.masked);
  b.run(2_000_000);
  assert.equal(threadRuns, 1);
  assert.deepEqual(b.chip.calls, ["mask 5", "ack 5", "unmask 5"]);
  assert.equal(desc.threads_active, 0);
});

Deno.test("irq thread wakeups coalesce while the thread is already woken", () => {
  const b = new FakeBench(1, handle_edge_irq);
  let runs = 0;
  function* thread_fn() {
    runs++;
    yield mdelay(1);
    return IRQ_HANDLED;
  }
  b.call(() => b.gi.request_threaded_irq(5, () => IRQ_WAKE_THREAD, thread_fn, 0, "e", 1));
  // two edges before the thread gets the CPU: one RUNTHREAD, one run
  b.fire(5);
  b.fire(5);
  b.run(5_000_000);
  assert.equal(b.gi.irq_to_desc(5)!.kstat_irqs[0], 2);
  assert.equal(runs, 1);
});

Deno.test("a generator handler's mdelay passes time inside the hardirq", () => {
  const b = new FakeBench(1, handle_fasteoi_irq);
  function* slow() {
    yield mdelay(2);
    return IRQ_HANDLED;
  }
  b.call(() => b.gi.request_threaded_irq(5, slow, null, 0, "slow", 1));
  b.fire(5);
  b.run(1_500_000);
  assert.ok(!b.chip.calls.includes("eoi 5"), "still in the handler at 1.5 ms");
  b.run(1_000_000);
  assert.ok(b.chip.calls.includes("eoi 5"));
});

Deno.test("msleep in a hardirq handler prints BUG: scheduling while atomic and halts", () => {
  const b = new FakeBench(1, handle_level_irq);
  function* sleepy() {
    yield msleep(10);
    return IRQ_HANDLED;
  }
  b.call(() => b.gi.request_threaded_irq(5, sleepy, null, 0, "sleepy", 1));
  b.fire(5);
  b.run(100_000_000);
  assert.ok(
    lines(b).includes("BUG: scheduling while atomic: swapper/0/0/0x00010001"),
    lines(b).join("\n"),
  );
  assert.ok(b.k.halted);
});

Deno.test("msleep in a hardirq handler continues with keepGoing", () => {
  const b = new FakeBench(1, handle_level_irq);
  b.k.keepGoing = true;
  let done = false;
  function* sleepy() {
    yield msleep(10);
    done = true;
    return IRQ_HANDLED;
  }
  b.call(() => b.gi.request_threaded_irq(5, sleepy, null, 0, "sleepy", 1));
  b.fire(5);
  b.run(100_000_000);
  assert.ok(!b.k.halted);
  assert.ok(done);
  assert.equal(b.k.bugs, 1);
});

Deno.test("showInterrupts prints the kernel's row layout", () => {
  const b = new FakeBench(2, handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(3, handled, null, 0, "dev3", 1));
  b.fire(3, 1);
  b.run(100_000);
  // prec 3: "%*d: " then "%10u " per CPU, " %8s" chip, " %*s" blank hwirq, "  %s" action
  assert.equal(
    b.interrupts(),
    "           CPU0       CPU1       \n" +
      "  3:          0          1      fake      dev3\n",
  );
});
