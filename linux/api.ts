/**
 * The core part of the kernel API for modules, in the kernel's names:
 * port and memory-mapped I/O, delays and sleeps, printk, interrupt-state
 * predicates and local interrupt control. Every call acts on the machine
 * whose code is running and charges its cost to the running body.
 *
 * Delays and sleeps return tokens: in a generator body `yield udelay(10)`
 * lets the time pass at that point; in a plain function the time is charged
 * when the function returns. `msleep()` needs a generator body (it sleeps).
 *
 * @example
 * ```ts
 * const scancode = inb(0x60);
 * pr_info("Character %c %s\n", "a", scancode & 0x80 ? "Released" : "Pressed");
 * ```
 * @module
 */

import {
  type Body,
  BUSY,
  type BusyToken,
  type CallToken,
  callToken,
  RESCHED_POINT,
  type SleepToken,
  sleepToken,
} from "../core/body.ts";
import type { Cpu } from "../core/cpu.ts";
import { kernel } from "../core/kernel.ts";
import { kprintf, type LogLevel } from "../core/printk.ts";
import { dumpStack } from "./dump_stack.ts";

function cpu(): Cpu {
  return kernel().thisCpu();
}

function pio(): void {
  const k = kernel();
  if (k.currentCpu) k.currentCpu.accum += k.costs.port_io_ns;
}

function mmio(): void {
  const k = kernel();
  if (k.currentCpu) k.currentCpu.accum += k.costs.mmio_ns;
}

// ---- port I/O (x86) ----
// inb/outb are on every legacy interrupt's path (mask_and_ack_8259A, the
// driver's own register accesses): one kernel() lookup each, cost charged
// before the access as pio() does.
/** inb(port) */
export function inb(port: number): number {
  const k = kernel();
  const c = k.currentCpu;
  if (c) c.accum += k.costs.port_io_ns;
  return k.ports.read(port, 1) & 0xff;
}
/** inw(port) */
export function inw(port: number): number {
  pio();
  return kernel().ports.read(port, 2) & 0xffff;
}
/** inl(port) */
export function inl(port: number): number {
  pio();
  return kernel().ports.read(port, 4) >>> 0;
}
/** outb(value, port) — Linux argument order. */
export function outb(value: number, port: number): void {
  const k = kernel();
  const c = k.currentCpu;
  if (c) c.accum += k.costs.port_io_ns;
  k.ports.write(port, value & 0xff, 1);
}
/** outw(value, port) */
export function outw(value: number, port: number): void {
  pio();
  kernel().ports.write(port, value & 0xffff, 2);
}
/** outl(value, port) */
export function outl(value: number, port: number): void {
  pio();
  kernel().ports.write(port, value >>> 0, 4);
}
/** outb_p: outb with the legacy I/O delay (a write to port 0x80). */
export function outb_p(value: number, port: number): void {
  outb(value, port);
  pio();
}
/** inb_p */
export function inb_p(port: number): number {
  const v = inb(port);
  pio();
  return v;
}

// ---- MMIO ----
/** An `__iomem` cookie: the physical address it maps (ioremap is identity here). */
export type IoMem = number;
/** ioremap(phys, size): returns a cookie usable with readl/writel/ioread32/iowrite32. */
export function ioremap(phys: number, _size: number): IoMem {
  return phys;
}
/** iounmap(addr) */
export function iounmap(_addr: IoMem): void {}
/** readl(addr) */
export function readl(addr: IoMem): number {
  mmio();
  return kernel().mmio.read(addr, 4) >>> 0;
}
/** writel(value, addr) */
export function writel(value: number, addr: IoMem): void {
  mmio();
  kernel().mmio.write(addr, value >>> 0, 4);
}
/** readb(addr) */
export function readb(addr: IoMem): number {
  mmio();
  return kernel().mmio.read(addr, 1) & 0xff;
}
/** writeb(value, addr) */
export function writeb(value: number, addr: IoMem): void {
  mmio();
  kernel().mmio.write(addr, value & 0xff, 1);
}
/** ioread32(addr) */
export const ioread32: (addr: IoMem) => number = readl;
/** iowrite32(value, addr) */
export const iowrite32: (value: number, addr: IoMem) => void = writel;

