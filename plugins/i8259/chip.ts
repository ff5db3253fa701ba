/**
 * The Intel 8259A programmable interrupt controller, at register level.
 *
 * One {@linkcode I8259} is one chip: eight request inputs `ir0`..`ir7`, one
 * `int` output, a command port (A0 = 0) and a data port (A0 = 1), plus the
 * PIIX-style ELCR (edge/level control register) that chipsets since the PIIX
 * put beside each chip. The master/slave cascade is not code: it is the wire
 * `pic_slave.int -> pic_master.ir2` in the machine file, and the master finds
 * its slave at INTA time through that wire.
 *
 * The model follows QEMU's `hw/intc/i8259.c` in shape (state struct separate
 * from logic, one update function that alone drives INT) and the Intel 8259A
 * datasheet (order no. 231468) in behaviour where QEMU cuts corners:
 *
 * - The IRR bit is a transparent latch of `IR AND edge-sense latch` (edge
 *   mode) or of `IR` (level mode), datasheet Fig. 9 "Priority Cell": an edge
 *   request withdrawn before the first INTA is gone, and the INTA answers the
 *   default IR7 vector without setting ISR. QEMU keeps the IRR bit set.
 * - INT is a latch: it rises when an unmasked request beats the in-service
 *   priority and is released only at the end of an INTA sequence, a poll read
 *   or ICW1 (the datasheet's "a DEFAULT IR7 will occur when the CPU
 *   acknowledges the interrupt" needs INT to stay up; the KF8259 RTL
 *   re-implementation latches it the same way). This is why Linux sees
 *   spurious IRQ7 (and IRQ15, through the slave's latched INT holding the
 *   master's IR2 up) "even when masked" (arch/x86/kernel/i8259.c).
 * - Special fully nested mode lets only the slave's own IR through while it
 *   is in service (QEMU drops IR2 from the in-service priority altogether).
 * - A non-specific EOI in special mask mode skips in-service levels that are
 *   masked (datasheet: "an IS bit that is masked by an IMR bit will not be
 *   cleared by a non-specific EOI if the 8259A is in the Special Mask Mode").
 * - Level-triggered mode via ICW1 LTIM is modelled (QEMU logs it as missing).
 * - MCS-80/85 mode (ICW4 uPM = 0, or no ICW4) answers an 8086 INTA with the
 *   byte the 8259A really drives on the second INTA: the CALL address low byte.
 *
 * @example
 * ```ts
 * const k = testKernel();
 * const pic = new I8259("pic_master", k, { io_base: PIC_MASTER_CMD, elcr_port: PIC_ELCR1 });
 * k.ports.write(PIC_MASTER_CMD, ICW1_SELECT | ICW1_SNGL | ICW1_IC4, 1); // ICW1
 * k.ports.write(PIC_MASTER_IMR, 0x30, 1); // ICW2: vector base
 * k.ports.write(PIC_MASTER_IMR, ICW4_UPM, 1); // ICW4: 8086 mode
 * const kbd = new OutputPin("kbd.irq");
 * connect(kbd, pic.ir[1]);
 * kbd.set(true); // pic.int.level === true
 * pic.inta(); // 0x31
 * k.ports.write(PIC_MASTER_CMD, SPECIFIC_EOI | 1, 1);
 * ```
 * @module
 */

import type { IoHandler, Width } from "../../core/io.ts";
import type { Kernel } from "../../core/kernel.ts";
import { InputPin, OutputPin, type Pin } from "../../core/line.ts";
import type { Device, InterruptAcknowledge } from "../../core/plugin.ts";
import { RegisterFile, type RegisterSpec } from "../../core/registers.ts";

// ---------------------------------------------------------------------------
// Ports (arch/x86/include/asm/i8259.h names)
// ---------------------------------------------------------------------------

/**
 * Master command port (A0 = 0): ICW1, OCW2, OCW3; reads IRR/ISR or the poll word.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, NON_SPECIFIC_EOI, 1);
 * ```
 */
export const PIC_MASTER_CMD = 0x20;
/**
 * Master data port (A0 = 1): ICW2..ICW4 during initialization, then OCW1 (IMR).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_IMR, 0xfb, 1); // mask all but the cascade
 * ```
 */
export const PIC_MASTER_IMR = 0x21;
/**
 * Slave command port (A0 = 0).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_SLAVE_CMD, SPECIFIC_EOI | 4, 1); // EOI IRQ12
 * ```
 */
export const PIC_SLAVE_CMD = 0xa0;
/**
 * Slave data port (A0 = 1).
 *
 * @example
 * ```ts
 * k.ports.read(PIC_SLAVE_IMR, 1); // the slave's IMR
 * ```
 */
export const PIC_SLAVE_IMR = 0xa1;
/**
 * ELCR1, edge/level control for IRQ0-7 (PIIX/ICH I/O 04D0h).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_ELCR1, 1 << 5, 1); // IRQ5 level-triggered
 * ```
 */
export const PIC_ELCR1 = 0x4d0;
/**
 * ELCR2, edge/level control for IRQ8-15 (PIIX/ICH I/O 04D1h).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_ELCR2, 1 << (9 - 8), 1); // IRQ9 (ACPI SCI) level-triggered
 * ```
 */
