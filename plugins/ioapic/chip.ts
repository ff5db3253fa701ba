/**
 * The I/O APIC at register level (Intel 82093AA datasheet; the PCI 2.2
 * version 0x20 with the EOI register, as in ICH/PCH chipsets; register
 * names as arch/x86/include/asm/io_apic.h has them): IOREGSEL at +0x00,
 * IOWIN at +0x10, EOI at +0x40; indirect registers ID (0x00), VER (0x01),
 * ARB (0x02) and 24 redirection table entries (0x10 + 2n low, 0x11 + 2n
 * high).
 *
 * Input pins carry the electrical level; the polarity bit says which level
 * asserts. An edge-triggered entry sends a message on each assertion while
 * unmasked (an edge that arrives while masked is lost); a level-triggered
 * entry sends one while asserted, unmasked and Remote IRR clear, sets Remote
 * IRR, and sends again after the EOI clears it if the line is still
 * asserted. Messages go to the LAPICs through the APIC bus; the last ones
 * are kept for register-level tests.
 *
 * @module
 */

import { InputPin } from "../../core/line.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { Device } from "../../core/plugin.ts";
import type { ApicMessage } from "../lapic/mod.ts";

/** Register select (index) offset. */
export const IO_APIC_REGSEL = 0x00;
/** Data window offset. */
export const IO_APIC_WINDOW = 0x10;
/** EOI register offset (version 0x20 and later). */
export const IO_APIC_EOI = 0x40;
/** Indirect register indexes. */
export const IO_APIC_ID = 0x00;
export const IO_APIC_VERSION = 0x01;
export const IO_APIC_ARB = 0x02;
export const IO_APIC_BOOT_CONFIG = 0x03;
/** Redirection table: low dword of pin n at 0x10 + 2n, high at 0x11 + 2n. */
export const IO_APIC_REDIR_TABLE = 0x10;
/** Default base address (IO_APIC_DEFAULT_PHYS_BASE). */
export const IO_APIC_DEFAULT_PHYS_BASE = 0xfec00000;
/** Version register value of a PCI 2.2 IOAPIC with the EOI register. */
export const IO_APIC_VERSION_20 = 0x20;
/** Number of redirection entries. */
export const IO_APIC_PINS = 24;

// RTE bits (struct IO_APIC_route_entry)
/** Vector, bits 0-7. */
export const IO_APIC_REDIR_VECTOR_MASK = 0x000ff;
/** Delivery mode, bits 8-10 (0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT). */
export const IO_APIC_REDIR_DELIVERY_SHIFT = 8;
/** Destination mode, bit 11 (1 logical). */
export const IO_APIC_REDIR_DEST_LOGICAL = 0x00800;
/** Delivery status, bit 12 (read only: send pending). */
export const IO_APIC_REDIR_SEND_PENDING = 0x01000;
/** Polarity, bit 13 (1 active low). */
export const IO_APIC_REDIR_POLARITY_LOW = 0x02000;
/** Remote IRR, bit 14 (read only). */
export const IO_APIC_REDIR_REMOTE_IRR = 0x04000;
/** Trigger mode, bit 15 (1 level). */
export const IO_APIC_REDIR_LEVEL_TRIGGER = 0x08000;
/** Mask, bit 16. */
export const IO_APIC_REDIR_MASKED = 0x10000;
/** Destination field shift in the high dword (bits 56-63 of the entry). */
export const IO_APIC_DEST_SHIFT = 24;

/** A message the IOAPIC sent (for register-level tests), with its pin and time. */
export interface IoApicMessage extends ApicMessage {
  pin: number;
  at: number;
}

/** Where the IOAPIC sends its messages. Returns false when no LAPIC accepted. */
export type ApicDeliver = (msg: ApicMessage) => boolean;

