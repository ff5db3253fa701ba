/**
 * The APIC bus of a machine: every CPU's local APIC, message delivery by
 * destination (IOAPIC redirection entries, IPIs from the ICR, MSI writes)
 * and the EOI broadcast from a LAPIC to the IOAPICs (SDM 10.6, 10.8.5).
 *
 * @module
 */

import type { Cpu } from "../../core/cpu.ts";
import type { Kernel } from "../../core/kernel.ts";
import { serviceKey } from "../../core/bus.ts";
import type { LinuxApic } from "./linux.ts";
import type { VectorMatrix } from "./vector.ts";
import {
  APIC_BROADCAST_ID,
  APIC_DEST_ALLBUT,
  APIC_DEST_ALLINC,
  APIC_DEST_SELF,
  type ApicBusLink,
  type ApicMessage,
  LocalApic,
} from "./apic.ts";

/** Delivery modes of a message (ICR / RTE bits 8-10). */
export const dest_Fixed = 0;
export const dest_LowestPrio = 1;
export const dest_SMI = 2;
export const dest_NMI = 4;
export const dest_INIT = 5;
export const dest_ExtINT = 7;

/** The local APICs of all CPUs and the bus between them. */
export class ApicSystem implements ApicBusLink {
  readonly lapics: LocalApic[];
  /** IOAPICs listening for the EOI broadcast of level interrupts. */
  readonly eoiListeners: ((vector: number) => void)[] = [];
  /** Messages no LAPIC accepted (a destination with no APIC). */
  undelivered = 0;

  constructor(readonly kernel: Kernel, busNsPerCount: number) {
    this.lapics = kernel.cpus.map((c) => {
      const l = new LocalApic(`lapic${c.id}`, kernel, c.id, busNsPerCount);
      l.bus = this;
      l.xapicBroadcast = kernel.cpus.length < 256;
      return l;
    });
  }

  /** The LAPIC of the CPU running code now (what an access to 0xFEE00000 reaches). */
  current(): LocalApic {
    return this.lapics[this.kernel.thisCpu().id];
  }

  /** The LAPIC with a physical APIC ID (IDs can be rewritten through APIC_ID). */
  byApicId(id: number): LocalApic | undefined {
    const l = this.lapics[id];
    if (l !== undefined && l.id === id) return l;
    return this.lapics.find((x) => x.id === id);
  }

  /**
   * Deliver a message from an IOAPIC, an MSI write or an IPI to the LAPICs
   * its destination selects. Lowest-priority delivery picks one of them:
   * the lowest processor priority (PPR class), ties to the lowest APIC ID
   * (the arbitration ID order; the model has no rotating arbitration).
   * Returns false when no LAPIC accepted it. Interrupt context.
   */
  deliver(msg: ApicMessage, targets?: LocalApic[]): boolean {
    // Fast path (what Linux sends: fixed, physical, one APIC): no search, no allocation.
    if (
      targets === undefined && msg.destMode === 0 && msg.deliveryMode === dest_Fixed &&
      (msg.dest !== APIC_BROADCAST_ID || this.kernel.cpus.length === 256)
    ) {
      const l = this.byApicId(msg.dest);
      if (l === undefined) {
        this.undelivered++;
        return false;
      }
      l.accept(msg.vector, msg.trigger === 1);
      return true;
    }
    const to = targets ?? this.lapics.filter((l) => l.matches(msg.destMode, msg.dest));
    if (to.length === 0) {
      this.undelivered++;
      return false;
    }
    switch (msg.deliveryMode) {
      case dest_Fixed:
        for (const l of to) l.accept(msg.vector, msg.trigger === 1);
        return true;
      case dest_LowestPrio: {
        const l = lowestPriority(to);
        l.accept(msg.vector, msg.trigger === 1);
        return true;
      }
      case dest_NMI:
        for (const l of to) l.acceptNmi();
        return true;
      default:
        this.kernel.notImplemented(
          `apic: delivery mode ${
            ["Fixed", "LowestPrio", "SMI", "3", "NMI", "INIT", "StartUp", "ExtINT"][
              msg.deliveryMode
            ]
          }`,
        );
        return false;
    }
  }

  /** An ICR write: shorthand or destination field. */
  sendIpi(from: LocalApic, msg: ApicMessage, shorthand: number): void {
    let to: LocalApic[] | undefined;
    if (shorthand === APIC_DEST_SELF) to = [from];
    else if (shorthand === APIC_DEST_ALLINC) to = this.lapics;
    else if (shorthand === APIC_DEST_ALLBUT) to = this.lapics.filter((l) => l !== from);
    this.deliver(msg, to);
  }

  /** EOI broadcast of a level-triggered vector. */
  broadcastEoi(vector: number): void {
    for (const f of this.eoiListeners) f(vector);
  }
}

/** The LAPIC that wins lowest-priority arbitration (deterministic). */
export function lowestPriority(to: readonly LocalApic[]): LocalApic {
  let best = to[0];
  for (const l of to) {
    const p = l.ppr >> 4, b = best.ppr >> 4;
    if (p < b || (p === b && l.id < best.id)) best = l;
  }
  return best;
}

/** Run `fn` as if CPU `cpu` executed it (so a LAPIC access reaches that CPU's LAPIC). */
export function onCpu<R>(k: Kernel, cpu: Cpu | number, fn: () => R): R {
  const c = typeof cpu === "number" ? k.cpus[cpu] : cpu;
  const prev = k.currentCpu;
  k.currentCpu = c;
  try {
    return k.enter(fn);
  } finally {
    k.currentCpu = prev;
  }
}

/** Service key of the APIC bus (the LAPICs). */
export const ApicKey = serviceKey<ApicSystem>("apic");
/** Service key of Linux's LAPIC state (IPI queues, timer period, watchdog). */
export const LinuxApicKey = serviceKey<LinuxApic>("linux-apic");
/** Service key of the vector matrix. */
export const VectorMatrixKey = serviceKey<VectorMatrix>("vector-matrix");

/**
 * Check a plugin's options against its defaults: every key known and of the
 * default's type. Throws an Error the loader turns into a located message.
 */
export function checkPluginOptions(
  plugin: string,
  options: Record<string, unknown>,
  defaults: Record<string, unknown>,
): void {
  const known = Object.keys(defaults);
  for (const [key, value] of Object.entries(options)) {
    if (!known.includes(key)) {
      throw new Error(`${plugin}: unknown option "${key}": one of ${known.join(", ")}`);
    }
    if (typeof value !== typeof defaults[key]) {
      throw new Error(
        `${plugin}: option ${key} must be a ${typeof defaults[key]}: got ${JSON.stringify(value)}`,
      );
    }
  }
}
