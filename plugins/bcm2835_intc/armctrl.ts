/**
 * The BCM2835 ARM interrupt controller ("ARMCTRL") at peripheral base +
 * 0xB200 (BCM2835 ARM Peripherals, chapter 7; the quirks listed at the top
 * of drivers/irqchip/irq-bcm2835.c; QEMU hw/intc/bcm2835_ic.c).
 *
 * 64 GPU interrupt inputs (`gpu0`..`gpu63`, level) and 8 ARM ones
 * (`arm0`..`arm7`: ARM timer, ARM mailbox, doorbells 0/1, GPU0/1 halted,
 * illegal access 1/0). The pending registers show asserted *and enabled*
 * sources. IRQ basic pending also carries bit 8/9 ("something in pending
 * 1/2") and the shortcut bits 10-20 for GPU 7, 9, 10, 18, 19, 53, 54, 55,
 * 56, 57, 62: a shortcut source sets its shortcut bit and its bank bit but
 * not bit 8/9 (quirk 1). Enable registers are write-1-to-set, disable
 * registers write-1-to-clear. Output `irq` is "anything pending"; `fiq`
 * follows the source selected in the FIQ control register.
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler } from "../../core/io.ts";
import type { Kernel } from "../../core/kernel.ts";
import { InputPin, OutputPin, type Pin } from "../../core/line.ts";
import type { Device, DeviceKind } from "../../core/plugin.ts";

// Register offsets from the controller base (BCM2835 ARM Peripherals 7.5)
export const IRQ_BASIC_PENDING = 0x00;
export const IRQ_PENDING_1 = 0x04;
export const IRQ_PENDING_2 = 0x08;
export const FIQ_CONTROL = 0x0c;
export const ENABLE_IRQS_1 = 0x10;
export const ENABLE_IRQS_2 = 0x14;
export const ENABLE_BASIC_IRQS = 0x18;
export const DISABLE_IRQS_1 = 0x1c;
export const DISABLE_IRQS_2 = 0x20;
export const DISABLE_BASIC_IRQS = 0x24;
/** Size of the register block. */
export const ARMCTRL_SIZE = 0x28;

/** FIQ control: bits 0-6 source (0-63 GPU, 64-71 ARM), bit 7 enable. */
export const FIQ_CONTROL_SOURCE_MASK = 0x7f;
export const FIQ_CONTROL_ENABLE = 1 << 7;

/** Basic pending bit 8: a non-shortcut source pending in pending 1. */
export const BANK1_HWIRQ = 1 << 8;
/** Basic pending bit 9: a non-shortcut source pending in pending 2. */
export const BANK2_HWIRQ = 1 << 9;
export const SHORTCUT1_MASK = 0x00007c00;
export const SHORTCUT2_MASK = 0x001f8000;
export const SHORTCUT_SHIFT = 10;
/** The GPU bits of the shortcuts, in basic pending order (irq-bcm2835.c `shortcuts[]`). */
export const SHORTCUTS: readonly number[] = [7, 9, 10, 18, 19, 21, 22, 23, 24, 25, 30];

/** GPU interrupt numbers (BCM2835 ARM Peripherals 7.5, "ARM peripherals interrupts table"). */
export const GPU_IRQ = {
  SYSTEM_TIMER_0: 0,
  SYSTEM_TIMER_1: 1,
  SYSTEM_TIMER_2: 2,
  SYSTEM_TIMER_3: 3,
  USB: 9,
  DMA0: 16,
  AUX: 29,
  I2C_SPI_SLV: 43,
  PWA0: 45,
  PWA1: 46,
  SMI: 48,
  GPIO0: 49,
  GPIO1: 50,
  GPIO2: 51,
  GPIO3: 52,
  I2C: 53,
  SPI: 54,
  PCM: 55,
  SDHOST: 56,
  UART: 57,
  ARASANSDIO: 62,
} as const;

/** Options of an `bcm2835_armctrl` device. */
export interface ArmctrlOptions {
  /** Physical base: peripheral base + 0xB200 (0x3F00B200 on a Pi 2/3, 0x2000B200 on a Pi 1). */
  base: number;
  /**
   * Enable registers as the firmware leaves them at kernel entry: basic, 1, 2.
   * A Pi 3's firmware leaves GPU 9 (USB) enabled, so Linux reports
   * "[Firmware Bug]: Bootloader left irq enabled: bank 1 irq 9".
   */
  firmware_enables?: number[];
}

/** The option schema. */
export const armctrlOptions: z.ZodType<ArmctrlOptions> = z.object({
  base: z.number().int().min(0).default(0x3f00b200).describe(
    "Physical base address (peripheral base + 0xB200).",
  ),
  firmware_enables: z.array(z.number().int().min(0).max(0xffffffff)).length(3).default([0, 0, 0])
    .describe("ENABLE_BASIC_IRQS, ENABLE_IRQS_1, ENABLE_IRQS_2 as the firmware leaves them."),
}).strict() as unknown as z.ZodType<ArmctrlOptions>;

/** The ARMCTRL interrupt controller. */
export class Armctrl implements Device {
  readonly kind = "bcm2835_armctrl";
  readonly pins: ReadonlyMap<string, Pin>;
  /** IRQ output (to the BCM2836 `gpu` input, or a Pi 1 CPU's `intr`). */
  readonly irq: OutputPin;
  /** FIQ output. */
  readonly fiq: OutputPin;
  /** GPU input levels, 0-31 and 32-63. */
  readonly gpuLevel = new Uint32Array(2);
  /** ARM (basic) input levels, bits 0-7. */
  armLevel = 0;
  /** Enable IRQs 1, 2 and basic. */
  readonly enable = new Uint32Array(2);
  enableBasic = 0;
  fiqControl = 0;

