/**
 * National Semiconductor 16550A UART (the PC's COM port) at 0x3F8, with its
 * 16-byte receive and transmit FIFOs, interrupt identification by priority
 * and the PC's OUT2 gate on the IRQ line (pin `irq`).
 *
 * Characters take 10 bit times (start, 8 data, stop) at 115200 / divisor
 * baud, whatever LCR says about word length, parity and stop bits: the line
 * is only a timing model. What software transmits collects in
 * {@linkcode Uart16550.transmitted}; the `receive` stimulus feeds bytes in
 * at line rate.
 *
 * Sources: National Semiconductor PC16550D "UART with FIFOs" datasheet
 * (Table II register summary; Table IV interrupt control functions; "FIFO
 * Interrupt Mode Operation" for the RX timeout and the delayed THRE
 * interrupt); Linux `include/uapi/linux/serial_reg.h` for the UART_* names
 * a driver uses; QEMU `hw/char/serial.c` for THRE re-triggering on IER
 * writes, which the datasheet leaves open.
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler, Width } from "../../../core/io.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { OutputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind, StimulusKind } from "../../../core/plugin.ts";
import { type EventHandle, NO_EVENT } from "../../../core/scheduler.ts";
import { DeviceLog, NS_PER_S, portOption, readBytes, writeBytes } from "../_util.ts";

/** COM1's I/O base. */
export const COM1_BASE = 0x3f8;
/** COM2's I/O base. */
export const COM2_BASE = 0x2f8;

/** RBR, Receiver Buffer Register (read, DLAB = 0). */
export const UART_RX = 0;
/** THR, Transmitter Holding Register (write, DLAB = 0). */
export const UART_TX = 0;
/** DLL, Divisor Latch LSB (DLAB = 1). */
export const UART_DLL = 0;
/** IER, Interrupt Enable Register (DLAB = 0). */
export const UART_IER = 1;
/** DLM, Divisor Latch MSB (DLAB = 1). */
export const UART_DLM = 1;
/** IIR, Interrupt Identification Register (read). */
export const UART_IIR = 2;
/** FCR, FIFO Control Register (write). */
export const UART_FCR = 2;
/** LCR, Line Control Register. */
export const UART_LCR = 3;
/** MCR, Modem Control Register. */
export const UART_MCR = 4;
/** LSR, Line Status Register. */
export const UART_LSR = 5;
/** MSR, Modem Status Register. */
export const UART_MSR = 6;
/** SCR, Scratch Register. */
export const UART_SCR = 7;

/** IER bit 0 (ERBFI): received data available and RX timeout interrupts. */
export const UART_IER_RDI = 0x01;
/** IER bit 1 (ETBEI): transmitter holding register empty interrupt. */
export const UART_IER_THRI = 0x02;
/** IER bit 2 (ELSI): receiver line status interrupt. */
export const UART_IER_RLSI = 0x04;
/** IER bit 3 (EDSSI): modem status interrupt. */
export const UART_IER_MSI = 0x08;

/** IIR bit 0: no interrupt pending (1). */
export const UART_IIR_NO_INT = 0x01;
/** IIR bits 3:1: interrupt ID. */
export const UART_IIR_ID = 0x0e;
/** IIR ID: modem status (priority 4, lowest). */
export const UART_IIR_MSI = 0x00;
/** IIR ID: transmitter holding register empty (priority 3). */
export const UART_IIR_THRI = 0x02;
/** IIR ID: received data available (priority 2). */
export const UART_IIR_RDI = 0x04;
/** IIR ID: receiver line status (priority 1, highest). */
export const UART_IIR_RLSI = 0x06;
/** IIR ID: character timeout (priority 2, FIFO mode). */
export const UART_IIR_RX_TIMEOUT = 0x0c;
/** IIR bits 7:6: FIFOs enabled (both set on a 16550A). */
export const UART_IIR_FIFO_ENABLED = 0xc0;

