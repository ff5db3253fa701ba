/**
 * Linux's IO-APIC driver in small (arch/x86/kernel/apic/io_apic.c with the
 * vector domain of arch/x86/kernel/apic/vector.c): the `IO-APIC` irq_chip,
 * the GSI -> IRQ mapping with the MADT interrupt source overrides (ISA IRQ 0
 * on pin 2, the ACPI SCI on pin 9 level), edge entries on handle_edge_irq
 * (`-edge`) and level entries on handle_fasteoi_irq (`-fasteoi`), vector
 * activation at startup, affinity changes carried out at the next interrupt
 * (no interrupt remapping: IRQD_SETAFFINITY_PENDING, irq_move_irq()), and
 * the EOI paths (ack_apic_edge at the start of an edge interrupt,
 * ioapic_ack_level at the end of a level one).
 *
 * Every access to the chip goes through IOREGSEL/IOWIN by MMIO, as
 * io_apic_read()/io_apic_write() do.
 *
 * @module
 */

import { readl, writel } from "../../linux/api.ts";
import type { Kernel } from "../../core/kernel.ts";
import {
  IRQ_LEVEL,
  IRQ_SET_MASK_OK,
  IRQ_TYPE_EDGE_RISING,
  IRQ_TYPE_LEVEL_HIGH,
  IRQ_TYPE_LEVEL_LOW,
  IRQCHIP_AFFINITY_PRE_STARTUP,
  IRQCHIP_SKIP_SET_WAKE,
  IRQD_SETAFFINITY_PENDING,
} from "../genirq/constants.ts";
import type { IrqChip, IrqData, IrqDomain } from "../genirq/desc.ts";
import { handle_edge_irq, handle_fasteoi_irq } from "../genirq/flow.ts";
import { type GenIrq, GenIrqKey } from "../genirq/genirq.ts";
import { moveIrq } from "../genirq/affinity.ts";
import { apic_eoi, type ApicSystem, sendIpi, type VectorMatrix } from "../lapic/mod.ts";
import { X86Key } from "../x86/mod.ts";
import {
  IO_APIC_DEST_SHIFT,
  IO_APIC_PINS,
  IO_APIC_REDIR_LEVEL_TRIGGER,
  IO_APIC_REDIR_MASKED,
  IO_APIC_REDIR_POLARITY_LOW,
  IO_APIC_REDIR_REMOTE_IRR,
  IO_APIC_REDIR_TABLE,
  IO_APIC_REGSEL,
  IO_APIC_WINDOW,
  IoApic,
} from "./chip.ts";

/** How a GSI is connected (from the MADT: ISA default edge/high, overrides, PCI level/low). */
export interface PinConfig {
  irq: number;
  level: boolean;
  activeLow: boolean;
}

/**
 * The default x86 PC routing: ISA IRQ n on pin n with edge/high except the
 * overrides ACPI tables give on nearly every PC (`INT_SRC_OVR (bus 0 bus_irq
 * 0 global_irq 2 dfl dfl)` and `(bus 0 bus_irq 9 global_irq 9 high level)`);
 * pins 16-23 are PCI (PIRQA-H): level, active low. Pin 0 (the 8259's INTR in
 * ExtINT mode) and IRQ 2 are unused.
 */
export function defaultPinConfig(): (PinConfig | undefined)[] {
  const out: (PinConfig | undefined)[] = [];
  for (let pin = 0; pin < IO_APIC_PINS; pin++) {
    if (pin === 0) out.push(undefined);
    else if (pin === 2) out.push({ irq: 0, level: false, activeLow: false });
    else if (pin === 9) out.push({ irq: 9, level: true, activeLow: false });
    else if (pin < 16) out.push({ irq: pin, level: false, activeLow: false });
    else out.push({ irq: pin, level: true, activeLow: true });
  }
  return out;
}

/** Per-IRQ chip data (struct mp_chip_data in small). */
interface MpChipData {
  ioapic: LinuxIoApic;
  pin: number;
  cfg: PinConfig;
}

/** Linux's view of one IOAPIC. */
export class LinuxIoApic {
  readonly chip: IrqChip;
  domain!: IrqDomain;
  readonly gi: GenIrq;

