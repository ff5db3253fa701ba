/**
 * The built-in plugins, by the name machine files use. They load through
 * the same path as third-party plugins.
 *
 * @module
 */

import type { PluginRegistry } from "../config/loader.ts";
import { arm } from "./arm/mod.ts";
import { bcm2835_gpio } from "./bcm2835_gpio/mod.ts";
import { bcm2835_intc } from "./bcm2835_intc/mod.ts";
import { bcm2836 } from "./bcm2836/mod.ts";
import { devices } from "./devices/mod.ts";
import { rpi_devices } from "./rpi_devices/mod.ts";
import { genirq } from "./genirq/mod.ts";
import { i8259 } from "./i8259/mod.ts";
import { ioapic } from "./ioapic/mod.ts";
import { lapic } from "./lapic/mod.ts";
import { pci } from "./pci/mod.ts";
import { softirq } from "./softirq/mod.ts";
import { tasklet } from "./tasklet/mod.ts";
import { timers } from "./timers/mod.ts";
import { workqueue } from "./workqueue/mod.ts";
import { x86 } from "./x86/mod.ts";

/** Built-in plugin factories by name. */
export const builtinPlugins: PluginRegistry = {
  arm,
  bcm2835_gpio,
  bcm2835_intc,
  bcm2836,
  devices,
  rpi_devices,
  genirq,
  i8259,
  ioapic,
  lapic,
  pci,
  softirq,
  tasklet,
  timers,
  workqueue,
  x86,
} as PluginRegistry;
