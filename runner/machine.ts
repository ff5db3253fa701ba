/**
 * A machine driven headless, for register-level tests (ours and third
 * parties'): port I/O, MMIO, setting any device output line, reading any
 * line and each CPU's INTR pin, and one interrupt-acknowledge cycle that
 * returns the vector — without the CPUs running anything until `run()`.
 *
 * @example
 * ```ts
 * const m = await Machine.load("machines/pc.yaml");
 * m.setLine("keyboard.irq1", true);   // the i8042 raises IRQ 1
 * m.intr(0);                          // true: the master PIC asserts INTR
 * m.inta(0);                          // 0x31: ISA_IRQ_VECTOR(1)
 * m.outb(0x61, 0x20);                 // specific EOI for IR1
 * ```
 * @module
 */

import type { Kernel } from "../core/kernel.ts";
import type { PluginRegistry } from "../config/loader.ts";
import { InputPin, OutputPin } from "../core/line.ts";
import { hasInta } from "../core/plugin.ts";
import { loadMachine } from "./mod.ts";

/** Raised for a pin or CPU that does not exist. */
export class MachineError extends Error {
  override name = "MachineError";
}

/** A loaded machine with a headless driving API. */
export class Machine {
  /** Create a Machine. */
  constructor(readonly kernel: Kernel) {}

  /** Load a machine file (devices created, wired and booted; CPUs not yet running). */
  static async load(
    file: string,
    opts: { seed?: number; registry?: PluginRegistry } = {},
  ): Promise<Machine> {
    const { kernel } = await loadMachine(file, opts);
    return new Machine(kernel);
  }

  /** outb(value, port), Linux argument order. */
  outb(value: number, port: number): void {
    this.kernel.enter(() => this.kernel.ports.write(port, value & 0xff, 1));
  }
  /** inb(port) */
  inb(port: number): number {
    return this.kernel.enter(() => this.kernel.ports.read(port, 1) & 0xff);
  }
  /** outl(value, port) */
  outl(value: number, port: number): void {
    this.kernel.enter(() => this.kernel.ports.write(port, value >>> 0, 4));
  }
  /** inl(port) */
  inl(port: number): number {
    return this.kernel.enter(() => this.kernel.ports.read(port, 4) >>> 0);
  }
  /** readl(physical address) */
  readl(addr: number): number {
    return this.kernel.enter(() => this.kernel.mmio.read(addr, 4) >>> 0);
  }
  /** writel(value, physical address) */
  writel(value: number, addr: number): void {
    this.kernel.enter(() => this.kernel.mmio.write(addr, value >>> 0, 4));
  }

  #pin(name: string) {
    const dot = name.indexOf(".");
    const dev = this.kernel.devices.get(name.slice(0, dot));
    const pin = dev?.pins.get(name.slice(dot + 1));
    if (!dev || !pin) {
      throw new MachineError(
        `No pin "${name}": devices are ${[...this.kernel.devices.keys()].join(", ")}${
          dev ? `; ${dev.name} has pins ${[...dev.pins.keys()].join(", ")}` : ""
        }`,
      );
    }
    return pin;
  }

  /** Drive a device output pin (`<device>.<pin>`) to a level. */
  setLine(name: string, level: boolean): void {
    const pin = this.#pin(name);
    if (!(pin instanceof OutputPin)) {
      throw new MachineError(`Cannot drive ${name}: it is an input pin`);
    }
    this.kernel.enter(() => pin.set(level));
  }

  /** Level of any pin. */
  line(name: string): boolean {
    const pin = this.#pin(name);
    return pin instanceof InputPin || pin instanceof OutputPin ? pin.level : false;
  }

  /** Level of a CPU's INTR pin. */
  intr(cpu = 0): boolean {
    return this.line(`cpu${cpu}.intr`);
  }

  /** One interrupt-acknowledge cycle on a CPU's INTR driver; returns the vector. */
  inta(cpu = 0): number {
    const pin = this.#pin(`cpu${cpu}.intr`) as InputPin;
    const owner = pin.drivers[0]?.owner;
    if (!hasInta(owner)) {
      throw new MachineError(`cpu${cpu}.intr is not driven by an interrupt controller`);
    }
    return this.kernel.enter(() => owner.inta());
  }

  /** Start the CPUs (once) and run for `ns` of simulated time. */
  run(ns: number): void {
    if (!this.#started) {
      this.#started = true;
      for (const c of this.kernel.cpus) c.start();
    }
    this.kernel.runUntil(this.kernel.now + ns);
  }
  #started = false;

  /** A /proc file. */
  proc(path: string): string | undefined {
    return this.kernel.procfs.read(path);
  }

  /**
   * Write a /proc or /sys file, like `echo data > path`: the bytes written,
   * or a negative errno (`-5` EIO, `-22` EINVAL...).
   */
  write(path: string, data: string): number {
    return this.kernel.enter(() => this.kernel.procfs.write(path, data));
  }

  /** dmesg text. */
  dmesg(): string {
    return this.kernel.log.dmesg();
  }
}
