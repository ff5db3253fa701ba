/**
 * Per-machine facts of the genirq lab scenarios (scenarios/*.yaml), which
 * themselves only say what holds on every machine they run on (patterns:
 * which millisecond, which order, `swapper\/\d`). Here each machine's exact
 * lines are pinned.
 *
 * pc.yaml (one 800 MHz CPU, the i8259 pair): the times are the ones the
 * scenario files pinned before they became portable (carried over, not
 * re-derived to the microsecond). Their shape: an i8042 byte reaches the
 * output buffer 1 ms after the stimulus (the PS/2 wire); irq entry (1.2 µs)
 * and the XT-PIC's mask_and_ack put the first handler, i8042's, at
 * +1 µs, and it takes about 8 µs (two ISA port reads at 1 µs each, its own
 * work), so a lone observer prints at +8 µs (0.101008 for a byte at
 * 0.101); each printk costs 4 µs and a plain handler 1 µs, so the next
 * observer prints 5 µs later (observer_b at 0.021013). An msleep(n) in
 * process context sleeps msecs_to_jiffies(n) + 1 jiffies and calc_index()
 * (kernel/time/timer.c) rounds the expiry up to the next bucket, one more
 * 4 ms jiffy at HZ=250: the 0.1xx/0.2xx s times of the msleep-ing modules.
 *
 * x86.yaml (4 CPUs, IO-APIC): the vector matrix gives each requested IRQ the
 * CPU with the fewest vectors, lowest number on ties
 * (arch/x86/kernel/apic/vector.c, kernel/irq/matrix.c): acpi (9) → CPU 1,
 * i8042 AUX (12) → CPU 2, i8042 KBD (1) → CPU 3 (CPU 0 holds the timer's
 * 0x30). So the mouse line's handlers interrupt swapper/2, the keyboard's
 * swapper/3, and every count of /proc/interrupts sits in that CPU's column.
 * ISA lines on the IO-APIC are edge (`IO-APIC 12-edge`): handle_edge_irq.
 */
import assert from "node:assert/strict";
import { runScenario } from "../runner/mod.ts";

async function run(machine: string, name: string) {
  const r = await runScenario(`machines/${machine}.yaml`, { scenario: `scenarios/${name}.yaml` });
  assert.deepEqual(r.failures, [], `${name} on ${machine}: expectations hold`);
  return r;
}

function assertInOrder(lines: string[], want: string[], what: string) {
  let at = 0;
  for (const w of want) {
    const i = lines.findIndex((l, j) => j >= at && l.includes(w));
    assert.ok(i >= 0, `${what}: no line "${w}" (in order)`);
    at = i + 1;
  }
}

/** The exact pc.yaml lines (see the header for how the times come about). */
const PC_EXACT: Record<string, string[]> = {
  current_in_irq: [
    "[    0.051008] In the ISR: counter = 1",
    "current pid : 0 , current process : swapper/0",
    "[    0.151008] In the ISR: counter = 4",
  ],
  disable_shared: [
    "[    0.021008] observer_a: irq 12",
    "[    0.021013] observer_b: irq 12",
    "[    0.168022] enable_irq(12)",
    "[    0.168031] observer_a: irq 12",
    "[    0.168036] observer_b: irq 12",
  ],
  disable_twice: ["[    0.208028] second enable_irq", "[    0.208036] keyboard interrupt handled"],
  dump_stack_irq: [
    "[    0.101008] CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.1.0 #1",
    " handle_level_irq+0xa7/0x160",
  ],
  gfp_context: ["[    0.000022] alloc_mem: GFP_KERNEL"],
  gfp_kernel_in_irq: [
    "[    0.051008] BUG: sleeping function called from invalid context at include/linux/sched/mm.h:274",
    "in_atomic(): 1, irqs_disabled(): 1, non_block: 0, pid: 0, name: swapper/0",
    "CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.1.0 #1",
    "[    1.201008] BUG: sleeping function called from invalid context",
  ],
  mouse_observer: [
    "[    0.101008] In the ISR: counter = 1",
    "[    0.102009] In the ISR: counter = 2",
    "[    0.103011] In the ISR: counter = 3",
    "[    0.201008] In the ISR: counter = 4",
  ],
  nosync_synchronize: [
    "[    0.101013] kbd_thread: start",
    "[    0.120019] disable_irq_nosync returned",
    "[    0.128024] kbd_thread: done",
    "[    0.128032] synchronize_irq returned",
  ],
  threaded_irq_wake: [
    "[    0.101008] my_interrupt",
    "[    0.101008] Code is running in interrupt context",
    "[    0.101022] my_threaded_interrupt",
  ],
};

