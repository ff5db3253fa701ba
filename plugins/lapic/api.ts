/**
 * Cross-CPU kernel API for modules, with the kernel's names
 * (include/linux/smp.h, include/linux/irq_work.h, asm/tlbflush.h):
 * smp_call_function_single(), smp_call_function_many(), smp_call_function(),
 * on_each_cpu(), smp_send_reschedule(), irq_work_queue() and a TLB
 * shootdown. Each sends its IPI through the sending CPU's ICR, so the
 * target counts it in /proc/interrupts (CAL, RES, IWI, TLB).
 *
 * `wait` is accepted and not modelled: the caller does not spin until the
 * targets ran the function (the functions run at once when the target's
 * interrupts are enabled).
 *
 * @module
 */

import { kernel } from "../../core/kernel.ts";
import { LinuxApicKey } from "./system.ts";
import { X86Key } from "../x86/mod.ts";

function linux() {
  return kernel().bus.get(LinuxApicKey);
}

/** smp_call_function_single(cpu, func, info, wait): run `func(info)` on `cpu` (CAL there). Returns 0 or -ENXIO. */
export function smp_call_function_single(
  cpu: number,
  func: (info: unknown) => void,
  info: unknown,
  _wait: boolean,
): number {
  const k = kernel();
  if (cpu < 0 || cpu >= k.cpus.length || !k.cpus[cpu].online) return -6; // -ENXIO
  linux().callFunctionMany([cpu], func, info, true);
  return 0;
}

/** smp_call_function_many(mask, func, info, wait): on the CPUs of `mask` except this one. */
export function smp_call_function_many(
  mask: readonly number[],
  func: (info: unknown) => void,
  info: unknown,
  _wait: boolean,
): void {
  linux().callFunctionMany(mask, func, info, false);
}

/** smp_call_function(func, info, wait): on every other online CPU. */
export function smp_call_function(
  func: (info: unknown) => void,
  info: unknown,
  _wait: boolean,
): void {
  const k = kernel();
  linux().callFunctionMany(k.cpus.filter((c) => c.online).map((c) => c.id), func, info, false);
}

/** on_each_cpu(func, info, wait): every online CPU, this one included (with interrupts off). */
export function on_each_cpu(func: (info: unknown) => void, info: unknown, _wait: boolean): void {
  const k = kernel();
  linux().callFunctionMany(k.cpus.filter((c) => c.online).map((c) => c.id), func, info, true);
}

/** smp_send_reschedule(cpu): the reschedule IPI (RES on `cpu`). */
export function smp_send_reschedule(cpu: number): void {
  const k = kernel();
  linux().sendReschedule(k.thisCpu(), k.cpus[cpu]);
}

/** irq_work_queue(fn): run `fn` from the IRQ_WORK self-IPI on this CPU (IWI). */
export function irq_work_queue(fn: (cpu: number) => void): boolean {
  linux().irqWorkQueue(fn);
  return true;
}

/**
 * flush_tlb_multi(cpumask) in small (arch/x86/mm/tlb.c native_flush_tlb_multi):
 * a function-call IPI to each other CPU of `cpus` whose handler,
 * flush_tlb_func(), counts the shootdown (`inc_irq_stat(irq_tlb_count)` for
 * a remote flush). Each target counts one CAL and one TLB.
 */
export function flush_tlb_multi(cpus: readonly number[]): void {
  const k = kernel();
  const x86 = k.bus.get(X86Key);
  linux().callFunctionMany(
    cpus,
    () => {
      x86.irqStat[kernel().thisCpu().id].irq_tlb_count++;
    },
    null,
    false,
  );
}

/** flush_tlb_all(): every other online CPU flushes (a TLB shootdown to all). */
export function flush_tlb_all(): void {
  const k = kernel();
  flush_tlb_multi(k.cpus.filter((c) => c.online).map((c) => c.id));
}
