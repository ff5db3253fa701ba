import assert from "node:assert/strict";
import { mdelay, msleep } from "../../linux/api.ts";
import type { IoHandler } from "../../core/io.ts";
import type { Task } from "../../core/sched.ts";
import { LegacyPic } from "../i8259/linux.ts";
import { x86 } from "../x86/mod.ts";
import { FakeBench } from "./_fake.ts";
import { disable_irq, irq_set_irq_type } from "./api.ts";
import {
  EBUSY,
  EINVAL,
  ENOSYS,
  ENOTCONN,
  IRQ_DISABLE_UNLAZY,
  IRQ_HANDLED,
  IRQ_LEVEL,
  IRQ_NO_DEBUG,
  IRQ_NOAUTOEN,
  IRQ_NONE,
  IRQ_NOREQUEST,
  IRQ_NOTCONNECTED,
  IRQ_PER_CPU_DEVID,
  IRQ_TYPE_LEVEL_HIGH,
  IRQ_WAKE_THREAD,
  IRQCHIP_SET_TYPE_MASKED,
  IRQD_IRQ_INPROGRESS,
  IRQD_LEVEL,
  IRQD_TRIGGER_MASK,
  IRQF_ONESHOT,
  IRQF_SHARED,
  IRQF_TRIGGER_FALLING,
  IRQF_TRIGGER_RISING,
  IRQS_PENDING,
  IRQS_REPLAY,
  IRQTF_FORCED_THREAD,
  IRQTF_READY,
} from "./constants.ts";
import type { IrqData } from "./desc.ts";
import { handle_edge_irq, handle_fasteoi_irq, handle_level_irq } from "./flow.ts";
import { interruptsPrec, readProcIrq } from "./proc.ts";

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
  // The type must have been recorded by irqd_set_trigger_type() (as an irq
  // domain mapping with a type does); __irq_set_trigger() alone does not mark
  // it, and then __setup_irq lets the second sharer's type win (see the
  // "accepts a sharer's different trigger" test at the end).
  b.gi.irq_to_desc(5)!.irq_data.setTriggerType(IRQF_TRIGGER_RISING);
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

// ---- regressions from the v6.1 source review ----

/** The WARNING block of a WARN_ON/WARN_ON_ONCE (no message line) at `site`. */
function warnOnBlock(site: string): string[] {
  return [
    "------------[ cut here ]------------",
    `WARNING: CPU: 0 PID: 0 at ${site}`,
    "CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.1.0 #1",
    "---[ end trace 0000000000000000 ]---",
  ];
}

Deno.test("synchronize_irq returns once a hardirq on another CPU has finished", () => {
  // Bug: a disable_irq() waiter that found only IRQD_IRQ_INPROGRESS set
  // (no threads) was never woken; __synchronize_hardirq() waits just until
  // the running handler is done.
  const b = new FakeBench(2, handle_level_irq);
  function* slow() {
    yield mdelay(2);
    return IRQ_HANDLED;
  }
  b.call(() => b.gi.request_threaded_irq(5, slow, null, 0, "slow", 1));
  const desc = b.gi.irq_to_desc(5)!;
  b.fire(5, 1);
  b.run(500_000);
  assert.ok(desc.irq_data.state & IRQD_IRQ_INPROGRESS, "handler still running on CPU1");
  let inprogressAtReturn = -1;
  let returned = false;
  b.k.sched.create({
    comm: "disabler",
    cpu: 0,
    body: (function* () {
      yield disable_irq(5);
      returned = true;
      inprogressAtReturn = desc.irq_data.state & IRQD_IRQ_INPROGRESS;
      return 0;
    })(),
  });
  b.run(10_000_000);
  assert.ok(returned, "disable_irq() returned");
  assert.equal(inprogressAtReturn, 0, "not before the handler finished");
  assert.equal(desc.depth, 1);
});

