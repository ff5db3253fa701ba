/**
 * The BCM2835 GPIO block at peripheral base + 0x200000 (BCM2835 ARM
 * Peripherals, chapter 6): 54 pins in two banks (0-31, 32-53), function
 * select, output set/clear, level, event detect status (write 1 to clear),
 * rising/falling/high/low and asynchronous rising/falling detect enables,
 * and the pull-up/down control with its clocking sequence.
 *
 * Pins: `gpio<n>` (input: a device driving the pad high, e.g. a button to
 * 3V3 when closed; open lets the pull decide), `gpio<n>_out` (output: the
 * pad level, for an LED), and the bank interrupts `int0`..`int3`
 * (gpio_int[0..3] = GPU interrupts 49-52): int0 for GPIO 0-27, int1 for
 * 28-45, int2 for 46-53, int3 for any (BCM2835 datasheet errata and the
 * pinctrl-bcm2835 bank split).
 *
 * The pull latches only as the datasheet's sequence has it: write GPPUD,
 * wait 150 cycles (set-up), assert the clock in GPPUDCLK0/1 for the pads,
 * wait 150 cycles (hold), then remove the control and the clock. A pad
 * takes the control value when its clock is removed or the control changes
 * under it, provided both waits were met; otherwise it keeps its pull and
 * the model logs the short sequence once.
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler } from "../../core/io.ts";
import type { Kernel } from "../../core/kernel.ts";
import { InputPin, OutputPin, type Pin } from "../../core/line.ts";
import type { Device, DeviceKind } from "../../core/plugin.ts";

// Register offsets (BCM2835 ARM Peripherals 6.1)
export const GPFSEL0 = 0x00;
export const GPFSEL5 = 0x14;
export const GPSET0 = 0x1c;
export const GPSET1 = 0x20;
export const GPCLR0 = 0x28;
export const GPCLR1 = 0x2c;
export const GPLEV0 = 0x34;
export const GPLEV1 = 0x38;
export const GPEDS0 = 0x40;
export const GPEDS1 = 0x44;
export const GPREN0 = 0x4c;
export const GPREN1 = 0x50;
export const GPFEN0 = 0x58;
export const GPFEN1 = 0x5c;
export const GPHEN0 = 0x64;
export const GPHEN1 = 0x68;
export const GPLEN0 = 0x70;
export const GPLEN1 = 0x74;
export const GPAREN0 = 0x7c;
export const GPAREN1 = 0x80;
export const GPAFEN0 = 0x88;
export const GPAFEN1 = 0x8c;
export const GPPUD = 0x94;
export const GPPUDCLK0 = 0x98;
export const GPPUDCLK1 = 0x9c;
/** Size of the block (GPIO_SIZE in the classic module). */
export const GPIO_SIZE = 0xb4;

/** Number of pins. */
export const BCM2835_NUM_GPIOS = 54;

/** GPFSEL function codes. */
export const BCM2835_FSEL_GPIO_IN = 0;
export const BCM2835_FSEL_GPIO_OUT = 1;
export const BCM2835_FSEL_ALT5 = 2;
export const BCM2835_FSEL_ALT4 = 3;
export const BCM2835_FSEL_ALT0 = 4;
export const BCM2835_FSEL_ALT1 = 5;
export const BCM2835_FSEL_ALT2 = 6;
export const BCM2835_FSEL_ALT3 = 7;

/** GPPUD control values. */
export const BCM2835_PUD_OFF = 0;
export const BCM2835_PUD_DOWN = 1;
export const BCM2835_PUD_UP = 2;

/** Cycles the pull control must be set up and held (datasheet: "wait 150 cycles"). */
export const GPPUD_SETUP_CYCLES = 150;

/**
 * Pulls after reset (BCM2835 ARM Peripherals table 6-31, "Pull" column):
 * 0-8 high, 9-27 low, 28-29 none, 30-33 low, 34-36 high, 37-45 low,
 * 46-53 high.
 */
export function resetPull(pin: number): number {
  if (pin <= 8) return BCM2835_PUD_UP;
  if (pin <= 27) return BCM2835_PUD_DOWN;
  if (pin <= 29) return BCM2835_PUD_OFF;
  if (pin <= 33) return BCM2835_PUD_DOWN;
  if (pin <= 36) return BCM2835_PUD_UP;
  if (pin <= 45) return BCM2835_PUD_DOWN;
  return BCM2835_PUD_UP;
}