// ---- delays and sleeps ----
/**
 * Register a sleep made by a kernel call on the running CPU. Sleeping in
 * atomic context is the kernel's BUG right at the call (might_sleep() then
 * schedule()); a sleep never yielded by a generator body is reported by the
 * executor. Returns the token for the caller to yield.
 */
export function noteSleep(tok: SleepToken): SleepToken {
  const k = kernel();
  const c = k.currentCpu;
  if (!c) return tok;
  if (c.inAtomic() || c.irqsDisabled || c.irqDepth > 0) {
    k.schedulingWhileAtomic(c, tok);
    tok.reported = true;
  }
  c.madeSleep = tok;
  return tok;
}
/**
 * Register a sub-body made by a kernel call on the running CPU (a call that
 * takes time: `local_bh_enable()` running softirqs). Returns the call token
 * for a generator body to yield; a plain function body cannot yield it, and
 * the executor runs the sub-body right after that body's step instead.
 * Only while the CPU's executor runs (`cpu.executing`); callers outside it
 * (a test's `kernel.enter`) must run the body themselves.
 */
export function noteCall(body: Body): CallToken {
  const c = kernel().currentCpu;
  if (c) c.madeCall = body;
  return callToken(body);
}
/** ndelay(ns): busy-wait. */
export function ndelay(ns: number): BusyToken {
  cpu().accum += Math.max(0, Math.round(ns));
  return BUSY;
}
/** udelay(us): busy-wait. */
export function udelay(us: number): BusyToken {
  return ndelay(us * 1000);
}
/** mdelay(ms): busy-wait. */
export function mdelay(ms: number): BusyToken {
  return ndelay(ms * 1_000_000);
}
/**
 * msecs_to_jiffies() for a non-negative whole ms count: ceil(ms * HZ / 1000),
 * in integers (include/linux/jiffies.h; the timers plugin has every case).
 */
function msToJiffies(ms: number, hz: number): number {
  return Math.ceil(Math.max(0, Math.trunc(ms)) * hz / 1000);
}
/**
 * msleep(ms): sleep msecs_to_jiffies(ms) + 1 jiffies (kernel/time/timer.c):
 * on the timer wheel with a timers plugin, else for that many jiffies of
 * time. Yield it.
 */
export function msleep(ms: number): SleepToken {
  const k = kernel();
  const ticks = msToJiffies(ms, k.config.hz) + 1;
  const tok = sleepToken(ticks * 1e9 / k.config.hz, "D", "msleep");
  tok.timeout = { kind: "jiffies", jiffies: ticks };
  return noteSleep(tok);
}
/**
 * usleep_range(min, max): an hrtimer sleep that may end anywhere from min
 * to max µs (kernel/time/timer.c usleep_range_state; with a timers plugin
 * the hrtimer's resolution applies: the next tick in low-resolution mode).
 * Without one it lasts `min`. Yield it.
 */
export function usleep_range(min: number, max: number): SleepToken {
  const tok = sleepToken(min * 1000, "D", "usleep_range");
  tok.timeout = { kind: "hrtimer", minNs: min * 1000, slackNs: Math.max(0, max - min) * 1000 };
  return noteSleep(tok);
}
/**
 * schedule(): with the current state set to TASK_INTERRUPTIBLE /
 * TASK_UNINTERRUPTIBLE (set_current_state) the task sleeps until woken; in
 * TASK_RUNNING it only gives up the CPU (a voluntary preemption point). The
 * state is back to TASK_RUNNING afterwards. Yield it.
 */
export function schedule(): SleepToken | BusyToken {
  const t = cpu().current;
  const state = t.nextState;
  t.nextState = "R";
  if (state === "R") return RESCHED_POINT;
  return noteSleep(sleepToken(Infinity, state === "X" ? "D" : state, "schedule"));
}
/**
 * schedule_timeout(jiffies): sleep until woken or that many jiffies passed
 * (a timer_list at jiffies + timeout with a timers plugin). Yield it.
 */
export function schedule_timeout(jiffies: number): SleepToken {
  const tok = sleepToken(jiffies * 1e9 / kernel().config.hz, "S", "schedule_timeout");
  tok.timeout = { kind: "jiffies", jiffies };
  return noteSleep(tok);
}
/** cond_resched(): a voluntary preemption point. Yield it. */
export function cond_resched(): BusyToken {
  return RESCHED_POINT;
}