/** FCR bit 0: enable both FIFOs (changing it clears them). */
export const UART_FCR_ENABLE_FIFO = 0x01;
/** FCR bit 1: clear the receive FIFO. */
export const UART_FCR_CLEAR_RCVR = 0x02;
/** FCR bit 2: clear the transmit FIFO. */
export const UART_FCR_CLEAR_XMIT = 0x04;
/** FCR bits 7:6: receive FIFO trigger level. */
export const UART_FCR_TRIGGER_SHIFT = 6;
/** Mask of the trigger level field. */
export const UART_FCR_TRIGGER_MASK = 0xc0;
/** Trigger levels selected by FCR bits 7:6. */
export const UART_FCR_TRIGGER_LEVELS: readonly number[] = [1, 4, 8, 14];

/** LCR bit 7 (DLAB): divisor latch access. */
export const UART_LCR_DLAB = 0x80;
/** LCR bits 1:0: word length 8. */
export const UART_LCR_WLEN8 = 0x03;

/** MCR bit 0: DTR. */
export const UART_MCR_DTR = 0x01;
/** MCR bit 1: RTS. */
export const UART_MCR_RTS = 0x02;
/** MCR bit 2: OUT1. */
export const UART_MCR_OUT1 = 0x04;
/** MCR bit 3: OUT2 (on PCs, enables the IRQ line driver). */
export const UART_MCR_OUT2 = 0x08;
/** MCR bit 4: LOOP, local loopback. */
export const UART_MCR_LOOP = 0x10;

/** LSR bit 0: data ready. */
export const UART_LSR_DR = 0x01;
/** LSR bit 1: overrun error. */
export const UART_LSR_OE = 0x02;
/** LSR bit 2: parity error. */
export const UART_LSR_PE = 0x04;
/** LSR bit 3: framing error. */
export const UART_LSR_FE = 0x08;
/** LSR bit 4: break interrupt. */
export const UART_LSR_BI = 0x10;
/** LSR bit 5: transmitter holding register (FIFO) empty. */
export const UART_LSR_THRE = 0x20;
/** LSR bit 6: transmitter empty (THR/FIFO and shift register). */
export const UART_LSR_TEMT = 0x40;
/** LSR bit 7: error in the receive FIFO. */
export const UART_LSR_FIFOE = 0x80;
const LSR_ERRORS = UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI;

/** MSR bit 0: delta CTS. */
export const UART_MSR_DCTS = 0x01;
/** MSR bit 1: delta DSR. */
export const UART_MSR_DDSR = 0x02;
/** MSR bit 2: trailing edge of RI. */
export const UART_MSR_TERI = 0x04;
/** MSR bit 3: delta DCD. */
export const UART_MSR_DDCD = 0x08;
/** MSR bit 4: CTS. */
export const UART_MSR_CTS = 0x10;
/** MSR bit 5: DSR. */
export const UART_MSR_DSR = 0x20;
/** MSR bit 6: RI. */
export const UART_MSR_RI = 0x40;
/** MSR bit 7: DCD. */
export const UART_MSR_DCD = 0x80;

/** Baud rate at divisor 1: the 1.8432 MHz crystal / 16. */
export const UART_BASE_BAUD = 115200;
/** Bits on the wire per character: start, 8 data, stop. */
export const UART_BITS_PER_CHAR = 10;
/** FIFO depth of the 16550A. */
export const UART_FIFO_SIZE = 16;
/** The RX timeout fires after this many character times without FIFO activity. */
const RX_TIMEOUT_CHARS = 4;

/** Arguments of the `receive` stimulus. */
export interface ReceiveArgs {
  /** Bytes to receive, one character each (U+0000..U+00FF). */
  text: string;
  /** Idle line time between characters, µs. */
  gap_us: number;
}

/** Schema of the `receive` stimulus. */
export const receiveArgs: z.ZodType<ReceiveArgs> = z.object({
  text: z.string().refine((t) => [...t].every((c) => c.charCodeAt(0) <= 0xff), {
    message: "Cannot receive characters above U+00FF: each character is one byte on the line",
  }),
  gap_us: z.number().nonnegative().default(0).describe("idle line time between characters, µs"),
}).strict();

