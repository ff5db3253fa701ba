import assert from "node:assert/strict";
import { testKernel } from "../../../tests/helpers.ts";
import { Probe } from "../_testing.ts";
import {
  ATA_ABORTED,
  ATA_BUSY,
  ATA_CMD_ID_ATA,
  ATA_CMD_PIO_READ,
  ATA_CMD_SET_FEATURES,
  ATA_DEV1,
  ATA_DRDY,
  ATA_DRQ,
  ATA_DSC,
  ATA_ERR,
  ATA_IDNF,
  ATA_LBA,
  ATA_NIEN,
  ATA_PRIMARY_CMD,
  ATA_PRIMARY_CTL,
  ATA_REG_ALTSTATUS,
  ATA_REG_CMD,
  ATA_REG_CTL,
  ATA_REG_DATA,
  ATA_REG_DEVICE,
  ATA_REG_ERR,
  ATA_REG_LBAH,
  ATA_REG_LBAL,
  ATA_REG_LBAM,
  ATA_REG_NSECT,
  ATA_REG_STATUS,
  ATA_RESET_NS,
  ATA_SECONDARY_CMD,
  ATA_SECONDARY_CTL,
  ATA_SRST,
  AtaChannel,
  ataOptions,
  identifyBlock,
  requestArgs,
} from "./mod.ts";

const US = 1_000;
/** Device register value selecting device 0 in LBA mode (bits 7 and 5 are obsolete ones). */
const DEV0_LBA = 0xa0 | ATA_LBA;

function setup(options = {}) {
  const k = testKernel();
  const ide = new AtaChannel(k, "ide0", options);
  const irq = new Probe(k, ide.irq);
  const base = ide.commandBase;
  const inb = (reg: number) => k.ports.read(base + reg, 1);
  const outb = (reg: number, v: number) => k.ports.write(base + reg, v, 1);
  const inw = () => k.ports.read(base + ATA_REG_DATA, 2);
  const altStatus = () => k.ports.read(ide.controlPort + ATA_REG_ALTSTATUS, 1);
  const control = (v: number) => k.ports.write(ide.controlPort + ATA_REG_CTL, v, 1);
  const readBlock = () => Array.from({ length: 256 }, inw);
  return { k, ide, irq, inb, outb, inw, altStatus, control, readBlock };
}

Deno.test("AtaChannel IDENTIFY raises irq14 after the command delay with a 512-byte identify block", () => {
  const { k, ide, irq, inb, outb, altStatus, readBlock } = setup();
  assert.equal(ide.pins.has("irq14"), true);
  outb(ATA_REG_DEVICE, 0xa0);
  outb(ATA_REG_CMD, ATA_CMD_ID_ATA);
  assert.equal(altStatus() & ATA_BUSY, ATA_BUSY);
  k.runUntil(20 * US - 1);
  assert.equal(irq.level, false);
  k.runUntil(20 * US);
  assert.equal(irq.level, true);
  assert.equal(altStatus(), ATA_DRDY | ATA_DSC | ATA_DRQ);
  assert.equal(irq.level, true, "Alternate Status does not acknowledge the interrupt");
  assert.equal(inb(ATA_REG_STATUS), ATA_DRDY | ATA_DSC | ATA_DRQ);
  assert.equal(irq.level, false, "reading Status acknowledges it");
  const id = readBlock();
  assert.equal(id[0], 0x0040);
  const model = id.slice(27, 47).map((w) => String.fromCharCode(w >> 8, w & 0xff)).join("");
  assert.equal(model.trimEnd(), "IRQLAB HARDDISK");
  assert.equal(id[60] | (id[61] << 16), 64 * 2048);
  assert.equal(id[255] & 0xff, 0xa5);
  const bytes = id.reduce((s, w) => s + (w & 0xff) + (w >> 8), 0);
  assert.equal(bytes % 256, 0, "integrity word checksum");
  assert.equal(inb(ATA_REG_STATUS), ATA_DRDY | ATA_DSC, "DRQ clears after the last word");
  k.runUntil(1_000 * US);
  assert.deepEqual(irq.rises(), [20 * US], "PIO data-in ends without another interrupt");
});

