/**
 * The plugin and device contracts. A plugin is a factory returning
 * `{ name, requires?, setup, start? }`; `setup` registers device kinds,
 * services and listeners and may not touch the clock; `start` may program
 * hardware and schedule events. Built-in subsystems load through the same
 * path as third-party ones.
 *
 * @example
 * ```ts
 * export interface Options { verbose: boolean }
 * export const defaults = { verbose: false } satisfies Options;
 * export function hello(options: Partial<Options> = {}): Plugin {
 *   const opts = { ...defaults, ...options };
 *   return {
 *     name: "hello",
 *     setup(ctx) {},
 *     start(k) { if (opts.verbose) k.printk(6, "hello: started"); },
 *   };
 * }
 * ```
 * @module
 */

import type { z } from "zod";
import type { Kernel } from "./kernel.ts";
import type { Pin } from "./line.ts";

/** A plugin instance. */
export interface Plugin {
  /** Unique name; other plugins list it in `requires`. */
  readonly name: string;
  /** Plugins that must be set up before this one. */
  readonly requires?: readonly string[];
  /** Register device kinds, services and listeners. Must not schedule events. */
  setup(ctx: SetupContext): void;
  /** Devices exist and are wired: program hardware, boot drivers, schedule events. */
  start?(kernel: Kernel): void;
}

/** A plugin factory as referenced from a machine file: `name(options)`. */
export type PluginFactory = (options?: Record<string, unknown>) => Plugin;

/** What `setup` gets. */
export interface SetupContext {
  /** The kernel being built. */
  readonly kernel: Kernel;
  /** Register a device kind that machine files can instantiate. */
  defineDevice<O>(kind: DeviceKind<O>): void;
}

/** A kind of device (`i8259`, `i8042`, ...). */
export interface DeviceKind<O> {
  /** Name used as `kind:` in machine files. */
  readonly kind: string;
  /** One-line description for errors and docs. */
  readonly description: string;
  /**
   * Schema of the device's `options:` block (validated, located errors): a
   * zod schema, hidden from the generated docs because zod's types are not
   * part of this package's API.
   * @ignore
   */
  readonly options: z.ZodType<O>;
  /** Build an instance. Pins must exist when this returns (wiring follows). */
  create(name: string, options: O, kernel: Kernel): Device;
}

/** A stimulus a device accepts (keyboard `type`, button `press`...). */
export interface StimulusKind<A> {
  /** What the stimulus does, for errors and docs. */
  readonly description: string;
  /**
   * Schema of the stimulus arguments (a zod schema; hidden from the generated
   * docs because zod's types are not part of this package's API).
   * @ignore
   */
  readonly args: z.ZodType<A>;
  /** Schedule the stimulus starting at `at` ns. */
  apply(args: A, at: number): void;
}

/** A device instance. */
export interface Device {
  /** Instance name from the machine file. */
  readonly name: string;
  /** Its device kind. */
  readonly kind: string;
  /** Named pins, `<name>.<pin>` in wires. */
  readonly pins: ReadonlyMap<string, Pin>;
  /** Stimuli by name, for scenarios (resolved through roles). */
  readonly stimuli?: Readonly<Record<string, StimulusKind<unknown>>>;
  /** Optional hardware reset. */
  reset?(): void;
}

/** An x86-style interrupt acknowledge: the device on a CPU's INTR pin answers INTA. */
export interface InterruptAcknowledge {
  /** Run one INTA cycle and return the vector. */
  inta(): number;
}

/** True when a device implements {@linkcode InterruptAcknowledge}. */
export function hasInta(d: unknown): d is InterruptAcknowledge {
  return typeof (d as InterruptAcknowledge)?.inta === "function";
}