Deno.test("__setup_irq accepts a sharer's different trigger when no type was recorded", () => {
  // Bug: __irq_set_trigger() counted as "trigger type was set"; only
  // irqd_set_trigger_type() sets IRQD_DEFAULT_TRIGGER_SET, so the second
  // sharer's type is inherited (no chip call) and only a third one is refused.
  const b = new FakeBench(1, handle_edge_irq);
  const d = b.gi.irq_to_desc(5)!.irq_data;
  b.call(() => {
    assert.equal(
      b.gi.request_threaded_irq(5, handled, null, IRQF_SHARED | IRQF_TRIGGER_RISING, "a", 1),
      0,
    );
    assert.equal(
      b.gi.request_threaded_irq(5, handled, null, IRQF_SHARED | IRQF_TRIGGER_FALLING, "b", 2),
      0,
    );
    assert.equal(d.state & IRQD_TRIGGER_MASK, IRQF_TRIGGER_FALLING);
    assert.equal(
      b.gi.request_threaded_irq(5, handled, null, IRQF_SHARED | IRQF_TRIGGER_RISING, "c", 3),
      -EBUSY,
    );
  });
  assert.deepEqual(b.chip.calls.filter((c) => c.startsWith("set_type")), ["set_type 5 1"]);
  assert.deepEqual(lines(b), [
    "genirq: Flags mismatch irq 5. 00000081 (c) vs. 00000081 (a)",
  ]);
});

Deno.test("__setup_irq allocates 64 IRQF_ONESHOT thread_mask bits on x86_64 and 32 on arm", () => {
  // Bug: thread_mask bits were limited to 32 (a JS int), but they are an
  // unsigned long: ffz() over BITS_PER_LONG, -EBUSY only when all are used.
  for (const [arch, bits] of [["x86", 64], ["arm", 32]] as const) {
    const b = new FakeBench(1, handle_level_irq, { arch });
    const flags = IRQF_SHARED | IRQF_ONESHOT;
    b.call(() => {
      for (let i = 0; i < bits; i++) {
        assert.equal(b.gi.request_threaded_irq(5, null, handled, flags, `d${i}`, i + 1), 0);
      }
      assert.equal(b.gi.request_threaded_irq(5, null, handled, flags, "extra", 999), -EBUSY);
    });
    const masks: bigint[] = [];
    for (let a = b.gi.irq_to_desc(5)!.action; a; a = a.next) masks.push(a.thread_mask);
    assert.equal(masks.length, bits);
    masks.forEach((m, i) => assert.equal(m, 1n << BigInt(i)));
    assert.deepEqual(lines(b), [], "no message for a full thread mask");
  }
});

Deno.test("disable_irq_nosync masks at once on an IRQ_DISABLE_UNLAZY desc and free_irq clears it", () => {
  // Bug: irq_disable() ignored IRQ_DISABLE_UNLAZY (irq_settings_disable_unlazy)
  // and __free_irq() did not clear it when the last action went.
  const b = new FakeBench(1, handle_edge_irq);
  b.call(() => b.gi.request_threaded_irq(5, handled, null, 0, "a", 1));
  b.gi.irq_modify_status(5, 0, IRQ_DISABLE_UNLAZY);
  b.chip.calls.length = 0;
  b.call(() => b.gi.disable_irq_nosync(5));
  const desc = b.gi.irq_to_desc(5)!;
  assert.deepEqual(b.chip.calls, ["mask 5"]);
  assert.ok(desc.masked && desc.disabled);
  b.call(() => b.gi.free_irq(5, 1));
  assert.equal(desc.status & IRQ_DISABLE_UNLAZY, 0);
});

Deno.test("__irq_set_trigger masks around irq_set_type for IRQCHIP_SET_TYPE_MASKED chips", () => {
  // Bug: IRQCHIP_SET_TYPE_MASKED was ignored: the kernel masks a started,
  // unmasked irq before irq_set_type and unmasks it after (not if disabled).
  const b = new FakeBench(1, handle_level_irq);
  b.chip.flags = IRQCHIP_SET_TYPE_MASKED;
  b.call(() => b.gi.request_threaded_irq(5, handled, null, IRQF_TRIGGER_RISING, "a", 1));
  // fresh desc: already masked and disabled -> no mask, no unmask around set_type
  assert.deepEqual(b.chip.calls, ["set_type 5 1", "unmask 5"]);
  b.chip.calls.length = 0;
  assert.equal(b.call(() => irq_set_irq_type(5, IRQ_TYPE_LEVEL_HIGH)), 0);
  assert.deepEqual(b.chip.calls, ["mask 5", "set_type 5 4", "unmask 5"]);
  const desc = b.gi.irq_to_desc(5)!;
  assert.ok(desc.status & IRQ_LEVEL);
  assert.ok(desc.irq_data.state & IRQD_LEVEL);
});

