/**
 * One legacy IDE channel of a PIIX south bridge with one ATA disk (device 0)
 * that reads as all zeros: command block 0x1F0-0x1F7 and control block
 * 0x3F6 on pin `irq14` (primary), or 0x170-0x177 and 0x376 on pin `irq15`
 * (secondary).
 *
 * The disk answers IDENTIFY DEVICE with a 512-byte identify block and READ
 * SECTORS with PIO data-in, one interrupt per sector as each DRQ block
 * becomes ready; a few non-data commands complete with an interrupt and
 * everything else is aborted (ERR, ABRT) as a real drive does. INTRQ stays
 * asserted until the host reads the Status register (Alternate Status does
 * not clear it) or writes a new command; nIEN in Device Control masks it.
 *
 * Sources: ANSI INCITS 361-2002 ATA/ATAPI-6 (register block, Status and
 * Error bits, Device Control nIEN/SRST, PIO data-in protocol, IDENTIFY
 * DEVICE words, device 0 answering for an absent device 1); Intel 82371AB
 * (PIIX4) datasheet for the legacy port and IRQ assignment; Linux
 * `include/linux/ata.h` for the ATA_* names.
 *
 * @module
 */

import { z } from "zod";
import type { IoHandler, Width } from "../../../core/io.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { OutputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind, StimulusKind } from "../../../core/plugin.ts";
import { type EventHandle, NO_EVENT } from "../../../core/scheduler.ts";
import { DeviceLog, hex, readBytes, writeBytes } from "../_util.ts";

/** Primary channel command block base. */
export const ATA_PRIMARY_CMD = 0x1f0;
/** Primary channel control block (Alternate Status / Device Control). */
export const ATA_PRIMARY_CTL = 0x3f6;
/** Secondary channel command block base. */
export const ATA_SECONDARY_CMD = 0x170;
/** Secondary channel control block. */
export const ATA_SECONDARY_CTL = 0x376;

/** Data register (16-bit PIO). */
export const ATA_REG_DATA = 0;
/** Error register (read). */
export const ATA_REG_ERR = 1;
/** Features register (write). */
export const ATA_REG_FEATURE = 1;
/** Sector Count register. */
export const ATA_REG_NSECT = 2;
/** LBA Low (Sector Number). */
export const ATA_REG_LBAL = 3;
/** LBA Mid (Cylinder Low). */
export const ATA_REG_LBAM = 4;
/** LBA High (Cylinder High). */
export const ATA_REG_LBAH = 5;
/** Device register (Drive/Head). */
export const ATA_REG_DEVICE = 6;
/** Status register (read; clears a pending interrupt). */
export const ATA_REG_STATUS = 7;
/** Command register (write). */
export const ATA_REG_CMD = 7;
/** Alternate Status (read at the control block; no side effects). */
export const ATA_REG_ALTSTATUS = 0;
/** Device Control (write at the control block). */
export const ATA_REG_CTL = 0;

/** Status BSY: the device owns the registers. */
export const ATA_BUSY = 0x80;
/** Status DRDY: device ready. */
export const ATA_DRDY = 0x40;
/** Status DF: device fault. */
export const ATA_DF = 0x20;
/** Status DSC: seek complete (obsolete, still set by drives). */
export const ATA_DSC = 0x10;
/** Status DRQ: data request, a block is ready in the data register. */
export const ATA_DRQ = 0x08;
/** Status ERR: the Error register holds the cause. */
export const ATA_ERR = 0x01;

/** Error ABRT: command aborted. */
export const ATA_ABORTED = 0x04;
/** Error IDNF: address not found (beyond the end of the disk). */
export const ATA_IDNF = 0x10;

/** Device register LBA: the address is an LBA, not CHS. */
export const ATA_LBA = 0x40;
/** Device register DEV: select device 1. */
export const ATA_DEV1 = 0x10;

/** Device Control nIEN: mask INTRQ. */
export const ATA_NIEN = 0x02;
/** Device Control SRST: software reset of both devices. */
export const ATA_SRST = 0x04;
/** Device Control HOB: read the previous contents (48-bit LBA). */
export const ATA_HOB = 0x80;

