/**
 * A small PCI interrupt model: devices with an INTx# pin (INTA#..INTD#),
 * the bridge swizzle, and the chipset's PIRQ router whose links PIRQA#..
 * PIRQH# reach IOAPIC pins 16..23 (Intel ICH/PCH in APIC mode; ACPI's _PRT
 * tells Linux the same mapping). INTx# is an open-drain, active-low,
 * level-triggered, shareable line: a device output here is the logical
 * "asserting" state, several devices on one PIRQ input are a wired-OR of
 * assertions, and the router drives the IOAPIC pin electrically (high idle,
 * low while any device asserts).
 *
 * The NIC is an e1000-style function with the registers its driver's
 * interrupt path uses: ICR (interrupt cause, read to clear), ICS (cause
 * set), IMS (mask set / read) and IMC (mask clear). It asserts INTA# while
 * `ICR & IMS` is non-zero.
 *
 * @module
 */

import { z } from "zod";
import { InputPin, OutputPin, type Pin } from "../../core/line.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { Device, DeviceKind, StimulusKind } from "../../core/plugin.ts";

/** Interrupt pin register values (PCI_INTERRUPT_PIN): 1 = INTA# .. 4 = INTD#. */
export const PCI_INTERRUPT_PIN_NAMES = ["", "A", "B", "C", "D"] as const;

/**
 * pci_swizzle_interrupt_pin() (drivers/pci/irq.c): the pin a device's
 * INTx# appears as on the upstream side of a PCI-to-PCI bridge,
 * `(((pin - 1) + slot) % 4) + 1`.
 */
export function pci_swizzle_interrupt_pin(slot: number, pin: number): number {
  return (((pin - 1) + slot) % 4) + 1;
}

/** The PIRQ link names, A..H. */
export const PIRQ_LINKS = ["a", "b", "c", "d", "e", "f", "g", "h"] as const;

/**
 * The chipset's PIRQ router: inputs `pirqa`..`pirqh` (shared: every INTx#
 * routed to the link), outputs `outa`..`outh` to the IOAPIC pins
 * (electrically low while asserted).
 */
export class PirqRouter implements Device {
  readonly kind = "pirq_router";
  readonly pins = new Map<string, Pin>();

  constructor(readonly name: string) {
    for (const l of PIRQ_LINKS) {
      const out = new OutputPin(`${name}.out${l}`, this);
      out.set(true); // pulled up: INTx# idles high
      const inp = new InputPin(`${name}.pirq${l}`, (asserted) => out.set(!asserted), true, this);
      this.pins.set(`pirq${l}`, inp);
      this.pins.set(`out${l}`, out);
    }
  }

  /** The output that carries link input `input`. */
  outputFor(input: InputPin): OutputPin | undefined {
    for (const l of PIRQ_LINKS) {
      if (this.pins.get(`pirq${l}`) === input) return this.pins.get(`out${l}`) as OutputPin;
    }
    return undefined;
  }
}

/** The `pirq_router` device kind. */
export const pirqRouterKind: DeviceKind<Record<string, never>> = {
  kind: "pirq_router",
  description:
    "Chipset PIRQ router (PIRQA#-PIRQH# inputs pirqa..pirqh, outputs outa..outh to IOAPIC pins 16-23)",
  options: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  create(name) {
    return new PirqRouter(name);
  },
};

// ---- e1000-style NIC registers (drivers/net/ethernet/intel/e1000/e1000_hw.h) ----
/** Interrupt Cause Read (read to clear). */
export const E1000_ICR = 0x000c0;
/** Interrupt Cause Set. */
export const E1000_ICS = 0x000c8;
/** Interrupt Mask Set / Read. */
export const E1000_IMS = 0x000d0;
/** Interrupt Mask Clear. */
export const E1000_IMC = 0x000d8;
/** ICR bits: transmit descriptor written back, link status change, receiver timer. */
export const E1000_ICR_TXDW = 0x00000001;
export const E1000_ICR_LSC = 0x00000004;
export const E1000_ICR_RXT0 = 0x00000080;
/** IMS_ENABLE_MASK of e1000_main.c. */
export const IMS_ENABLE_MASK = E1000_ICR_RXT0 | E1000_ICR_TXDW | E1000_ICR_LSC | 0x10 | 0x40;

