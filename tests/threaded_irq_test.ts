/**
 * Threaded interrupts (kernel/irq/manage.c, kernel/irq/chip.c; reference
 * §1.7), each rule pinned against genirq on the fake chip, plus forced
 * threading (`threadirqs`) running the ex-primary with BH disabled, where a
 * raised softirq runs at the thread's local_bh_enable() (softirq plugin).
 *
 * Times come from TEST_COSTS: handler_ns 1000, context switch 2000.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  current,
  in_hardirq,
  in_interrupt,
  in_serving_softirq,
  in_softirq,
  in_task,
  irqs_disabled,
  mdelay,
  preempt_count,
} from "../linux/api.ts";
import type { KernelConfig } from "../core/kernel.ts";
import { FakeBench } from "../plugins/genirq/_fake.ts";
import {
  EINVAL,
  irq_default_primary_handler,
  IRQ_HANDLED,
  IRQ_NONE,
  IRQ_NOTHREAD,
  IRQ_WAKE_THREAD,
  IRQF_NO_THREAD,
  IRQF_ONESHOT,
  IRQF_PERCPU,
  IRQTF_FORCED_THREAD,
} from "../plugins/genirq/mod.ts";
import {
  type FlowHandler,
  handle_edge_irq,
  handle_fasteoi_irq,
  handle_level_irq,
} from "../plugins/genirq/flow.ts";
import {
  NET_RX_SOFTIRQ,
  open_softirq,
  raise_softirq,
  softirq,
  SoftirqKey,
} from "../plugins/softirq/mod.ts";

function bench(flow: FlowHandler, config: Partial<KernelConfig> = {}): FakeBench {
  const b = new FakeBench(1, flow, config);
  const p = softirq();
  p.setup({ kernel: b.k, defineDevice: () => {} });
  p.start?.(b.k);
  return b;
}

function* oneMs() {
  yield mdelay(1);
  return IRQ_HANDLED;
}

Deno.test("irq thread comm is irq/%d-%s cut to 15 characters (TASK_COMM_LEN 16)", () => {
  const b = bench(handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(11, null, oneMs, IRQF_ONESHOT, "my_long_device", 1));
  // "irq/11-my_long_device" is 21 characters; comm keeps the first 15
  assert.equal(b.gi.irq_to_desc(11)!.action!.thread!.comm, "irq/11-my_long_");
});

Deno.test("irq thread is SCHED_FIFO rt_priority 50 (sched_set_fifo), kernel prio 49", () => {
  const b = bench(handle_level_irq);
  b.call(() => b.gi.request_threaded_irq(5, null, oneMs, IRQF_ONESHOT, "x", 1));
  const t = b.gi.irq_to_desc(5)!.action!.thread!;
  assert.equal(t.policy, "fifo");
  assert.equal(t.rtPriority, 50);
  assert.equal(t.prio, 49);
});

Deno.test("request_threaded_irq with a NULL handler installs irq_default_primary_handler", () => {
  const b = bench(handle_level_irq);
  assert.equal(b.call(() => b.gi.request_threaded_irq(5, null, oneMs, IRQF_ONESHOT, "x", 1)), 0);
  const a = b.gi.irq_to_desc(5)!.action!;
  assert.equal(a.handler, irq_default_primary_handler);
  assert.equal(irq_default_primary_handler(5, 1), IRQ_WAKE_THREAD);
});

Deno.test("request_threaded_irq with a NULL handler and no IRQF_ONESHOT fails with -EINVAL", () => {
  const b = bench(handle_level_irq);
  assert.equal(b.call(() => b.gi.request_threaded_irq(5, null, oneMs, 0, "x", 1)), -EINVAL);
  assert.equal(b.gi.irq_to_desc(5)!.action, null);
});

Deno.test("a primary handler returning IRQ_NONE never wakes the irq thread", () => {
  const b = bench(handle_edge_irq);
  let runs = 0;
  function* thread_fn() {
    runs++;
    yield mdelay(1);
    return IRQ_HANDLED;
  }
  b.call(() => b.gi.request_threaded_irq(5, () => IRQ_NONE, thread_fn, 0, "t", 1));
  b.run(100_000); // the new thread's READY wake-up settles
  b.fire(5);
  b.run(5_000_000);
  assert.equal(runs, 0);
  assert.equal(b.gi.irq_to_desc(5)!.action!.thread!.state, "S");
});

Deno.test("thread_fn runs in process context: in_task, not in_interrupt, irqs enabled", () => {
  const b = bench(handle_edge_irq);
  const seen: unknown[] = [];
  function thread_fn() {
    seen.push([current().comm, in_task(), in_interrupt(), irqs_disabled(), preempt_count()]);
    return IRQ_HANDLED;
  }
  b.call(() => b.gi.request_threaded_irq(5, () => IRQ_WAKE_THREAD, thread_fn, 0, "t", 1));
  b.fire(5);
  b.run(1_000_000);
  assert.deepEqual(seen, [["irq/5-t", true, false, false, 0]]);
});

/** Chip calls of one ONESHOT interrupt: during the thread's 1 ms, then after it. */
function oneshotCalls(flow: FlowHandler): { during: string[]; after: string[] } {
  const b = bench(flow);
  b.call(() => b.gi.request_threaded_irq(5, null, oneMs, IRQF_ONESHOT, "os", 1));
  b.run(100_000);
  b.chip.calls.length = 0;
  b.fire(5);
  b.run(500_000); // hardirq done, thread mid-mdelay
  const during = [...b.chip.calls];
  b.run(2_000_000);
  return { during, after: [...b.chip.calls] };
}

