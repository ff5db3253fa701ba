/**
 * The ACPI fixed-hardware PM1 event block of a PIIX4/ICH-style chipset, at
 * register level: PM1a_STS (16 bits at PMBASE + 0) and PM1a_EN (16 bits at
 * PMBASE + 2), the FADT's PM1a_EVT_BLK with PM1_EVT_LEN = 4 (ACPI 6.5
 * §4.8.3.1, "PM1 Event Grouping"; PIIX4 PMBASE 0x400 at boot). Status bits
 * are set by hardware and cleared by writing 1 (w1c, writing 0 has no
 * effect); the enable bits are plain read/write. The SCI is asserted while
 * any enabled status bit is set: `(PM1a_STS & PM1a_EN) != 0`, as a level
 * (active high on the ISA side, the MADT override
 * `INT_SRC_OVR (bus 0 bus_irq 9 global_irq 9 high level)`).
 *
 * Of the fixed events only the power button is modelled: pressing it sets
 * PWRBTN_STS (bit 8), once per press — a power button has no bounce, the
 * latch is edge-triggered on the button's input (ACPI §4.8.2.2.1.1). Holding
 * it for 4 s is the power-button override (an unconditional off) that the
 * model does not do.
 *
 * @module
 */

import { z } from "zod";
import type { Kernel } from "../../core/kernel.ts";
import { OutputPin, type Pin } from "../../core/line.ts";
import type { Device, DeviceKind, StimulusKind } from "../../core/plugin.ts";

// ---- PM1 register bits (include/acpi/aclocal.h ACPI_BITMASK_*, ACPI §4.8.3.1) ----
/** PM1_STS.TMR_STS: the PM timer's carry bit toggled. */
export const ACPI_BITMASK_TIMER_STATUS = 0x0001;
/** PM1_STS.BM_STS: bus master activity. */
export const ACPI_BITMASK_BUS_MASTER_STATUS = 0x0010;
/** PM1_STS.GBL_STS: the BIOS wants the OS's attention. */
export const ACPI_BITMASK_GLOBAL_LOCK_STATUS = 0x0020;
/** PM1_STS.PWRBTN_STS: the power button was pressed. */
export const ACPI_BITMASK_POWER_BUTTON_STATUS = 0x0100;
/** PM1_STS.SLPBTN_STS: the sleep button was pressed. */
export const ACPI_BITMASK_SLEEP_BUTTON_STATUS = 0x0200;
/** PM1_STS.RTC_STS: the RTC alarm fired. */
export const ACPI_BITMASK_RT_CLOCK_STATUS = 0x0400;
/** PM1_STS.WAK_STS: the system woke. */
export const ACPI_BITMASK_WAKE_STATUS = 0x8000;
/** PM1_EN.TMR_EN. */
export const ACPI_BITMASK_TIMER_ENABLE = 0x0001;
/** PM1_EN.GBL_EN. */
export const ACPI_BITMASK_GLOBAL_LOCK_ENABLE = 0x0020;
/** PM1_EN.PWRBTN_EN. */
export const ACPI_BITMASK_POWER_BUTTON_ENABLE = 0x0100;
/** PM1_EN.SLPBTN_EN. */
export const ACPI_BITMASK_SLEEP_BUTTON_ENABLE = 0x0200;
/** PM1_EN.RTC_EN. */
export const ACPI_BITMASK_RT_CLOCK_ENABLE = 0x0400;

/** Status bits the hardware implements (w1c); the others read 0. */
export const PM1_STS_BITS = ACPI_BITMASK_TIMER_STATUS | ACPI_BITMASK_BUS_MASTER_STATUS |
  ACPI_BITMASK_GLOBAL_LOCK_STATUS | ACPI_BITMASK_POWER_BUTTON_STATUS |
  ACPI_BITMASK_SLEEP_BUTTON_STATUS | ACPI_BITMASK_RT_CLOCK_STATUS | ACPI_BITMASK_WAKE_STATUS;
/** Enable bits (read/write); the others read 0. */
export const PM1_EN_BITS = ACPI_BITMASK_TIMER_ENABLE | ACPI_BITMASK_GLOBAL_LOCK_ENABLE |
  ACPI_BITMASK_POWER_BUTTON_ENABLE | ACPI_BITMASK_SLEEP_BUTTON_ENABLE |
  ACPI_BITMASK_RT_CLOCK_ENABLE;

