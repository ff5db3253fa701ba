import assert from "node:assert/strict";
import {
  dump_stack,
  GFP_ATOMIC,
  GFP_KERNEL,
  irqs_disabled_flags,
  kfree,
  kmalloc,
  local_irq_disable,
  local_irq_enable,
  local_irq_restore,
  local_irq_save,
  preempt_disable,
  preempt_enable,
} from "./api.ts";
import { type Body, DONE } from "../core/body.ts";
import type { Cpu } from "../core/cpu.ts";
import { dumpStackLines, symbolOffset } from "./dump_stack.ts";
import { kthread_run } from "./kthread.ts";
import type { Kernel } from "../core/kernel.ts";
import { testKernel } from "../tests/helpers.ts";

const MS = 1_000_000;

/** Run `fn` once as the body of a kthread named `comm`; returns the kernel log lines. */
function inKthread(k: Kernel, fn: () => void, comm = "worker"): string[] {
  k.enter(() => kthread_run(() => (fn(), 0), null, comm));
  for (const c of k.cpus) c.start();
  k.runUntil(1 * MS);
  return k.log.lines();
}

/** An interrupt entry whose body names two entry functions and calls `fn` once. */
function fakeEntry(fn: () => void): (cpu: Cpu) => Body {
  return (cpu) =>
    ({
      label: "entry",
      symbols: () => ["asm_common_interrupt", "common_interrupt"],
      step(c: Cpu) {
        c.setIntr(false);
        fn();
        return DONE;
      },
    } satisfies Body) as Body & { cpu?: Cpu } & { _?: typeof cpu };
}

Deno.test("symbolOffset gives the fixed 6.1 values of kernel functions and a stable, well-formed pair for others", () => {
  assert.equal(symbolOffset("dump_stack_lvl"), "+0x44/0x5c");
  assert.equal(symbolOffset("handle_level_irq"), "+0xa7/0x160");
  const a = symbolOffset("my_interrupt");
  assert.equal(a, symbolOffset("my_interrupt"), "same name, same offsets");
  const m = /^\+0x([0-9a-f]+)\/0x([0-9a-f]+)$/.exec(a);
  assert.ok(m, a);
  assert.ok(parseInt(m[1], 16) < parseInt(m[2], 16), "the offset lies inside the function");
});

Deno.test("dump_stack in a kthread prints the CPU line and a <TASK> trace, innermost first", () => {
  const k = testKernel();
  const lines = inKthread(k, () => dump_stack(), "worker");
  // lib/dump_stack.c dump_stack_print_info + arch/x86/kernel/dumpstack.c:
  // the kthread's own body names nothing, so under dump_stack_lvl come
  // kthread() and ret_from_fork(), outermost last.
  assert.deepEqual(lines, [
    "CPU: 0 PID: 2 Comm: worker Not tainted 6.1.0 #1",
    "Call Trace:",
    " <TASK>",
    " dump_stack_lvl+0x44/0x5c",
    " kthread+0xe6/0x110",
    " ret_from_fork+0x1f/0x30",
    " </TASK>",
  ]);
});

Deno.test("dump_stack from an interrupt prints the IRQ stack, then the interrupted task below asm_ entry", () => {
  const k = testKernel();
  let got: string[] = [];
  const cpu = k.cpus[0];
  cpu.arch = { irqEntry: fakeEntry(() => (got = dumpStackLines(k, k.thisCpu()))) };
  for (const c of k.cpus) c.start();
  k.runUntil(1 * MS);
  k.enter(() => cpu.setIntr(true));
  k.runUntil(2 * MS);
  // the idle task was interrupted: its chain (secondary_startup_64... default_idle)
  assert.deepEqual(got, [
    "CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.1.0 #1",
    "Call Trace:",
    " <IRQ>",
    " dump_stack_lvl+0x44/0x5c",
    " common_interrupt+0x9f/0xc0",
    " </IRQ>",
    " <TASK>",
    " asm_common_interrupt+0x22/0x40",
    " default_idle+0xa/0x10",
    " default_idle_call+0x33/0xe0",
    " do_idle+0x1f0/0x260",
    " cpu_startup_entry+0x1d/0x20",
    " rest_init+0xcd/0xd0",
    " arch_call_rest_init+0xa/0x14",
    " start_kernel+0x4a7/0x4c8",
    " secondary_startup_64_no_verify+0xe5/0xeb",
    " </TASK>",
  ]);
});

Deno.test("dump_stack on ARM prints the CPU line and says the trace is not modelled", () => {
  const k = testKernel(1, { arch: "arm" });
  const lines = inKthread(k, () => dump_stack());
  assert.equal(lines[0], "CPU: 0 PID: 2 Comm: worker Not tainted 6.1.0 #1");
  assert.ok(!lines.includes("Call Trace:"));
  assert.ok(lines.some((l) => l.includes("dump_stack() call trace on arm")), lines.join("\n"));
});