/** IDENTIFY DEVICE. */
export const ATA_CMD_ID_ATA = 0xec;
/** READ SECTORS (with retry). */
export const ATA_CMD_PIO_READ = 0x20;
/** READ SECTORS without retry (obsolete alias). */
export const ATA_CMD_PIO_READ_NORETRY = 0x21;
/** INITIALIZE DEVICE PARAMETERS. */
export const ATA_CMD_INIT_DEV_PARAMS = 0x91;
/** SET MULTIPLE MODE. */
export const ATA_CMD_SET_MULTI = 0xc6;
/** CHECK POWER MODE (Sector Count 0xFF: active). */
export const ATA_CMD_CHK_POWER = 0xe5;
/** FLUSH CACHE. */
export const ATA_CMD_FLUSH = 0xe7;
/** SET FEATURES. */
export const ATA_CMD_SET_FEATURES = 0xef;

/** Bytes per sector. */
export const ATA_SECT_SIZE = 512;
/** Words in one PIO data block (one sector). */
const BLOCK_WORDS = ATA_SECT_SIZE / 2;
/** Translated geometry reported in IDENTIFY (16 heads, 63 sectors per track). */
const HEADS = 16;
const SECTORS_PER_TRACK = 63;
/** Device 0 finishes its diagnostics this long after SRST is released (no interrupt follows). */
export const ATA_RESET_NS = 2_000_000;

/** What the device is doing (BSY and DRQ follow from it). */
type Phase = "idle" | "busy" | "data_in" | "reset";
/** How a BSY period ends (the event's argument): a data block, success, an error, or SRST release. */
const READY_BLOCK = 0;
const READY_DONE = 1;
const READY_ERROR = 2;
const READY_RESET = 3;

/** Options of an {@linkcode AtaChannel}. */
export interface AtaOptions {
  /** Which legacy channel: primary (0x1F0/0x3F6, IRQ 14) or secondary (0x170/0x376, IRQ 15). */
  channel: "primary" | "secondary";
  /** Disk size in MiB (sectors = size_mib * 2048). */
  size_mib: number;
  /** Time from a READ command (or the previous block read out) to the next DRQ block, µs. */
  read_delay_us: number;
  /** Time IDENTIFY and non-data commands stay BSY, µs. */
  command_delay_us: number;
}

/** Defaults of {@linkcode AtaOptions}. */
export const ataDefaults: AtaOptions = {
  channel: "primary",
  size_mib: 64,
  read_delay_us: 100,
  command_delay_us: 20,
};

/** Schema of the `options:` block of an `ata` device. */
export const ataOptions: z.ZodType<AtaOptions> = z.object({
  channel: z.enum(["primary", "secondary"]).default(ataDefaults.channel).describe(
    "primary: 0x1F0/0x3F6, pin irq14; secondary: 0x170/0x376, pin irq15",
  ),
  size_mib: z.number().int().min(1).max(128 * 1024).default(ataDefaults.size_mib).describe(
    "disk size in MiB (the disk reads as zeros)",
  ),
  read_delay_us: z.number().nonnegative().default(ataDefaults.read_delay_us).describe(
    "time until each sector's data block is ready, µs",
  ),
  command_delay_us: z.number().nonnegative().default(ataDefaults.command_delay_us).describe(
    "time IDENTIFY and non-data commands stay busy, µs",
  ),
}).strict();

/** Arguments of the `request` stimulus. */
export interface RequestArgs {
  /** Sectors the device reads before it interrupts. */
  sectors: number;
}

/** Schema of the `request` stimulus. */
export const requestArgs: z.ZodType<RequestArgs> = z.object({
  sectors: z.number().int().min(1).max(256).default(1).describe(
    "sectors the disk reads before it interrupts",
  ),
}).strict();