// ---- printk ----
// deno-lint-ignore no-control-regex
const KERN_PREFIX = /^\x01([0-7c])/;
/** KERN_* prefixes, as in C: `printk(KERN_INFO "...")`. */
export const KERN_EMERG = "\x010";
/** printk level 1: action must be taken immediately. */
export const KERN_ALERT = "\x011";
/** printk level 2: critical conditions. */
export const KERN_CRIT = "\x012";
/** printk level 3: error conditions. */
export const KERN_ERR = "\x013";
/** printk level 4: warning conditions. */
export const KERN_WARNING = "\x014";
/** printk level 5: normal but significant condition. */
export const KERN_NOTICE = "\x015";
/** printk level 6: informational. */
export const KERN_INFO = "\x016";
/** printk level 7: debug-level messages. */
export const KERN_DEBUG = "\x017";
/** Continue the previous line (no new record). */
export const KERN_CONT = "\x01c";

/** printk(fmt, ...args) with an optional KERN_* prefix (default KERN_WARNING, as MESSAGE_LOGLEVEL_DEFAULT). */
export function printk(fmt: string, ...args: unknown[]): number {
  let level: LogLevel = 4;
  const m = KERN_PREFIX.exec(fmt);
  if (m) {
    fmt = fmt.slice(2);
    if (m[1] !== "c") level = Number(m[1]) as LogLevel;
  }
  const text = kprintf(fmt, args);
  kernel().printk(level, text);
  return text.length;
}
/** pr_emerg */
export function pr_emerg(fmt: string, ...args: unknown[]): void {
  kernel().printk(0, kprintf(fmt, args));
}
/** pr_alert */
export function pr_alert(fmt: string, ...args: unknown[]): void {
  kernel().printk(1, kprintf(fmt, args));
}
/** pr_crit */
export function pr_crit(fmt: string, ...args: unknown[]): void {
  kernel().printk(2, kprintf(fmt, args));
}
/** pr_err */
export function pr_err(fmt: string, ...args: unknown[]): void {
  kernel().printk(3, kprintf(fmt, args));
}
/** pr_warn */
export function pr_warn(fmt: string, ...args: unknown[]): void {
  kernel().printk(4, kprintf(fmt, args));
}
/** pr_notice */
export function pr_notice(fmt: string, ...args: unknown[]): void {
  kernel().printk(5, kprintf(fmt, args));
}
/** pr_info */
export function pr_info(fmt: string, ...args: unknown[]): void {
  kernel().printk(6, kprintf(fmt, args));
}
/** pr_debug: compiled out unless DEBUG, as in the kernel: prints nothing. */
export function pr_debug(_fmt: string, ..._args: unknown[]): void {}

// ---- context predicates (include/linux/preempt.h, irqflags.h) ----
/** in_interrupt() */
export function in_interrupt(): boolean {
  return cpu().inInterrupt();
}
/** in_hardirq() */
export function in_hardirq(): boolean {
  return cpu().inHardirq();
}
/** in_irq(): deprecated alias of in_hardirq(). */
export const in_irq: () => boolean = in_hardirq;
/** in_softirq() */
export function in_softirq(): boolean {
  return cpu().inSoftirq();
}
/** in_serving_softirq() */
export function in_serving_softirq(): boolean {
  return cpu().inServingSoftirq();
}
/** in_nmi() */
export function in_nmi(): boolean {
  return cpu().inNmi();
}
/** in_task() */
export function in_task(): boolean {
  return cpu().inTask();
}
/** in_atomic() */
export function in_atomic(): boolean {
  return cpu().inAtomic();
}
/** irqs_disabled() */
export function irqs_disabled(): boolean {
  return cpu().irqsDisabled;
}
/** preempt_count() */
export function preempt_count(): number {
  return cpu().preemptCount;
}
/** smp_processor_id() */
export function smp_processor_id(): number {
  return cpu().id;
}
/** The running task (`current`): pid and comm. */
export function current(): { pid: number; comm: string } {
  return cpu().current;
}
/** jiffies */
export function jiffies(): number {
  return kernel().jiffies;
}
/** HZ of the running machine. */
export function HZ(): number {
  return kernel().config.hz;
}