/** One IOAPIC: a device with input pins `pin0`..`pin23`. */
export class IoApic implements Device {
  readonly kind = "ioapic";
  readonly pins = new Map<string, InputPin>();
  /** IOREGSEL. */
  regsel = 0;
  /** ID register bits 24-27. */
  id: number;
  arb: number;
  readonly rteLow = new Uint32Array(IO_APIC_PINS).fill(IO_APIC_REDIR_MASKED);
  readonly rteHigh = new Uint32Array(IO_APIC_PINS);
  /** The input pins by number (no name lookup on the hot path). */
  readonly #inputs: InputPin[] = [];
  /** Electrical level of each input. */
  readonly #level = new Array<boolean>(IO_APIC_PINS).fill(false);
  /**
   * Messages sent, oldest first, kept only while {@linkcode record} is on
   * (the hot path allocates nothing otherwise). At most
   * {@linkcode messageLimit}: the oldest half is dropped when full.
   */
  readonly messages: IoApicMessage[] = [];
  /** Keep the messages sent in {@linkcode messages} (register-level tests). */
  record = false;
  /** Cap of {@linkcode messages}. */
  messageLimit = 4096;
  /** The message being sent (reused: nothing is allocated per interrupt). */
  readonly #msg: IoApicMessage = {
    pin: 0,
    at: 0,
    vector: 0,
    deliveryMode: 0,
    destMode: 0,
    dest: 0,
    trigger: 0,
  };
  /** Delivery (set by the plugin to the APIC bus). */
  deliver: ApicDeliver = () => false;

  constructor(
    readonly name: string,
    readonly kernel: Kernel,
    readonly base: number,
    id: number,
  ) {
    this.id = id & 0xf;
    this.arb = this.id;
    for (let n = 0; n < IO_APIC_PINS; n++) {
      const p = new InputPin(`${name}.pin${n}`, (l) => this.#pinChanged(n, l), true, this);
      this.pins.set(`pin${n}`, p);
      this.#inputs.push(p);
    }
  }

  /** Is pin `n` asserted (level as its polarity reads it, an undriven pin never)? */
  asserted(n: number): boolean {
    if (this.#inputs[n].drivers.length === 0) return false;
    const low = (this.rteLow[n] & IO_APIC_REDIR_POLARITY_LOW) !== 0;
    return this.#level[n] !== low;
  }

  #pinChanged(n: number, level: boolean): void {
    const was = this.asserted(n);
    this.#level[n] = level;
    const now = this.asserted(n);
    const lo = this.rteLow[n];
    if (lo & IO_APIC_REDIR_LEVEL_TRIGGER) {
      if (now) this.#service(n);
      return;
    }
    // edge: an assertion while masked is lost (82093AA 3.2.4: "edge-sensitive
    // interrupts signaled on a masked interrupt pin are ignored")
    if (now && !was && !(lo & IO_APIC_REDIR_MASKED)) this.#send(n);
  }

  /** Level entries: send when asserted, unmasked and Remote IRR clear. */
  #service(n: number): void {
    const lo = this.rteLow[n];
    if (!(lo & IO_APIC_REDIR_LEVEL_TRIGGER)) return;
    if (lo & (IO_APIC_REDIR_MASKED | IO_APIC_REDIR_REMOTE_IRR)) return;
    if (!this.asserted(n)) return;
    if (this.#send(n)) this.rteLow[n] |= IO_APIC_REDIR_REMOTE_IRR;
  }

  #send(n: number): boolean {
    const lo = this.rteLow[n];
    const msg = this.#msg;
    msg.pin = n;
    msg.at = this.kernel.now;
    msg.vector = lo & IO_APIC_REDIR_VECTOR_MASK;
    msg.deliveryMode = (lo >> IO_APIC_REDIR_DELIVERY_SHIFT) & 7;
    msg.destMode = (lo & IO_APIC_REDIR_DEST_LOGICAL) ? 1 : 0;
    msg.dest = this.rteHigh[n] >>> IO_APIC_DEST_SHIFT;
    msg.trigger = (lo & IO_APIC_REDIR_LEVEL_TRIGGER) ? 1 : 0;
    if (this.record) {
      if (this.messages.length >= this.messageLimit) {
        this.messages.splice(0, this.messageLimit >> 1);
      }
      this.messages.push({ ...msg });
    }
    const ok = this.deliver(msg);
    // Delivery status stays "send pending" while no LAPIC accepts the message.
    if (ok) this.rteLow[n] &= ~IO_APIC_REDIR_SEND_PENDING;
    else this.rteLow[n] |= IO_APIC_REDIR_SEND_PENDING;
    return ok;
  }

  /**
   * EOI for `vector` (LAPIC EOI broadcast or the EOI register): clear Remote
   * IRR of the level entries with that vector; a still-asserted line is sent
   * again.
   */
  eoi(vector: number): void {
    for (let n = 0; n < IO_APIC_PINS; n++) {
      const lo = this.rteLow[n];
      if ((lo & IO_APIC_REDIR_VECTOR_MASK) !== vector) continue;
      if (!(lo & IO_APIC_REDIR_REMOTE_IRR)) continue;
      this.rteLow[n] = lo & ~IO_APIC_REDIR_REMOTE_IRR;
      this.#service(n);
    }
  }

  /** Read an indirect register. */
  readReg(index: number): number {
    switch (index) {
      case IO_APIC_ID:
        return (this.id << 24) >>> 0;
      case IO_APIC_VERSION:
        // bits 0-7 version, bits 16-23 maximum redirection entry
        return ((IO_APIC_PINS - 1) << 16) | IO_APIC_VERSION_20;
      case IO_APIC_ARB:
        return (this.arb << 24) >>> 0;
    }
    if (index >= IO_APIC_REDIR_TABLE && index < IO_APIC_REDIR_TABLE + 2 * IO_APIC_PINS) {
      const n = (index - IO_APIC_REDIR_TABLE) >> 1;
      return (index & 1) ? this.rteHigh[n] >>> 0 : this.rteLow[n] >>> 0;
    }
    return 0xffffffff; // no register: the window floats
  }

  /** Write an indirect register. */
  writeReg(index: number, value: number): void {
    value >>>= 0;
    if (index === IO_APIC_ID) {
      this.id = (value >>> 24) & 0xf;
      return;
    }
    if (index >= IO_APIC_REDIR_TABLE && index < IO_APIC_REDIR_TABLE + 2 * IO_APIC_PINS) {
      const n = (index - IO_APIC_REDIR_TABLE) >> 1;
      if (index & 1) {
        this.rteHigh[n] = value & 0xff000000;
        return;
      }
      // delivery status and Remote IRR are read only
      const ro = IO_APIC_REDIR_SEND_PENDING | IO_APIC_REDIR_REMOTE_IRR;
      const old = this.rteLow[n];
      let lo = (value & ~ro & 0x1ffff) | (old & ro);
      // Remote IRR is undefined for edge entries: cleared when switched to edge
      if (!(lo & IO_APIC_REDIR_LEVEL_TRIGGER)) lo &= ~IO_APIC_REDIR_REMOTE_IRR;
      this.rteLow[n] = lo;
      if (!(lo & IO_APIC_REDIR_MASKED)) {
        if (lo & IO_APIC_REDIR_LEVEL_TRIGGER) this.#service(n);
        else if (old & IO_APIC_REDIR_SEND_PENDING) this.#send(n);
      }
      return;
    }
    // ARB, VERSION and unknown indexes are read only
  }

  /** MMIO read at `offset` from the base. */
  read(offset: number): number {
    if (offset === IO_APIC_REGSEL) return this.regsel;
    if (offset === IO_APIC_WINDOW) return this.readReg(this.regsel);
    return 0xffffffff;
  }

  /** MMIO write at `offset` from the base. */
  write(offset: number, value: number): void {
    if (offset === IO_APIC_REGSEL) this.regsel = value & 0xff;
    else if (offset === IO_APIC_WINDOW) this.writeReg(this.regsel, value);
    else if (offset === IO_APIC_EOI) this.eoi(value & 0xff);
  }
}