export const PIC_ELCR2 = 0x4d1;
/**
 * The master IR that carries the slave on a PC (Linux `PIC_CASCADE_IR`).
 *
 * @example
 * ```ts
 * connect(slave.int, master.ir[PIC_CASCADE_IR]);
 * ```
 */
export const PIC_CASCADE_IR = 2;

/** Offset of the command port inside the chip's two-port window (A0 = 0). */
const A0_CMD = 0;

// ---------------------------------------------------------------------------
// Command words (datasheet mnemonics)
// ---------------------------------------------------------------------------

/**
 * Mask of D4:D3 on the command port, which tells ICW1 (1x), OCW3 (01) and OCW2 (00) apart.
 *
 * @example
 * ```ts
 * (value & CMD_SELECT_MASK) === OCW3_SELECT; // an OCW3
 * ```
 */
export const CMD_SELECT_MASK = 0x18;
/**
 * ICW1 D4 = 1: a command-port write with this bit starts initialization.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, ICW1_SELECT | ICW1_IC4, 1); // Linux's 0x11
 * ```
 */
export const ICW1_SELECT = 0x10;
/**
 * ICW1 D0 IC4: an ICW4 follows (without it, all ICW4 functions are zero: MCS-80/85 mode).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, ICW1_SELECT | ICW1_IC4, 1);
 * ```
 */
export const ICW1_IC4 = 0x01;
/**
 * ICW1 D1 SNGL: single chip, no ICW3.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, ICW1_SELECT | ICW1_SNGL | ICW1_IC4, 1);
 * ```
 */
export const ICW1_SNGL = 0x02;
/**
 * ICW1 D2 ADI: CALL address interval 4 (else 8); MCS-80/85 mode only.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, 0x20 | ICW1_SELECT | ICW1_ADI | ICW1_SNGL, 1);
 * ```
 */
export const ICW1_ADI = 0x04;
/**
 * ICW1 D3 LTIM: all eight inputs level-triggered.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, ICW1_SELECT | ICW1_LTIM | ICW1_IC4, 1);
 * ```
 */
export const ICW1_LTIM = 0x08;
/**
 * ICW1 D7:D5, A7-A5 of the CALL address in MCS-80/85 mode.
 *
 * @example
 * ```ts
 * const a7a5 = icw1 & ICW1_ADDRESS_MASK;
 * ```
 */
export const ICW1_ADDRESS_MASK = 0xe0;
/**
 * ICW2 T7-T3: the vector base in 8086 mode (the low three bits are the IR level).
 *
 * @example
 * ```ts
 * const vector = (icw2 & ICW2_VECTOR_MASK) | level;
 * ```
 */
export const ICW2_VECTOR_MASK = 0xf8;
/**
 * ICW3 of a slave, ID2-ID0: the master IR it hangs on (its cascade address).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_SLAVE_IMR, PIC_CASCADE_IR & ICW3_SLAVE_ID_MASK, 1);
 * ```
 */
export const ICW3_SLAVE_ID_MASK = 0x07;
/**
 * ICW4 D0 uPM: 8086/8088 mode (else MCS-80/85 mode).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_IMR, ICW4_UPM, 1); // Linux's MASTER_ICW4_DEFAULT
 * ```
 */
export const ICW4_UPM = 0x01;
/**
 * ICW4 D1 AEOI: automatic end of interrupt.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_IMR, ICW4_UPM | ICW4_AEOI, 1); // Linux's auto_eoi 0x03
 * ```
 */
export const ICW4_AEOI = 0x02;
/**
 * ICW4 D2 M/S: in buffered mode, 1 = master, 0 = slave.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_IMR, ICW4_UPM | ICW4_BUF | ICW4_MS, 1);
 * ```
 */
export const ICW4_MS = 0x04;
/**
 * ICW4 D3 BUF: buffered mode (SP/EN becomes an output; M/S names the role).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_SLAVE_IMR, ICW4_UPM | ICW4_BUF, 1); // buffered slave
 * ```
 */
export const ICW4_BUF = 0x08;
/**
 * ICW4 D4 SFNM: special fully nested mode (on the master).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_IMR, ICW4_UPM | ICW4_SFNM, 1);
 * ```
 */
export const ICW4_SFNM = 0x10;

/**
 * OCW2 D7:D5 (R, SL, EOI): the command.
 *
 * @example
 * ```ts
 * (value & OCW2_CMD_MASK) === SPECIFIC_EOI;
 * ```
 */
export const OCW2_CMD_MASK = 0xe0;
/**
 * OCW2 D2:D0 (L2-L0): the level a specific command acts on.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, SPECIFIC_EOI | (irq & OCW2_LEVEL_MASK), 1);
 * ```
 */
export const OCW2_LEVEL_MASK = 0x07;
/**
 * OCW2 001: non-specific EOI, clears the highest-priority ISR bit.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, NON_SPECIFIC_EOI, 1);
 * ```
 */
export const NON_SPECIFIC_EOI = 0x20;
/**
 * OCW2 011: specific EOI, clears ISR bit L2-L0 (Linux: 0x60 + irq).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, SPECIFIC_EOI | PIC_CASCADE_IR, 1); // 0x62
 * ```
 */
export const SPECIFIC_EOI = 0x60;
/**
 * OCW2 101: rotate on non-specific EOI (the level cleared becomes lowest priority).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, ROTATE_NON_SPECIFIC_EOI, 1);
 * ```
 */