/** Options of a `bcm2835_gpio` device. */
export interface GpioOptions {
  /** Physical base: peripheral base + 0x200000. */
  base: number;
  /** Clock of the GPIO block, MHz (the VPU core clock: 250 MHz on a Pi 1-3). */
  core_clock_mhz: number;
}

/** The option schema. */
export const gpioOptions: z.ZodType<GpioOptions> = z.object({
  base: z.number().int().min(0).default(0x3f200000).describe(
    "Physical base address (peripheral base + 0x200000).",
  ),
  core_clock_mhz: z.number().positive().default(250).describe(
    "Clock the pull set-up/hold cycles count in, MHz.",
  ),
}).strict() as unknown as z.ZodType<GpioOptions>;

/** Bank interrupt groups: which pins raise gpio_int[0..2] (int3 = any). */
export const GPIO_INT_GROUPS: readonly (readonly [number, number])[] = [
  [0x0fffffff, 0x00000000], // gpio_int[0]: GPIO 0-27
  [0xf0000000, 0x00003fff], // gpio_int[1]: GPIO 28-45
  [0x00000000, 0x003fc000], // gpio_int[2]: GPIO 46-53
];

/** The GPIO block. */
export class Bcm2835Gpio implements Device {
  readonly kind = "bcm2835_gpio";
  readonly pins: ReadonlyMap<string, Pin>;
  /** Pads driven from outside (`gpio<n>`). */
  readonly inputs: InputPin[] = [];
  /** Pad levels out (`gpio<n>_out`). */
  readonly outputs: OutputPin[] = [];
  /** gpio_int[0..3]. */
  readonly banks: OutputPin[] = [];
  /** Function select per pin (3 bits). */
  readonly fsel = new Uint8Array(BCM2835_NUM_GPIOS);
  /** Latched pull per pin. */
  readonly pull = new Uint8Array(BCM2835_NUM_GPIOS);
  /** Output latches (GPSET/GPCLR). */
  readonly out = new Uint32Array(2);
  /** Pad levels (GPLEV). */
  readonly lev = new Uint32Array(2);
  /** Event detect status (GPEDS). */
  readonly eds = new Uint32Array(2);
  readonly ren = new Uint32Array(2);
  readonly fen = new Uint32Array(2);
  readonly hen = new Uint32Array(2);
  readonly len = new Uint32Array(2);
  readonly aren = new Uint32Array(2);
  readonly afen = new Uint32Array(2);
  /** GPPUD control and when it was last written (ns). */
  pudControl = 0;
  pudWrittenAt = 0;
  /** GPPUDCLK0/1 and when each pad's clock was asserted (ns, -1: not asserted). */
  readonly pudClk = new Uint32Array(2);
  readonly pudClkAt = new Float64Array(BCM2835_NUM_GPIOS).fill(-1);
  /** The control value each clocked pad saw when its clock was asserted. */
  readonly pudClkControl = new Uint8Array(BCM2835_NUM_GPIOS);
  /** Pads whose control value changed while clocked before the hold time. */
  readonly pudClkBroken = new Uint8Array(BCM2835_NUM_GPIOS);
  #logged = new Set<string>();

  constructor(readonly kernel: Kernel, readonly name: string, readonly options: GpioOptions) {
    const pins = new Map<string, Pin>();
    for (let n = 0; n < BCM2835_NUM_GPIOS; n++) {
      this.pull[n] = resetPull(n);
      const i = new InputPin(`${name}.gpio${n}`, () => this.#padChanged(n), false, this);
      const o = new OutputPin(`${name}.gpio${n}_out`, this);
      this.inputs.push(i);
      this.outputs.push(o);
      pins.set(`gpio${n}`, i);
      pins.set(`gpio${n}_out`, o);
    }
    for (let b = 0; b < 4; b++) {
      const p = new OutputPin(`${name}.int${b}`, this);
      this.banks.push(p);
      pins.set(`int${b}`, p);
    }
    this.pins = pins;
    for (let n = 0; n < BCM2835_NUM_GPIOS; n++) this.#padChanged(n, true);
    const handler: IoHandler = { read: (o) => this.read(o), write: (o, v) => this.write(o, v) };
    kernel.mmio.map(options.base, GPIO_SIZE, handler, name);
  }

  /** Time as the CPU sees it: now plus the busy time already charged in this step. */
  #now(): number {
    const k = this.kernel;
    return k.now + (k.currentCpu?.accum ?? 0);
  }

