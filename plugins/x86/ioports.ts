/**
 * /proc/ioports with the legacy PC resources every x86 kernel reserves at
 * boot (standard_io_resources[], arch/x86/kernel/setup.c), printed as
 * kernel/resource.c r_show() does: `%0*llx-%0*llx : %s`, width 4 for the
 * 64 KiB port space. The PCI host bridge window that contains them on a real
 * machine (`0000-0cf7 : PCI Bus 0000:00`) and the drivers' own regions are
 * not modelled, so the entries are top level.
 *
 * @module
 */

/** standard_io_resources[]: name, first and last port. */
export const STANDARD_IO_RESOURCES: readonly [string, number, number][] = [
  ["dma1", 0x00, 0x1f],
  ["pic1", 0x20, 0x21],
  ["timer0", 0x40, 0x43],
  ["timer1", 0x50, 0x53],
  ["keyboard", 0x60, 0x60],
  ["keyboard", 0x64, 0x64],
  ["dma page reg", 0x80, 0x8f],
  ["pic2", 0xa0, 0xa1],
  ["dma2", 0xc0, 0xdf],
  ["fpu", 0xf0, 0xff],
];

/** The text of /proc/ioports. */
export function showIoports(): string {
  const h = (n: number) => n.toString(16).padStart(4, "0");
  return STANDARD_IO_RESOURCES.map(([name, a, b]) => `${h(a)}-${h(b)} : ${name}\n`).join("");
}