export const ROTATE_NON_SPECIFIC_EOI = 0xa0;
/**
 * OCW2 100: set rotate in automatic EOI mode.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, ROTATE_AEOI_SET, 1);
 * ```
 */
export const ROTATE_AEOI_SET = 0x80;
/**
 * OCW2 000: clear rotate in automatic EOI mode.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, ROTATE_AEOI_CLEAR, 1);
 * ```
 */
export const ROTATE_AEOI_CLEAR = 0x00;
/**
 * OCW2 111: rotate on specific EOI (clear level L, make it lowest priority).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, ROTATE_SPECIFIC_EOI | 3, 1);
 * ```
 */
export const ROTATE_SPECIFIC_EOI = 0xe0;
/**
 * OCW2 110: set priority (level L becomes the lowest priority).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, SET_PRIORITY | 7, 1); // back to IR0 highest
 * ```
 */
export const SET_PRIORITY = 0xc0;
/**
 * OCW2 010: no operation.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, NOP, 1);
 * ```
 */
export const NOP = 0x40;

/**
 * OCW3 D4:D3 = 01: the fixed pattern that marks an OCW3.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, OCW3_SELECT | OCW3_RR | OCW3_RIS, 1); // Linux's 0x0B
 * ```
 */
export const OCW3_SELECT = 0x08;
/**
 * OCW3 D0 RIS: with RR, select ISR (1) or IRR (0) for command-port reads.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, OCW3_SELECT | OCW3_RR | OCW3_RIS, 1); // read ISR next
 * ```
 */
export const OCW3_RIS = 0x01;
/**
 * OCW3 D1 RR: act on RIS (else the read selection is unchanged).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, OCW3_SELECT | OCW3_RR, 1); // read IRR next (0x0A)
 * ```
 */
export const OCW3_RR = 0x02;
/**
 * OCW3 D2 P: poll; the next read returns the poll word and acknowledges like INTA.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, OCW3_SELECT | OCW3_P, 1);
 * const word = k.ports.read(PIC_MASTER_CMD, 1); // POLL_I | level, or 0
 * ```
 */
export const OCW3_P = 0x04;
/**
 * OCW3 D5 SMM: special mask mode on (with ESMM) or off.
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, OCW3_SELECT | OCW3_ESMM | OCW3_SMM, 1);
 * ```
 */
export const OCW3_SMM = 0x20;
/**
 * OCW3 D6 ESMM: act on SMM (else special mask mode is unchanged).
 *
 * @example
 * ```ts
 * k.ports.write(PIC_MASTER_CMD, OCW3_SELECT | OCW3_ESMM, 1); // reset special mask mode
 * ```
 */
export const OCW3_ESMM = 0x40;
/**
 * Poll word D7 "I": an interrupt was pending (D2:D0 carry its level).
 *
 * @example
 * ```ts
 * if (word & POLL_I) handle(word & POLL_LEVEL_MASK);
 * ```
 */
export const POLL_I = 0x80;
/**
 * Poll word D2:D0 W2-W0: the level of the highest-priority request.
 *
 * @example
 * ```ts
 * const level = word & POLL_LEVEL_MASK;
 * ```
 */
export const POLL_LEVEL_MASK = 0x07;

/**
 * What an 8259A answers on the data bus when nobody drives it during INTA
 * (a cascade IR with no slave behind it, or no slave with that ID): the ISA
 * bus floats high.
 *
 * @example
 * ```ts
 * if (vector === FLOATING_BUS) console.log("no slave answered");
 * ```
 */
export const FLOATING_BUS = 0xff;

// ---------------------------------------------------------------------------
// ELCR register tables (Intel 82371 PIIX/PIIX3/PIIX4 datasheets)
// ---------------------------------------------------------------------------

/**
 * ELCR1 at 04D0h: bit n = 1 makes IRQn level-triggered. IRQ0 (timer), IRQ1
 * (keyboard) and IRQ2 (cascade) are always edge: bits 0-2 are reserved and
 * read 0, so the writable mask is F8h.
 *
 * @example
 * ```ts
 * new RegisterFile("pic_master.elcr", [ELCR1]);
 * ```
 */
export const ELCR1: RegisterSpec = {
  name: "ELCR1",
  offset: 0,
  width: 8,
  reset: 0x00,
  access: "rw",
  writableMask: 0xf8,
  description: "Edge/Level Control 1 (IRQ7-3); IRQ0-2 are always edge",
};

/**
 * ELCR2 at 04D1h: bit n = 1 makes IRQ(8+n) level-triggered. IRQ8 (RTC) and
 * IRQ13 (FPU error) are always edge: bits 0 and 5 are reserved, mask DEh.
 *
 * @example
 * ```ts
 * new RegisterFile("pic_slave.elcr", [ELCR2]);
 * ```
 */
export const ELCR2: RegisterSpec = {
  name: "ELCR2",
  offset: 0,
  width: 8,
  reset: 0x00,
  access: "rw",
  writableMask: 0xde,
  description: "Edge/Level Control 2 (IRQ15-14, 12-9); IRQ8 and IRQ13 are always edge",
};