/** Modem input lines (external side of MSR). */
export interface ModemInputs {
  cts: boolean;
  dsr: boolean;
  ri: boolean;
  dcd: boolean;
}

/** Schema of the `modem` stimulus: the lines to change. */
export const modemArgs: z.ZodType<Partial<ModemInputs>> = z.object({
  cts: z.boolean().optional(),
  dsr: z.boolean().optional(),
  ri: z.boolean().optional(),
  dcd: z.boolean().optional(),
}).strict();

/** Options of a {@linkcode Uart16550}. */
export interface Uart16550Options {
  /** I/O base of the eight registers. */
  base: number;
  /** Divisor latch after reset (the BIOS leaves 12: 9600 baud). */
  divisor: number;
}

/** Defaults of {@linkcode Uart16550Options}: COM1 at 9600 baud. */
export const uart16550Defaults: Uart16550Options = { base: COM1_BASE, divisor: 12 };

/** Schema of the `options:` block of a `uart16550` device. */
export const uart16550Options: z.ZodType<Uart16550Options> = z.object({
  base: portOption(uart16550Defaults.base).describe("I/O base (COM1 0x3F8, COM2 0x2F8)"),
  divisor: z.number().int().min(1).max(0xffff).default(uart16550Defaults.divisor).describe(
    "divisor latch after reset: baud = 115200 / divisor (12: 9600 baud)",
  ),
}).strict();

/**
 * The 16550A UART. Its interrupt output reaches pin `irq` only while MCR
 * OUT2 is set and LOOP is clear: on PCs OUT2 enables the IRQ line driver,
 * and loopback forces the OUT2 pin inactive.
 *
 * @example
 * ```ts
 * const k = testKernel();
 * const com1 = new Uart16550(k, "com1");
 * k.ports.write(COM1_BASE + UART_MCR, UART_MCR_OUT2, 1);
 * k.ports.write(COM1_BASE + UART_IER, UART_IER_RDI, 1);
 * com1.receive("hello", 0); // com1.irq rises when 'h' has arrived (one character time)
 * ```
 */
export class Uart16550 implements Device {
  /** Device kind name. */
  readonly kind = "uart16550";
  /** The interrupt line (INTR gated by OUT2). */
  readonly irq: OutputPin;
  /** Pins by name: `irq`. */
  readonly pins: ReadonlyMap<string, Pin>;
  /** Stimuli: `receive`, `modem`. */
  readonly stimuli: Readonly<Record<string, StimulusKind<unknown>>>;
  /** Options in force. */
  readonly options: Uart16550Options;
  readonly #kernel: Kernel;
  readonly #log: DeviceLog;
  #transmitted = "";
  // registers
  #ier = 0;
  #lcr = 0;
  #mcr = 0;
  #scr = 0;
  #dll = 0;
  #dlm = 0;
  #fifo = false;
  #trigger = 1;
  #lsrErrors = 0;
  #msrDelta = 0;
  /** External modem inputs, in MSR bit positions 7:4. */
  #inputs = 0;
  /** Modem status as the chip sees it (inputs, or MCR in loopback), bits 7:4. */
  #status = 0;
  // receiver
  readonly #rx: number[] = [];
  #rbr = 0;
  #rxTimeout = false;
  #rxTimeoutEvent: EventHandle = NO_EVENT;
  // transmitter
  readonly #tx: number[] = [];
  #tsrBusy = false;
  #tsr = 0;
  #txEvent: EventHandle = NO_EVENT;
  #thrIpending = false;
  #thrDelayEvent: EventHandle = NO_EVENT;
  /** Two bytes were in the TX FIFO at once since THRE last rose (PC16550D delayed THRE rule). */
  #txHadTwo = false;
  // the serial line towards us
  readonly #line: { byte: number; gapNs: number }[] = [];
  #lineEvent: EventHandle = NO_EVENT;
  readonly #onTxDone = (): void => this.#txDone();
  readonly #onThrDelay = (): void => {
    this.#thrDelayEvent = NO_EVENT;
    if (this.#tx.length === 0) this.#thrIpending = true;
    this.#update();
  };
  readonly #onRxTimeout = (): void => {
    this.#rxTimeoutEvent = NO_EVENT;
    if (this.#rx.length) this.#rxTimeout = true;
    this.#update();
  };
  readonly #onLineByte = (): void => this.#lineByte();