/** Options of an `acpi_pm` device. */
export const acpiPmOptions = z.object({
  pm1a_evt_blk: z.number().int().min(0).max(0xfffc).default(0x400).describe(
    "I/O port of PM1a_EVT_BLK (PM1a_STS; PM1a_EN at +2), the FADT's field; PIIX4 PMBASE 0x400",
  ),
}).strict();

/** Validated options of an `acpi_pm` device. */
export type AcpiPmOptions = z.output<typeof acpiPmOptions>;

/** Arguments of `press`. */
export interface PressArgs {
  hold_ms: number;
}

/**
 * The PM1 event block with the power button. Output pin `sci`
 * (active high: asserted while `STS & EN`); stimulus `press`.
 */
export class AcpiPm implements Device {
  readonly kind = "acpi_pm";
  readonly pins: ReadonlyMap<string, Pin>;
  readonly sci: OutputPin;
  readonly stimuli: Record<string, StimulusKind<unknown>>;
  /** PM1a_STS. */
  sts = 0;
  /** PM1a_EN. */
  en = 0;
  /** The button is held down. */
  pressed = false;
  /** Presses so far. */
  presses = 0;

  constructor(readonly name: string, readonly options: AcpiPmOptions, readonly k: Kernel) {
    this.sci = new OutputPin(`${name}.sci`, this);
    this.pins = new Map([["sci", this.sci]]);
    k.ports.map(options.pm1a_evt_blk, 4, {
      read: (off, width) => this.read(off, width),
      write: (off, v, width) => this.write(off, v, width),
    }, name);
    this.stimuli = {
      press: {
        description: "press the power button for hold_ms (PWRBTN_STS latches once per press)",
        args: z.object({
          hold_ms: z.number().min(0).max(3999).default(100).describe(
            "how long it is held (4 s and more is the hardware power-off override, not modelled)",
          ),
        }).strict(),
        apply: (a: PressArgs, at: number) => {
          k.clock.schedule(at, () => this.press());
          k.clock.schedule(at + Math.round(a.hold_ms * 1e6), () => this.release());
        },
      } satisfies StimulusKind<PressArgs>,
    };
  }

  /** The button goes down: PWRBTN_STS latches. */
  press(): void {
    this.pressed = true;
    this.presses++;
    this.sts |= ACPI_BITMASK_POWER_BUTTON_STATUS;
    this.update();
  }

  /** The button comes up (the latch stays until software clears it). */
  release(): void {
    this.pressed = false;
  }

  /** SCI = any enabled status bit set. */
  update(): void {
    this.sci.set((this.sts & this.en) !== 0);
  }

  /** The 16-bit register at `off` (0 STS, 2 EN). */
  #reg(off: number): number {
    return off < 2 ? this.sts : this.en;
  }

  read(off: number, width: 1 | 2 | 4): number {
    let v = 0;
    for (let i = 0; i < width && off + i < 4; i++) {
      const o = off + i;
      v |= ((this.#reg(o) >> (8 * (o & 1))) & 0xff) << (8 * i);
    }
    return v >>> 0;
  }

  write(off: number, value: number, width: 1 | 2 | 4): void {
    for (let i = 0; i < width && off + i < 4; i++) {
      const o = off + i;
      const byte = ((value >>> (8 * i)) & 0xff) << (8 * (o & 1));
      if (o < 2) this.sts &= ~(byte & PM1_STS_BITS); // write 1 to clear
      else this.en = (this.en & ~(0xff << (8 * (o & 1)))) | (byte & PM1_EN_BITS);
    }
    this.update();
  }
}

/** The `acpi_pm` device kind. */
export const acpiPmKind: DeviceKind<AcpiPmOptions> = {
  kind: "acpi_pm",
  description:
    "ACPI PM1 event block (PM1a_STS/PM1a_EN at pm1a_evt_blk) with the fixed power button; output sci",
  options: acpiPmOptions,
  create(name, options, kernel) {
    return new AcpiPm(name, options, kernel);
  },
};
