/**
 * Registers as data (the Renode register framework, in small): each register
 * has its datasheet name, offset, width, reset value, an access mode and
 * optional named fields. A {@linkcode RegisterFile} implements the access
 * modes and calls hooks so a device model only writes its side effects.
 *
 * Access modes:
 * - `rw`  read/write (bits outside `writableMask` keep their value)
 * - `ro`  read-only (writes ignored and reported to `onIgnoredWrite`)
 * - `wo`  write-only (reads return 0 unless a read hook answers)
 * - `w1c` write 1 to clear (e.g. BCM2835 GPEDS)
 * - `w1s` write 1 to set
 *
 * @example
 * ```ts
 * const regs = new RegisterFile("gpio", [
 *   { name: "GPEDS0", offset: 0x40, width: 32, reset: 0, access: "w1c" },
 * ]);
 * regs.set("GPEDS0", 0b101);
 * regs.write(0x40, 0b001, 4);
 * regs.get("GPEDS0"); // 0b100
 * ```
 * @module
 */

import type { IoHandler, Width } from "./io.ts";

/** How writes and reads behave. */
export type AccessMode = "rw" | "ro" | "wo" | "w1c" | "w1s";

/** A named bit field inside a register. */
export interface FieldSpec {
  /** Lowest bit. */
  shift: number;
  /** Number of bits. */
  width: number;
  /** Datasheet description. */
  description?: string;
}

/** A register declared as data. */
export interface RegisterSpec {
  /** Datasheet mnemonic (`GPEDS0`, `IOREGSEL`, `ELCR1`). */
  name: string;
  /** Byte offset inside the block. */
  offset: number;
  /** Width in bits. */
  width: 8 | 16 | 32;
  /** Value after reset. */
  reset: number;
  /** How reads and writes behave (`rw`, `ro`, `wo`, `w1c`, `w1s`). */
  access: AccessMode;
  /** Bits a write may change (default: all bits of the width). */
  writableMask?: number;
  /** Named bit fields. */
  fields?: Record<string, FieldSpec>;
  /** Datasheet description. */
  description?: string;
}

/** Side effects of a register, supplied by the device model. */
export interface RegisterHooks {
  /** Replace the stored value on read (for computed registers). */
  read?: (stored: number) => number;
  /** After every software write that is not to a read-only register (even when nothing changed). */
  write?: (value: number, old: number, written: number) => void;
}

/** Raised for a bad register table (duplicate names or offsets). */
export class RegisterTableError extends Error {
  /** Error name. */
  override name = "RegisterTableError";
}

/** Mask of `width` bits (1..32). */
export function bitMask(width: number): number {
  return width >= 32 ? 0xffffffff : ((1 << width) >>> 0) - 1;
}

/** Read a named field from a register value. */
export function getField(value: number, f: FieldSpec): number {
  return ((value >>> f.shift) & bitMask(f.width)) >>> 0;
}

/** Return `value` with field `f` replaced by `v`. */
export function setField(value: number, f: FieldSpec, v: number): number {
  const m = (bitMask(f.width) << f.shift) >>> 0;
  return ((value & ~m) | ((v << f.shift) & m)) >>> 0;
}

/** A block of registers with datasheet names. Implements {@linkcode IoHandler}. */
export class RegisterFile implements IoHandler {
  /** The register declarations. */
  readonly specs: readonly RegisterSpec[];
  /** Stored values, one per register in `specs` order. */
  readonly values: Uint32Array;
  /** Called when software writes a read-only register (guest misbehaviour, tier 2). */
  onIgnoredWrite: (spec: RegisterSpec, value: number) => void = () => {};
  /** Called when software touches an offset with no register. */
  onUnknown: (offset: number, write: boolean, value: number) => void = () => {};
  #byName = new Map<string, number>();
  #byOffset = new Map<number, number>();
  #hooks: (RegisterHooks | undefined)[];

  /** Create a RegisterFile. */
  constructor(readonly block: string, specs: readonly RegisterSpec[]) {
    this.specs = specs;
    this.values = new Uint32Array(specs.length);
    this.#hooks = new Array(specs.length).fill(undefined);
    specs.forEach((s, i) => {
      if (this.#byName.has(s.name)) {
        throw new RegisterTableError(`${block}: register ${s.name} declared twice`);
      }
      if (this.#byOffset.has(s.offset)) {
        throw new RegisterTableError(
          `${block}: ${s.name} and ${specs[this.#byOffset.get(s.offset)!].name} share offset 0x${
            s.offset.toString(16)
          }`,
        );
      }
      this.#byName.set(s.name, i);
      this.#byOffset.set(s.offset, i);
    });
    this.reset();
  }

  /** Restore every register to its reset value. */
  reset(): void {
    this.specs.forEach((s, i) => (this.values[i] = s.reset >>> 0));
  }

  /** Index of a register by name; throws for an unknown name (a model bug). */
  index(name: string): number {
    const i = this.#byName.get(name);
    if (i === undefined) throw new RegisterTableError(`${this.block}: no register named ${name}`);
    return i;
  }

  /** Spec of a register by name. */
  spec(name: string): RegisterSpec {
    return this.specs[this.index(name)];
  }

  /** Attach side effects to a register. */
  hook(name: string, hooks: RegisterHooks): void {
    this.#hooks[this.index(name)] = hooks;
  }

  /** Stored value of a register (no read side effects). */
  get(name: string): number {
    return this.values[this.index(name)];
  }

  /** Set the stored value directly (hardware side, no write hooks). */
  set(name: string, value: number): void {
    const i = this.index(name);
    this.values[i] = (value & bitMask(this.specs[i].width)) >>> 0;
  }

  /** Read a named field. */
  field(name: string, field: string): number {
    const s = this.spec(name);
    const f = s.fields?.[field];
    if (!f) throw new RegisterTableError(`${this.block}: ${name} has no field ${field}`);
    return getField(this.get(name), f);
  }

  /** Software read at `offset` (runs read hooks). */
  read(offset: number, _width: Width = 4): number {
    const i = this.#byOffset.get(offset);
    if (i === undefined) {
      this.onUnknown(offset, false, 0);
      return 0;
    }
    const s = this.specs[i];
    const stored = s.access === "wo" ? 0 : this.values[i];
    const h = this.#hooks[i];
    return h?.read ? h.read(stored) >>> 0 : stored;
  }

  /** Software write at `offset` (applies the access mode, then write hooks). */
  write(offset: number, value: number, _width: Width = 4): void {
    const i = this.#byOffset.get(offset);
    if (i === undefined) {
      this.onUnknown(offset, true, value);
      return;
    }
    const s = this.specs[i];
    const full = bitMask(s.width);
    const wm = (s.writableMask ?? full) & full;
    const v = (value & full) >>> 0;
    const old = this.values[i];
    let next = old;
    switch (s.access) {
      case "ro":
        this.onIgnoredWrite(s, v);
        return;
      case "rw":
      case "wo":
        next = ((old & ~wm) | (v & wm)) >>> 0;
        break;
      case "w1c":
        next = (old & ~(v & wm)) >>> 0;
        break;
      case "w1s":
        next = (old | (v & wm)) >>> 0;
        break;
    }
    this.values[i] = next;
    this.#hooks[i]?.write?.(next, old, v);
  }
}
