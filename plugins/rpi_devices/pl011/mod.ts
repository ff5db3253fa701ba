/**
 * The ARM PrimeCell PL011 UART of the BCM2835 at peripheral base + 0x201000
 * (GPU interrupt 57), receive side: a 16-byte FIFO, the receive interrupt
 * when it reaches the trigger level (IFLS; Linux programs half full, 8
 * bytes) and the receive timeout when data sits 32 bit periods without a
 * new character (ARM PrimeCell UART (PL011) TRM, 3.4 and 3.3.13).
 *
 * Registers: UARTDR 0x00, UARTFR 0x18 (RXFE bit 4), UARTIFLS 0x34,
 * UARTIMSC 0x38, UARTRIS 0x3C, UARTMIS 0x40, UARTICR 0x44 (write 1 to
 * clear). Output `irq`. Stimulus `receive` (text, gap_us), as the 16550's.
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler } from "../../../core/io.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { OutputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind, StimulusKind } from "../../../core/plugin.ts";
import { Timer } from "../../../core/scheduler.ts";
import { type ReceiveArgs, receiveArgs } from "../../devices/mod.ts";

export const UART01x_DR = 0x00;
export const UART01x_FR = 0x18;
export const UART011_IFLS = 0x34;
export const UART011_IMSC = 0x38;
export const UART011_RIS = 0x3c;
export const UART011_MIS = 0x40;
export const UART011_ICR = 0x44;
export const UART01x_FR_RXFE = 1 << 4;
export const UART01x_FR_TXFE = 1 << 7;
/** Receive interrupt (FIFO at trigger level). */
export const UART011_RXIS = 1 << 4;
/** Receive timeout interrupt. */
export const UART011_RTIS = 1 << 6;
const FIFO = 16;

/** Options of a `pl011`. */
export interface Pl011Options {
  base: number;
  /** Line speed (the Pi's console: 115200). */
  baud: number;
}

/** The UART. */
export class Pl011 implements Device {
  readonly kind = "pl011";
  readonly irq: OutputPin;
  readonly pins: ReadonlyMap<string, Pin>;
  readonly stimuli: Readonly<Record<string, StimulusKind<unknown>>>;
  readonly fifo: number[] = [];
  ifls = 0x12;
  imsc = 0;
  ris = 0;
  /** Bytes dropped on a full FIFO (overrun). */
  overruns = 0;
  readonly #timeout: Timer;

  constructor(readonly kernel: Kernel, readonly name: string, readonly options: Pl011Options) {
    this.irq = new OutputPin(`${name}.irq`, this);
    this.pins = new Map<string, Pin>([["irq", this.irq]]);
    this.#timeout = new Timer(() => {
      if (this.fifo.length) {
        this.ris |= UART011_RTIS;
        this.#update();
      }
    });
    this.stimuli = {
      receive: {
        description: "characters arriving on RX, one per character time plus gap_us",
        args: receiveArgs,
        apply: (a: ReceiveArgs, at: number) => this.receive(a.text, a.gap_us, at),
      } satisfies StimulusKind<ReceiveArgs>,
    };
    const h: IoHandler = { read: (o) => this.read(o), write: (o, v) => this.write(o, v) };
    kernel.mmio.map(options.base, 0x1000, h, name);
  }

  /** One character on the line: start + 8 data + stop bits. */
  get charNs(): number {
    return Math.round(10 * 1e9 / this.options.baud);
  }

  /** RX trigger level in bytes from IFLS bits 5:3 (1/8, 1/4, 1/2, 3/4, 7/8 of 16). */
  get rxTrigger(): number {
    return [2, 4, 8, 12, 14][(this.ifls >> 3) & 7] ?? 8;
  }

  /** Schedule `text` arriving from `at`. */
  receive(text: string, gapUs: number, at: number): void {
    let t = at;
    for (const ch of text) {
      t += this.charNs;
      const b = ch.charCodeAt(0) & 0xff;
      this.kernel.clock.schedule(t, () => this.#rx(b));
      t += Math.round(gapUs * 1000);
    }
  }

  #rx(b: number): void {
    if (this.fifo.length >= FIFO) this.overruns++;
    else this.fifo.push(b);
    if (this.fifo.length >= this.rxTrigger) this.ris |= UART011_RXIS;
    // receive timeout: 32 bit periods with no new character
    const k = this.kernel;
    k.clock.disarm(this.#timeout);
    k.clock.armIn(this.#timeout, Math.round(32 * 1e9 / this.options.baud));
    this.#update();
  }

  read(o: number): number {
    switch (o) {
      case UART01x_DR: {
        const b = this.fifo.shift() ?? 0;
        if (this.fifo.length < this.rxTrigger) this.ris &= ~UART011_RXIS;
        if (!this.fifo.length) this.ris &= ~UART011_RTIS;
        this.#update();
        return b;
      }
      case UART01x_FR:
        return (this.fifo.length ? 0 : UART01x_FR_RXFE) | UART01x_FR_TXFE;
      case UART011_IFLS:
        return this.ifls;
      case UART011_IMSC:
        return this.imsc;
      case UART011_RIS:
        return this.ris;
      case UART011_MIS:
        return this.ris & this.imsc;
    }
    return 0;
  }

  write(o: number, v: number): void {
    switch (o) {
      case UART011_IFLS:
        this.ifls = v & 0x3f;
        break;
      case UART011_IMSC:
        this.imsc = v & 0x7ff;
        break;
      case UART011_ICR:
        this.ris &= ~v;
        break;
      default:
        return;
    }
    this.#update();
  }

  #update(): void {
    this.irq.set((this.ris & this.imsc) !== 0);
  }
}

/** Device kind `pl011`. */
export const pl011Kind: DeviceKind<Pl011Options> = {
  kind: "pl011",
  description: "ARM PL011 UART (receive FIFO, trigger level and timeout interrupts)",
  options: z.object({
    base: z.number().int().min(0).default(0x3f201000).describe("Physical base address."),
    baud: z.number().int().positive().default(115200).describe("Line speed."),
  }).strict() as unknown as z.ZodType<Pl011Options>,
  create: (name, options, kernel) => new Pl011(kernel, name, options),
};