Deno.test("__irq_set_trigger keeps irq_data on IRQ_SET_MASK_OK_NOCOPY and fails on other codes", () => {
  // Bug: every non-negative irq_set_type() result was taken as "copy the
  // type"; NOCOPY (1) leaves irq_data to the chip, values above
  // IRQ_SET_MASK_OK_DONE (2) are errors with "Setting trigger mode" (%pS of irq_set_type).
  const b = new FakeBench(1, handle_level_irq);
  const desc = b.gi.irq_to_desc(5)!;
  let result = 1;
  b.chip.irq_set_type = function fake_set_type(_d: IrqData, _t: number) {
    return result;
  };
  assert.equal(b.call(() => irq_set_irq_type(5, IRQ_TYPE_LEVEL_HIGH)), 0);
  assert.equal(desc.irq_data.state & IRQD_TRIGGER_MASK, 0, "NOCOPY: not copied");
  assert.equal(desc.status & IRQ_LEVEL, 0);
  result = 3;
  assert.equal(b.call(() => irq_set_irq_type(5, IRQ_TYPE_LEVEL_HIGH)), 3);
  assert.deepEqual(lines(b), [
    "genirq: Setting trigger mode 4 for irq 5 failed (fake_set_type)",
  ]);
});

Deno.test("irq_setup_forced_threading gives the secondary action no flags and a plain irq_thread_fn", () => {
  // Bug: the secondary action copied the flags and IRQTF_FORCED_THREAD, so
  // its thread ran the driver's thread_fn with BHs and interrupts disabled.
  // It is kzalloc()ed: irq_thread() then picks irq_thread_fn().
  const b = new FakeBench(1, handle_level_irq, { threadirqs: true });
  const seen: { fn: string; irqsOff: boolean; bhOff: boolean }[] = [];
  const note = (fn: string) => {
    const cpu = b.k.thisCpu();
    seen.push({ fn, irqsOff: cpu.irqsDisabled, bhOff: (cpu.preemptCount & 0xff00) !== 0 });
  };
  const primary = () => (note("primary"), IRQ_WAKE_THREAD);
  const thread = () => (note("thread"), IRQ_HANDLED);
  b.call(() => b.gi.request_threaded_irq(5, primary, thread, 0, "dev", 1));
  const a = b.gi.irq_to_desc(5)!.action!;
  assert.equal(a.flags, IRQF_ONESHOT);
  assert.equal(a.thread_flags & IRQTF_FORCED_THREAD, IRQTF_FORCED_THREAD);
  assert.equal(a.secondary!.flags, 0);
  assert.equal(a.secondary!.thread_flags, 0);
  assert.equal(a.secondary!.thread!.comm, "irq/5-s-dev");
  b.run(100_000);
  b.fire(5);
  b.run(2_000_000);
  assert.deepEqual(seen, [
    { fn: "primary", irqsOff: true, bhOff: true },
    { fn: "thread", irqsOff: false, bhOff: false },
  ]);
});

Deno.test("request_threaded_irq creates the irq thread before its checks and stops it on failure", () => {
  // Bug: a refused request never created its kthread; __setup_irq() creates
  // it (using a pid) before the sharing/ONESHOT checks and kthread_stop()s it.
  const b = new FakeBench(1, handle_level_irq);
  assert.equal(b.call(() => b.gi.request_threaded_irq(5, null, handled, 0, "x", 1)), -EINVAL);
  b.run(100_000);
  const failed = b.k.sched.tasks.find((t) => t.comm === "irq/5-x")!;
  assert.ok(failed, "the thread was created");
  assert.equal(failed.state, "X", "and has exited");
  b.call(() => b.gi.request_threaded_irq(5, null, handled, IRQF_ONESHOT, "y", 1));
  assert.equal(b.gi.irq_to_desc(5)!.action!.thread!.pid, failed.pid + 1);
});