/** Put an ATA string into identify words: two characters per word, first in the high byte. */
function putString(id: Uint16Array, word: number, chars: number, s: string): void {
  const text = s.padEnd(chars, " ");
  for (let i = 0; i < chars / 2; i++) {
    id[word + i] = (text.charCodeAt(2 * i) << 8) | text.charCodeAt(2 * i + 1);
  }
}

/** The IDENTIFY DEVICE block of a disk of `sectors` sectors (ATA/ATAPI-6 table 27). */
export function identifyBlock(sectors: number): Uint16Array {
  const id = new Uint16Array(BLOCK_WORDS);
  const cylinders = Math.min(16383, Math.floor(sectors / (HEADS * SECTORS_PER_TRACK)));
  const chs = cylinders * HEADS * SECTORS_PER_TRACK;
  const lba28 = Math.min(sectors, 0x0fffffff);
  id[0] = 0x0040; // ATA device, fixed (not removable)
  id[1] = cylinders;
  id[3] = HEADS;
  id[6] = SECTORS_PER_TRACK;
  putString(id, 10, 20, "IRQLAB-0001"); // serial number
  putString(id, 23, 8, "1.0"); // firmware revision
  putString(id, 27, 40, "IRQLAB HARDDISK"); // model number
  id[47] = 0x8010; // READ/WRITE MULTIPLE: up to 16 sectors per block
  id[49] = 0x0200; // LBA supported (no DMA: PIO only)
  id[51] = 0x0200; // PIO data transfer cycle timing mode 2 (obsolete field)
  id[53] = 0x0003; // words 54-58 and 64-70 valid
  id[54] = cylinders;
  id[55] = HEADS;
  id[56] = SECTORS_PER_TRACK;
  id[57] = chs & 0xffff;
  id[58] = chs >>> 16;
  id[59] = 0x0110; // multiple sector setting valid: 16
  id[60] = lba28 & 0xffff;
  id[61] = lba28 >>> 16;
  id[64] = 0x0003; // PIO modes 3 and 4
  id[65] =
    id[66] =
    id[67] =
    id[68] =
      120; // minimum cycle times, ns
  id[80] = 0x007e; // major version: ATA-1 .. ATA-6
  id[83] = 0x4000; // command sets: word valid (bit 14), no 48-bit LBA
  id[84] = 0x4000;
  id[87] = 0x4000;
  // Word 255: signature A5h and a checksum making all 512 bytes sum to 0 mod 256.
  let sum = 0xa5;
  for (let i = 0; i < 255; i++) sum += (id[i] & 0xff) + (id[i] >> 8);
  id[255] = 0xa5 | (((256 - (sum & 0xff)) & 0xff) << 8);
  return id;
}

/**
 * A legacy IDE channel with one all-zero ATA disk as device 0.
 *
 * @example
 * ```ts
 * const k = testKernel();
 * const ide = new AtaChannel(k, "ide0");
 * k.ports.write(ATA_PRIMARY_CMD + ATA_REG_DEVICE, 0xa0, 1);
 * k.ports.write(ATA_PRIMARY_CMD + ATA_REG_CMD, ATA_CMD_ID_ATA, 1);
 * k.runUntil(100_000); // ide.irq (pin irq14) asserted, DRQ set
 * k.ports.read(ATA_PRIMARY_CMD + ATA_REG_STATUS, 1); // 0x58; clears the interrupt
 * k.ports.read(ATA_PRIMARY_CMD + ATA_REG_DATA, 2); // identify word 0
 * ```
 */
