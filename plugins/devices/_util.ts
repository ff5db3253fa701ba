/**
 * Private helpers shared by the legacy PC device models: option schemas for
 * port bases, hex formatting for log lines, and the once-per-device log of
 * guest misbehaviour (STYLE rule 6, tier 2: answered like hardware, logged,
 * never thrown).
 *
 * @module
 */

import { z } from "zod";
import type { Kernel } from "../../core/kernel.ts";
import type { LogLevel } from "../../core/printk.ts";

/** `0x` + lower-case hex, zero-padded to `digits`. */
export function hex(n: number, digits = 2): string {
  return "0x" + n.toString(16).padStart(digits, "0");
}

/** Schema of an x86 I/O port number (0..0xffff). */
export function portOption(defaultPort: number): z.ZodDefault<z.ZodNumber> {
  return z.number().int().min(0).max(0xffff).default(defaultPort);
}

/** Nanoseconds per second. */
export const NS_PER_S = 1_000_000_000;

/**
 * A device's log: guest misbehaviour noted once per distinct message (a driver
 * polling a wrong register in a loop must not flood dmesg), and not-implemented
 * features through the machine's once-per-feature `Kernel.notImplemented`.
 */
export class DeviceLog {
  #seen = new Set<string>();

  /**
   * @param kernel the machine whose printk receives the lines
   * @param device instance name (`pit`, `keyboard`), prefixed to guest-misbehaviour lines
   * @param kind device kind (`i8254`), prefixed to not-implemented lines
   */
  constructor(readonly kernel: Kernel, readonly device: string, readonly kind: string) {}

  /** Log `text` once for this device at `level` (KERN_DEBUG by default). */
  once(text: string, level: LogLevel = 7): void {
    if (this.#seen.has(text)) return;
    this.#seen.add(text);
    this.kernel.printk(level, `irqlab: ${this.device}: ${text}`);
  }

  /** Report a feature the model does not implement (once per machine). */
  notImplemented(feature: string): void {
    this.kernel.notImplemented(`${this.kind}: ${feature}`);
  }
}

/**
 * Split a 16/32-bit access to an 8-bit ISA device into byte cycles at
 * consecutive ports, as the chipset's ISA bridge does. Bytes past the end of
 * the device's region float high.
 */
export function readBytes(
  read8: (offset: number) => number,
  offset: number,
  width: 1 | 2 | 4,
  size: number,
): number {
  if (width === 1) return read8(offset);
  let v = 0;
  for (let i = 0; i < width; i++) {
    const b = offset + i < size ? read8(offset + i) & 0xff : 0xff;
    v |= b << (8 * i);
  }
  return v >>> 0;
}

/** Write counterpart of {@linkcode readBytes}: low byte first; bytes past the region are dropped. */
export function writeBytes(
  write8: (offset: number, value: number) => void,
  offset: number,
  value: number,
  width: 1 | 2 | 4,
  size: number,
): void {
  for (let i = 0; i < width && offset + i < size; i++) {
    write8(offset + i, (value >>> (8 * i)) & 0xff);
  }
}