Deno.test("request_threaded_irq wakes the new irq thread once, which then sleeps", () => {
  // Bug: the thread stayed asleep from kthread_create(); __setup_irq()'s
  // wake_up_and_wait_for_irq_thread_ready() (v5.18+) wakes it, it sets
  // IRQTF_READY and sleeps in irq_wait_for_interrupt().
  const b = new FakeBench(1, handle_level_irq);
  const switchedTo: string[] = [];
  b.k.sched.onSwitch.push((s) => switchedTo.push(s.next.comm));
  b.call(() => b.gi.request_threaded_irq(5, null, handled, IRQF_ONESHOT, "btn", 1));
  b.run(100_000);
  const t: Task = b.gi.irq_to_desc(5)!.action!.thread!;
  assert.deepEqual(switchedTo, ["irq/5-btn", "swapper/0"]);
  assert.equal(t.state, "S");
  assert.equal(b.gi.irq_to_desc(5)!.action!.thread_flags & IRQTF_READY, IRQTF_READY);
  assert.equal(b.gi.irq_to_desc(5)!.threads_active, 0);
});

Deno.test("enable_irq after free_irq warns in __irq_startup and never says before setup", () => {
  // Bug: enable_irq() warned "enable_irq before setup/request_irq" for a desc
  // with no_irq_chip (that WARN is for a NULL chip only) and started a freed
  // irq silently; __irq_startup() has WARN_ON_ONCE(!irqd_is_activated(d)).
  const b = new FakeBench(1, handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(5, handled, null, 0, "a", 1));
  b.call(() => b.gi.free_irq(5, 1));
  b.call(() => b.gi.enable_irq(5));
  assert.deepEqual(lines(b), warnOnBlock("kernel/irq/chip.c __irq_startup"));
  assert.equal(b.gi.irq_to_desc(5)!.depth, 0);
  b.gi.allocDesc(40); // no chip
  b.call(() => b.gi.enable_irq(40));
  assert.equal(b.gi.irq_to_desc(40)!.depth, 0, "__enable_irq went on (no_irq_chip ops are no-ops)");
  assert.ok(!lines(b).some((l) => l.includes("enable_irq before setup")));
  assert.equal(lines(b).length, 4, "WARN_ON_ONCE: reported once");
});

Deno.test("__setup_irq warns once for IRQF_SHARED on an IRQ_NOAUTOEN desc and keeps depth 1", () => {
  // Bug: the WARN_ON_ONCE(new->flags & IRQF_SHARED) of the no-autoenable
  // branch was missing.
  const b = new FakeBench(1, handle_level_irq);
  b.gi.irq_modify_status(5, 0, IRQ_NOAUTOEN);
  assert.equal(b.call(() => b.gi.request_threaded_irq(5, handled, null, IRQF_SHARED, "s", 1)), 0);
  assert.deepEqual(lines(b), warnOnBlock("kernel/irq/manage.c __setup_irq"));
  const desc = b.gi.irq_to_desc(5)!;
  assert.equal(desc.depth, 1);
  assert.ok(desc.disabled);
});

Deno.test("__handle_irq_event_percpu WARN_ONCE enabled interrupts fires once for all irqs", () => {
  // Bug: the WARN_ONCE was kept per irq; WARN_ONCE has one static flag per
  // call site, so a second offending irq prints nothing.
  const b = new FakeBench(1, handle_level_irq);
  function sti_handler() {
    b.k.thisCpu().irqsDisabled = false;
    return IRQ_HANDLED;
  }
  b.call(() => {
    b.gi.request_threaded_irq(5, sti_handler, null, 0, "a", 1);
    b.gi.request_threaded_irq(6, sti_handler, null, 0, "b", 2);
  });
  b.fire(5);
  b.run(100_000);
  b.fire(6);
  b.run(100_000);
  const warns = lines(b).filter((l) => l.endsWith("enabled interrupts"));
  assert.deepEqual(warns, ["irq 5 handler sti_handler enabled interrupts"]);
});

Deno.test("note_interrupt counts irq_count only once an interrupt went unhandled", () => {
  // Bug: irq_count grew on every interrupt; since 7c07012eb1be (v5.13)
  // note_interrupt() returns early while irqs_unhandled is 0.
  const b = new FakeBench(1, handle_level_irq);
  let ret = IRQ_HANDLED;
  b.call(() => b.gi.request_threaded_irq(5, () => ret, null, 0, "d", 1));
  for (let i = 0; i < 10; i++) {
    b.fire(5);
    b.run(100_000);
  }
  const spurious = () => readProcIrq(b.gi, b.k, 5, "spurious");
  assert.equal(spurious(), "count 0\nunhandled 0\nlast_unhandled 0 ms\n");
  ret = IRQ_NONE;
  b.fire(5);
  b.run(100_000);
  ret = IRQ_HANDLED;
  b.fire(5);
  b.run(100_000);
  assert.equal(spurious(), "count 2\nunhandled 1\nlast_unhandled 0 ms\n");
});