export class AtaChannel implements Device {
  /** Device kind name. */
  readonly kind = "ata";
  /** INTRQ of the channel: pin `irq14` (primary) or `irq15` (secondary). */
  readonly irq: OutputPin;
  /** Pins by name: `irq14` or `irq15`. */
  readonly pins: ReadonlyMap<string, Pin>;
  /** Stimuli: `request`. */
  readonly stimuli: Readonly<Record<string, StimulusKind<unknown>>>;
  /** Options in force. */
  readonly options: AtaOptions;
  /** Command block base port. */
  readonly commandBase: number;
  /** Control block port. */
  readonly controlPort: number;
  /** Disk size in sectors. */
  readonly sectors: number;
  /** Interrupts the device raised so far (for scenarios and tests). */
  interrupts = 0;
  readonly #kernel: Kernel;
  readonly #log: DeviceLog;
  readonly #identify: Uint16Array;
  readonly #buffer = new Uint16Array(BLOCK_WORDS);
  #phase: Phase = "idle";
  #error = 0x01; // diagnostic code after power-on: device 0 passed
  /** The last command ended with ERR (the Error register then holds its cause). */
  #failed = false;
  #features = 0;
  #nsect = 1;
  #lbal = 1;
  #lbam = 0;
  #lbah = 0;
  #device = 0;
  #control = 0;
  #intrq = false;
  #word = 0;
  /** Sectors of the current READ still to deliver (after the block in the buffer). */
  #remaining = 0;
  #event: EventHandle = NO_EVENT;
  readonly #onReady = (kind: number): void => this.#ready(kind);

