/**
 * The genirq driver API in the kernel's names, for kernel modules. Each call
 * acts on the machine whose code is running.
 *
 * @module
 */

import { kernel } from "../../core/kernel.ts";
import type { SleepToken } from "../../core/body.ts";
import { canSetAffinity, setAffinity } from "./affinity.ts";
import { GenIrqKey } from "./genirq.ts";
import type { IrqHandler } from "./desc.ts";
import { EINVAL, ENXIO, IRQ_PER_CPU_DEVID, type irqreturn_t } from "./constants.ts";

function gi() {
  return kernel().bus.get(GenIrqKey);
}

/** Handler type, `irq_handler_t`: a plain function or a generator function. */
export type irq_handler_t = IrqHandler;

/** request_irq(irq, handler, flags, name, dev): 0 or a negative errno. */
export function request_irq(
  irq: number,
  handler: irq_handler_t,
  flags: number,
  name: string,
  dev: unknown,
): number {
  return gi().request_threaded_irq(irq, handler, null, flags, name, dev);
}

/** request_threaded_irq(irq, handler, thread_fn, flags, name, dev): 0 or a negative errno. */
export function request_threaded_irq(
  irq: number,
  handler: irq_handler_t | null,
  thread_fn: irq_handler_t | null,
  flags: number,
  name: string,
  dev: unknown,
): number {
  return gi().request_threaded_irq(irq, handler, thread_fn, flags, name, dev);
}

/** free_irq(irq, dev): returns the devname the action was registered with, or null. */
export function free_irq(irq: number, dev: unknown): string | null {
  return gi().free_irq(irq, dev);
}

/** enable_irq(irq) */
export function enable_irq(irq: number): void {
  gi().enable_irq(irq);
}

/** disable_irq_nosync(irq) */
export function disable_irq_nosync(irq: number): void {
  gi().disable_irq_nosync(irq);
}

/**
 * disable_irq(irq): disable and wait for running handlers. From a generator
 * body write `yield disable_irq(irq)`; the returned token is undefined when
 * there is nothing to wait for.
 */
export function disable_irq(irq: number): SleepToken | undefined {
  const g = gi();
  if (g.disable_irq_nosync(irq)) return undefined;
  return g.synchronize_irq(irq);
}

/**
 * synchronize_irq(irq): wait for running handlers and threads of `irq`.
 * In a generator body: `yield synchronize_irq(irq)`.
 */
export function synchronize_irq(irq: number): SleepToken | undefined {
  return gi().synchronize_irq(irq);
}

/** irq_set_irq_type(irq, type): 0 or a negative errno (kernel/irq/chip.c). */
export function irq_set_irq_type(irq: number, type: number): number {
  const g = gi();
  const desc = g.irq_to_desc(irq);
  // irq_get_desc_buslock(irq, &flags, IRQ_GET_DESC_CHECK_GLOBAL): no desc, or a
  // per-CPU-devid one, is -EINVAL
  if (!desc || (desc.status & IRQ_PER_CPU_DEVID)) return -EINVAL;
  return g.irq_set_trigger(desc, type);
}

/** irq_get_trigger_type(irq) */
export function irq_get_trigger_type(irq: number): number {
  return gi().irq_to_desc(irq)?.irq_data.triggerType() ?? 0;
}

/** A handler that does nothing (no_action, kernel/irq/handle.c). */
export function no_action(_irq: number, _dev: unknown): irqreturn_t {
  return 0;
}

/**
 * irq_set_affinity(irq, cpumask): ask for the IRQ to be delivered to `cpus`
 * (CPU ids). 0 or a negative errno; on x86 the move happens at the next
 * interrupt (kernel/irq/manage.c, kernel/irq/migration.c).
 */
export function irq_set_affinity(irq: number, cpus: readonly number[]): number {
  return setAffinity(gi(), irq, cpus);
}

/** irq_can_set_affinity(irq): true when the IRQ's chip can move it and it may be balanced. */
export function irq_can_set_affinity(irq: number): boolean {
  return canSetAffinity(gi().irq_to_desc(irq));
}

/**
 * role_irq(role, num): the Linux IRQ of the device the machine file binds to
 * `role` ("keyboard", "button", "nic"...), or -ENXIO (-6) when no device is
 * bound or it has no interrupt `num`. irqlab's stand-in for
 * platform_get_irq(pdev, num) (drivers/base/platform.c), so that one module
 * finds its device's interrupt on any machine instead of hard-coding IRQ 1:
 * the `num`-th wired output pin of the device (the i8042's irq1 is 0, its
 * irq12 is 1); a GPIO line is mapped on first use as gpio_to_irq() does; a
 * device behind a bus host with no line of its own (the Pi's USB keyboard)
 * gets its host's interrupt (the dwc_otg one, shared, 8,000 a second).
 *
 * @example
 * ```ts
 * const irq = role_irq("keyboard"); // 1 on pc.yaml, the dwc_otg IRQ on a Pi
 * if (irq < 0) return irq;
 * return request_irq(irq, handler, IRQF_SHARED, "my_keyboard_handler", dev);
 * ```
 */
export function role_irq(role: string, num = 0): number {
  const k = kernel();
  const dev = k.roleDevice(role);
  if (!dev) return -ENXIO;
  return gi().irqsOfDevice(dev)[num] ?? -ENXIO;
}
