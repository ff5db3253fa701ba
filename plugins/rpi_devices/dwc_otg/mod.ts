/**
 * The Synopsys DesignWare USB 2.0 OTG controller of the BCM2835 (`dwc_otg`,
 * GPU interrupt 9), in host mode: the busy interrupt source it is on a Pi.
 * Every 125 µs microframe it raises Start-of-Frame (GINTSTS.SOF), about
 * 8,000 interrupts a second on the IRQ row `dwc_otg, dwc_otg_pcd,
 * dwc_otg_hcd:usb1`. Transfers of the devices behind it (the USB keyboard,
 * the smsc95xx Ethernet of a Pi 3 B) complete at a microframe boundary and
 * raise the host channel interrupt (GINTSTS.HCINT) in the same interrupt.
 *
 * Registers (Synopsys DWC_otg databook names): GAHBCFG (bit 0 global
 * interrupt mask), GINTSTS (write 1 to clear), GINTMSK, HFNUM (frame
 * number). Output `irq`.
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler } from "../../../core/io.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { OutputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind, StimulusKind } from "../../../core/plugin.ts";
import { Timer } from "../../../core/scheduler.ts";
import { type TypeArgs, typeArgs } from "../../devices/mod.ts";

export const GOTGCTL = 0x000;
export const GAHBCFG = 0x008;
export const GINTSTS = 0x014;
export const GINTMSK = 0x018;
export const HFNUM = 0x408;
/** GAHBCFG.GlblIntrMsk */
export const GAHBCFG_GLBL_INTR_EN = 1 << 0;
/** GINTSTS / GINTMSK bits */
export const GINTSTS_SOF = 1 << 3;
export const GINTSTS_PRTINT = 1 << 24;
export const GINTSTS_HCINT = 1 << 25;
/** A microframe, ns. */
export const MICROFRAME_NS = 125_000;
const DWC_SIZE = 0x1000;

/** Options of a `dwc_otg`. */
export interface DwcOtgOptions {
  /** Physical base (0x3F980000 on a Pi 2/3, 0x20980000 on a Pi 1). */
  base: number;
}

/** The option schema. */
export const dwcOtgOptions: z.ZodType<DwcOtgOptions> = z.object({
  base: z.number().int().min(0).default(0x3f980000).describe("Physical base address."),
}).strict() as unknown as z.ZodType<DwcOtgOptions>;

/** A transfer that completes at a microframe: its completion runs in the driver's interrupt. */
export type UrbComplete = () => void;

/** The controller. */
export class DwcOtg implements Device {
  readonly kind = "dwc_otg";
  readonly irq: OutputPin;
  readonly pins: ReadonlyMap<string, Pin>;
  gahbcfg = 0;
  gintsts = 0;
  gintmsk = 0;
  /** Microframes since the host started (HFNUM). */
  frame = 0;
  /** Transfers due at the next microframe boundaries, in order. */
  readonly #scheduled: { frame: number; fn: UrbComplete }[] = [];
  /** Transfers done and waiting for the driver (its HCINT handling). */
  readonly done: UrbComplete[] = [];
  readonly #sof: Timer;
  #running = false;

  constructor(readonly kernel: Kernel, readonly name: string, readonly options: DwcOtgOptions) {
    this.irq = new OutputPin(`${name}.irq`, this);
    this.pins = new Map<string, Pin>([["irq", this.irq]]);
    this.#sof = new Timer(() => this.#microframe());
    const h: IoHandler = { read: (o) => this.read(o), write: (o, v) => this.write(o, v) };
    kernel.mmio.map(options.base, DWC_SIZE, h, name);
  }

  /** Start the microframe clock (the host controller running: HPRT0 powered, port enabled). */
  startHost(): void {
    if (this.#running) return;
    this.#running = true;
    this.kernel.clock.armIn(this.#sof, MICROFRAME_NS);
  }

  /** Queue a transfer completing at the first microframe at or after `at` ns that is a multiple of `everyFrames`. */
  submit(at: number, everyFrames: number, fn: UrbComplete): void {
    let f = Math.ceil(at / MICROFRAME_NS);
    if (everyFrames > 1) f = Math.ceil(f / everyFrames) * everyFrames;
    if (f <= this.frame) f = this.frame + 1;
    const q = this.#scheduled;
    let i = q.length;
    while (i > 0 && q[i - 1].frame > f) i--;
    q.splice(i, 0, { frame: f, fn });
  }

  #microframe(): void {
    this.frame++;
    this.gintsts |= GINTSTS_SOF;
    const q = this.#scheduled;
    while (q.length && q[0].frame <= this.frame) {
      this.done.push(q.shift()!.fn);
      this.gintsts |= GINTSTS_HCINT;
    }
    this.#update();
    this.kernel.clock.armIn(this.#sof, MICROFRAME_NS);
  }

  read(o: number): number {
    switch (o) {
      case GAHBCFG:
        return this.gahbcfg;
      case GINTSTS:
        return this.gintsts >>> 0;
      case GINTMSK:
        return this.gintmsk >>> 0;
      case HFNUM:
        return this.frame & 0x3fff;
    }
    return 0;
  }

  write(o: number, v: number): void {
    switch (o) {
      case GAHBCFG:
        this.gahbcfg = v;
        break;
      case GINTSTS:
        this.gintsts &= ~v; // write 1 to clear
        break;
      case GINTMSK:
        this.gintmsk = v;
        break;
      default:
        return;
    }
    this.#update();
  }

  /** The one writer of the interrupt output. */
  #update(): void {
    this.irq.set(
      (this.gahbcfg & GAHBCFG_GLBL_INTR_EN) !== 0 && (this.gintsts & this.gintmsk) !== 0,
    );
  }
}

/** Device kind `dwc_otg`. */
export const dwcOtgKind: DeviceKind<DwcOtgOptions> = {
  kind: "dwc_otg",
  description: "DesignWare USB 2.0 OTG host controller: SOF every 125 µs, transfers of its devices",
  options: dwcOtgOptions,
  create: (name, options, kernel) => new DwcOtg(kernel, name, options),
};

/** Options of a USB device behind the controller. */
export interface UsbDeviceOptions {
  /** The `dwc_otg` device it hangs off. */
  host: string;
  /** Interrupt/bulk endpoint polling interval in microframes. */
  interval: number;
}

function hostOf(k: Kernel, name: string, host: string): DwcOtg {
  const d = k.devices.get(host);
  if (!(d instanceof DwcOtg)) {
    throw new Error(`${name}: host "${host}" is not a dwc_otg device`);
  }
  return d;
}

/**
 * A USB HID boot keyboard (usbhid): `type` sends a key-down and a key-up
 * report per character; each report completes at the next poll of its
 * interrupt endpoint (8 ms for a full-speed keyboard's bInterval 10 behind
 * the high-speed hub) and reaches hid_irq_in() in the dwc_otg interrupt.
 */
export class UsbKeyboard implements Device {
  readonly kind = "usb_kbd";
  readonly pins: ReadonlyMap<string, Pin> = new Map();
  readonly stimuli: Readonly<Record<string, StimulusKind<unknown>>>;
  /** Reports delivered to the driver. */
  reports = 0;
  /** Called in interrupt context with each report's key (undefined: all keys up). */
  onReport: ((key: string | undefined) => void) | undefined;