/**
 * The ELCR a chip gets at `port`: ELCR1 at 04D0h, ELCR2 at 04D1h, and a
 * fully writable generic `ELCR` elsewhere (a board other than the PIIX).
 *
 * @example
 * ```ts
 * elcrSpecFor(PIC_ELCR2).writableMask; // 0xde
 * ```
 */
export function elcrSpecFor(port: number): RegisterSpec {
  if (port === PIC_ELCR1) return ELCR1;
  if (port === PIC_ELCR2) return ELCR2;
  return { ...ELCR1, name: "ELCR", writableMask: 0xff, description: "Edge/Level Control" };
}

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------

/**
 * Where the ICW1..ICW4 initialization sequence stands: `ready` (normal
 * operation, data-port writes are OCW1) or the ICW the next data-port write
 * will be taken as.
 *
 * @example
 * ```ts
 * const step: IcwStep = pic.state.icwStep; // "icw2" right after ICW1
 * ```
 */
export type IcwStep = "ready" | "icw2" | "icw3" | "icw4";

/**
 * Everything an 8259A (plus its ELCR) remembers. Bit masks are bit n = IRn.
 * Plain data: the logic lives in {@linkcode I8259}.
 *
 * @example
 * ```ts
 * const s = createI8259State();
 * s.imr; // 0
 * s.icwStep; // "ready"
 * ```
 */
export interface I8259State {
  /** The IR input levels the chip sees (the pins). */
  input: number;
  /**
   * Edge-sense latches (datasheet Fig. 9): set by a low-to-high transition
   * on IRn, reset when IRn is acknowledged and by ICW1 ("master clear").
   */
  edgeSense: number;
  /** IRR, Interrupt Request Register: input AND (level mode OR edge-sense latch). */
  irr: number;
  /** ISR, In-Service Register. */
  isr: number;
  /** IMR, Interrupt Mask Register (OCW1). */
  imr: number;
  /** ELCR (PIIX): bit n = 1 makes IRn level-triggered. */
  elcr: number;
  /** Initialization sequence position. */
  icwStep: IcwStep;
  /** ICW1 LTIM: all inputs level-triggered. */
  ltim: boolean;
  /** ICW1 SNGL: single chip (no ICW3, no cascade). */
  single: boolean;
  /** ICW1 IC4: an ICW4 is part of the sequence. */
  needIcw4: boolean;
  /** ICW1 ADI: CALL address interval 4 (MCS-80/85 mode). */
  adi: boolean;
  /** ICW1 A7-A5 (MCS-80/85 CALL address bits), kept in place (D7:D5). */
  callAddress: number;
  /** ICW2 as written: T7-T3 in 8086 mode (A15-A8 in MCS-80/85 mode). */
  icw2: number;
  /** ICW3 as written: master = bit per IR with a slave; slave = ID in D2:D0. */
  icw3: number;
  /** ICW4 uPM: 8086/8088 mode. */
  x86Mode: boolean;
  /** ICW4 AEOI: automatic end of interrupt. */
  autoEoi: boolean;
  /** ICW4 BUF: buffered mode. */
  buffered: boolean;
  /** ICW4 M/S: master in buffered mode. */
  bufferedMaster: boolean;
  /** ICW4 SFNM: special fully nested mode. */
  sfnm: boolean;
  /**
   * The IR that currently has the highest priority (QEMU's `priority_add`):
   * priority p (0 = highest) belongs to IR (p + priorityAdd) & 7. 0 after
   * ICW1: IR0 highest, IR7 lowest.
   */
  priorityAdd: number;
  /** OCW2 rotate in automatic EOI mode. */
  rotateOnAeoi: boolean;
  /** OCW3 RR/RIS: command-port reads return ISR (else IRR). */
  readIsr: boolean;
  /** OCW3 P: the next read is a poll. */
  poll: boolean;
  /** OCW3 SMM: special mask mode. */
  specialMask: boolean;
}

/**
 * A power-on 8259A state (the 8259A has no reset pin; this is the state
 * ICW1 would leave, with ICW2..ICW4 zero and the ELCR at its reset value 0).
 *
 * @example
 * ```ts
 * const s = createI8259State();
 * s.irr | s.isr | s.imr; // 0
 * ```
 */
export function createI8259State(): I8259State {
  return {
    input: 0,
    edgeSense: 0,
    irr: 0,
    isr: 0,
    imr: 0,
    elcr: 0,
    icwStep: "ready",
    ltim: false,
    single: false,
    needIcw4: false,
    adi: false,
    callAddress: 0,
    icw2: 0,
    icw3: 0,
    x86Mode: false,
    autoEoi: false,
    buffered: false,
    bufferedMaster: false,
    sfnm: false,
    priorityAdd: 0,
    rotateOnAeoi: false,
    readIsr: false,
    poll: false,
    specialMask: false,
  };
}

/**
 * Where a chip sits in I/O space.
 *
 * @example
 * ```ts
 * const cfg: I8259Config = { io_base: PIC_SLAVE_CMD, elcr_port: PIC_ELCR2 };
 * ```
 */
export interface I8259Config {
  /** Command port; the data port is `io_base + 1`. */
  io_base: number;
  /** ELCR port, or `null` for a chip without one (PC/AT before the PIIX). */
  elcr_port: number | null;
}

/**
 * Priority (0 = highest .. 7) of the highest-priority bit of `mask`, 8 if none:
 * rotate the eight bits right by `priorityAdd` (priority p is IR
 * (p + priorityAdd) & 7) and take the lowest set bit. `priorityAdd` is 0..7.
 */
