/**
 * dump_stack() as Linux 6.1 prints it on x86_64 (lib/dump_stack.c,
 * arch/x86/kernel/dumpstack.c), built from what the CPU is really running:
 * the task's frame and the interrupt frames stacked on it ({@linkcode
 * Cpu.frames}). Each body names the kernel functions it stands for through
 * {@linkcode Body.symbols}; a task names its base (idle loop, kthread,
 * system call) through {@linkcode setTaskStack}.
 *
 * ```
 * CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.1.0 #1
 * Call Trace:
 *  <IRQ>
 *  dump_stack_lvl+0x44/0x5c
 *  my_interrupt+0x10/0x20
 *  __handle_irq_event_percpu+0x4a/0x190
 *  handle_irq_event+0x34/0x70
 *  handle_level_irq+0xa7/0x160
 *  __common_interrupt+0x3e/0xa0
 *  common_interrupt+0x9f/0xc0
 *  </IRQ>
 *  <TASK>
 *  asm_common_interrupt+0x22/0x40
 *  default_idle+0xa/0x10
 *  ...
 *  </TASK>
 * ```
 *
 * Offsets are deterministic: the kernel's own functions take fixed
 * `+off/size` values typical of a 6.1 x86_64 build (not from one real
 * build); any other symbol (a module's handler) gets values derived from its
 * name. Not modelled: the `Hardware name:` line (printed only when the arch
 * set a DMI description: none here), the register dump of the interrupted
 * context (`RIP:`, `Code:`...), `?` unreliable entries, the `[module]` tag
 * after module symbols.
 *
 * @module
 */

import type { Cpu } from "../core/cpu.ts";
import type { Kernel } from "../core/kernel.ts";
import type { Task } from "../core/sched.ts";

/** `+offset/size` of kernel functions, as a 6.1 x86_64 trace shows them. */
const KNOWN: Readonly<Record<string, readonly [number, number]>> = {
  dump_stack_lvl: [0x44, 0x5c],
  dump_stack: [0x10, 0x16],
  __might_resched: [0x15a, 0x1a0],
  __kmem_cache_alloc_node: [0x3d, 0x2a0],
  kmalloc_trace: [0x26, 0xa0],
  __handle_irq_event_percpu: [0x4a, 0x190],
  handle_irq_event: [0x34, 0x70],
  handle_level_irq: [0xa7, 0x160],
  handle_edge_irq: [0x9f, 0x240],
  handle_fasteoi_irq: [0x78, 0x1d0],
  handle_simple_irq: [0x58, 0xb0],
  __common_interrupt: [0x3e, 0xa0],
  common_interrupt: [0x9f, 0xc0],
  asm_common_interrupt: [0x22, 0x40],
  irq_thread_fn: [0x1f, 0x60],
  irq_forced_thread_fn: [0x33, 0x80],
  irq_thread: [0xdd, 0x1a0],
  kthread: [0xe6, 0x110],
  ret_from_fork: [0x1f, 0x30],
  default_idle: [0xa, 0x10],
  default_idle_call: [0x33, 0xe0],
  do_idle: [0x1f0, 0x260],
  cpu_startup_entry: [0x1d, 0x20],
  rest_init: [0xcd, 0xd0],
  arch_call_rest_init: [0xa, 0x14],
  start_kernel: [0x4a7, 0x4c8],
  secondary_startup_64_no_verify: [0xe5, 0xeb],
  do_one_initcall: [0x56, 0x230],
  do_init_module: [0x4a, 0x1e0],
  load_module: [0x1d9b, 0x2040],
  __do_sys_finit_module: [0xac, 0x120],
  do_syscall_64: [0x58, 0x80],
  entry_SYSCALL_64_after_hwframe: [0x63, 0xcd],
};

/** Deterministic `+off/size` of a symbol (fixed for kernel functions, from the name otherwise). */
export function symbolOffset(name: string): string {
  const known = KNOWN[name];
  if (known) return `+0x${known[0].toString(16)}/0x${known[1].toString(16)}`;
  // FNV-1a of the name: the same symbol always prints the same offsets.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  const size = 0x20 + (h % 0x30) * 0x10;
  const off = 0x5 + ((h >>> 12) % (size - 0x8));
  return `+0x${off.toString(16)}/0x${size.toString(16)}`;
}

