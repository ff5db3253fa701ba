/**
 * Shared test helpers: a bare kernel with default costs, for unit tests
 * that drive hardware models without loading a machine file.
 *
 * @module
 */
import { type Costs, Kernel, type KernelConfig } from "../core/kernel.ts";

/** Costs used by unit tests (round numbers, easy to reason about). */
export const TEST_COSTS: Costs = {
  irq_entry_ns: 1000,
  irq_exit_ns: 500,
  context_switch_ns: 2000,
  handler_ns: 1000,
  port_io_ns: 1000,
  mmio_ns: 100,
  printk_ns: 5000,
};

/** Kernel settings used by unit tests. */
export const TEST_CONFIG: KernelConfig = {
  version: "6.1",
  hz: 250,
  threadirqs: false,
  preempt: "voluntary",
  arch: "x86",
  cmdline: [],
};

/** A kernel with `nrCpus` CPUs and no plugins. */
export function testKernel(
  nrCpus = 1,
  config: Partial<KernelConfig> = {},
  costs: Partial<Costs> = {},
  seed = 1,
): Kernel {
  return new Kernel({ ...TEST_CONFIG, ...config }, { ...TEST_COSTS, ...costs }, nrCpus, seed);
}