Deno.test("IRQF_ONESHOT on a fasteoi line masks before the handlers and unmasks after the thread", () => {
  const { during, after } = oneshotCalls(handle_fasteoi_irq);
  // handle_fasteoi_irq: mask_irq when IRQS_ONESHOT, handlers, cond_unmask_eoi_irq
  // (eoi only, no unmask while threads_oneshot is set); irq_finalize_oneshot unmasks
  assert.deepEqual(during, ["mask 5", "eoi 5"]);
  assert.deepEqual(after, ["mask 5", "eoi 5", "unmask 5"]);
});

Deno.test("IRQF_ONESHOT on an edge line never masks it", () => {
  const { during, after } = oneshotCalls(handle_edge_irq);
  // handle_edge_irq only acks; irq_finalize_oneshot unmasks only a masked line
  assert.deepEqual(during, ["ack 5"]);
  assert.deepEqual(after, ["ack 5"]);
});

Deno.test("IRQ_WAKE_THREAD while the thread runs sets RUNTHREAD again: one more run, not two", () => {
  const b = bench(handle_edge_irq);
  let runs = 0;
  function* thread_fn() {
    runs++;
    yield mdelay(1);
    return IRQ_HANDLED;
  }
  b.call(() => b.gi.request_threaded_irq(5, () => IRQ_WAKE_THREAD, thread_fn, 0, "c", 1));
  b.fire(5);
  b.run(500_000); // thread mid-run
  b.fire(5);
  b.fire(5); // coalesces with the previous one
  b.run(10_000_000);
  assert.equal(b.gi.irq_to_desc(5)!.kstat_irqs[0], 3);
  assert.equal(runs, 2);
});

Deno.test("threadirqs forces a plain handler into irq/%d-%s with the default primary", () => {
  const b = bench(handle_edge_irq, { threadirqs: true });
  const h = () => IRQ_HANDLED;
  b.call(() => b.gi.request_threaded_irq(5, h, null, 0, "forced", 1));
  const a = b.gi.irq_to_desc(5)!.action!;
  assert.equal(a.handler, irq_default_primary_handler);
  assert.equal(a.thread_fn, h);
  assert.ok(a.flags & IRQF_ONESHOT, "irq_setup_forced_threading sets IRQF_ONESHOT");
  assert.ok(a.thread_flags & IRQTF_FORCED_THREAD);
  assert.equal(a.thread!.comm, "irq/5-forced");
});