const taskStackKey = Symbol("task-stack");

/**
 * Name the kernel functions under a task's own code, outermost first
 * (`["ret_from_fork", "kthread", "irq_thread", ...]`). A function: the base
 * may change as the task runs (insmod: the module being initialised).
 */
export function setTaskStack(task: Task, base: () => readonly string[]): void {
  task.local.set(taskStackKey, base);
}

/** The idle task's chain on the boot CPU (init/main.c, kernel/sched/idle.c). */
const IDLE_STACK = [
  "secondary_startup_64_no_verify",
  "start_kernel",
  "arch_call_rest_init",
  "rest_init",
  "cpu_startup_entry",
  "do_idle",
  "default_idle_call",
  "default_idle",
];

function taskBase(cpu: Cpu, t: Task): readonly string[] | undefined {
  const f = t.local.get(taskStackKey) as (() => readonly string[]) | undefined;
  if (f) return f();
  if (t === cpu.idleTask) return IDLE_STACK;
  if (t.kthread) return ["ret_from_fork", "kthread"];
  return undefined; // a user task interrupted in user mode: no kernel frames
}

/** The lines dump_stack() prints on `cpu` now, without printing them. */
export function dumpStackLines(k: Kernel, cpu: Cpu, extra: readonly string[] = []): string[] {
  const t = cpu.current;
  const lines = [
    `CPU: ${cpu.id} PID: ${t.pid} Comm: ${t.comm} Not tainted ${k.config.version}.0 #1`,
  ];
  if (k.config.arch !== "x86") return lines;
  lines.push("Call Trace:");
  const frames = cpu.frames();
  // Innermost first: the interrupt frames (on the IRQ stack), then the task.
  const irqSyms: string[] = [];
  const taskSyms: string[] = [];
  let entry: string | undefined;
  frames.forEach((f, i) => {
    const into = f.kind === "task" ? taskSyms : irqSyms;
    for (let j = 0; j < f.depth; j++) {
      for (const s of f.bodies[j].symbols?.() ?? []) {
        // The asm_ entry stub runs on the interrupted stack (idtentry.h).
        if (i === 1 && s.startsWith("asm_")) entry = s;
        else into.push(s);
      }
    }
  });
  const base = taskBase(cpu, t);
  const dump = [...extra, "dump_stack_lvl"];
  const frame = (s: string) => ` ${s}${symbolOffset(s)}`;
  if (frames.length > 1) {
    lines.push(" <IRQ>");
    for (const s of [...irqSyms, ...dump].reverse()) lines.push(frame(s));
    lines.push(" </IRQ>");
    lines.push(" <TASK>");
    if (entry) lines.push(frame(entry));
    for (const s of [...(base ?? []), ...taskSyms].reverse()) lines.push(frame(s));
    lines.push(" </TASK>");
  } else {
    lines.push(" <TASK>");
    for (const s of [...(base ?? []), ...taskSyms, ...dump].reverse()) lines.push(frame(s));
    lines.push(" </TASK>");
  }
  return lines;
}

/**
 * dump_stack() (lib/dump_stack.c): KERN_DEFAULT lines, the CPU/PID/Comm
 * line of dump_stack_print_info() then show_stack()'s call trace with the
 * x86 stack-type markers (arch/x86/kernel/dumpstack.c stack_type_name:
 * `<IRQ>`, `<TASK>`). `extra` are functions between the caller and
 * dump_stack_lvl (outermost first), e.g. `__might_resched`. Other
 * architectures print the CPU line and say the trace is not modelled.
 */
export function dumpStack(k: Kernel, extra: readonly string[] = []): void {
  const cpu = k.thisCpu();
  for (const l of dumpStackLines(k, cpu, extra)) k.printk(4, l);
  if (k.config.arch !== "x86") {
    k.notImplemented(`dump_stack() call trace on ${k.config.arch} (only x86's format is modelled)`);
  }
}