  constructor(
    readonly k: Kernel,
    readonly hw: IoApic,
    readonly apics: ApicSystem,
    readonly matrix: VectorMatrix,
    readonly index = 0,
  ) {
    this.gi = k.bus.get(GenIrqKey);
    const data = (d: IrqData) => d.chip_data as MpChipData;
    this.chip = {
      name: "IO-APIC",
      irq_startup: (d) => this.startup(data(d)),
      irq_mask: (d) => this.setMask(data(d).pin, true),
      irq_unmask: (d) => this.setMask(data(d).pin, false),
      irq_ack: (d) => this.ackEdge(d),
      irq_eoi: (d) => this.ackLevel(d),
      irq_set_affinity: (d, mask) => this.setAffinity(d, mask),
      irq_retrigger: (d) => this.retrigger(d),
      flags: IRQCHIP_SKIP_SET_WAKE | IRQCHIP_AFFINITY_PRE_STARTUP,
    };
  }

  /** io_apic_read(apic, reg) */
  ioApicRead(reg: number): number {
    writel(reg, this.hw.base + IO_APIC_REGSEL);
    return readl(this.hw.base + IO_APIC_WINDOW);
  }
  /** io_apic_write(apic, reg, value) */
  ioApicWrite(reg: number, value: number): void {
    writel(reg, this.hw.base + IO_APIC_REGSEL);
    writel(value, this.hw.base + IO_APIC_WINDOW);
  }

  /**
   * setup_IO_APIC_irqs() in small: the IRQ descriptors of the mapped pins
   * with their flow handler, trigger and the platform's interrupt resource
   * (the wire into the pin). Entries stay masked until a driver starts them.
   */
  setupIrqs(pins: (PinConfig | undefined)[]): void {
    const gi = this.gi;
    this.domain = gi.addDomain(`IO-APIC-${this.index}`, this.chip);
    pins.forEach((cfg, pin) => {
      if (!cfg) return;
      const irq = cfg.irq;
      // mp_register_handler(): fasteoi for level, edge otherwise
      if (cfg.level) {
        gi.irq_set_chip_and_handler_name(irq, this.chip, handle_fasteoi_irq, "fasteoi");
      } else gi.irq_set_chip_and_handler_name(irq, this.chip, handle_edge_irq, "edge");
      const desc = gi.irq_to_desc(irq)!;
      const d = desc.irq_data;
      d.hwirq = pin;
      d.domain = this.domain;
      d.chip_data = { ioapic: this, pin, cfg } satisfies MpChipData;
      this.domain.map.set(pin, irq);
      gi.irq_modify_status(irq, IRQ_LEVEL, cfg.level ? IRQ_LEVEL : 0);
      d.setTriggerType(
        cfg.level
          ? (cfg.activeLow ? IRQ_TYPE_LEVEL_LOW : IRQ_TYPE_LEVEL_HIGH)
          : IRQ_TYPE_EDGE_RISING,
      );
      gi.inputIrq.set(this.hw.pins.get(`pin${pin}`), irq);
    });
  }