Deno.test("AtaChannel READ SECTORS interrupts once per sector as each block becomes ready", () => {
  const { k, ide, irq, inb, outb, readBlock } = setup();
  const rises: number[] = [];
  // A handler: acknowledge, then read the block 5 µs after the interrupt.
  new Probe(k, ide.irq, (level) => {
    if (!level) return;
    rises.push(k.clock.now);
    k.clock.scheduleIn(5 * US, () => {
      assert.equal(inb(ATA_REG_STATUS) & (ATA_DRQ | ATA_ERR), ATA_DRQ);
      assert.ok(readBlock().every((w) => w === 0), "the disk reads as zeros");
    });
  });
  outb(ATA_REG_NSECT, 3);
  outb(ATA_REG_LBAL, 0x10);
  outb(ATA_REG_LBAM, 0);
  outb(ATA_REG_LBAH, 0);
  outb(ATA_REG_DEVICE, DEV0_LBA);
  outb(ATA_REG_CMD, ATA_CMD_PIO_READ);
  k.runUntil(10_000 * US);
  assert.deepEqual(rises, [100 * US, 205 * US, 310 * US]);
  assert.equal(irq.level, false);
  assert.equal(inb(ATA_REG_STATUS), ATA_DRDY | ATA_DSC);
});

Deno.test("AtaChannel nIEN masks INTRQ and clearing it shows the pending interrupt", () => {
  const { k, irq, inb, outb, control } = setup();
  control(ATA_NIEN);
  outb(ATA_REG_DEVICE, 0xa0);
  outb(ATA_REG_CMD, ATA_CMD_SET_FEATURES);
  k.runUntil(100 * US);
  assert.equal(irq.level, false);
  control(0);
  assert.equal(irq.level, true);
  inb(ATA_REG_STATUS);
  assert.equal(irq.level, false);
});

Deno.test("AtaChannel reading past the end of the disk ends in ERR with IDNF and an interrupt", () => {
  const { k, irq, inb, outb } = setup({ size_mib: 1 });
  outb(ATA_REG_NSECT, 2);
  outb(ATA_REG_LBAL, 0xff); // LBA 2047: the last sector, but two are asked for
  outb(ATA_REG_LBAM, 0x07);
  outb(ATA_REG_LBAH, 0);
  outb(ATA_REG_DEVICE, DEV0_LBA);
  outb(ATA_REG_CMD, ATA_CMD_PIO_READ);
  k.runUntil(100 * US);
  assert.equal(irq.level, true);
  assert.equal(inb(ATA_REG_STATUS), ATA_DRDY | ATA_DSC | ATA_ERR);
  assert.equal(inb(ATA_REG_ERR), ATA_IDNF);
});

Deno.test("AtaChannel aborts commands it does not implement", () => {
  const { k, irq, inb, outb } = setup();
  outb(ATA_REG_DEVICE, 0xa0);
  outb(ATA_REG_CMD, 0x30); // WRITE SECTORS
  k.runUntil(100 * US);
  assert.equal(irq.level, true);
  assert.equal(inb(ATA_REG_STATUS) & ATA_ERR, ATA_ERR);
  assert.equal(inb(ATA_REG_ERR), ATA_ABORTED);
  outb(ATA_REG_CMD, ATA_CMD_SET_FEATURES);
  k.runUntil(200 * US);
  assert.equal(inb(ATA_REG_STATUS), ATA_DRDY | ATA_DSC, "a new command clears ERR");
});

