/**
 * The core's public surface: bus, clock, wires, registers, address spaces,
 * CPUs, tasks, log, trace and the plugin contracts. The core knows no chip,
 * no softirq and no HTTP.
 *
 * @module
 */
export * from "./body.ts";
export * from "./bus.ts";
export * from "./cpu.ts";
export * from "./errors.ts";
export * from "./io.ts";
export * from "./kernel.ts";
export * from "./line.ts";
export * from "./plugin.ts";
export * from "./printk.ts";
export * from "./random.ts";
export * from "./registers.ts";
export * from "./sched.ts";
export * from "./scheduler.ts";
export * from "./trace.ts";
export * from "./procfs.ts";
