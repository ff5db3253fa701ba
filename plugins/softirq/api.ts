/**
 * The softirq driver API in the kernel's names, for kernel modules. Each
 * call acts on the machine whose code is running, on the current CPU.
 *
 * `local_bh_enable()` and `spin_unlock_bh()` may run pending softirqs. They
 * return a token: a generator body yields it (`yield local_bh_enable()`) and
 * the softirqs run right there as a sub-body, taking their time, with
 * hardirqs nesting in them. A plain function body cannot yield: its
 * softirqs run right after the function returns (after its own cost), and
 * the rest of the function runs with the one preemption level
 * __local_bh_enable_ip keeps until then.
 *
 * @example
 * ```ts
 * const MY_SOFTIRQ = softirq_register_vector("MY", RCU_SOFTIRQ);
 * open_softirq(MY_SOFTIRQ, () => pr_info("my softirq\n"));
 * function handler(_irq: number, _dev: unknown) {
 *   raise_softirq(MY_SOFTIRQ); // runs at this interrupt's irq_exit
 *   return IRQ_HANDLED;
 * }
 * ```
 * @module
 */

import { BUSY, type BusyToken, type CallToken } from "../../core/body.ts";
import { noteCall } from "../../linux/api.ts";
import { kernel } from "../../core/kernel.ts";
import { type SoftirqActionFn, SoftirqKey } from "./softirq.ts";

function s() {
  return kernel().bus.get(SoftirqKey);
}

/** open_softirq(nr, action): install the action of vector `nr`. */
export function open_softirq(nr: number, action: SoftirqActionFn): void {
  s().open_softirq(nr, action);
}

/**
 * Add a vector named `name` before vector `before` (default: last), as
 * adding `MY_SOFTIRQ` to the kernel's enum does; returns its number. Later
 * vectors are renumbered (find them with {@linkcode softirq_vector}).
 */
export function softirq_register_vector(name: string, before?: number): number {
  return s().softirq_register_vector(name, before);
}

/** The number of the vector named `name` in this kernel, or -1. */
export function softirq_vector(name: string): number {
  return s().vectorOf(name);
}

/** local_softirq_pending(): this CPU's pending mask (bit n = vector n). */
export function local_softirq_pending(): number {
  return s().local_softirq_pending();
}

/** raise_softirq(nr). May be called in interrupt context. */
export function raise_softirq(nr: number): void {
  s().raise_softirq(nr);
}

/** raise_softirq_irqoff(nr): interrupts must be off. May be called in interrupt context. */
export function raise_softirq_irqoff(nr: number): void {
  s().raise_softirq_irqoff(nr);
}

/** __raise_softirq_irqoff(nr): only sets the bit. May be called in interrupt context. */
export function __raise_softirq_irqoff(nr: number): void {
  s().__raise_softirq_irqoff(nr);
}

/** local_bh_disable(): preempt_count += SOFTIRQ_DISABLE_OFFSET (0x200). */
export function local_bh_disable(): void {
  s().local_bh_disable();
}

/**
 * local_bh_enable(): drop one BH-disable level; from task context, run the
 * softirqs pending now. Yield the result in a generator body (see the
 * module's notes for plain functions).
 */
export function local_bh_enable(): BusyToken | CallToken {
  const sq = s();
  const cpu = kernel().thisCpu();
  const body = sq.bhEnableBody(cpu);
  if (!body) return BUSY;
  // Outside an executor (headless calls), or a second call made in one
  // plain-function step: no sub-body can run later, so run it now.
  if (!cpu.executing || cpu.madeCall !== undefined) {
    sq.runInline(cpu, body);
    return BUSY;
  }
  return noteCall(body);
}

/** _local_bh_enable(): drop one BH-disable level without running softirqs. */
export function _local_bh_enable(): void {
  s()._local_bh_enable();
}

/** A spinlock: on the simulated machines a CPU never contends, so only BH state matters. */
export interface spinlock_t {
  /** Vector name shown in /proc/softirqs. */
  readonly name?: string;
}

/** spin_lock_bh(lock): local_bh_disable() + spin_lock() (no contention modelled). */
export function spin_lock_bh(_lock: spinlock_t): void {
  local_bh_disable();
}

/** spin_unlock_bh(lock): spin_unlock() + local_bh_enable(). Yield the result. */
export function spin_unlock_bh(_lock: spinlock_t): BusyToken | CallToken {
  return local_bh_enable();
}