  /**
   * @param kernel machine whose clock and ports the channel uses
   * @param name instance name (`ide0`); the pin is `<name>.irq14` or `<name>.irq15`
   * @param options channel, disk size and timing; missing keys take {@linkcode ataDefaults}
   */
  constructor(kernel: Kernel, readonly name: string, options: Partial<AtaOptions> = {}) {
    this.options = { ...ataDefaults, ...options };
    this.#kernel = kernel;
    this.#log = new DeviceLog(kernel, name, this.kind);
    const primary = this.options.channel === "primary";
    this.commandBase = primary ? ATA_PRIMARY_CMD : ATA_SECONDARY_CMD;
    this.controlPort = primary ? ATA_PRIMARY_CTL : ATA_SECONDARY_CTL;
    const pinName = primary ? "irq14" : "irq15";
    this.irq = new OutputPin(`${name}.${pinName}`, this);
    this.pins = new Map<string, Pin>([[pinName, this.irq]]);
    this.sectors = this.options.size_mib * 2048;
    this.#identify = identifyBlock(this.sectors);
    const block: IoHandler = {
      read: (off: number, w: Width) =>
        off === ATA_REG_DATA ? this.#readData(w) : readBytes((o) => this.#readReg(o), off, w, 8),
      write: (off: number, v: number, w: Width) => {
        if (off === ATA_REG_DATA) {
          this.#log.once("write to the data register with no write command");
        } else writeBytes((o, b) => this.#writeReg(o, b), off, v, w, 8);
      },
    };
    const control: IoHandler = {
      read: (_o: number, w: Width) => readBytes(() => this.#status(), 0, w, 1),
      write: (_o: number, v: number) => this.#writeControl(v & 0xff),
    };
    kernel.ports.map(this.commandBase, 8, block, name);
    kernel.ports.map(this.controlPort, 1, control, `${name}.ctl`);
    this.stimuli = {
      request: {
        description: "the disk completes a read of `sectors` sectors on its own and interrupts " +
          "(as a bus-master READ DMA would): BSY for sectors x read_delay_us, then INTRQ",
        args: requestArgs,
        apply: (a: RequestArgs, at: number) => this.request(a.sectors, at),
      } satisfies StimulusKind<RequestArgs>,
    };
  }

  /** Power-on state: idle, diagnostic signature in the task file, INTRQ released. */
  reset(): void {
    this.#kernel.clock.cancel(this.#event);
    this.#event = NO_EVENT;
    this.#control = 0;
    this.#diagnosed();
  }

  /**
   * Complete a read of `sectors` sectors at `at` ns without PIO transfers, as
   * a bus-master DMA read would: BSY for `sectors * read_delay_us`, then DRDY
   * and INTRQ. Ignored (with a log line) when the disk is busy then.
   */
  request(sectors = 1, at = this.#kernel.clock.now): void {
    this.#kernel.clock.schedule(at, () => {
      if (this.#phase !== "idle") {
        this.#log.once("request stimulus while a command is in progress: ignored");
        return;
      }
      this.#intrq = false;
      this.#error = 0;
      this.#phase = "busy";
      this.#event = this.#kernel.clock.scheduleIn(
        sectors * this.#readDelay(),
        this.#onReady,
        READY_DONE,
      );
      this.#drive();
    });
  }

  // ---- registers ------------------------------------------------------------------

  get #dev1(): boolean {
    return (this.#device & ATA_DEV1) !== 0;
  }

  #status(): number {
    if (this.#dev1) return 0x00; // device 0 answers 00h for an absent device 1
    switch (this.#phase) {
      case "busy":
      case "reset":
        return ATA_BUSY;
      case "data_in":
        return ATA_DRDY | ATA_DSC | ATA_DRQ;
      case "idle":
        return ATA_DRDY | ATA_DSC | (this.#failed ? ATA_ERR : 0);
    }
  }

  #readReg(offset: number): number {
    if (this.#control & ATA_HOB) this.#log.notImplemented("48-bit LBA (HOB reads)");
    switch (offset) {
      case ATA_REG_ERR:
        return this.#error;
      case ATA_REG_NSECT:
        return this.#nsect;
      case ATA_REG_LBAL:
        return this.#lbal;
      case ATA_REG_LBAM:
        return this.#lbam;
      case ATA_REG_LBAH:
        return this.#lbah;
      case ATA_REG_DEVICE:
        return this.#device;
      default: {
        // ATA_REG_STATUS: reading it acknowledges the interrupt.
        const v = this.#status();
        if (!this.#dev1 && this.#intrq) {
          this.#intrq = false;
          this.#drive();
        }
        return v;
      }
    }
  }

  #writeReg(offset: number, v: number): void {
    switch (offset) {
      case ATA_REG_FEATURE:
        this.#features = v;
        return;
      case ATA_REG_NSECT:
        this.#nsect = v;
        return;
      case ATA_REG_LBAL:
        this.#lbal = v;
        return;
      case ATA_REG_LBAM:
        this.#lbam = v;
        return;
      case ATA_REG_LBAH:
        this.#lbah = v;
        return;
      case ATA_REG_DEVICE:
        this.#device = v;
        this.#drive(); // INTRQ is driven only by the selected device
        return;
      default:
        this.#command(v);
    }
  }

  #writeControl(v: number): void {
    const old = this.#control;
    this.#control = v;
    const clock = this.#kernel.clock;
    if (v & ATA_SRST && !(old & ATA_SRST)) {
      clock.cancel(this.#event);
      this.#event = NO_EVENT;
      this.#phase = "reset";
      this.#intrq = false;
    } else if (!(v & ATA_SRST) && old & ATA_SRST) {
      this.#event = clock.scheduleIn(ATA_RESET_NS, this.#onReady, READY_RESET);
    }
    this.#drive();
  }

  /** The only writer of the IRQ pin: INTRQ of the selected device 0, unless nIEN. */
  #drive(): void {
    this.irq.set(this.#intrq && !(this.#control & ATA_NIEN) && !this.#dev1);
  }

  #readDelay(): number {
    return Math.round(this.options.read_delay_us * 1000);
  }

  // ---- commands ---------------------------------------------------------------------

  #command(cmd: number): void {
    if (this.#dev1) {
      this.#log.once(`command ${hex(cmd)} to absent device 1 ignored`);
      return;
    }
    if (this.#phase === "busy" || this.#phase === "reset") {
      this.#log.once(`command ${hex(cmd)} written while BSY: ignored`, 4);
      return;
    }
    // Writing the Command register clears a pending interrupt.
    this.#intrq = false;
    this.#error = 0;
    this.#failed = false;
    this.#remaining = 0;
    const clock = this.#kernel.clock;
    const commandNs = Math.round(this.options.command_delay_us * 1000);
    let ready = READY_DONE;
    let delay = commandNs;
    switch (cmd) {
      case ATA_CMD_ID_ATA:
        this.#buffer.set(this.#identify);
        ready = READY_BLOCK;
        break;
      case ATA_CMD_PIO_READ:
      case ATA_CMD_PIO_READ_NORETRY: {
        const n = this.#nsect || 256;
        const lba = this.#lba();
        if (lba < 0 || lba + n > this.sectors) {
          this.#error = ATA_IDNF;
          ready = READY_ERROR;
        } else {
          this.#remaining = n - 1;
          this.#buffer.fill(0); // the disk is all zeros
          ready = READY_BLOCK;
          delay = this.#readDelay();
        }
        break;
      }
      case ATA_CMD_CHK_POWER:
        this.#nsect = 0xff; // active or idle
        break;
      case ATA_CMD_INIT_DEV_PARAMS:
      case ATA_CMD_SET_MULTI:
      case ATA_CMD_FLUSH:
      case ATA_CMD_SET_FEATURES:
        break;
      default:
        this.#error = ATA_ABORTED;
        ready = READY_ERROR;
    }
    this.#phase = "busy";
    this.#event = clock.scheduleIn(delay, this.#onReady, ready);
    this.#drive();
  }

  /** Starting LBA from the task file (LBA or CHS addressing), or -1 for an invalid CHS. */
  #lba(): number {
    if (this.#device & ATA_LBA) {
      return ((this.#device & 0x0f) * 0x1000000) + (this.#lbah << 16) + (this.#lbam << 8) +
        this.#lbal;
    }
    const cyl = (this.#lbah << 8) | this.#lbam;
    const head = this.#device & 0x0f;
    const sector = this.#lbal;
    if (sector < 1 || sector > SECTORS_PER_TRACK) return -1;
    return (cyl * HEADS + head) * SECTORS_PER_TRACK + sector - 1;
  }

  /** A BSY period ended (runs from the clock). */
  #ready(kind: number): void {
    this.#event = NO_EVENT;
    switch (kind) {
      case READY_BLOCK:
        this.#phase = "data_in";
        this.#word = 0;
        break;
      case READY_ERROR:
        this.#phase = "idle";
        this.#failed = true;
        break;
      case READY_DONE:
        this.#phase = "idle";
        break;
      case READY_RESET:
        this.#diagnosed();
        return; // no interrupt after a software reset
    }
    this.#intrq = true;
    this.interrupts++;
    this.#drive();
  }

  /** Diagnostics done (power-on or SRST): signature and code 01h, idle, INTRQ released. */
  #diagnosed(): void {
    this.#phase = "idle";
    this.#error = 0x01;
    this.#failed = false;
    this.#nsect = 1;
    this.#lbal = 1;
    this.#lbam = 0;
    this.#lbah = 0;
    this.#device = 0;
    this.#intrq = false;
    this.#remaining = 0;
    this.#drive();
  }

  /** PIO data-in: one word per 16-bit read; the end of a block starts the next or ends the command. */
  #readData(width: Width): number {
    if (width === 4) return (this.#readWord() | (this.#readWord() << 16)) >>> 0;
    if (width === 1) this.#log.once("8-bit read of the 16-bit data register");
    const w = this.#readWord();
    return width === 1 ? w & 0xff : w;
  }

  #readWord(): number {
    if (this.#phase !== "data_in" || this.#dev1) {
      this.#log.once("data register read without DRQ");
      return 0xffff;
    }
    const w = this.#buffer[this.#word++];
    if (this.#word === BLOCK_WORDS) {
      if (this.#remaining > 0) {
        this.#remaining--;
        this.#phase = "busy";
        this.#buffer.fill(0);
        this.#event = this.#kernel.clock.scheduleIn(this.#readDelay(), this.#onReady, READY_BLOCK);
      } else {
        this.#phase = "idle"; // the last block of PIO data-in ends without an interrupt
      }
    }
    return w;
  }
}

/** The `ata` device kind: one legacy IDE channel with an all-zero disk. */
export const ataKind: DeviceKind<AtaOptions> = {
  kind: "ata",
  description: "PIIX legacy IDE channel with one all-zero ATA disk (PIO), INTRQ on irq14/irq15",
  options: ataOptions,
  create: (name, options, kernel) => new AtaChannel(kernel, name, options),
};