// ---- local interrupt and preemption control ----
/** local_irq_disable() */
export function local_irq_disable(): void {
  cpu().irqsDisabled = true;
}
/** local_irq_enable(): a pending interrupt is taken at the next step boundary. */
export function local_irq_enable(): void {
  const c = cpu();
  c.irqsDisabled = false;
  if (c.intrPending) c.poke();
}
/**
 * Saved flags of local_irq_save(): the architecture's flags register as the
 * kernel saves it (arch/{x86,arm,arm64}/include/asm/irqflags.h). x86: EFLAGS, IF is bit 9
 * (0x200); the model reports 0x246 with interrupts on (IF, ZF, PF and the
 * fixed bit 1, the value pushf usually finds in kernel code) and 0x46 with
 * them off. ARM: CPSR in SVC mode, I bit 0x80 (0x60000013 / 0x60000093).
 * arm64: DAIF, 0 with interrupts on, I|F (0xc0) after local_irq_disable().
 */
export type irqflags_t = number;

function saveFlags(disabled: boolean): irqflags_t {
  switch (kernel().config.arch) {
    case "x86":
      return disabled ? 0x46 : 0x246;
    case "arm":
      return disabled ? 0x60000093 : 0x60000013;
    default:
      return disabled ? 0xc0 : 0;
  }
}

/**
 * arch_irqs_disabled_flags(flags): x86 `!(flags & X86_EFLAGS_IF)` (0 or 1);
 * ARM and arm64 `flags & PSR_I_BIT` (0 or 128), as the kernel returns them.
 */
export function irqs_disabled_flags(flags: irqflags_t): number {
  if (kernel().config.arch === "x86") return flags & 0x200 ? 0 : 1;
  return flags & 0x80;
}

/** local_save_flags(): the flags register now. */
export function local_save_flags(): irqflags_t {
  return saveFlags(cpu().irqsDisabled);
}

/** local_irq_save(): returns the flags to restore, then disables interrupts. */
export function local_irq_save(): irqflags_t {
  const c = cpu();
  const f = saveFlags(c.irqsDisabled);
  c.irqsDisabled = true;
  return f;
}
/**
 * local_irq_restore(flags): interrupts back on only if they were on when
 * the flags were saved. (A boolean is accepted too: true = were disabled.)
 */
export function local_irq_restore(flags: irqflags_t | boolean): void {
  const disabled = typeof flags === "boolean" ? flags : irqs_disabled_flags(flags) !== 0;
  if (disabled) local_irq_disable();
  else local_irq_enable();
}
/** preempt_disable() */
export function preempt_disable(): void {
  cpu().preemptCount += 1;
}
/** preempt_enable() */
export function preempt_enable(): void {
  const c = cpu();
  c.preemptCount -= 1;
  if (c.preemptCount === 0 && c.needResched) c.poke();
}

// ---- dump_stack, might_sleep, kmalloc ----

/** dump_stack() (lib/dump_stack.c): the CPU line and the call trace of what runs now. */
export function dump_stack(): void {
  dumpStack(kernel());
}

// include/linux/gfp_types.h (6.1 bit values)
/** __GFP_HIGH */
export const __GFP_HIGH = 0x20;
/** __GFP_IO */
export const __GFP_IO = 0x40;
/** __GFP_FS */
export const __GFP_FS = 0x80;
/** __GFP_ZERO */
export const __GFP_ZERO = 0x100;
/** __GFP_ATOMIC */
export const __GFP_ATOMIC = 0x200;
/** __GFP_DIRECT_RECLAIM: the allocation may sleep to reclaim memory. */
export const __GFP_DIRECT_RECLAIM = 0x400;
/** __GFP_KSWAPD_RECLAIM */
export const __GFP_KSWAPD_RECLAIM = 0x800;
/** GFP_ATOMIC: may not sleep, may use reserves (interrupt context). */
export const GFP_ATOMIC = __GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM;
/** GFP_KERNEL: may sleep (process context only). */
export const GFP_KERNEL = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | __GFP_IO | __GFP_FS;
/** GFP_NOWAIT */
export const GFP_NOWAIT: number = __GFP_KSWAPD_RECLAIM;
/** Type of GFP flags. */
export type gfp_t = number;