function highestPriority(mask: number, priorityAdd: number): number {
  const m = mask & 0xff;
  if (m === 0) return 8;
  const r = ((m >>> priorityAdd) | (m << (8 - priorityAdd))) & 0xff;
  return 31 - Math.clz32(r & -r);
}

// ---------------------------------------------------------------------------
// The chip
// ---------------------------------------------------------------------------

/**
 * One Intel 8259A with its ELCR. Pins: `ir0`..`ir7` (inputs) and `int`
 * (output), all owned by the chip. Programmed through its ports; `inta()`
 * is the CPU's interrupt-acknowledge cycle.
 *
 * @example
 * ```ts
 * const k = testKernel();
 * const master = new I8259("pic_master", k, { io_base: PIC_MASTER_CMD, elcr_port: PIC_ELCR1 });
 * const slave = new I8259("pic_slave", k, { io_base: PIC_SLAVE_CMD, elcr_port: PIC_ELCR2 });
 * connect(slave.int, master.ir[PIC_CASCADE_IR]); // the cascade is a wire
 * // ... Linux's init_8259A sequence on 0x20/0x21 and 0xA0/0xA1 ...
 * master.inta(); // the vector, from the slave when IR2 wins
 * ```
 */
export class I8259 implements Device, InterruptAcknowledge {
  /** Device kind name. */
  readonly kind = "i8259";
  /** Chip state (for inspection, `info pic` style; program the chip through its ports). */
  readonly state: I8259State = createI8259State();
  /** INT output, to the CPU's INTR or to the master's IR input. */
  readonly int: OutputPin;
  /** IR0..IR7 request inputs. */
  readonly ir: readonly InputPin[];
  /** All pins by name: `ir0`..`ir7`, `int`. */
  readonly pins: ReadonlyMap<string, Pin>;
  /** The ELCR as a register table (undefined when the chip has no ELCR port). */
  readonly elcrRegisters: RegisterFile | undefined;
  readonly #kernel: Kernel;
  readonly #logged = new Set<string>();

