/**
 * The built-in plugins, by the name machine files use. They load through
 * the same path as third-party plugins.
 *
 * @module
 */

import type { PluginRegistry } from "../config/loader.ts";
import { devices } from "./devices/mod.ts";
import { genirq } from "./genirq/mod.ts";
import { i8259 } from "./i8259/mod.ts";
import { softirq } from "./softirq/mod.ts";
import { tasklet } from "./tasklet/mod.ts";
import { timers } from "./timers/mod.ts";
import { workqueue } from "./workqueue/mod.ts";
import { x86 } from "./x86/mod.ts";

/** Built-in plugin factories by name. */
export const builtinPlugins: PluginRegistry = {
  devices,
  genirq,
  i8259,
  softirq,
  tasklet,
  timers,
  workqueue,
  x86,
} as PluginRegistry;
