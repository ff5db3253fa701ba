/**
 * Address spaces: checked maps, lookup across regions, offsets relative to
 * the region base, and unmapped accesses that float high and are noted once.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type IoHandler, IoMapError, IoSpace, type Width } from "./io.ts";

/** A handler that logs accesses and reads back `tag + offset`. */
function probe(tag: number, log: string[] = []): IoHandler {
  return {
    read: (offset: number, width: Width) => {
      log.push(`r ${offset} ${width}`);
      return tag + offset;
    },
    write: (offset: number, value: number, width: Width) => {
      log.push(`w ${offset} ${value} ${width}`);
    },
  };
}

Deno.test("IoSpace.map rejects an overlap, naming both owners and ranges", () => {
  const ports = new IoSpace("port", 0x10000);
  ports.map(0x60, 5, probe(0), "i8042");
  assert.throws(() => ports.map(0x64, 4, probe(0), "serial"), (e: unknown) => {
    assert.ok(e instanceof IoMapError);
    assert.equal(e.name, "IoMapError");
    assert.match(e.message, /port range 0x64-0x67 for serial/);
    assert.match(e.message, /overlaps i8042 at 0x60-0x64/);
    return true;
  });
  assert.equal(ports.regions.length, 1);
});

Deno.test("IoSpace.map rejects a region that contains an existing one", () => {
  const mmio = new IoSpace("mmio", 2 ** 40);
  mmio.map(0xfec00010, 4, probe(0), "iowin");
  assert.throws(
    () => mmio.map(0xfec00000, 0x100, probe(0), "ioapic"),
    /mmio range 0xfec00000-0xfec000ff for ioapic: it overlaps iowin at 0xfec00010-0xfec00013/,
  );
});

Deno.test("IoSpace.map accepts adjacent regions", () => {
  const ports = new IoSpace("port", 0x10000);
  ports.map(0x20, 2, probe(0), "pic_master");
  ports.map(0x22, 2, probe(0), "imcr");
  ports.map(0x1e, 2, probe(0), "before");
  assert.deepEqual(ports.regions.map((r) => r.owner), ["before", "pic_master", "imcr"]);
});

Deno.test("IoSpace.map rejects a range outside the space", () => {
  const ports = new IoSpace("port", 0x10000);
  assert.throws(() => ports.map(0xffff, 2, probe(0), "wide"), (e: unknown) => {
    assert.ok(e instanceof IoMapError);
    assert.match(e.message, /for wide/);
    assert.match(e.message, /outside 0\.\.0xffff/);
    return true;
  });
  assert.throws(() => ports.map(0x10, 0, probe(0), "empty"), IoMapError);
  assert.throws(() => ports.map(-1, 1, probe(0), "negative"), IoMapError);
  ports.map(0xffff, 1, probe(0), "last");
});

Deno.test("IoSpace.find locates the region holding an address among several", () => {
  const ports = new IoSpace("port", 0x10000);
  const names: [number, number, string][] = [
    [0x3f8, 8, "serial"],
    [0x20, 2, "pic_master"],
    [0xa0, 2, "pic_slave"],
    [0x40, 4, "pit"],
    [0x60, 1, "kbd_data"],
    [0x64, 1, "kbd_cmd"],
  ];
  for (const [base, size, owner] of names) ports.map(base, size, probe(0), owner);
  const owner = (a: number) => ports.find(a)?.owner;
  assert.equal(owner(0x1f), undefined);
  assert.equal(owner(0x20), "pic_master");
  assert.equal(owner(0x21), "pic_master");
  assert.equal(owner(0x22), undefined, "one past the end of the cached region");
  assert.equal(owner(0x43), "pit");
  assert.equal(owner(0x44), undefined);
  assert.equal(owner(0x60), "kbd_data");
  assert.equal(owner(0x61), undefined);
  assert.equal(owner(0x64), "kbd_cmd");
  assert.equal(owner(0xa1), "pic_slave");
  assert.equal(owner(0x3f8), "serial");
  assert.equal(owner(0x3ff), "serial");
  assert.equal(owner(0x400), undefined);
  assert.equal(owner(0x20), "pic_master", "back to an earlier region");
});

Deno.test("IoSpace.read and write pass the offset from the region base and the width", () => {
  const ports = new IoSpace("port", 0x10000);
  const log: string[] = [];
  ports.map(0x3f8, 8, probe(0x100, log), "serial");
  assert.equal(ports.read(0x3fd, 1), 0x105);
  ports.write(0x3f9, 0x0f, 1);
  assert.equal(ports.read(0x3f8, 2), 0x100);
  assert.deepEqual(log, ["r 5 1", "w 1 15 1", "r 0 2"]);
});

Deno.test("IoSpace.read of an unmapped address returns all ones for its width", () => {
  const ports = new IoSpace("port", 0x10000);
  assert.equal(ports.read(0x300, 1), 0xff);
  assert.equal(ports.read(0x302, 2), 0xffff);
  assert.equal(ports.read(0x304, 4), 0xffffffff);
});

Deno.test("IoSpace reports each unmapped address once", () => {
  const mmio = new IoSpace("mmio", 2 ** 40);
  const notes: [number, boolean][] = [];
  mmio.onUnmapped = (addr, write) => notes.push([addr, write]);
  mmio.read(0x1000, 4);
  mmio.read(0x1000, 4);
  mmio.write(0x1000, 1, 4);
  mmio.write(0x2000, 1, 4);
  mmio.read(0x2000, 4);
  assert.deepEqual(notes, [[0x1000, false], [0x2000, true]]);
  assert.deepEqual([...mmio.unmapped], [0x1000, 0x2000]);
});

Deno.test("IoSpace.write to an unmapped address reaches no handler", () => {
  const ports = new IoSpace("port", 0x10000);
  const log: string[] = [];
  ports.map(0x80, 1, probe(0, log), "post");
  ports.write(0x81, 0x42, 1);
  assert.deepEqual(log, []);
});

Deno.test("IoSpace.find answers the same from the port table as a search of the regions", () => {
  // A port space (64 KiB) indexes regions by address; an MMIO space searches.
  // Same maps, same answers, for every address and a few that are no index.
  const ports = new IoSpace("port", 0x10000);
  const mmio = new IoSpace("mmio", 2 ** 40);
  const maps: [number, number][] = [
    [0x20, 2],
    [0xa0, 2],
    [0x4d0, 1],
    [0x4d1, 1],
    [0x300, 1],
    [0x3f8, 8],
    [0x60, 1],
    [0x64, 1],
    [0xfffe, 2],
  ];
  for (const [base, size] of maps) {
    ports.map(base, size, probe(base), `r${base}`);
    mmio.map(base, size, probe(base), `r${base}`);
  }
  const name = (s: IoSpace, a: number) => s.find(a)?.owner;
  for (let a = 0; a < 0x10000; a++) {
    assert.equal(name(ports, a), name(mmio, a), `port 0x${a.toString(16)}`);
  }
  for (const a of [-1, 0x20 + 0.5, 0x10000, 0x10001, NaN]) {
    assert.equal(name(ports, a), name(mmio, a));
  }
  assert.equal(name(ports, 0x21), "r32");
  assert.equal(name(ports, 0x22), undefined);
  assert.equal(ports.read(0x3ff, 1), 0x3f8 + 7);
});