Deno.test("__report_bad_irq prints a negative bogus return value as unsigned hex", () => {
  // Bug: a negative return was reported as "nobody cared" (and would have
  // printed as "-4"); bad_action_ret() compares it as unsigned, so it is a
  // bogus value, printed with %x.
  const b = new FakeBench(1, handle_level_irq);
  // -4: bit 1 (IRQ_WAKE_THREAD) clear, so the dispatch loop has nothing to wake
  b.call(() => b.gi.request_threaded_irq(5, () => -4, null, 0, "neg", 1));
  b.fire(5);
  b.run(100_000);
  assert.equal(lines(b)[0], "irq event 5: bogus return value fffffffc");
});

Deno.test("readProcIrq serves /proc/irq/N for every desc with a chip, requested or not", () => {
  // Bug: /proc/irq/N only existed after a request; init_irq_proc() registers
  // every desc at boot (register_irq_proc skips only no_irq_chip). Also:
  // affinity_hint was missing and the effective affinity of a chip that
  // never routes the irq is empty (desc_smp_init clears it).
  const b = new FakeBench(2, handle_level_irq);
  b.gi.allocDesc(40); // no chip
  assert.equal(readProcIrq(b.gi, b.k, 3, "smp_affinity"), "3\n");
  assert.equal(readProcIrq(b.gi, b.k, 3, "smp_affinity_list"), "0-1\n");
  assert.equal(readProcIrq(b.gi, b.k, 3, "affinity_hint"), "0\n");
  assert.equal(readProcIrq(b.gi, b.k, 3, "effective_affinity"), "0\n");
  assert.equal(readProcIrq(b.gi, b.k, 3, "effective_affinity_list"), "\n");
  assert.equal(readProcIrq(b.gi, b.k, 40, "smp_affinity"), undefined);
});

Deno.test("irq_wake_secondary warns once when a thread_fn returns IRQ_WAKE_THREAD without a secondary", () => {
  // Bug: irq_thread() silently ignored IRQ_WAKE_THREAD from a thread without
  // a secondary action; irq_wake_secondary() has WARN_ON_ONCE(!secondary).
  const b = new FakeBench(1, handle_edge_irq);
  b.call(() =>
    b.gi.request_threaded_irq(5, () => IRQ_WAKE_THREAD, () => IRQ_WAKE_THREAD, 0, "w", 1)
  );
  for (let i = 0; i < 2; i++) {
    b.fire(5);
    b.run(1_000_000);
  }
  assert.deepEqual(
    lines(b).filter((l) => l.startsWith("WARNING")),
    ["WARNING: CPU: 0 PID: 2 at kernel/irq/manage.c irq_wake_secondary"],
  );
  assert.equal(b.gi.irq_to_desc(5)!.threads_active, 0);
});

Deno.test("handle_bad_irq prints the desc (print_irq_desc) before ack_bad_irq", () => {
  // Bug: handle_bad_irq only printed ack_bad_irq's line; print_irq_desc()
  // (kernel/irq/debug.h) comes first.
  const b = new FakeBench(1);
  b.gi.allocDesc(7); // handle_bad_irq, no_irq_chip, no action
  b.fire(7);
  b.run(100_000);
  const out = lines(b);
  assert.equal(out.length, 5, out.join("\n"));
  assert.match(out[0], /^irq 7, desc: [0-9a-f]{16}, depth: 1, count: 0, unhandled: 0$/);
  assert.match(out[1], /^->handle_irq\(\): {2}[0-9a-f]{16}, handle_bad_irq$/);
  assert.match(out[2], /^->irq_data\.chip\(\): [0-9a-f]{16}, no_irq_chip$/);
  assert.equal(out[3], "->action(): 0000000000000000");
  assert.equal(out[4], "unexpected IRQ trap at vector 07");
  assert.equal(b.gi.irq_to_desc(7)!.kstat_irqs[0], 1);
});