Deno.test("threadirqs leaves IRQF_NO_THREAD, IRQF_PERCPU, IRQF_ONESHOT and IRQ_NOTHREAD requests alone", () => {
  const b = bench(handle_edge_irq, { threadirqs: true });
  const h = () => IRQ_HANDLED;
  b.call(() => b.gi.request_threaded_irq(5, h, null, IRQF_NO_THREAD, "nothr", 1));
  b.call(() => b.gi.request_threaded_irq(6, h, null, IRQF_PERCPU, "percpu", 1));
  b.call(() => b.gi.request_threaded_irq(7, h, oneMs, IRQF_ONESHOT, "oneshot", 1));
  b.call(() => b.gi.irq_modify_status(8, 0, IRQ_NOTHREAD));
  b.call(() => b.gi.request_threaded_irq(8, h, null, 0, "chained", 1));
  for (const irq of [5, 6, 8]) {
    const a = b.gi.irq_to_desc(irq)!.action!;
    assert.equal(a.handler, h, `IRQ ${irq} keeps its primary`);
    assert.equal(a.thread, undefined, `IRQ ${irq} gets no thread`);
    assert.equal(a.thread_flags & IRQTF_FORCED_THREAD, 0);
  }
  const a7 = b.gi.irq_to_desc(7)!.action!;
  assert.equal(a7.handler, h, "an IRQF_ONESHOT request keeps its primary");
  assert.equal(a7.thread_fn, oneMs);
  assert.equal(a7.thread_flags & IRQTF_FORCED_THREAD, 0);
});

Deno.test("a forced-threaded handler runs with BH and irqs disabled; its softirq runs at local_bh_enable in the thread", () => {
  const b = bench(handle_edge_irq, { threadirqs: true });
  const seen: unknown[] = [];
  b.call(() =>
    open_softirq(NET_RX_SOFTIRQ, () => {
      seen.push(["NET_RX", current().comm, in_serving_softirq(), preempt_count().toString(16)]);
    })
  );
  function handler() {
    seen.push([
      "handler",
      current().comm,
      in_hardirq(),
      in_softirq(),
      in_interrupt(),
      irqs_disabled(),
    ]);
    raise_softirq(NET_RX_SOFTIRQ); // BH disabled: only sets the bit
    return IRQ_HANDLED;
  }
  b.call(() => b.gi.request_threaded_irq(5, handler, null, 0, "fdev", 1));
  b.fire(5);
  b.run(1_000_000);
  // irq_forced_thread_fn(): local_bh_disable(); local_irq_disable(); handler;
  // local_irq_enable(); local_bh_enable() runs NET_RX here with preempt 0x101
  assert.deepEqual(seen, [
    ["handler", "irq/5-fdev", false, true, true, true],
    ["NET_RX", "irq/5-fdev", true, "101"],
  ]);
  const s = b.k.bus.get(SoftirqKey);
  assert.equal(s.ksoftirqd[0]!.state, "S", "ksoftirqd never woken");
  assert.equal(b.k.cpus[0].preemptCount, 0);
});

Deno.test("threadirqs does not rescue a NULL handler without IRQF_ONESHOT: still -EINVAL", () => {
  // irq_setup_forced_threading() returns early for irq_default_primary_handler,
  // so __setup_irq's handler=NULL && !ONESHOT check still refuses it
  const b = bench(handle_level_irq, { threadirqs: true });
  assert.equal(b.call(() => b.gi.request_threaded_irq(5, null, oneMs, 0, "x", 1)), -EINVAL);
  assert.ok(
    b.k.log.lines().some((l) =>
      l.includes("genirq: Threaded irq requested with handler=NULL and !ONESHOT for x (irq 5)")
    ),
  );
});