  /** The redirection entry for `pin` routed to `cpu` with `vector`, masked or not. */
  #entry(cfg: PinConfig, vector: number, masked: boolean): number {
    let lo = vector; // fixed delivery, physical destination (apic_physflat)
    if (cfg.level) lo |= IO_APIC_REDIR_LEVEL_TRIGGER;
    if (cfg.activeLow) lo |= IO_APIC_REDIR_POLARITY_LOW;
    if (masked) lo |= IO_APIC_REDIR_MASKED;
    return lo;
  }

  /**
   * ioapic_configure_entry() / __ioapic_write_entry(): high dword first,
   * then the low dword (which may unmask).
   */
  writeEntry(pin: number, cfg: PinConfig, vector: number, cpu: number, masked: boolean): void {
    const apicId = this.apics.lapics[cpu].id;
    this.ioApicWrite(IO_APIC_REDIR_TABLE + 2 * pin + 1, apicId << IO_APIC_DEST_SHIFT);
    this.ioApicWrite(IO_APIC_REDIR_TABLE + 2 * pin, this.#entry(cfg, vector, masked));
  }

  /** Mask or unmask one entry (mask_ioapic_irq() / unmask_ioapic_irq()): read-modify-write the low dword. */
  setMask(pin: number, masked: boolean): void {
    const reg = IO_APIC_REDIR_TABLE + 2 * pin;
    const lo = this.ioApicRead(reg);
    this.ioApicWrite(reg, masked ? lo | IO_APIC_REDIR_MASKED : lo & ~IO_APIC_REDIR_MASKED);
  }

  /**
   * x86_vector_activate() + startup_ioapic_irq(): give the IRQ a vector on
   * one CPU of its affinity (the matrix allocator's choice), program the
   * entry and unmask it. Returns 0 (no pending interrupt to replay).
   */
  startup(data: MpChipData): number {
    const d = this.gi.irq_to_desc(data.cfg.irq)!.irq_data;
    const online = this.k.cpus.map((c) => c.id);
    let mask = d.affinity.filter((c) => online.includes(c));
    if (mask.length === 0) mask = online;
    const a = this.matrix.assign(d.irq, mask);
    if (!a) {
      this.k.printk(3, `vector: failed to allocate vector for irq ${d.irq}`);
      return 0;
    }
    d.effective_affinity = [a.cpu];
    this.writeEntry(data.pin, data.cfg, a.vector, a.cpu, false);
    return 0;
  }

  /**
   * ioapic_set_affinity() → apic_set_affinity() → assign_irq_vector(): a new
   * vector on the best CPU of `mask` (the current one kept when its CPU is in
   * the mask), the entry reprogrammed with the mask bit unchanged. One CPU
   * is the effective affinity (fixed delivery, physical destination).
   */
  setAffinity(d: IrqData, mask: number[]): number {
    const data = d.chip_data as MpChipData;
    const a = this.matrix.assign(d.irq, mask);
    if (!a) return -28; // -ENOSPC
    d.effective_affinity = [a.cpu];
    const masked = (this.ioApicRead(IO_APIC_REDIR_TABLE + 2 * data.pin) &
      IO_APIC_REDIR_MASKED) !== 0;
    this.writeEntry(data.pin, data.cfg, a.vector, a.cpu, masked);
    return IRQ_SET_MASK_OK;
  }

  /**
   * irq_chip_retrigger_hierarchy() → apic_retrigger_irq(): replay an edge
   * interrupt by sending its vector as an IPI to the CPU it is routed to
   * (the resend of a lazily disabled edge IRQ on enable_irq()). Returns 1.
   */
  retrigger(d: IrqData): number {
    const a = this.matrix.byIrq.get(d.irq);
    if (!a) return 0;
    sendIpi(this.apics.lapics[a.cpu].id, a.vector);
    return 1;
  }

  /**
   * ack_apic_edge → apic_ack_irq(): carry out a pending move
   * (irq_move_irq(), the entry is masked around it), then EOI the LAPIC.
   * Interrupt context, at the start of handle_edge_irq.
   */
  ackEdge(d: IrqData): void {
    this.#moveIrq(d);
    apic_eoi();
  }

  #moveIrq(d: IrqData): void {
    if (!(d.state & IRQD_SETAFFINITY_PENDING)) return;
    // irq_move_irq(): "Be careful vs. already masked interrupts. If this is
    // a threaded interrupt with ONESHOT set, we can end up with an
    // interrupt storm." — mask around the move unless already masked
    const desc = d.desc;
    if (desc.disabled) return;
    const masked = desc.masked;
    if (!masked) this.setMask((d.chip_data as MpChipData).pin, true);
    moveIrq(this.gi, d);
    if (!masked) this.setMask((d.chip_data as MpChipData).pin, false);
  }

  /**
   * ioapic_ack_level(): at the end of handle_fasteoi_irq.
   * ioapic_prepare_move(): with a move pending, mask the entry (chip level,
   * unless already masked); then the LAPIC EOI, which the LAPIC broadcasts to
   * clear Remote IRR; ioapic_finish_move(): "Only migrate the irq if the ack
   * has been received" (Remote IRR clear), then unmask_ioapic_irq() — as in
   * the kernel, unconditionally. Interrupt context.
   */
  ackLevel(d: IrqData): void {
    const pin = (d.chip_data as MpChipData).pin;
    const moveit = (d.state & IRQD_SETAFFINITY_PENDING) !== 0;
    if (moveit && !d.desc.masked) this.setMask(pin, true);
    apic_eoi();
    if (moveit) {
      const remoteIrr = this.ioApicRead(IO_APIC_REDIR_TABLE + 2 * pin) &
        IO_APIC_REDIR_REMOTE_IRR;
      if (!remoteIrr) moveIrq(this.gi, d);
      this.setMask(pin, false);
    }
  }
}