Deno.test("free_irq lets a woken thread finish its pending run, then the thread exits", () => {
  // Pins kthread_stop() semantics in __free_irq(): irq_wait_for_interrupt()
  // runs a pending IRQTF_RUNTHREAD once more before returning -1.
  const b = new FakeBench(1, handle_level_irq);
  let runs = 0;
  b.call(() =>
    b.gi.request_threaded_irq(5, null, () => (runs++, IRQ_HANDLED), IRQF_ONESHOT, "t", 1)
  );
  b.run(100_000);
  const desc = b.gi.irq_to_desc(5)!;
  const t = desc.action!.thread!;
  // hardirq only: the thread is woken but has not run yet
  b.fire(5);
  b.run(3_000); // irq entry + handler, not yet the thread
  assert.equal(desc.threads_active, 1);
  assert.equal(b.call(() => b.gi.free_irq(5, 1)), "t");
  b.run(1_000_000);
  assert.equal(runs, 1);
  assert.equal(t.state, "X");
  assert.equal(desc.threads_active, 0);
  assert.equal(desc.threads_oneshot, 0);
  assert.ok(desc.masked && desc.disabled, "shut down, and not unmasked by the thread");
});

Deno.test("arch_probe_nr_irqs sizes nr_irqs as the x86 kernel does", () => {
  // Bug: the 8 * nr_cpu_ids for MSI when gsi_top <= NR_IRQS_LEGACY and the
  // NR_VECTORS * nr_cpu_ids cap were missing.
  const cases: [number, number, number][] = [
    // [cpus, gsi_top, nr_irqs]: (gsi_top + 16) + 8n + (gsi_top <= 16 ? 8n : 16 * gsi_top), capped at 256n
    [1, 0, 32],
    [1, 24, 256],
    [4, 24, 456],
    [64, 0, 1040],
  ];
  for (const [cpus, gsi_top, nr] of cases) {
    const b = new FakeBench(cpus);
    x86({ gsi_top }).setup!({ kernel: b.k } as never);
    assert.equal(b.gi.nr_irqs, nr, `${cpus} CPUs, gsi_top ${gsi_top}`);
  }
  assert.equal(interruptsPrec(1040), 4);
});

Deno.test("init_8259A writes the ICWs with outb_pic (outb + udelay(2))", () => {
  // Bug: the ICW writes used plain outb; outb_pic() adds udelay(2) after each.
  const b = new FakeBench(1);
  const at: number[] = [];
  const cpu = b.k.cpus[0];
  const sink: IoHandler = { read: () => 0, write: () => void at.push(cpu.accum) };
  b.k.ports.map(0x20, 2, sink, "test");
  b.k.ports.map(0xa0, 2, sink, "test");
  const pic = new LegacyPic(b.k);
  b.k.currentCpu = cpu;
  try {
    b.call(() => pic.init());
  } finally {
    b.k.currentCpu = undefined;
  }
  const deltas = at.slice(1).map((v, i) => v - at[i]);
  // port I/O 1000 ns each (TEST_COSTS); ICW1..ICW4 of both chips + 2000 ns; udelay(100) before the restores
  assert.deepEqual(deltas, [1000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 103000, 1000]);
});

Deno.test("irq_set_irq_type refuses a per-CPU-devid irq with -EINVAL", () => {
  // Bug: irq_get_desc_buslock(..., IRQ_GET_DESC_CHECK_GLOBAL) finds no desc for
  // an IRQ_PER_CPU_DEVID irq, so irq_set_irq_type() returns -EINVAL without
  // touching the chip; the same check made disable_irq_nosync/enable_irq no-ops.
  const b = new FakeBench(1, handle_level_irq);
  b.gi.irq_modify_status(5, 0, IRQ_PER_CPU_DEVID);
  assert.equal(b.call(() => irq_set_irq_type(5, IRQ_TYPE_LEVEL_HIGH)), -EINVAL);
  assert.equal(b.call(() => b.gi.disable_irq_nosync(5)), -EINVAL);
  b.call(() => b.gi.enable_irq(5));
  assert.deepEqual(b.chip.calls, []);
  assert.equal(b.gi.irq_to_desc(5)!.depth, 1);
});

