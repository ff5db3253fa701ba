/**
 * The legacy PC devices as a plugin: the hardware side of the i8254 PIT,
 * the i8042 keyboard controller, a 16550A UART, the MC146818 RTC and a PIIX
 * IDE channel. Each is a device kind a machine file instantiates with
 * `kind:` and wires by pin name; Linux's drivers for them live elsewhere and
 * reach them only through ports and the wires.
 *
 * | kind        | class            | pins            | stimuli               |
 * |-------------|------------------|-----------------|-----------------------|
 * | `i8254`     | {@linkcode I8254}        | `out0`          |                       |
 * | `i8042`     | {@linkcode I8042}        | `irq1`, `irq12` | `type`, `key`, `move` |
 * | `uart16550` | {@linkcode Uart16550}    | `irq`           | `receive`, `modem`    |
 * | `mc146818`  | {@linkcode Mc146818}     | `irq8`          | `set_time`            |
 * | `ata`       | {@linkcode AtaChannel}   | `irq14`/`irq15` | `request`             |
 *
 * @example
 * ```ts
 * import { devices } from "./plugins/devices/mod.ts";
 * const plugin = devices();
 * plugin.setup(ctx); // defines i8254, i8042, uart16550, mc146818, ata
 * ```
 * @module
 */

import type { Plugin } from "../../core/plugin.ts";
import { ataKind } from "./ata/mod.ts";
import { i8042Kind } from "./i8042/mod.ts";
import { i8254Kind } from "./i8254/mod.ts";
import { mc146818Kind } from "./mc146818/mod.ts";
import { Uart16550, uart16550Kind } from "./uart16550/mod.ts";
import { irqSourceKind } from "./irq_source/mod.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { OutputPin } from "../../core/line.ts";
import { GenIrqKey } from "../genirq/genirq.ts";
import { AtaChannel } from "./ata/mod.ts";
import { I8042 } from "./i8042/mod.ts";
import { I8254 } from "./i8254/mod.ts";
import { Mc146818 } from "./mc146818/mod.ts";
import { probeAtaPort } from "./ata/linux.ts";
import { probeI8042 } from "./i8042/linux.ts";
import { bootPitTimer } from "./i8254/linux.ts";
import { probeRtc } from "./mc146818/linux.ts";
import { probeSerial } from "./uart16550/linux.ts";

export * from "./ata/mod.ts";
export * from "./i8042/mod.ts";
export * from "./i8254/mod.ts";
export * from "./mc146818/mod.ts";
export * from "./uart16550/mod.ts";
export * from "./irq_source/mod.ts";

/**
 * Options of the `devices` plugin. None yet: each device takes its own
 * options in the machine file.
 */
export interface Options {
  /**
   * Boot Linux's drivers for the devices at start (PIT clockevent `timer`,
   * `i8042`, 8250 `ttyS<n>`, `rtc0`, `ata_piix`), each on the IRQ its pin is
   * wired to. Off: hardware only.
   */
  drivers: boolean;
}

/** Defaults of {@linkcode Options}. */
export const defaults = { drivers: true } satisfies Options;

/**
 * The `devices` plugin: registers the device kinds `i8254`, `i8042`,
 * `uart16550`, `mc146818` and `ata`.
 */
export function devices(options: Partial<Options> = {}): Plugin {
  const opts: Options = { ...defaults, ...options };
  return {
    name: "devices",
    requires: opts.drivers ? ["genirq"] : [],
    start(k) {
      if (opts.drivers) probeDrivers(k);
    },
    setup(ctx) {
      ctx.defineDevice(irqSourceKind);
      ctx.defineDevice(i8254Kind);
      ctx.defineDevice(i8042Kind);
      ctx.defineDevice(uart16550Kind);
      ctx.defineDevice(mc146818Kind);
      ctx.defineDevice(ataKind);
    },
  };
}

/**
 * Boot-time driver probing, in Linux's boot order: the timer (time_init),
 * then i8042, serial, rtc and ata. A device whose IRQ pin is not wired to a
 * mapped interrupt controller input is left without a driver.
 */
function probeDrivers(k: Kernel): void {
  const gi = k.bus.get(GenIrqKey);
  const devs = [...k.devices.values()];
  const irqOf = (pin: OutputPin) => gi.irqOfOutput(pin);
  for (const d of devs) if (d instanceof I8254 && irqOf(d.out0) === 0) bootPitTimer(k);
  for (const d of devs) {
    if (d instanceof I8042 && irqOf(d.irq1) === 1) probeI8042(k, irqOf(d.irq12) === 12);
  }
  let line = 0;
  for (const d of devs) {
    if (!(d instanceof Uart16550)) continue;
    const irq = irqOf(d.irq);
    if (irq >= 0) probeSerial(k, d.options.base, irq, line);
    line++;
  }
  for (const d of devs) {
    if (!(d instanceof Mc146818)) continue;
    const irq = irqOf(d.irq8);
    if (irq >= 0) probeRtc(k, irq);
  }
  let port = 0;
  for (const d of devs) {
    if (!(d instanceof AtaChannel)) continue;
    const irq = irqOf(d.irq);
    if (irq >= 0) probeAtaPort(k, port, d.commandBase, d.controlPort, irq);
    port++;
  }
}
