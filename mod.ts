/**
 * irqlab's public API.
 *
 * - For kernel modules (scenarios/drivers/*.ts): the kernel API in the
 *   kernel's names — `request_irq`, `free_irq`, `IRQF_SHARED`, `inb`,
 *   `pr_info`, `udelay`, `msleep`, `module_init`, ...
 * - For plugin authors: the core contracts (`Plugin`, `DeviceKind`,
 *   `Device`, pins and wires, `RegisterFile`, service keys and events).
 * - For tools and tests: loading machines and running scenarios headless
 *   (`loadMachine`, `runScenario`, the `Machine` handle with port I/O, MMIO,
 *   line control and INTA cycles).
 *
 * @example
 * ```ts
 * import { IRQ_NONE, IRQF_SHARED, inb, module_init, pr_info, request_irq } from "./mod.ts";
 * function handler(_irq: number, _dev: unknown) {
 *   pr_info("scancode %x\n", inb(0x60));
 *   return IRQ_NONE;
 * }
 * module_init(() => request_irq(1, handler, IRQF_SHARED, "observer", {}));
 * ```
 * @module
 */

export * from "./core/mod.ts";
export * from "./linux/mod.ts";
export * from "./plugins/genirq/mod.ts";
export * from "./plugins/softirq/mod.ts";
export * from "./plugins/tasklet/mod.ts";
export * from "./plugins/timers/mod.ts";
export * from "./plugins/workqueue/mod.ts";
export {
  flush_tlb_all,
  flush_tlb_multi,
  irq_work_queue,
  on_each_cpu,
  smp_call_function,
  smp_call_function_many,
  smp_call_function_single,
  smp_send_reschedule,
} from "./plugins/lapic/mod.ts";
export {
  NMI_DONE,
  NMI_HANDLED,
  NMI_LOCAL,
  NMI_UNKNOWN,
  type NmiHandler,
  register_nmi_handler,
  unregister_nmi_handler,
} from "./plugins/x86/mod.ts";
export { builtinPlugins } from "./plugins/mod.ts";
export { checkExpectations, loadMachine, runScenario } from "./runner/mod.ts";
export type { RunOptions, RunResult } from "./runner/mod.ts";
export { Machine } from "./runner/machine.ts";
export {
  gpio_direction_input,
  gpio_direction_output,
  gpio_free,
  gpio_get_value,
  gpio_is_valid,
  gpio_request,
  gpio_set_debounce,
  gpio_set_value,
  gpio_to_irq,
} from "./plugins/bcm2835_gpio/mod.ts";
// gpiolib for third-party GPIO controllers (examples/gpio_sim)
export {
  ARCH_NR_GPIOS,
  FLAG_IS_OUT,
  FLAG_REQUESTED,
  GPIO_LINE_DIRECTION_IN,
  GPIO_LINE_DIRECTION_OUT,
  type GpioChip,
  type GpioDesc,
  Gpiolib,
  GpiolibKey,
  PIN_CONFIG_BIAS_PULL_DOWN,
  PIN_CONFIG_BIAS_PULL_UP,
} from "./plugins/bcm2835_gpio/mod.ts";
export { readView, viewPaths } from "./runner/views.ts";
export type { ViewMachine } from "./runner/views.ts";
export { PerfettoRecorder } from "./runner/perfetto.ts";
export { formatLatencyHist, formatLatencyTop, LatencyRecorder } from "./runner/latency.ts";
export type { LatencyReport } from "./runner/latency.ts";
// types the public API refers to (deno doc --lint: no private type references)
export type { PluginRegistry } from "./config/loader.ts";
export type { MachineSpec } from "./config/machine.ts";
export type { ScenarioSpec } from "./config/scenario.ts";
export type { PathSegment, YamlSource, YamlSourceOptions } from "./config/source.ts";
export type { JobResult } from "./plugins/signal/shell.ts";
export type { Breakdown, LatencyStats, Sample, WorstCase } from "./runner/latency.ts";
export type { ChromeEvent } from "./runner/perfetto.ts";