Deno.test("irq_modify_status mirrors IRQ_LEVEL into IRQD_LEVEL and warns on NOAUTOEN of an active irq", () => {
  // Bug: irq_modify_status() only flipped the settings bits; the kernel
  // recomputes the IRQD_* mirrors (IRQD_LEVEL, IRQD_PER_CPU...), ignores
  // bits outside IRQF_MODIFY_MASK (IRQ_NO_DEBUG) and has
  // WARN_ON_ONCE(!desc->depth && (set & _IRQ_NOAUTOEN)).
  const b = new FakeBench(1, handle_level_irq);
  const desc = b.gi.irq_to_desc(5)!;
  b.gi.irq_modify_status(5, 0, IRQ_LEVEL | IRQ_NO_DEBUG);
  assert.ok(desc.irq_data.state & IRQD_LEVEL);
  assert.equal(desc.status & IRQ_NO_DEBUG, 0);
  b.gi.irq_modify_status(5, IRQ_LEVEL, 0);
  assert.equal(desc.irq_data.state & IRQD_LEVEL, 0);
  assert.deepEqual(lines(b), []);
  b.call(() => b.gi.request_threaded_irq(5, handled, null, 0, "a", 1));
  b.gi.irq_modify_status(5, 0, IRQ_NOAUTOEN);
  assert.deepEqual(lines(b), warnOnBlock("kernel/irq/chip.c irq_modify_status"));
});

// Regression: the flow woke the thread for any result with the WAKE_THREAD bit
// (3 = HANDLED|WAKE_THREAD); __handle_irq_event_percpu switches on the exact value.
Deno.test("__handle_irq_event_percpu wakes the thread only for exactly IRQ_WAKE_THREAD", () => {
  const b = new FakeBench(1, handle_edge_irq);
  let runs = 0;
  function* thread_fn() {
    runs++;
    yield mdelay(1);
    return IRQ_HANDLED;
  }
  b.call(() =>
    b.gi.request_threaded_irq(5, () => IRQ_HANDLED | IRQ_WAKE_THREAD, thread_fn, 0, "t", 1)
  );
  b.fire(5);
  b.run(5_000_000);
  assert.equal(runs, 0);
  assert.ok(!lines(b).some((l) => l.includes("returned IRQ_WAKE_THREAD")));
});

// Regression: msleep() called from a plain (non-generator) hardirq handler was
// silently ignored; the kernel reports it as scheduling while atomic.
Deno.test("msleep in a plain hardirq handler prints BUG: scheduling while atomic", () => {
  const b = new FakeBench(1, handle_level_irq);
  b.call(() =>
    b.gi.request_threaded_irq(
      5,
      () => {
        msleep(10);
        return IRQ_HANDLED;
      },
      null,
      0,
      "plain",
      1,
    )
  );
  b.fire(5);
  b.run(100_000_000);
  assert.ok(lines(b).includes("BUG: scheduling while atomic: swapper/0/0/0x00010001"));
  assert.ok(b.k.halted);
});

Deno.test("msleep called without yield in task context spins and says it cannot sleep, once", () => {
  const b = new FakeBench(1);
  let done = 0;
  const body = (function* () {
    (() => msleep(10))(); // a plain helper function sleeps: it cannot suspend
    done = b.k.now;
    yield mdelay(0);
    (() => msleep(10))();
  })();
  b.k.sched.create({ comm: "plain", body, kthread: false });
  b.run(200_000_000);
  const notice = lines(b).filter((l) =>
    l.startsWith("irqlab: not implemented: msleep() in a plain function body")
  );
  assert.equal(notice.length, 1);
  assert.ok(!b.k.halted);
  assert.ok(done > 0);
});

Deno.test("irq_create_mapping allocates Linux IRQs for hwirqs and /proc/interrupts prints the hwirq", () => {
  const b = new FakeBench(1);
  const dom = b.gi.addDomain("fake-domain", b.chip);
  const irqA = b.gi.irq_create_mapping(dom, 17, 40);
  const irqB = b.gi.irq_create_mapping(dom, 3, 40);
  assert.equal(irqA, 40, "first free IRQ from the base");
  assert.equal(irqB, 41);
  assert.equal(b.gi.irq_create_mapping(dom, 17, 40), 40, "a mapping is made once");
  assert.equal(dom.findMapping(3), 41);
  assert.equal(dom.findMapping(99), 0, "irq_find_mapping gives 0 for no mapping");
  b.gi.irq_set_chip_and_handler_name(irqA, b.chip, handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(irqA, handled, null, 0, "mapped", 1));
  // with a domain the hwirq column is " %*lu" (prec 3): "  17"
  assert.match(b.interrupts(), /\n 40: {10}0 {6}fake {2}17 {2}mapped\n/);
});