  /**
   * Build the chip and map its ports. Throws `IoMapError` (a configuration
   * fault) when a port range is already taken.
   *
   * @param name device name; pins are `<name>.ir0` .. `<name>.int`
   * @param kernel the machine whose port space the chip joins
   * @param config ports
   */
  constructor(readonly name: string, kernel: Kernel, config: I8259Config) {
    this.#kernel = kernel;
    this.int = new OutputPin(`${name}.int`, this);
    const ir: InputPin[] = [];
    const pins = new Map<string, Pin>();
    for (let n = 0; n < 8; n++) {
      const pin = new InputPin(`${name}.ir${n}`, (level) => this.#irChanged(n, level), false, this);
      ir.push(pin);
      pins.set(`ir${n}`, pin);
    }
    pins.set("int", this.int);
    this.ir = ir;
    this.pins = pins;

    const io: IoHandler = {
      read: (offset, width) => this.#ioRead(offset, width),
      write: (offset, value, width) => this.#ioWrite(offset, value, width),
    };
    kernel.ports.map(config.io_base, 2, io, name);

    if (config.elcr_port === null) {
      this.elcrRegisters = undefined;
    } else {
      const spec = elcrSpecFor(config.elcr_port);
      const regs = new RegisterFile(`${name}.elcr`, [spec]);
      regs.hook(spec.name, {
        read: () => this.state.elcr,
        write: (value) => {
          this.state.elcr = value;
          this.#latchIrr();
          this.#updateIrq();
        },
      });
      kernel.ports.map(config.elcr_port, 1, regs, `${name}.elcr`);
      this.elcrRegisters = regs;
    }
  }

  /**
   * IRR, Interrupt Request Register.
   *
   * @example
   * ```ts
   * pic.irr & (1 << 3); // IR3 requesting
   * ```
   */
  get irr(): number {
    return this.state.irr;
  }

  /**
   * ISR, In-Service Register.
   *
   * @example
   * ```ts
   * pic.isr & (1 << 2); // the cascade is in service
   * ```
   */
  get isr(): number {
    return this.state.isr;
  }

  /**
   * IMR, Interrupt Mask Register.
   *
   * @example
   * ```ts
   * pic.imr; // 0xfb after Linux unmasks the cascade
   * ```
   */
  get imr(): number {
    return this.state.imr;
  }

  /**
   * ELCR, Edge/Level Control Register (0 for a chip without one).
   *
   * @example
   * ```ts
   * pic.elcr & (1 << 1); // IRQ9 level-triggered on the slave
   * ```
   */
  get elcr(): number {
    return this.state.elcr;
  }

  /**
   * Power-on state: registers cleared, the ICW sequence idle, ELCR 0, INT
   * released. IR input levels are electrical and stay as they are. The
   * 8259A has no reset pin, so this is the board's reset, not the chip's.
   *
   * @example
   * ```ts
   * pic.reset();
   * pic.imr; // 0
   * ```
   */
  reset(): void {
    const input = this.state.input;
    Object.assign(this.state, createI8259State());
    this.state.input = input;
    this.elcrRegisters?.reset();
    this.#latchIrr();
    this.#updateIrq(true);
  }

  /**
   * One full interrupt-acknowledge cycle (both 8086 INTA pulses); returns the
   * 8-bit vector the CPU reads on the second pulse.
   *
   * First INTA: the highest request that beats the in-service priority is
   * frozen, its ISR bit set and its edge-sense latch reset; with none, the
   * default IR7 is answered and no ISR bit is set (spurious IR7). For an IR
   * that ICW3 names as a cascade input, the master only sets its ISR bit and
   * puts the IR number on CAS2-0: the slave driving that input answers the
   * second INTA (and gives its own default IR7, base + 7, when it has nothing,
   * without setting its ISR: Linux's spurious IRQ15, whose master EOI is still
   * due). Auto-EOI clears the ISR bit at the end of the cycle and rotates if
   * rotate-in-AEOI is set. INT is released, then re-evaluated.
   *
   * Runs in interrupt context (the CPU's interrupt entry).
   *
   * @example
   * ```ts
   * const vector = master.inta(); // 0x30 + irq after Linux's init_8259A
   * ```
   */
  inta(): number {
    let level = this.#pendingLevel();
    if (level < 0) level = 7; // default IR7: no ISR bit
    else this.#acknowledge(level);
    // #cascadeMask() & bit, with the cheap ICW3 test first (#isMaster walks the wiring).
    const cascade = (this.state.icw3 & (1 << level)) !== 0 &&
      (this.#cascadeMask() & (1 << level)) !== 0;
    const vector = cascade ? this.#slaveVector(level) : this.#vector(level);
    this.#updateIrq(true);
    return vector;
  }

  // -------------------------------------------------------------------------
  // Output
  // -------------------------------------------------------------------------

  /**
   * The only writer of the INT output. INT is a latch: it rises as soon as an
   * unmasked request beats the in-service priority, and falls only when
   * released at the end of an acknowledge (INTA cycle, poll read) or by
   * ICW1/reset. Masking or withdrawing a request that already raised INT
   * does not take INT back: the CPU's INTA then gets the default IR7.
   *
   * On release INT drops and is re-evaluated at once, so a request still
   * deliverable after the acknowledge (auto-EOI, special mask mode) makes a
   * short low pulse: on a slave that is the fresh edge the master's
   * edge-triggered IR input needs to see the next request.
   */
  #updateIrq(release = false): void {
    if (release) this.int.set(false);
    if (this.#pendingLevel() >= 0) this.int.set(true);
  }

  // -------------------------------------------------------------------------
  // Priority resolver
  // -------------------------------------------------------------------------

  /** The IR level the priority resolver would deliver now, or -1. */
  #pendingLevel(): number {
    const s = this.state;
    const requests = s.irr & ~s.imr & 0xff;
    if (requests === 0) return -1;
    const p = highestPriority(requests, s.priorityAdd);
    // Special mask mode: a masked in-service level does not hold back others.
    const inService = s.specialMask ? s.isr & ~s.imr : s.isr;
    const current = highestPriority(inService, s.priorityAdd);
    const level = (p + s.priorityAdd) & 7;
    if (p < current) return level;
    // Special fully nested mode (master): the in-service slave is not locked
    // out; a new request from the same slave IR passes (datasheet "The
    // Special Fully Nest Mode" a.). Lower levels stay blocked.
    if (p === current && s.sfnm && (this.#cascadeMask() & (1 << level)) !== 0) return level;
    return -1;
  }

  /** First INTA / poll read: freeze `level` into service. */
  #acknowledge(level: number): void {
    const s = this.state;
    const bit = 1 << level;
    s.edgeSense &= ~bit;
    if (s.autoEoi) {
      // AEOI: the ISR bit set at the first INTA is reset at the end of the
      // last one; only its rotation side effect remains.
      if (s.rotateOnAeoi) s.priorityAdd = (level + 1) & 7;
    } else {
      s.isr |= bit;
    }
    this.#latchIrr();
  }

  /** IRR is a transparent latch: IR AND (level mode OR edge-sense latch). */
  #latchIrr(): void {
    const s = this.state;
    const level = s.ltim ? 0xff : s.elcr;
    s.irr = s.input & (level | s.edgeSense) & 0xff;
  }

  // -------------------------------------------------------------------------
  // Cascade
  // -------------------------------------------------------------------------

  /**
   * Whether this chip acts as master: in buffered mode ICW4 M/S says so;
   * otherwise the SP/EN strap decides, which here is the wiring: a chip
   * whose INT drives another 8259A's IR input is strapped as a slave.
   */
  #isMaster(): boolean {
    const s = this.state;
    if (s.buffered) return s.bufferedMaster;
    const targets = this.int.targets;
    for (let i = 0; i < targets.length; i++) {
      if (targets[i].owner instanceof I8259) return false;
    }
    return true;
  }