  /**
   * @param kernel machine whose clock and ports the UART uses
   * @param name instance name (`com1`); the pin is `<name>.irq`
   * @param options base and reset divisor; missing keys take {@linkcode uart16550Defaults}
   */
  constructor(kernel: Kernel, readonly name: string, options: Partial<Uart16550Options> = {}) {
    this.options = { ...uart16550Defaults, ...options };
    this.#kernel = kernel;
    this.#log = new DeviceLog(kernel, name, this.kind);
    this.irq = new OutputPin(`${name}.irq`, this);
    this.pins = new Map<string, Pin>([["irq", this.irq]]);
    this.#dll = this.options.divisor & 0xff;
    this.#dlm = this.options.divisor >> 8;
    const handler: IoHandler = {
      read: (off: number, w: Width) => readBytes((o) => this.#read(o), off, w, 8),
      write: (off: number, v: number, w: Width) =>
        writeBytes((o, b) => this.#write(o, b), off, v, w, 8),
    };
    kernel.ports.map(this.options.base, 8, handler, name);
    this.stimuli = {
      receive: {
        description: "bytes arrive on the serial line at the programmed baud rate",
        args: receiveArgs,
        apply: (a: ReceiveArgs, at: number) => this.receive(a.text, at, a.gap_us),
      } satisfies StimulusKind<ReceiveArgs>,
      modem: {
        description: "change modem input lines (CTS, DSR, RI, DCD)",
        args: modemArgs,
        apply: (a: Partial<ModemInputs>, at: number) =>
          void this.#kernel.clock.schedule(at, () => this.setModemInputs(a)),
      } satisfies StimulusKind<Partial<ModemInputs>>,
    };
  }

  /** Everything software sent on the line so far (one character per byte). */
  get transmitted(): string {
    return this.#transmitted;
  }

  /** Current divisor latch (DLM:DLL); 0 counts as 65536. */
  get divisor(): number {
    return ((this.#dlm << 8) | this.#dll) || 0x10000;
  }

  /** Current baud rate, 115200 / divisor. */
  get baud(): number {
    return UART_BASE_BAUD / this.divisor;
  }

  /** Time of one character on the line, ns: 10 bit times at the current baud rate. */
  get charNs(): number {
    return Math.round((UART_BITS_PER_CHAR * NS_PER_S * this.divisor) / UART_BASE_BAUD);
  }

  /** Back to the reset state (PC16550D Table VI): FIFOs off and empty, interrupts off. */
  reset(): void {
    const clock = this.#kernel.clock;
    for (const h of [this.#rxTimeoutEvent, this.#txEvent, this.#thrDelayEvent, this.#lineEvent]) {
      clock.cancel(h);
    }
    this.#rxTimeoutEvent =
      this.#txEvent =
      this.#thrDelayEvent =
      this.#lineEvent =
        NO_EVENT;
    this.#ier =
      this.#lcr =
      this.#mcr =
      this.#scr =
        0;
    this.#dll = this.options.divisor & 0xff;
    this.#dlm = this.options.divisor >> 8;
    this.#fifo = false;
    this.#trigger = 1;
    this.#lsrErrors = this.#msrDelta = 0;
    this.#rx.length = this.#tx.length = this.#line.length = 0;
    this.#rxTimeout =
      this.#tsrBusy =
      this.#thrIpending =
      this.#txHadTwo =
        false;
    this.#status = this.#inputs;
    this.#update();
  }

  /**
   * Bytes of `text` arrive on the line starting at `at` ns: the first is
   * complete one character time later, each next one a character time plus
   * `gapUs` after the previous. Text received while the line is busy
   * follows what is already on it.
   */
  receive(text: string, at: number, gapUs = 0): void {
    const gapNs = Math.round(gapUs * 1000);
    this.#kernel.clock.schedule(at, () => {
      for (let i = 0; i < text.length; i++) {
        this.#line.push({ byte: text.charCodeAt(i) & 0xff, gapNs: i === 0 ? 0 : gapNs });
      }
      if (this.#lineEvent === NO_EVENT && this.#line.length) {
        this.#lineEvent = this.#kernel.clock.scheduleIn(this.charNs, this.#onLineByte);
      }
    });
  }

  /** Change modem input lines now; deltas appear in MSR (and its interrupt). */
  setModemInputs(lines: Partial<ModemInputs>): void {
    const bit = (v: boolean | undefined, mask: number) =>
      v === undefined ? this.#inputs & mask : v ? mask : 0;
    this.#inputs = bit(lines.cts, UART_MSR_CTS) | bit(lines.dsr, UART_MSR_DSR) |
      bit(lines.ri, UART_MSR_RI) | bit(lines.dcd, UART_MSR_DCD);
    if (!(this.#mcr & UART_MCR_LOOP)) this.#setStatus(this.#inputs);
    this.#update();
  }

  // ---- ports --------------------------------------------------------------------

  #read(offset: number): number {
    const dlab = (this.#lcr & UART_LCR_DLAB) !== 0;
    switch (offset) {
      case UART_RX:
        return dlab ? this.#dll : this.#readRbr();
      case UART_IER:
        return dlab ? this.#dlm : this.#ier;
      case UART_IIR:
        return this.#readIir();
      case UART_LCR:
        return this.#lcr;
      case UART_MCR:
        return this.#mcr;
      case UART_LSR:
        return this.#readLsr();
      case UART_MSR: {
        const v = this.#status | this.#msrDelta;
        this.#msrDelta = 0;
        this.#update();
        return v;
      }
      default:
        return this.#scr;
    }
  }

  #write(offset: number, v: number): void {
    const dlab = (this.#lcr & UART_LCR_DLAB) !== 0;
    switch (offset) {
      case UART_TX:
        if (dlab) this.#dll = v;
        else this.#writeThr(v);
        return;
      case UART_IER:
        if (dlab) this.#dlm = v;
        else this.#writeIer(v);
        return;
      case UART_FCR:
        this.#writeFcr(v);
        return;
      case UART_LCR:
        this.#lcr = v;
        return;
      case UART_MCR:
        this.#writeMcr(v);
        return;
      case UART_LSR:
        this.#log.once("write to the read-only LSR ignored", 4);
        return;
      case UART_MSR:
        this.#log.once("write to the read-only MSR ignored", 4);
        return;
      default:
        this.#scr = v;
    }
  }

  #writeIer(v: number): void {
    const changed = (this.#ier ^ v) & UART_IER_THRI;
    this.#ier = v & 0x0f;
    // Enabling THRI while THR is empty raises the THRE interrupt again, even
    // after an IIR read cleared it (not in the datasheet; QEMU and Bochs do
    // this on the 0 -> 1 edge and Windows relies on it).
    if (changed) this.#thrIpending = (v & UART_IER_THRI) !== 0 && this.#tx.length === 0;
    this.#update();
  }

  #writeFcr(v: number): void {
    const enable = (v & UART_FCR_ENABLE_FIFO) !== 0;
    if (enable !== this.#fifo) {
      // Changing FCR0 clears both FIFOs; "the first transmitter interrupt
      // after changing FCR0 will be immediate, if it is enabled".
      this.#fifo = enable;
      this.#rx.length = 0;
      this.#tx.length = 0;
      this.#rxTimeout = false;
      this.#thrIpending = true;
      this.#txHadTwo = false;
    }
    if (enable) {
      // Other FCR bits are programmed only together with FCR0 = 1.
      if (v & UART_FCR_CLEAR_RCVR) {
        this.#rx.length = 0;
        this.#rxTimeout = false;
      }
      if (v & UART_FCR_CLEAR_XMIT && this.#tx.length) {
        this.#tx.length = 0;
        this.#thrEmptied();
      }
      this.#trigger =
        UART_FCR_TRIGGER_LEVELS[(v & UART_FCR_TRIGGER_MASK) >> UART_FCR_TRIGGER_SHIFT];
    }
    this.#armRxTimeout();
    this.#update();
  }

  #writeMcr(v: number): void {
    this.#mcr = v & 0x1f;
    if (this.#mcr & UART_MCR_LOOP) {
      // Loopback: CTS <- RTS, DSR <- DTR, RI <- OUT1, DCD <- OUT2.
      const m = this.#mcr;
      this.#setStatus(
        (m & UART_MCR_RTS ? UART_MSR_CTS : 0) | (m & UART_MCR_DTR ? UART_MSR_DSR : 0) |
          (m & UART_MCR_OUT1 ? UART_MSR_RI : 0) | (m & UART_MCR_OUT2 ? UART_MSR_DCD : 0),
      );
    } else {
      this.#setStatus(this.#inputs);
    }
    this.#update();
  }

  /** New modem status bits 7:4; sets the delta bits that changed (TERI on RI's trailing edge). */
  #setStatus(next: number): void {
    const old = this.#status;
    const diff = old ^ next;
    if (diff & UART_MSR_CTS) this.#msrDelta |= UART_MSR_DCTS;
    if (diff & UART_MSR_DSR) this.#msrDelta |= UART_MSR_DDSR;
    if (old & UART_MSR_RI && !(next & UART_MSR_RI)) this.#msrDelta |= UART_MSR_TERI;
    if (diff & UART_MSR_DCD) this.#msrDelta |= UART_MSR_DDCD;
    this.#status = next;
  }

  #readLsr(): number {
    const tx = this.#tx.length === 0;
    const v = (this.#rx.length ? UART_LSR_DR : 0) | this.#lsrErrors | (tx ? UART_LSR_THRE : 0) |
      (tx && !this.#tsrBusy ? UART_LSR_TEMT : 0);
    // Reading LSR clears OE, PE, FE and BI (and with them the line status interrupt).
    this.#lsrErrors = 0;
    this.#update();
    return v;
  }

  #readIir(): number {
    const v = this.#iir();
    // Reading IIR when it reports THRE clears that interrupt.
    if ((v & UART_IIR_ID) === UART_IIR_THRI && !(v & UART_IIR_NO_INT)) {
      this.#thrIpending = false;
      this.#update();
    }
    return v;
  }

  /** Interrupt identification by priority (PC16550D Table IV). */
  #iir(): number {
    const ier = this.#ier;
    const fifo = this.#fifo ? UART_IIR_FIFO_ENABLED : 0;
    if (ier & UART_IER_RLSI && this.#lsrErrors & LSR_ERRORS) return UART_IIR_RLSI | fifo;
    if (ier & UART_IER_RDI) {
      const n = this.#rx.length;
      if (this.#fifo ? n >= this.#trigger : n > 0) return UART_IIR_RDI | fifo;
      if (this.#fifo && this.#rxTimeout) return UART_IIR_RX_TIMEOUT | fifo;
    }
    if (ier & UART_IER_THRI && this.#thrIpending) return UART_IIR_THRI | fifo;
    if (ier & UART_IER_MSI && this.#msrDelta) return UART_IIR_MSI | fifo;
    return UART_IIR_NO_INT | fifo;
  }

  /** The only writer of the IRQ pin: INTR, gated by OUT2 (and cut in loopback). */
  #update(): void {
    const mcr = this.#mcr;
    const intr = (this.#iir() & UART_IIR_NO_INT) === 0;
    this.irq.set(intr && (mcr & UART_MCR_OUT2) !== 0 && (mcr & UART_MCR_LOOP) === 0);
  }

  // ---- receiver -------------------------------------------------------------------

  #readRbr(): number {
    if (this.#rx.length) {
      this.#rbr = this.#rx.shift()!;
      this.#rxTimeout = false;
      this.#armRxTimeout();
      this.#update();
    }
    return this.#rbr;
  }

  /** A complete character reached the receiver (runs from the clock). */
  #receiveByte(b: number): void {
    const cap = this.#fifo ? UART_FIFO_SIZE : 1;
    if (this.#rx.length < cap) {
      this.#rx.push(b);
    } else {
      // Overrun: in FIFO mode the new character is lost; in 16450 mode it
      // overwrites RBR.
      this.#lsrErrors |= UART_LSR_OE;
      if (!this.#fifo) this.#rx[0] = b;
    }
    this.#armRxTimeout();
    this.#update();
  }

  /** Restart the 4-character RX timeout after FIFO activity. */
  #armRxTimeout(): void {
    const clock = this.#kernel.clock;
    clock.cancel(this.#rxTimeoutEvent);
    this.#rxTimeoutEvent = NO_EVENT;
    if (this.#fifo && this.#rx.length) {
      this.#rxTimeoutEvent = clock.scheduleIn(RX_TIMEOUT_CHARS * this.charNs, this.#onRxTimeout);
    }
  }

  #lineByte(): void {
    this.#lineEvent = NO_EVENT;
    const next = this.#line.shift()!;
    this.#receiveByte(next.byte);
    if (this.#line.length) {
      this.#lineEvent = this.#kernel.clock.scheduleIn(
        this.#line[0].gapNs + this.charNs,
        this.#onLineByte,
      );
    }
  }

  // ---- transmitter ----------------------------------------------------------------

  #writeThr(b: number): void {
    // Writing THR clears the THRE interrupt.
    this.#thrIpending = false;
    this.#kernel.clock.cancel(this.#thrDelayEvent);
    this.#thrDelayEvent = NO_EVENT;
    const cap = this.#fifo ? UART_FIFO_SIZE : 1;
    if (this.#tx.length >= cap) {
      this.#log.once("THR written while the transmit FIFO is full: byte dropped", 4);
    } else {
      this.#tx.push(b);
      if (this.#tx.length >= 2) this.#txHadTwo = true;
      if (!this.#tsrBusy) this.#startTx();
    }
    this.#update();
  }

  /** Move the next byte into the transmitter shift register. */
  #startTx(): void {
    this.#tsr = this.#tx.shift()!;
    this.#tsrBusy = true;
    this.#txEvent = this.#kernel.clock.scheduleIn(this.charNs, this.#onTxDone);
    if (this.#tx.length === 0) this.#thrEmptied();
  }

  /**
   * THR (or the TX FIFO) just became empty: the THRE interrupt. In FIFO mode
   * it is "delayed 1 character time minus the last stop bit time whenever
   * THRE = 1 and there have not been at least two bytes at the same time in
   * the transmit FIFO since the last THRE = 1" (PC16550D).
   */
  #thrEmptied(): void {
    if (this.#fifo && !this.#txHadTwo) {
      const bitNs = Math.round(this.charNs / UART_BITS_PER_CHAR);
      this.#kernel.clock.cancel(this.#thrDelayEvent);
      this.#thrDelayEvent = this.#kernel.clock.scheduleIn(this.charNs - bitNs, this.#onThrDelay);
    } else {
      this.#thrIpending = true;
    }
    this.#txHadTwo = false;
  }

  /** The shift register finished a character (runs from the clock). */
  #txDone(): void {
    this.#txEvent = NO_EVENT;
    this.#tsrBusy = false;
    if (this.#mcr & UART_MCR_LOOP) this.#receiveByte(this.#tsr);
    else this.#transmitted += String.fromCharCode(this.#tsr);
    if (this.#tx.length) this.#startTx();
    this.#update();
  }
}

/** The `uart16550` device kind: a PC serial port. */
export const uart16550Kind: DeviceKind<Uart16550Options> = {
  kind: "uart16550",
  description: "16550A UART with FIFOs (PC COM port), interrupt on pin irq gated by MCR OUT2",
  options: uart16550Options,
  create: (name, options, kernel) => new Uart16550(kernel, name, options),
};