  /** The pad level of pin `n` from its function, output latch, outside driver and pull. */
  padLevel(n: number): boolean {
    const b = n >> 5, bit = 1 << (n & 31);
    if (this.fsel[n] === BCM2835_FSEL_GPIO_OUT) return (this.out[b] & bit) !== 0;
    if (this.inputs[n].level) return true; // driven high from outside
    return this.pull[n] === BCM2835_PUD_UP; // open: the pull decides (floating reads low)
  }

  #padChanged(n: number, init = false): void {
    const b = n >> 5, bit = (1 << (n & 31)) >>> 0;
    const level = this.padLevel(n);
    const was = (this.lev[b] & bit) !== 0;
    if (level !== was || init) {
      this.lev[b] = level ? this.lev[b] | bit : this.lev[b] & ~bit;
      if (!init) {
        // Edge detect: synchronous (GPREN/GPFEN) and asynchronous (GPAREN/GPAFEN).
        if (level && ((this.ren[b] | this.aren[b]) & bit)) this.eds[b] |= bit;
        if (!level && ((this.fen[b] | this.afen[b]) & bit)) this.eds[b] |= bit;
      }
      this.outputs[n].set(level);
    }
    this.#levelDetect(b);
    this.#update();
  }

  /** High/low level detect: the status bit is set while the level matches. */
  #levelDetect(b: number): void {
    this.eds[b] |= (this.hen[b] & this.lev[b]) | (this.len[b] & ~this.lev[b]);
  }

  /** The one writer of the bank interrupts. */
  #update(): void {
    const e0 = this.eds[0], e1 = this.eds[1];
    for (let g = 0; g < 3; g++) {
      const [m0, m1] = GPIO_INT_GROUPS[g];
      this.banks[g].set(((e0 & m0) | (e1 & m1)) !== 0);
    }
    this.banks[3].set((e0 | e1) !== 0);
  }

  read(o: number): number {
    if (o >= GPFSEL0 && o <= GPFSEL5 && (o & 3) === 0) {
      const first = (o >> 2) * 10;
      let v = 0;
      for (let i = 0; i < 10 && first + i < BCM2835_NUM_GPIOS; i++) {
        v |= this.fsel[first + i] << (3 * i);
      }
      return v >>> 0;
    }
    switch (o) {
      case GPLEV0:
        return this.lev[0];
      case GPLEV1:
        return this.lev[1];
      case GPEDS0:
        return this.eds[0];
      case GPEDS1:
        return this.eds[1];
      case GPREN0:
        return this.ren[0];
      case GPREN1:
        return this.ren[1];
      case GPFEN0:
        return this.fen[0];
      case GPFEN1:
        return this.fen[1];
      case GPHEN0:
        return this.hen[0];
      case GPHEN1:
        return this.hen[1];
      case GPLEN0:
        return this.len[0];
      case GPLEN1:
        return this.len[1];
      case GPAREN0:
        return this.aren[0];
      case GPAREN1:
        return this.aren[1];
      case GPAFEN0:
        return this.afen[0];
      case GPAFEN1:
        return this.afen[1];
      case GPPUD:
        return this.pudControl;
      case GPPUDCLK0:
        return this.pudClk[0];
      case GPPUDCLK1:
        return this.pudClk[1];
    }
    return 0; // GPSET/GPCLR are write-only; reserved words read 0
  }

  write(o: number, v: number): void {
    v >>>= 0;
    if (o >= GPFSEL0 && o <= GPFSEL5 && (o & 3) === 0) {
      const first = (o >> 2) * 10;
      for (let i = 0; i < 10 && first + i < BCM2835_NUM_GPIOS; i++) {
        const n = first + i, f = (v >> (3 * i)) & 7;
        if (this.fsel[n] !== f) {
          this.fsel[n] = f;
          this.#padChanged(n);
        }
      }
      return;
    }
    const bank = (reg0: number) => (o === reg0 ? 0 : 1);
    switch (o) {
      case GPSET0:
      case GPSET1:
        this.#setOut(bank(GPSET0), this.out[bank(GPSET0)] | v);
        return;
      case GPCLR0:
      case GPCLR1:
        this.#setOut(bank(GPCLR0), this.out[bank(GPCLR0)] & ~v);
        return;
      case GPEDS0:
      case GPEDS1: {
        const b = bank(GPEDS0);
        this.eds[b] &= ~v; // write 1 to clear
        this.#levelDetect(b);
        this.#update();
        return;
      }
      case GPREN0:
      case GPREN1:
        this.ren[bank(GPREN0)] = v;
        return;
      case GPFEN0:
      case GPFEN1:
        this.fen[bank(GPFEN0)] = v;
        return;
      case GPHEN0:
      case GPHEN1:
        this.hen[bank(GPHEN0)] = v;
        this.#levelDetect(bank(GPHEN0));
        this.#update();
        return;
      case GPLEN0:
      case GPLEN1:
        this.len[bank(GPLEN0)] = v;
        this.#levelDetect(bank(GPLEN0));
        this.#update();
        return;
      case GPAREN0:
      case GPAREN1:
        this.aren[bank(GPAREN0)] = v;
        return;
      case GPAFEN0:
      case GPAFEN1:
        this.afen[bank(GPAFEN0)] = v;
        return;
      case GPPUD:
        this.#writePud(v & 3);
        return;
      case GPPUDCLK0:
      case GPPUDCLK1:
        this.#writePudClk(bank(GPPUDCLK0), v);
        return;
    }
    this.#log(`write 0x${v.toString(16)} to reserved offset 0x${o.toString(16)} ignored`);
  }

  #setOut(b: number, v: number): void {
    const changed = (this.out[b] ^ v) >>> 0;
    this.out[b] = v >>> 0;
    for (let i = 0; i < 32; i++) {
      const n = b * 32 + i;
      if ((changed & (1 << i)) && n < BCM2835_NUM_GPIOS && this.fsel[n] === BCM2835_FSEL_GPIO_OUT) {
        this.#padChanged(n);
      }
    }
  }

  /** Set-up/hold time of the pull sequence, ns. */
  get pudCycleNs(): number {
    return GPPUD_SETUP_CYCLES * 1000 / this.options.core_clock_mhz;
  }

  #writePud(v: number): void {
    const now = this.#now();
    if (v !== this.pudControl) {
      // The control changes under clocked pads: they latch what they had
      // if it was held long enough.
      for (let n = 0; n < BCM2835_NUM_GPIOS; n++) {
        if (this.pudClkAt[n] >= 0) this.#latch(n, now);
      }
    }
    this.pudControl = v;
    this.pudWrittenAt = now;
  }

  #writePudClk(b: number, v: number): void {
    const now = this.#now();
    const was = this.pudClk[b];
    this.pudClk[b] = v;
    for (let i = 0; i < 32; i++) {
      const n = b * 32 + i, bit = 1 << i;
      if (n >= BCM2835_NUM_GPIOS) break;
      if ((v & bit) && !(was & bit)) {
        // Clock asserted: the control must have been set up before it.
        this.pudClkAt[n] = now;
        this.pudClkControl[n] = this.pudControl;
        this.pudClkBroken[n] = now - this.pudWrittenAt + 1e-9 < this.pudCycleNs ? 1 : 0;
      } else if (!(v & bit) && (was & bit)) {
        this.#latch(n, now);
        this.pudClkAt[n] = -1;
      }
    }
  }

  /** A clocked pad's clock or control ends: latch the control if set-up and hold were met. */
  #latch(n: number, now: number): void {
    const at = this.pudClkAt[n];
    if (at < 0 || this.pudClkBroken[n] === 2) return;
    const held = now - at + 1e-9 >= this.pudCycleNs;
    if (this.pudClkBroken[n] === 1 || !held) {
      this.#log(
        `GPPUD sequence for GPIO ${n} too short (set-up and hold need ${GPPUD_SETUP_CYCLES} ` +
          `cycles = ${this.pudCycleNs} ns each): pull unchanged`,
      );
      this.pudClkBroken[n] = 2;
      return;
    }
    this.pudClkBroken[n] = 2; // latched once per clock pulse
    if (this.pull[n] !== this.pudClkControl[n]) {
      this.pull[n] = this.pudClkControl[n];
      this.#padChanged(n);
    }
  }

  #log(text: string): void {
    if (this.#logged.has(text)) return;
    this.#logged.add(text);
    this.kernel.printk(7, `irqlab: ${this.name}: ${text}`);
  }
}

/** Device kind `bcm2835_gpio` (DT compatible "brcm,bcm2835-gpio"). */
export const gpioKind: DeviceKind<GpioOptions> = {
  kind: "bcm2835_gpio",
  description: "BCM2835 GPIO block: 54 pins, event detect, pulls, bank interrupts",
  options: gpioOptions,
  create: (name, options, kernel) => new Bcm2835Gpio(kernel, name, options),
};
