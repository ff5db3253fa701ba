/**
 * Address spaces: x86 port I/O (64 KiB of 8/16/32-bit ports) and MMIO
 * (physical addresses). Devices map regions with a read/write handler;
 * overlapping maps are configuration errors. Unmapped reads float high
 * (all ones), as on a real bus, and are noted once.
 *
 * @example
 * ```ts
 * const ports = new IoSpace("port", 0x10000);
 * let latch = 0;
 * ports.map(0x80, 1, { read: () => latch, write: (_o, v) => { latch = v; } }, "post");
 * ports.write(0x80, 0x42, 1);
 * ports.read(0x80, 1); // 0x42
 * ```
 * @module
 */

/** Access width in bytes. */
export type Width = 1 | 2 | 4;

/** What a mapped region does on access. `offset` is relative to the region base. */
export interface IoHandler {
  /** Read `width` bytes at `offset` into the region. */
  read(offset: number, width: Width): number;
  /** Write `value` (`width` bytes) at `offset` into the region. */
  write(offset: number, value: number, width: Width): void;
}

/** One mapped region. */
export interface IoRegion {
  /** First address of the region. */
  base: number;
  /** Length of the region in bytes (ports) or addresses. */
  size: number;
  /** Who answers accesses to the region. */
  handler: IoHandler;
  /** Device name, for /proc/ioports and overlap errors. */
  owner: string;
}

/** Raised for overlapping maps. */
export class IoMapError extends Error {
  /** Error name. */
  override name = "IoMapError";
}

/**
 * Spaces no larger than this (x86's 64 KiB of ports) find a region by a
 * table indexed by address instead of a search: port I/O is on every legacy
 * interrupt's path.
 */
const TABLE_LIMIT = 0x10000;

/** An address space with sorted regions. */
export class IoSpace {
  /** Mapped regions, sorted by base. */
  readonly regions: IoRegion[] = [];
  /** Addresses read or written with nothing mapped (each noted once). */
  readonly unmapped = new Set<number>();
  /** Called once per unmapped address, for a log line. */
  onUnmapped: (addr: number, write: boolean) => void = () => {};
  #last: IoRegion | undefined;
  /** Small spaces: per address, 1 + the index in #mapped of its region (0: unmapped). */
  #table: Uint32Array | undefined;
  /** Regions in the order they were mapped (what #table indexes). */
  readonly #mapped: IoRegion[] = [];

  /** Create a IoSpace. */
  constructor(readonly kind: "port" | "mmio", readonly limit: number) {
    this.#table = limit <= TABLE_LIMIT ? new Uint32Array(limit) : undefined;
  }

  /** Map `size` bytes at `base` to `handler`. */
  map(base: number, size: number, handler: IoHandler, owner: string): IoRegion {
    if (base < 0 || size <= 0 || base + size > this.limit) {
      throw new IoMapError(
        `Cannot map ${this.kind} range ${hex(base)}+${hex(size)} for ${owner}: outside 0..${
          hex(this.limit - 1)
        }`,
      );
    }
    for (const r of this.regions) {
      if (base < r.base + r.size && r.base < base + size) {
        throw new IoMapError(
          `Cannot map ${this.kind} range ${hex(base)}-${
            hex(base + size - 1)
          } for ${owner}: it overlaps ${r.owner} at ${hex(r.base)}-${hex(r.base + r.size - 1)}`,
        );
      }
    }
    const region = { base, size, handler, owner };
    this.regions.push(region);
    this.regions.sort((a, b) => a.base - b.base);
    this.#mapped.push(region);
    if (!Number.isInteger(base) || !Number.isInteger(size)) this.#table = undefined; // search instead
    this.#table?.fill(this.#mapped.length, base, base + size);
    return region;
  }

  /** The region holding `addr`, if any. */
  find(addr: number): IoRegion | undefined {
    const table = this.#table;
    if (table !== undefined) {
      // undefined for an address that is no table index (fractional, out of range)
      const i = table[addr];
      if (i !== undefined) return i === 0 ? undefined : this.#mapped[i - 1];
    }
    const last = this.#last;
    if (last && addr >= last.base && addr < last.base + last.size) return last;
    const rs = this.regions;
    let lo = 0, hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = rs[mid];
      if (addr < r.base) hi = mid - 1;
      else if (addr >= r.base + r.size) lo = mid + 1;
      else {
        this.#last = r;
        return r;
      }
    }
    return undefined;
  }

  /** Read `width` bytes at `addr`. Unmapped reads return all ones. */
  read(addr: number, width: Width): number {
    // find()'s table case written out: port I/O is on every legacy interrupt's path
    const table = this.#table;
    if (table !== undefined) {
      const i = table[addr]; // undefined for no table index: find() below answers
      if (i > 0) {
        const m = this.#mapped[i - 1];
        return m.handler.read(addr - m.base, width);
      }
    }
    const r = this.find(addr);
    if (!r) {
      this.#noteUnmapped(addr, false);
      return width === 4 ? 0xffffffff : width === 2 ? 0xffff : 0xff;
    }
    return r.handler.read(addr - r.base, width);
  }

  /** Write `width` bytes at `addr`. Unmapped writes are dropped. */
  write(addr: number, value: number, width: Width): void {
    // find()'s table case written out, as in read()
    const table = this.#table;
    if (table !== undefined) {
      const i = table[addr];
      if (i > 0) {
        const m = this.#mapped[i - 1];
        m.handler.write(addr - m.base, value, width);
        return;
      }
    }
    const r = this.find(addr);
    if (!r) {
      this.#noteUnmapped(addr, true);
      return;
    }
    r.handler.write(addr - r.base, value, width);
  }

  #noteUnmapped(addr: number, write: boolean): void {
    if (this.unmapped.has(addr)) return;
    this.unmapped.add(addr);
    this.onUnmapped(addr, write);
  }
}

function hex(n: number): string {
  return "0x" + n.toString(16);
}