  /** IRs that carry a slave (master ICW3), 0 in single mode or on a slave. */
  #cascadeMask(): number {
    const s = this.state;
    return s.single || !this.#isMaster() ? 0 : s.icw3;
  }

  /** Second INTA for a cascade IR: the slave wired to `level` drives the bus. */
  #slaveVector(level: number): number {
    const slave = this.ir[level].drivers[0]?.owner;
    if (!(slave instanceof I8259)) {
      this.#logOnce(
        `cascade${level}`,
        `ICW3 names IR${level} as a cascade input but no i8259 drives ${this.ir[level].name}; ` +
          `the data bus floats (vector 0x${FLOATING_BUS.toString(16)})`,
      );
      return FLOATING_BUS;
    }
    return slave.#cascadeAcknowledge(level);
  }

  /**
   * This chip as a slave in the master's INTA cycle, addressed with
   * `address` on CAS2-0. Answers only if its ICW3 ID matches.
   */
  #cascadeAcknowledge(address: number): number {
    const s = this.state;
    if (s.single || (s.icw3 & ICW3_SLAVE_ID_MASK) !== address) {
      this.#logOnce(
        `cas${address}`,
        `not answering cascade address ${address}: ${
          s.single ? "ICW1 SNGL is set" : `ICW3 slave ID is ${s.icw3 & ICW3_SLAVE_ID_MASK}`
        }; the data bus floats`,
      );
      return FLOATING_BUS;
    }
    let level = this.#pendingLevel();
    if (level < 0) level = 7; // spurious on the slave: its default IR7, no ISR bit
    else this.#acknowledge(level);
    const vector = this.#vector(level);
    this.#updateIrq(true);
    return vector;
  }

  /** The byte driven on the 8086's second INTA for `level`. */
  #vector(level: number): number {
    const s = this.state;
    if (s.x86Mode) return (s.icw2 & ICW2_VECTOR_MASK) | level;
    // MCS-80/85 mode: INTA 1 is the CALL opcode (CDh), INTA 2 the routine
    // address low byte, INTA 3 the high byte (ICW2). An 8086 stops after two
    // pulses and takes the low byte as its vector.
    // Tier 3, once per chip rather than through core notImplemented(), whose
    // once-per-process set would make a second run in one process differ.
    this.#logOnce(
      "mcs80",
      "not implemented: MCS-80/85 mode (ICW4 uPM=0) 3-pulse CALL sequence; " +
        "an x86 INTA gets the CALL address low byte",
      4,
    );
    return s.adi ? (s.callAddress & 0xe0) | (level << 2) : (s.callAddress & 0xc0) | (level << 3);
  }

  // -------------------------------------------------------------------------
  // Inputs
  // -------------------------------------------------------------------------

  /** An IR pin changed level. May run in interrupt context. */
  #irChanged(n: number, high: boolean): void {
    const s = this.state;
    const bit = 1 << n;
    if (high) {
      s.input |= bit;
      s.edgeSense |= bit; // the low-to-high transition
    } else {
      s.input &= ~bit; // a request withdrawn before INTA is gone (IRR follows)
    }
    this.#latchIrr();
    this.#updateIrq();
  }

  // -------------------------------------------------------------------------
  // Port I/O
  // -------------------------------------------------------------------------

  #ioRead(offset: number, width: Width): number {
    if (width === 1) return this.#readPort(offset);
    // A wider access is split into byte cycles; bytes past A0 = 1 float high.
    let value = 0;
    for (let i = 0; i < width; i++) {
      const off = offset + i;
      value |= (off < 2 ? this.#readPort(off) : 0xff) << (8 * i);
    }
    return value >>> 0;
  }

  #ioWrite(offset: number, value: number, width: Width): void {
    if (width === 1) {
      this.#writePort(offset, value & 0xff); // a byte cycle: offset is 0 or 1 (a 2-port region)
      return;
    }
    for (let i = 0; i < width; i++) {
      const off = offset + i;
      if (off < 2) this.#writePort(off, (value >>> (8 * i)) & 0xff);
    }
  }

  /**
   * RD: a pending poll answers on either port (the datasheet's poll takes
   * "the next RD pulse", whatever A0); else A0 = 0 gives IRR or ISR as
   * selected by OCW3 and A0 = 1 gives IMR.
   */
  #readPort(a0: number): number {
    const s = this.state;
    if (s.poll) return this.#pollRead();
    if (a0 === A0_CMD) return s.readIsr ? s.isr : s.irr;
    return s.imr;
  }

  /**
   * The poll word: I (D7) = 1 and W2-W0 = the level of the highest request
   * the resolver would deliver, which is acknowledged as by an INTA (ISR set
   * unless auto-EOI, edge latch reset); 0 when none. Poll is one-shot: the next read is a
   * status read again. A cascade IR is reported as such: software polls the
   * slave next.
   */
  #pollRead(): number {
    const s = this.state;
    s.poll = false;
    const level = this.#pendingLevel();
    if (level >= 0) this.#acknowledge(level);
    this.#updateIrq(true);
    return level >= 0 ? POLL_I | level : 0;
  }

  #writePort(a0: number, value: number): void {
    if (a0 === A0_CMD) this.#writeCommand(value);
    else this.#writeData(value);
  }

  /** A0 = 0: ICW1 (D4 = 1), OCW3 (D4:D3 = 01) or OCW2 (D4:D3 = 00). */
  #writeCommand(value: number): void {
    if ((value & ICW1_SELECT) !== 0) {
      this.#icw1(value);
      return;
    }
    if (this.state.icwStep !== "ready") {
      // The 8259A decodes OCW2/OCW3 at any time; the sequence keeps waiting
      // for its next data-port byte.
      this.#logOnce(
        "ocw-in-icw",
        `OCW 0x${hex2(value)} written while waiting for ${this.state.icwStep.toUpperCase()}`,
      );
    }
    if ((value & CMD_SELECT_MASK) === OCW3_SELECT) this.#ocw3(value);
    else this.#ocw2(value);
  }

  /**
   * ICW1: starts initialization. Datasheet "Initialization Command Words":
   * the edge-sense circuit is reset (a held-high IR needs a new low-to-high
   * transition), IMR is cleared, IR7 gets the lowest priority, special mask
   * mode is cleared and status read is set to IRR; without IC4 all ICW4
   * functions are zero. ISR and the poll/rotate state are cleared as well
   * (as QEMU and Bochs do; a fresh sequence must not inherit service state).
   * INT is released and re-evaluated.
   */
  #icw1(value: number): void {
    const s = this.state;
    s.icwStep = "icw2";
    s.needIcw4 = (value & ICW1_IC4) !== 0;
    s.single = (value & ICW1_SNGL) !== 0;
    s.adi = (value & ICW1_ADI) !== 0;
    s.ltim = (value & ICW1_LTIM) !== 0;
    s.callAddress = value & ICW1_ADDRESS_MASK;
    s.edgeSense = 0;
    s.imr = 0;
    s.isr = 0;
    s.priorityAdd = 0;
    s.specialMask = false;
    s.readIsr = false;
    s.poll = false;
    s.rotateOnAeoi = false;
    s.x86Mode = false;
    s.autoEoi = false;
    s.buffered = false;
    s.bufferedMaster = false;
    s.sfnm = false;
    this.#latchIrr();
    this.#updateIrq(true);
  }

  /** A0 = 1: the next ICW of the sequence, or OCW1 (IMR). */
  #writeData(value: number): void {
    const s = this.state;
    switch (s.icwStep) {
      case "ready":
        s.imr = value;
        break;
      case "icw2":
        // 8086 mode uses T7-T3 only; the low bits are kept for MCS-80/85 mode
        // (A15-A8) and ignored by #vector in 8086 mode.
        s.icw2 = value;
        // SNGL: no ICW3 is expected, so the next byte is ICW4 (or OCW1): a
        // guest that writes ICW3 anyway gets it taken as the next word.
        s.icwStep = !s.single ? "icw3" : s.needIcw4 ? "icw4" : "ready";
        break;
      case "icw3":
        s.icw3 = value;
        s.icwStep = s.needIcw4 ? "icw4" : "ready";
        break;
      case "icw4":
        s.x86Mode = (value & ICW4_UPM) !== 0;
        s.autoEoi = (value & ICW4_AEOI) !== 0;
        s.bufferedMaster = (value & ICW4_MS) !== 0;
        s.buffered = (value & ICW4_BUF) !== 0;
        s.sfnm = (value & ICW4_SFNM) !== 0;
        s.icwStep = "ready";
        break;
    }
    this.#updateIrq();
  }

  /** OCW2: the eight R/SL/EOI commands. L2-L0 matter only when SL = 1. */
  #ocw2(value: number): void {
    const s = this.state;
    const level = value & OCW2_LEVEL_MASK;
    switch (value & OCW2_CMD_MASK) {
      case NON_SPECIFIC_EOI:
        this.#nonSpecificEoi(false);
        break;
      case ROTATE_NON_SPECIFIC_EOI:
        this.#nonSpecificEoi(true);
        break;
      case SPECIFIC_EOI:
        s.isr &= ~(1 << level);
        break;
      case ROTATE_SPECIFIC_EOI:
        s.isr &= ~(1 << level);
        s.priorityAdd = (level + 1) & 7;
        break;
      case SET_PRIORITY:
        s.priorityAdd = (level + 1) & 7;
        break;
      case ROTATE_AEOI_SET:
        s.rotateOnAeoi = true;
        break;
      case ROTATE_AEOI_CLEAR:
        s.rotateOnAeoi = false;
        break;
      case NOP:
        break;
    }
    this.#updateIrq();
  }

  /**
   * Reset the highest-priority ISR bit; in special mask mode, ISR bits whose
   * IMR bit is set are skipped (datasheet, "Special Mask Mode" note).
   */
  #nonSpecificEoi(rotate: boolean): void {
    const s = this.state;
    const inService = s.specialMask ? s.isr & ~s.imr : s.isr;
    const p = highestPriority(inService, s.priorityAdd);
    if (p === 8) return;
    const level = (p + s.priorityAdd) & 7;
    s.isr &= ~(1 << level);
    if (rotate) s.priorityAdd = (level + 1) & 7;
  }

  /** OCW3: read-register select, poll, special mask mode. */
  #ocw3(value: number): void {
    const s = this.state;
    if ((value & OCW3_P) !== 0) s.poll = true; // overrides the status read once
    if ((value & OCW3_RR) !== 0) s.readIsr = (value & OCW3_RIS) !== 0;
    if ((value & OCW3_ESMM) !== 0) s.specialMask = (value & OCW3_SMM) !== 0;
    this.#updateIrq();
  }

  /** Guest oddities (KERN_DEBUG) and missing features (KERN_WARNING): one line per kind per chip. */
  #logOnce(key: string, text: string, level: 4 | 7 = 7): void {
    if (this.#logged.has(key)) return;
    this.#logged.add(key);
    this.#kernel.printk(level, `irqlab: i8259 ${this.name}: ${text}`);
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