/**
 * Boot the IOAPIC as Linux does on an ACPI PC: the MADT lines, every entry
 * masked, the IRQ descriptors, the timer's legacy vector kept on CPU 0
 * (check_timer()), and the x86 state switched to IOAPIC mode.
 */
export function bootIoApic(
  k: Kernel,
  hw: IoApic,
  apics: ApicSystem,
  matrix: VectorMatrix,
  pins: (PinConfig | undefined)[] = defaultPinConfig(),
): LinuxIoApic {
  const x86 = k.bus.get(X86Key);
  const lio = new LinuxIoApic(k, hw, apics, matrix);
  k.enter(() => {
    // acpi_parse_madt_lapic_entries(): the LINT1 NMI entry, then
    // acpi_parse_madt_ioapic_entries(): mp_register_ioapic() and the overrides
    k.printk(6, "ACPI: LAPIC_NMI (acpi_id[0xff] dfl dfl lint[0x1])");
    const ver = lio.ioApicRead(1);
    const nr = ((ver >> 16) & 0xff) + 1;
    k.printk(
      6,
      `IOAPIC[0]: apic_id ${hw.id}, version ${ver & 0xff}, address 0x${
        hw.base.toString(16)
      }, GSI 0-${nr - 1}`,
    );
    k.printk(6, "ACPI: INT_SRC_OVR (bus 0 bus_irq 0 global_irq 2 dfl dfl)");
    k.printk(6, "ACPI: INT_SRC_OVR (bus 0 bus_irq 9 global_irq 9 high level)");
    k.printk(6, "ACPI: Using ACPI (MADT) for SMP configuration information");
    k.printk(6, `smpboot: Allowing ${k.cpus.length} CPUs, 0 hotplug CPUs`);
    // apic_intr_mode_init(): APIC_SYMMETRIC_IO
    k.printk(6, "APIC: Switch to symmetric I/O mode setup");
    // clear_IO_APIC(): every entry masked
    for (let pin = 0; pin < nr; pin++) lio.setMask(pin, true);
    lio.setupIrqs(pins);
    x86.ioapic = true;
    // The timer keeps the vector it had through the PIC (vector_configure_legacy()).
    const timerPin = pins.findIndex((c) => c?.irq === 0);
    if (timerPin >= 0) {
      const a = matrix.assignLegacy(0, 0);
      const d = k.bus.get(GenIrqKey).irq_to_desc(0)!.irq_data;
      d.effective_affinity = [0];
      // In the kernel the timer was requested (through the PIC) before
      // check_timer() runs, so its entry is already unmasked ("for edge
      // trigger, it's already unmasked"): ticks flow from boot on.
      lio.writeEntry(timerPin, pins[timerPin]!, a.vector, 0, false);
      // check_timer(): "..TIMER: vector=0x%02X apic1=%d pin1=%d apic2=%d pin2=%d"
      k.printk(
        6,
        `..TIMER: vector=0x${
          a.vector.toString(16).toUpperCase()
        } apic1=0 pin1=${timerPin} apic2=-1 pin2=-1`,
      );
    }
    // smp_init() (kernel/smp.c) once the APs are up
    k.printk(6, "smp: Bringing up secondary CPUs ...");
    const n = k.cpus.length;
    k.printk(6, `smp: Brought up 1 node, ${n} CPU${n === 1 ? "" : "s"}`);
  });
  return lio;
}