for (const [name, want] of Object.entries(PC_EXACT)) {
  Deno.test(`scenario ${name} on pc.yaml prints its exact times and CPU 0 names`, async () => {
    const r = await run("pc", name);
    assertInOrder(r.dmesg.split("\n"), want, `${name} on pc`);
  });
}

Deno.test("scenario gfp_kernel_in_irq on pc.yaml: no report for the packet's 2nd and 3rd bytes", async () => {
  // bytes at 0.052 and 0.053 s: within prev_jiffy + HZ of the first report
  const r = await run("pc", "gfp_kernel_in_irq");
  const bugs = r.dmesg.split("\n").filter((l) => l.includes("BUG:"));
  assert.equal(bugs.length, 2, "0.051 s and 1.201 s only");
});

/** IRQ 12's or IRQ 1's row of /proc/interrupts: the per-CPU columns. */
function perCpu(interrupts: string, irq: number): number[] {
  const row = interrupts.split("\n").find((l) => new RegExp(`^\\s*${irq}:`).test(l))!;
  return row.slice(row.indexOf(":") + 1).trim().split(/\s+/).slice(0, 4).map(Number);
}

Deno.test("scenario mouse_observer on x86.yaml: all 6 interrupts on CPU 2, 1 ms apart", async () => {
  // two packets of 3 bytes: 6 interrupts, all delivered to CPU 2 (IRQ 12's
  // vector); each byte is handled in the millisecond it arrives
  const r = await run("x86", "mouse_observer");
  assert.deepEqual(perCpu(r.interrupts, 12), [0, 0, 6, 0]);
  const isr = r.dmesg.split("\n").filter((l) => l.includes("In the ISR: counter"));
  assert.deepEqual(isr.map((l) => l.slice(0, 10)), [
    "[    0.101",
    "[    0.102",
    "[    0.103",
    "[    0.201",
    "[    0.202",
    "[    0.203",
  ]);
});

Deno.test("scenario dump_stack_irq on x86.yaml: swapper/2 and the IO-APIC's edge flow", async () => {
  const r = await run("x86", "dump_stack_irq");
  assertInOrder(r.dmesg.split("\n"), [
    "CPU: 2 PID: 0 Comm: swapper/2 Not tainted 6.1.0 #1",
    " handle_edge_irq+0x9f/0x240",
    " do_idle+0x1f0/0x260",
  ], "dump_stack_irq on x86");
  assert.ok(!r.dmesg.includes("handle_level_irq"));
});

Deno.test("scenario gfp_kernel_in_irq on x86.yaml: the report names swapper/2, twice in 1.5 s", async () => {
  const r = await run("x86", "gfp_kernel_in_irq");
  const lines = r.dmesg.split("\n");
  assertInOrder(lines, [
    "name: swapper/2",
    "CPU: 2 PID: 0 Comm: swapper/2 Not tainted 6.1.0 #1",
    " handle_edge_irq+",
  ], "gfp_kernel_in_irq on x86");
  assert.equal(lines.filter((l) => l.includes("BUG:")).length, 2);
});

Deno.test("scenario disable_twice on x86.yaml: the replayed key is one interrupt on CPU 3", async () => {
  // the key pressed while the line is disabled is replayed once after the
  // 2nd enable_irq (IRQS_PENDING, check_irq_resend): one interrupt, CPU 3
  const r = await run("x86", "disable_twice");
  assert.deepEqual(perCpu(r.interrupts, 1), [0, 0, 0, 1]);
});

Deno.test("scenario threaded_irq_wake on x86.yaml: the irq thread runs on CPU 2 with its IRQ", async () => {
  // irq_thread_check_affinity(): the thread follows the IRQ's effective
  // affinity, CPU 2; three bytes, three hardirq + thread pairs
  const r = await run("x86", "threaded_irq_wake");
  assert.deepEqual(perCpu(r.interrupts, 12), [0, 0, 3, 0]);
  const threaded = r.dmesg.split("\n").filter((l) => l.includes("my_threaded_interrupt"));
  assert.equal(threaded.length, 3);
});
