/**
 * Raspberry Pi peripherals and what hangs off them, each booted with its
 * Linux driver on the IRQ its pin is wired to:
 *
 * | kind               | what                                   | pins      | stimuli           |
 * |--------------------|----------------------------------------|-----------|-------------------|
 * | `push_button`      | button with contact bounce (to 3V3)    | `out`     | `press`, `release`|
 * | `led`              | LED on a GPIO output                   | `in`      |                   |
 * | `dwc_otg`          | USB host controller, SOF every 125 µs  | `irq`     |                   |
 * | `usb_kbd`          | USB keyboard behind `dwc_otg`          |           | `type`            |
 * | `smsc95xx`         | USB Ethernet behind `dwc_otg`          |           | `burst`           |
 * | `pl011`            | the PL011 UART (`uart-pl011`)          | `irq`     | `receive`         |
 * | `bcm2835_systimer` | system timer; the tick of a Pi 1       | `c0`-`c3` |                   |
 *
 * @module
 */

import type { Kernel } from "../../core/kernel.ts";
import type { OutputPin } from "../../core/line.ts";
import type { Plugin } from "../../core/plugin.ts";
import { ArmKey, INIT_DEVICE, INIT_TIMER } from "../arm/mod.ts";
import { Bcm2836Key } from "../bcm2836/mod.ts";
import { GenIrqKey } from "../genirq/mod.ts";
import { NET_RX_SOFTIRQ, SoftirqKey } from "../softirq/mod.ts";
import { buttonKind } from "./button/mod.ts";
import { ledKind } from "./led/mod.ts";
import {
  DwcOtg,
  dwcOtgKind,
  Smsc95xx,
  smsc95xxKind,
  usbKbdKind,
  UsbKeyboard,
} from "./dwc_otg/mod.ts";
import { dwc_otg_probe } from "./dwc_otg/linux.ts";
import { Pl011, pl011Kind } from "./pl011/mod.ts";
import { pl011_startup } from "./pl011/linux.ts";
import { SysTimer, sysTimerKind } from "./systimer/mod.ts";
import { bcm2835_timer_init, DEFAULT_TIMER } from "./systimer/linux.ts";

export * from "./button/mod.ts";
export * from "./led/mod.ts";
export * from "./dwc_otg/mod.ts";
export * from "./dwc_otg/linux.ts";
export * from "./pl011/mod.ts";
export * from "./pl011/linux.ts";
export * from "./systimer/mod.ts";
export * from "./systimer/linux.ts";

/** Options of the rpi_devices plugin. */
export interface Options {
  /** Boot the Linux drivers of the devices (off: hardware only). */
  drivers: boolean;
}

/** Defaults of {@linkcode Options}. */
export const defaults = { drivers: true } satisfies Options;

/** The rpi_devices plugin factory. */
export function rpi_devices(options: Partial<Options> = {}): Plugin {
  const opts = { ...defaults, ...options };
  return {
    name: "rpi_devices",
    requires: ["arm", "genirq"],
    setup(ctx) {
      ctx.defineDevice(buttonKind);
      ctx.defineDevice(ledKind);
      ctx.defineDevice(dwcOtgKind);
      ctx.defineDevice(usbKbdKind);
      ctx.defineDevice(smsc95xxKind);
      ctx.defineDevice(pl011Kind);
      ctx.defineDevice(sysTimerKind);
      if (!opts.drivers) return;
      const k = ctx.kernel;
      const arm = k.bus.get(ArmKey);
      // time_init(): the system timer's clock event (the tick of a Pi 1).
      arm.initcall(INIT_TIMER, "bcm2835_timer_init", () => {
        for (const d of k.devices.values()) {
          if (!(d instanceof SysTimer)) continue;
          const irq = irqOf(k, d.out[DEFAULT_TIMER]);
          // a per-core arch timer (BCM2836/7) will be the better clock event
          const archTimer = k.bus.tryGet(Bcm2836Key)?.linux !== undefined;
          if (irq > 0) bcm2835_timer_init(k, d, irq, !archTimer);
        }
      });
      arm.initcall(INIT_DEVICE, "rpi_devices probe", () => probe(k));
    },
  };
}

function irqOf(k: Kernel, pin: OutputPin): number {
  return k.bus.get(GenIrqKey).irqOfOutput(pin);
}

/** Driver probing at boot, in the order the Pi's device tree lists them. */
function probe(k: Kernel): void {
  for (const d of k.devices.values()) {
    if (d instanceof Pl011) {
      const irq = irqOf(k, d.irq);
      if (irq > 0) pl011_startup(k, d, irq);
    }
  }
  for (const d of k.devices.values()) {
    if (d instanceof DwcOtg) {
      const irq = irqOf(k, d.irq);
      if (irq > 0) dwc_otg_probe(k, d, irq);
    }
  }
  // role_irq(): a USB device has no interrupt line; its host's serves it
  const gi = k.bus.get(GenIrqKey);
  for (const d of k.devices.values()) {
    if (!(d instanceof UsbKeyboard || d instanceof Smsc95xx)) continue;
    const host = k.devices.get(d.options.host);
    if (host instanceof DwcOtg) gi.busDeviceIrq.set(d, () => irqOf(k, host.irq));
  }
  const softirq = k.bus.tryGet(SoftirqKey);
  const nics = [...k.devices.values()].filter((d) => d instanceof Smsc95xx) as Smsc95xx[];
  if (!softirq || !nics.length) return;
  // net_dev_init(): open_softirq(NET_RX_SOFTIRQ, net_rx_action). The
  // backlog is per CPU; net_rx_action() takes what this CPU queued.
  const backlog = new Array(k.cpus.length).fill(0);
  softirq.open_softirq(NET_RX_SOFTIRQ, function net_rx_action() {
    const cpu = k.thisCpu().id;
    for (const nic of nics) nic.processed += backlog[cpu];
    backlog[cpu] = 0;
  });
  for (const nic of nics) {
    // usbnet rx_complete() (interrupt context) -> netif_rx(): queue, raise NET_RX.
    nic.onFrame = () => {
      backlog[k.thisCpu().id]++;
      softirq.raise_softirq(NET_RX_SOFTIRQ);
    };
  }
}