  constructor(readonly kernel: Kernel, readonly name: string, readonly options: ArmctrlOptions) {
    const pins = new Map<string, Pin>();
    this.irq = new OutputPin(`${name}.irq`, this);
    this.fiq = new OutputPin(`${name}.fiq`, this);
    pins.set("irq", this.irq);
    pins.set("fiq", this.fiq);
    for (let i = 0; i < 64; i++) {
      const bank = i >> 5, bit = 1 << (i & 31);
      pins.set(
        `gpu${i}`,
        new InputPin(
          `${name}.gpu${i}`,
          (l) => {
            this.gpuLevel[bank] = l ? this.gpuLevel[bank] | bit : this.gpuLevel[bank] & ~bit;
            this.#update();
          },
          true,
          this,
        ),
      );
    }
    for (let i = 0; i < 8; i++) {
      pins.set(
        `arm${i}`,
        new InputPin(
          `${name}.arm${i}`,
          (l) => {
            this.armLevel = l ? this.armLevel | (1 << i) : this.armLevel & ~(1 << i);
            this.#update();
          },
          true,
          this,
        ),
      );
    }
    this.pins = pins;
    const handler: IoHandler = { read: (o) => this.read(o), write: (o, v) => this.write(o, v) };
    kernel.mmio.map(options.base, ARMCTRL_SIZE, handler, name);
    const fw = options.firmware_enables ?? [0, 0, 0];
    this.enableBasic = fw[0] & 0xff;
    this.enable[0] = fw[1];
    this.enable[1] = fw[2];
  }

  /** IRQ pending 1 / 2: asserted and enabled GPU sources. */
  pendingBank(bank: 0 | 1): number {
    return (this.gpuLevel[bank] & this.enable[bank]) >>> 0;
  }

  /** IRQ basic pending, with bits 8/9 and the shortcuts as the hardware sets them. */
  basicPending(): number {
    let r = this.armLevel & this.enableBasic & 0xff;
    let p1 = this.pendingBank(0), p2 = this.pendingBank(1);
    for (let i = 0; i < SHORTCUTS.length; i++) {
      const bank = i < 5 ? 0 : 1;
      const bit = 1 << SHORTCUTS[i];
      if (bank === 0 && (p1 & bit)) {
        r |= 1 << (SHORTCUT_SHIFT + i);
        p1 &= ~bit;
      } else if (bank === 1 && (p2 & bit)) {
        r |= 1 << (SHORTCUT_SHIFT + i);
        p2 &= ~bit;
      }
    }
    if (p1) r |= BANK1_HWIRQ;
    if (p2) r |= BANK2_HWIRQ;
    return r >>> 0;
  }

  read(o: number): number {
    switch (o) {
      case IRQ_BASIC_PENDING:
        return this.basicPending();
      case IRQ_PENDING_1:
        return this.pendingBank(0);
      case IRQ_PENDING_2:
        return this.pendingBank(1);
      case FIQ_CONTROL:
        return this.fiqControl;
      case ENABLE_IRQS_1:
        return this.enable[0];
      case ENABLE_IRQS_2:
        return this.enable[1];
      case ENABLE_BASIC_IRQS:
        return this.enableBasic;
      // Reading a disable register returns the complement of the enables (QEMU bcm2835_ic.c).
      case DISABLE_IRQS_1:
        return ~this.enable[0] >>> 0;
      case DISABLE_IRQS_2:
        return ~this.enable[1] >>> 0;
      case DISABLE_BASIC_IRQS:
        return ~this.enableBasic & 0xff;
    }
    return 0;
  }

  write(o: number, v: number): void {
    v >>>= 0;
    switch (o) {
      case FIQ_CONTROL:
        this.fiqControl = v & 0xff;
        break;
      case ENABLE_IRQS_1:
        this.enable[0] |= v;
        break;
      case ENABLE_IRQS_2:
        this.enable[1] |= v;
        break;
      case ENABLE_BASIC_IRQS:
        this.enableBasic |= v & 0xff;
        break;
      case DISABLE_IRQS_1:
        this.enable[0] &= ~v;
        break;
      case DISABLE_IRQS_2:
        this.enable[1] &= ~v;
        break;
      case DISABLE_BASIC_IRQS:
        this.enableBasic &= ~v & 0xff;
        break;
      default:
        return; // pending registers are read-only
    }
    this.#update();
  }

  /** The one writer of the outputs. */
  #update(): void {
    const any = (this.armLevel & this.enableBasic & 0xff) !== 0 || this.pendingBank(0) !== 0 ||
      this.pendingBank(1) !== 0;
    this.irq.set(any);
    let fiq = false;
    if (this.fiqControl & FIQ_CONTROL_ENABLE) {
      const src = this.fiqControl & FIQ_CONTROL_SOURCE_MASK;
      if (src < 64) fiq = (this.gpuLevel[src >> 5] & (1 << (src & 31))) !== 0;
      else if (src < 72) fiq = (this.armLevel & (1 << (src - 64))) !== 0;
    }
    this.fiq.set(fiq);
  }
}

/** Device kind `bcm2835_armctrl` (DT compatible "brcm,bcm2835-armctrl-ic"). */
export const armctrlKind: DeviceKind<ArmctrlOptions> = {
  kind: "bcm2835_armctrl",
  description: "BCM2835 ARM interrupt controller (ARMCTRL): 64 GPU and 8 ARM sources",
  options: armctrlOptions,
  create: (name, options, kernel) => new Armctrl(kernel, name, options),
};