Deno.test("AtaChannel an absent device 1 reads status 00h, ignores commands and releases INTRQ", () => {
  const { k, irq, inb, outb } = setup();
  outb(ATA_REG_DEVICE, 0xa0);
  outb(ATA_REG_CMD, ATA_CMD_SET_FEATURES);
  k.runUntil(100 * US);
  assert.equal(irq.level, true);
  outb(ATA_REG_DEVICE, 0xa0 | ATA_DEV1);
  assert.equal(irq.level, false, "device 0 drives INTRQ only while selected");
  assert.equal(inb(ATA_REG_STATUS), 0x00);
  outb(ATA_REG_CMD, ATA_CMD_ID_ATA);
  k.runUntil(200 * US);
  outb(ATA_REG_DEVICE, 0xa0);
  assert.equal(irq.level, true, "the interrupt of device 0 is still pending");
  assert.equal(inb(ATA_REG_STATUS), ATA_DRDY | ATA_DSC, "IDENTIFY to device 1 did nothing");
});

Deno.test("AtaChannel SRST puts the diagnostic signature back without an interrupt", () => {
  const { k, irq, inb, outb, altStatus, control } = setup();
  outb(ATA_REG_NSECT, 0x55);
  outb(ATA_REG_DEVICE, DEV0_LBA);
  outb(ATA_REG_CMD, ATA_CMD_ID_ATA);
  control(ATA_SRST);
  assert.equal(altStatus() & ATA_BUSY, ATA_BUSY);
  control(0);
  k.runUntil(ATA_RESET_NS - 1);
  assert.equal(altStatus() & ATA_BUSY, ATA_BUSY);
  k.runUntil(ATA_RESET_NS + 100 * US);
  assert.equal(altStatus(), ATA_DRDY | ATA_DSC);
  const sig = [ATA_REG_NSECT, ATA_REG_LBAL, ATA_REG_LBAM, ATA_REG_LBAH, ATA_REG_ERR].map(inb);
  assert.deepEqual(sig, [1, 1, 0, 0, 0x01]);
  assert.equal(irq.rises().length, 0);
});

Deno.test("AtaChannel request stimulus completes a read on its own and interrupts once", () => {
  const { k, ide, irq, inb } = setup();
  ide.stimuli.request.apply(requestArgs.parse({ sectors: 8 }), 1_000 * US);
  k.runUntil(1_000 * US);
  assert.equal(inb(ATA_REG_STATUS) & ATA_BUSY, ATA_BUSY);
  k.runUntil(1_800 * US);
  assert.equal(irq.level, true);
  assert.deepEqual(irq.rises(), [1_800 * US]);
  assert.equal(inb(ATA_REG_STATUS), ATA_DRDY | ATA_DSC);
  assert.equal(irq.level, false);
  assert.equal(ide.interrupts, 1);
  assert.deepEqual(requestArgs.parse({}), { sectors: 1 });
});

Deno.test("AtaChannel secondary channel sits at 0x170/0x376 on pin irq15", () => {
  const k = testKernel();
  const ide = new AtaChannel(k, "ide1", { channel: "secondary" });
  assert.equal(ide.commandBase, ATA_SECONDARY_CMD);
  assert.equal(ide.controlPort, ATA_SECONDARY_CTL);
  assert.deepEqual([...ide.pins.keys()], ["irq15"]);
  assert.equal(k.ports.read(ATA_SECONDARY_CMD + ATA_REG_STATUS, 1), ATA_DRDY | ATA_DSC);
  assert.equal(k.ports.find(ATA_PRIMARY_CMD), undefined);
  assert.equal(k.ports.find(ATA_PRIMARY_CTL), undefined);
});

Deno.test("identifyBlock reports CHS geometry capped at 16383 cylinders", () => {
  const id = identifyBlock(16 * 1024 * 2048); // 16 GiB
  assert.deepEqual([id[1], id[3], id[6]], [16383, 16, 63]);
  assert.equal(id[60] | (id[61] << 16), 16 * 1024 * 2048);
  assert.throws(() => ataOptions.parse({ channel: "tertiary" }));
  assert.throws(() => ataOptions.parse({ size: 1 }));
});