/** Options of a `pci_nic`. */
export const pciNicOptions = z.object({
  bdf: z.string().regex(/^[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/).default("00:19.0").describe(
    "bus:device.function (lower-case hex), shown as 0000:bb:dd.f",
  ),
  int_pin: z.enum(["A", "B", "C", "D"]).default("A").describe("Interrupt pin register (INTx#)"),
  bar0: z.number().int().min(0).default(0xf7100000).describe("MMIO base of the registers"),
  msi: z.boolean().default(false).describe(
    "Has an MSI capability and the driver enables it (PCI-MSI edge interrupts instead of INTx#)",
  ),
}).strict();

/** Validated options of a `pci_nic`. */
export type PciNicOptions = z.output<typeof pciNicOptions>;

/**
 * A PCI function's interrupt side: the INTx# output pin `intx` and an MSI
 * capability (Message Address, Message Data, MSI Enable, the per-vector
 * Mask and Pending bits). {@linkcode setInterrupt} is the one writer.
 */
export abstract class PciFunction implements Device {
  abstract readonly kind: string;
  readonly pins: ReadonlyMap<string, Pin>;
  /** INTx# asserted (logical). */
  readonly intx: OutputPin;
  msiAddress = 0;
  msiData = 0;
  msiEnabled = false;
  msiMasked = false;
  msiPending = false;
  /** Where a memory write to 0xFEExxxxx goes: the chipset turns it into an APIC message. */
  msiWrite: (address: number, data: number) => void = () => {};
  #asserted = false;

  constructor(readonly name: string, readonly bdf: string) {
    this.intx = new OutputPin(`${name}.intx`, this);
    this.pins = new Map([["intx", this.intx]]);
  }

  /** The PCI address as Linux prints it (`0000:00:19.0`). */
  get pciName(): string {
    return `0000:${this.bdf}`;
  }

  /** PCI_DEVID(bus, devfn): bus << 8 | device << 3 | function. */
  get devid(): number {
    const [bus, rest] = this.bdf.split(":");
    const [dev, fn] = rest.split(".");
    return (parseInt(bus, 16) << 8) | (parseInt(dev, 16) << 3) | parseInt(fn, 16);
  }

  /**
   * The one writer of the interrupt: INTx# follows the function's request;
   * with MSI enabled INTx# stays deasserted and each new request sends one
   * message (held in the pending bit while the vector is masked).
   */
  protected setInterrupt(want: boolean): void {
    const rising = want && !this.#asserted;
    this.#asserted = want;
    if (!this.msiEnabled) {
      this.intx.set(want);
      return;
    }
    this.intx.set(false);
    if (!rising) return;
    if (this.msiMasked) this.msiPending = true;
    else this.msiWrite(this.msiAddress, this.msiData);
  }

  /** Re-evaluate the request (after an MSI enable change). */
  protected abstract update(): void;

  /** Program the MSI capability (config space writes of pci_write_msi_msg / msi_set_enable). */
  setMsi(address: number, data: number, enabled: boolean): void {
    this.msiAddress = address >>> 0;
    this.msiData = data & 0xffff;
    if (enabled !== this.msiEnabled) this.#asserted = false;
    this.msiEnabled = enabled;
    this.update();
  }

  /** The per-vector mask bit (Mask Bits register); unmasking sends a pending message. */
  maskMsi(masked: boolean): void {
    this.msiMasked = masked;
    if (!masked && this.msiPending && this.msiEnabled) {
      this.msiPending = false;
      this.msiWrite(this.msiAddress, this.msiData);
    }
  }
}

/** An e1000-style PCI network function. Output pin `intx`. */
export class PciNic extends PciFunction {
  readonly kind = "pci_nic";
  icr = 0;
  ims = 0;
  /** Frames received (stimuli). */
  received = 0;
  readonly stimuli: Record<string, StimulusKind<unknown>>;

  constructor(name: string, readonly options: PciNicOptions, readonly k: Kernel) {
    super(name, options.bdf);
    k.mmio.map(options.bar0, 0x20000, {
      read: (off) => this.read(off),
      write: (off, v) => this.write(off, v),
    }, name);
    this.stimuli = {
      receive: {
        description: "receive `count` frames, `interval_us` apart (ICR.RXT0)",
        args: z.object({
          count: z.number().int().min(1).default(1),
          interval_us: z.number().min(0).default(100),
        }).strict(),
        apply: (a, at) => {
          const { count, interval_us } = a as { count: number; interval_us: number };
          for (let i = 0; i < count; i++) {
            k.clock.schedule(at + Math.round(i * interval_us * 1000), () => this.receive());
          }
        },
      } satisfies StimulusKind<{ count: number; interval_us: number }>,
    };
  }

  /** A frame arrived: the receive timer cause. */
  receive(): void {
    this.received++;
    this.icr |= E1000_ICR_RXT0;
    this.update();
  }

  /** INTA# / MSI while `ICR & IMS` is non-zero. */
  protected update(): void {
    this.setInterrupt((this.icr & this.ims) !== 0);
  }

  read(off: number): number {
    switch (off) {
      case E1000_ICR: {
        const v = this.icr;
        this.icr = 0; // read to clear
        this.update();
        return v >>> 0;
      }
      case E1000_IMS:
        return this.ims >>> 0;
      default:
        return 0;
    }
  }

  write(off: number, v: number): void {
    switch (off) {
      case E1000_ICS:
        this.icr |= v;
        break;
      case E1000_IMS:
        this.ims |= v;
        break;
      case E1000_IMC:
        this.ims &= ~v;
        break;
      default:
        return;
    }
    this.update();
  }
}

/** The `pci_nic` device kind. */
export const pciNicKind: DeviceKind<PciNicOptions> = {
  kind: "pci_nic",
  description: "e1000-style PCI NIC (INTx# output intx; registers ICR/ICS/IMS/IMC at bar0)",
  options: pciNicOptions,
  create(name, options, kernel) {
    return new PciNic(name, options, kernel);
  },
};