  constructor(readonly kernel: Kernel, readonly name: string, readonly options: UsbDeviceOptions) {
    this.stimuli = {
      type: {
        description: "type text: a key-down and a key-up report per character",
        args: typeArgs,
        apply: (a: TypeArgs, at: number) => this.type(a.text, at, a.hold_ms, a.gap_ms),
      } satisfies StimulusKind<TypeArgs>,
    };
  }

  /** Schedule the reports of `text`. */
  type(text: string, at: number, holdMs = 100, gapMs = 100): void {
    const k = this.kernel;
    let t = at;
    for (const ch of text) {
      const down = t, up = t + Math.round(holdMs * 1e6);
      k.clock.schedule(down, () => this.#report(ch));
      k.clock.schedule(up, () => this.#report(undefined));
      t = up + Math.round(gapMs * 1e6);
    }
  }

  #report(key: string | undefined): void {
    const host = hostOf(this.kernel, this.name, this.options.host);
    host.submit(this.kernel.now, this.options.interval, () => {
      this.reports++;
      this.onReport?.(key);
    });
  }
}

/** Device kind `usb_kbd`. */
export const usbKbdKind: DeviceKind<UsbDeviceOptions> = {
  kind: "usb_kbd",
  description: "USB HID keyboard behind a dwc_otg host (type stimulus)",
  options: z.object({
    host: z.string().default("usb").describe("The dwc_otg device."),
    interval: z.number().int().min(1).default(64).describe(
      "Polling interval in microframes (64 = 8 ms).",
    ),
  }).strict() as unknown as z.ZodType<UsbDeviceOptions>,
  create: (name, options, kernel) => new UsbKeyboard(kernel, name, options),
};

/** Arguments of the NIC's `burst`. */
export interface BurstArgs {
  packets: number;
  interval_us: number;
}

/**
 * The LAN9514's smsc95xx Ethernet on a Pi 3 B: `burst` makes frames
 * arrive; each completes a bulk-in transfer at the next microframe and is
 * handed to the network stack (usbnet -> NET_RX softirq).
 */
export class Smsc95xx implements Device {
  readonly kind = "smsc95xx";
  readonly pins: ReadonlyMap<string, Pin> = new Map();
  readonly stimuli: Readonly<Record<string, StimulusKind<unknown>>>;
  /** Frames delivered to the driver. */
  frames = 0;
  /** Frames the network stack took from the backlog (net_rx_action). */
  processed = 0;
  /** Called in interrupt context per frame (the driver's rx_complete). */
  onFrame: (() => void) | undefined;

  constructor(readonly kernel: Kernel, readonly name: string, readonly options: UsbDeviceOptions) {
    this.stimuli = {
      burst: {
        description: "frames arriving: packets of them, interval_us apart",
        args: z.object({
          packets: z.number().int().min(1).max(1_000_000).default(10),
          interval_us: z.number().positive().default(100),
        }).strict(),
        apply: (a: BurstArgs, at: number) => this.burst(a.packets, a.interval_us, at),
      } satisfies StimulusKind<BurstArgs>,
    };
  }

  /** Schedule `n` frames from `at`, `intervalUs` apart. */
  burst(n: number, intervalUs: number, at: number): void {
    const k = this.kernel;
    for (let i = 0; i < n; i++) {
      k.clock.schedule(at + Math.round(i * intervalUs * 1000), () => {
        hostOf(k, this.name, this.options.host).submit(k.now, this.options.interval, () => {
          this.frames++;
          this.onFrame?.();
        });
      });
    }
  }
}

/** Device kind `smsc95xx`. */
export const smsc95xxKind: DeviceKind<UsbDeviceOptions> = {
  kind: "smsc95xx",
  description: "SMSC LAN9514 USB Ethernet behind a dwc_otg host (burst stimulus)",
  options: z.object({
    host: z.string().default("usb").describe("The dwc_otg device."),
    interval: z.number().int().min(1).default(1).describe("Bulk-in polling, microframes."),
  }).strict() as unknown as z.ZodType<UsbDeviceOptions>,
  create: (name, options, kernel) => new Smsc95xx(kernel, name, options),
};
