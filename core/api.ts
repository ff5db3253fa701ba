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
} from "./body.ts";
import type { Cpu } from "./cpu.ts";
import { kernel } from "./kernel.ts";
import { kprintf, type LogLevel } from "./printk.ts";

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
/** Saved flags of local_irq_save(). */
export type irqflags_t = boolean;
/** local_irq_save(): returns the flags to restore. */
export function local_irq_save(): irqflags_t {
  const c = cpu();
  const f = c.irqsDisabled;
  c.irqsDisabled = true;
  return f;
}
/** local_irq_restore(flags) */
export function local_irq_restore(flags: irqflags_t): void {
  if (flags) local_irq_disable();
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