/** __might_resched()'s static prev_jiffy, per machine. */
const prevJiffy = new WeakMap<object, number>();

/**
 * __might_sleep(file, line) / __might_resched() (kernel/sched/core.c, 6.1,
 * as built with CONFIG_DEBUG_ATOMIC_SLEEP=y): a function that may sleep,
 * called in atomic context (preempt_count != 0), with interrupts off or by
 * the idle task, prints the BUG report and a stack dump, at most once per
 * second (prev_jiffy + HZ), and the caller goes on. `extra` are the kernel
 * functions between the caller and __might_resched, outermost first. The
 * lockdep and DEBUG_PREEMPT parts print nothing (not configured); the
 * `RCU nest depth` line is printed with CONFIG_PREEMPT_RCU (preempt: full).
 */
export function __might_sleep(file: string, line: number, extra: readonly string[] = []): void {
  const k = kernel();
  const c = cpu();
  const t = c.current;
  if (c.preemptCount === 0 && !c.irqsDisabled && t !== c.idleTask) return;
  const prev = prevJiffy.get(k) ?? 0;
  if (prev && k.jiffies < prev + k.config.hz) return;
  prevJiffy.set(k, k.jiffies);
  k.printk(3, `BUG: sleeping function called from invalid context at ${file}:${line}`);
  const disabled = c.irqsDisabled ? irqs_disabled_flags(saveFlags(true)) : 0;
  k.printk(
    3,
    `in_atomic(): ${c.inAtomic() ? 1 : 0}, irqs_disabled(): ${disabled}, non_block: 0, ` +
      `pid: ${t.pid}, name: ${t.comm}`,
  );
  k.printk(3, `preempt_count: ${c.preemptCount.toString(16)}, expected: 0`);
  if (k.config.preempt === "full") k.printk(3, "RCU nest depth: 0, expected: 0");
  dumpStack(k, [...extra, "__might_resched"]);
}

/**
 * might_sleep(): the check a sleeping function makes on entry. `file` and
 * `line` are what __FILE__ and __LINE__ would be (the module's source).
 */
export function might_sleep(file = "irqlab-module.c", line = 0): void {
  __might_sleep(file, line);
}

/** A kmalloc()ed block: its size and bytes (the model keeps no heap addresses). */
export interface KmallocBlock {
  /** Bytes asked for. */
  readonly size: number;
  /** The memory (zeroed). */
  readonly data: Uint8Array;
  /** Set by kfree(). */
  freed: boolean;
}

/**
 * kmalloc(size, flags) (include/linux/slab.h, mm/slab_common.c): an
 * allocation that may sleep (GFP_KERNEL: __GFP_DIRECT_RECLAIM) runs
 * might_alloc() -> might_sleep_if(gfpflags_allow_blocking(flags)) first
 * (include/linux/sched/mm.h line 274 in 6.0/6.1), so asked for in atomic
 * context it reports "BUG: sleeping function called from invalid context";
 * the allocation itself succeeds (memory is not exhausted in the model, so
 * nothing sleeps). Returns null for a size of 0 (ZERO_SIZE_PTR) or above
 * KMALLOC_MAX_SIZE (4 MiB with SLUB on x86, order MAX_ORDER-1 pages).
 */
export function kmalloc(size: number, flags: gfp_t): KmallocBlock | null {
  if (flags & __GFP_DIRECT_RECLAIM) {
    __might_sleep("include/linux/sched/mm.h", 274, ["kmalloc_trace", "__kmem_cache_alloc_node"]);
  }
  if (size <= 0 || size > 4 * 1024 * 1024) return null;
  return { size, data: new Uint8Array(size), freed: false };
}

/** kzalloc(size, flags): kmalloc with __GFP_ZERO (the model's blocks start zeroed anyway). */
export function kzalloc(size: number, flags: gfp_t): KmallocBlock | null {
  return kmalloc(size, flags | __GFP_ZERO);
}

/**
 * kfree(block): free; kfree(NULL) is a no-op. A double free is reported the
 * way the model can (SLUB's own report needs slub_debug): a one-line error.
 */
export function kfree(block: KmallocBlock | null | undefined): void {
  if (!block) return;
  if (block.freed) {
    kernel().printk(3, "irqlab: kfree() of a block already freed (double free)");
    return;
  }
  block.freed = true;
}