Deno.test("GFP_KERNEL and GFP_ATOMIC have the 6.1 values", () => {
  // include/linux/gfp_types.h: ___GFP_HIGH 0x20, IO 0x40, FS 0x80, ATOMIC 0x200,
  // DIRECT_RECLAIM 0x400, KSWAPD_RECLAIM 0x800
  assert.equal(GFP_KERNEL, 0x400 | 0x800 | 0x40 | 0x80);
  assert.equal(GFP_ATOMIC, 0x20 | 0x200 | 0x800);
});

Deno.test("kmalloc(GFP_KERNEL) in process context allocates without a report; kmalloc(0) is NULL", () => {
  const k = testKernel();
  let size = -1, zero: unknown = 1;
  const lines = inKthread(k, () => {
    const m = kmalloc(1024, GFP_KERNEL);
    size = m?.size ?? -1;
    kfree(m);
    zero = kmalloc(0, GFP_KERNEL);
  });
  assert.equal(size, 1024);
  assert.equal(zero, null);
  assert.deepEqual(lines, []);
});

Deno.test("kmalloc(GFP_KERNEL) in atomic context prints __might_resched's report; GFP_ATOMIC does not", () => {
  const k = testKernel();
  const lines = inKthread(k, () => {
    preempt_disable();
    kfree(kmalloc(64, GFP_ATOMIC));
    kfree(kmalloc(64, GFP_KERNEL));
    preempt_enable();
  });
  // kernel/sched/core.c __might_resched: preempt_count 1 (one preempt_disable),
  // irqs on (0), the kthread's pid and comm; then dump_stack with
  // __might_resched and the kmalloc path above dump_stack_lvl.
  assert.deepEqual(lines.slice(0, 3), [
    "BUG: sleeping function called from invalid context at include/linux/sched/mm.h:274",
    "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 2, name: worker",
    "preempt_count: 1, expected: 0",
  ]);
  assert.equal(lines[3], "CPU: 0 PID: 2 Comm: worker Not tainted 6.1.0 #1");
  assert.deepEqual(lines.slice(5, 10), [
    " <TASK>",
    " dump_stack_lvl+0x44/0x5c",
    " __might_resched+0x15a/0x1a0",
    " __kmem_cache_alloc_node+0x3d/0x2a0",
    " kmalloc_trace+0x26/0xa0",
  ]);
  assert.equal(lines.filter((l) => l.startsWith("BUG:")).length, 1);
});

Deno.test("__might_resched reports with IRQs off, at most once per HZ jiffies", () => {
  const k = testKernel();
  const bugs = () => k.log.lines().filter((l) => l.startsWith("BUG: sleeping"));
  k.enter(() =>
    kthread_run(
      () => {
        local_irq_disable();
        kmalloc(8, GFP_KERNEL); // reported at jiffies 0 (prev_jiffy becomes 0: next one not limited)
        local_irq_enable();
        return 0;
      },
      null,
      "a",
    )
  );
  for (const c of k.cpus) c.start();
  k.runUntil(1 * MS);
  assert.equal(bugs().length, 1);
  assert.ok(
    k.log.lines().includes("in_atomic(): 0, irqs_disabled(): 1, non_block: 0, pid: 2, name: a"),
  );
  // jiffies advance only with a tick source; set them by hand: 10, then 10 + HZ - 1, then 10 + HZ
  const again = (j: number) => {
    k.jiffies = j;
    k.enter(() =>
      kthread_run(
        () => {
          preempt_disable();
          kmalloc(8, GFP_KERNEL);
          preempt_enable();
          return 0;
        },
        null,
        "b",
      )
    );
    k.runUntil(k.now + 1 * MS);
  };
  again(10); // prev_jiffy was 0: "&& prev_jiffy" lets it through
  assert.equal(bugs().length, 2);
  again(10 + 250 - 1); // time_before(jiffies, prev + HZ): suppressed
  assert.equal(bugs().length, 2);
  again(10 + 250);
  assert.equal(bugs().length, 3);
});

Deno.test("local_irq_save returns EFLAGS with IF, nested saves see it clear, restore follows the flags", () => {
  const k = testKernel();
  const seen: number[] = [];
  inKthread(k, () => {
    const outer = local_irq_save();
    const inner = local_irq_save();
    seen.push(outer, inner, irqs_disabled_flags(outer), irqs_disabled_flags(inner));
    local_irq_restore(inner);
    seen.push(k.thisCpu().irqsDisabled ? 1 : 0);
    local_irq_restore(outer);
    seen.push(k.thisCpu().irqsDisabled ? 1 : 0);
  });
  // 0x246 = IF (0x200) | ZF (0x40) | PF (0x4) | bit 1; without IF: 0x46
  assert.deepEqual(seen, [0x246, 0x46, 0, 1, 1, 0]);
});

Deno.test("irqs_disabled_flags answers as each arch: x86 0/1, ARM and arm64 the I bit (128)", () => {
  for (const [arch, want] of [["x86", 1], ["arm", 128], ["arm64", 128]] as const) {
    const k = testKernel(1, { arch });
    let got = -1;
    inKthread(k, () => {
      const f = local_irq_save();
      got = irqs_disabled_flags(local_irq_save());
      local_irq_restore(f);
    });
    assert.equal(got, want, arch);
  }
});
