/**
 * The `lapic` plugin: a local APIC per CPU (devices `lapic0`..`lapicN-1`,
 * output `int` wired to `cpuN.intr` and `nmi` to `cpuN.nmi`, inputs `lint0`
 * and `lint1`), mapped at 0xFEE00000 with a per-CPU view, the APIC bus
 * between them, the vector matrix, and Linux's LAPIC code: setup_local_APIC,
 * system vectors (LOC, RES, CAL, IWI, SPU, ERR), IPIs, the LAPIC timer as
 * the per-CPU tick after the PIT calibration, and the NMI hard-lockup
 * detector.
 *
 * ```yaml
 * plugins:
 *   - genirq
 *   - x86
 *   - { name: lapic, options: { bus_mhz: 100, watchdog_thresh: 10 } }
 * ```
 *
 * @example
 * ```ts
 * import { lapic } from "./plugins/lapic/mod.ts";
 * const plugin = lapic({ watchdog_thresh: 0 });
 * ```
 * @module
 */

import { connect, type InputPin } from "../../core/line.ts";
import type { Plugin } from "../../core/plugin.ts";
import { outb_p } from "../../linux/api.ts";
import { GenIrqKey } from "../genirq/genirq.ts";
import { NMI_DONE, NMI_HANDLED, NMI_LOCAL, X86Key } from "../x86/mod.ts";
import { APIC_DEFAULT_PHYS_BASE } from "./apic.ts";
import { apic_eoi, lapicCalLoops, LinuxApic } from "./linux.ts";
import {
  ApicKey,
  ApicSystem,
  checkPluginOptions,
  LinuxApicKey,
  VectorMatrixKey,
} from "./system.ts";
import { VectorMatrix } from "./vector.ts";

export * from "./apic.ts";
export * from "./system.ts";
export * from "./vector.ts";
export * from "./linux.ts";
export * from "./api.ts";

/** Options of the `lapic` plugin. */
export interface Options {
  /** LAPIC timer input clock (the bus / core crystal clock), MHz. */
  bus_mhz: number;
  /** watchdog_thresh (kernel/watchdog.c, default 10 s): hard-lockup NMI period; 0 turns it off. */
  watchdog_thresh: number;
  /** Boot Linux's LAPIC code (setup, system vectors, timer, IPIs). Off: hardware only. */
  linux: boolean;
}

/** Defaults of {@linkcode Options}. */
export const defaults = { bus_mhz: 100, watchdog_thresh: 10, linux: true } satisfies Options;

/** The lapic plugin factory. */
export function lapic(options: Partial<Options> = {}): Plugin {
  checkPluginOptions("lapic", options, defaults);
  const opts: Options = { ...defaults, ...options };
  if (!(opts.bus_mhz > 0) || 1000 % opts.bus_mhz !== 0) {
    throw new Error(
      `lapic: bus_mhz must divide 1000 (a whole number of ns per timer count): got ${opts.bus_mhz}`,
    );
  }
  if (!(opts.watchdog_thresh >= 0 && opts.watchdog_thresh <= 60)) {
    throw new Error(`lapic: watchdog_thresh must be 0..60 s: got ${opts.watchdog_thresh}`);
  }
  return {
    name: "lapic",
    requires: ["genirq", "x86"],
    setup(ctx) {
      const k = ctx.kernel;
      const sys = new ApicSystem(k, 1000 / opts.bus_mhz);
      k.bus.provide(ApicKey, sys, "lapic");
      for (const l of sys.lapics) k.devices.set(l.name, l);
      // every CPU reaches its own LAPIC at the same physical address
      k.mmio.map(APIC_DEFAULT_PHYS_BASE, 0x1000, {
        read: (off) => sys.current().read(off),
        write: (off, v) => sys.current().write(off, v),
      }, "Local APIC");
      const x86 = k.bus.get(X86Key);
      k.bus.provide(VectorMatrixKey, new VectorMatrix(x86, k.cpus.length, true), "lapic");
    },
    start(k) {
      const sys = k.bus.get(ApicKey);
      const x86 = k.bus.get(X86Key);
      for (const l of sys.lapics) {
        const cpu = k.devices.get(`cpu${l.cpu}`)!;
        connect(l.int, cpu.pins.get("intr") as InputPin);
        connect(l.nmi, cpu.pins.get("nmi") as InputPin);
      }
      x86.acknowledge = (cpu) => sys.lapics[cpu.id].inta();
      if (!opts.linux) return;
      x86.apicEoi = () => apic_eoi();
      // ack_bad_irq(): "We _must_ ack these because every local APIC has only
      // N irq slots per priority level" (arch/x86/kernel/irq.c)
      const gi = k.bus.get(GenIrqKey);
      const printBad = gi.archAckBadIrq;
      gi.archAckBadIrq = (irq) => {
        printBad?.(irq);
        apic_eoi();
      };
      const linux = new LinuxApic(k, sys, x86, opts.bus_mhz * 1e6, opts.watchdog_thresh);
      k.bus.provide(LinuxApicKey, linux, "lapic");
      for (const cpu of k.cpus) linux.setupLocalApic(cpu.id);
      linux.installSystemVectors();
      k.sched.sendReschedIpi = (from, to) => linux.sendReschedule(from, to);
      x86.nmi.register(
        NMI_LOCAL,
        (_t, cpu) => linux.watchdogNmi(cpu) ? NMI_HANDLED : NMI_DONE,
        "PMI",
      );
      linux.startWatchdog();
      // calibrate_APIC_clock() measures the LAPIC timer against the PIT tick
      // for LAPIC_CAL_LOOPS jiffies; then each CPU's LAPIC timer becomes its
      // tick device and the PIT clockevent is shut down (pit_shutdown(),
      // drivers/clocksource/i8253.c: mode 0). The kernel then also writes a
      // zero count, whose terminal edge 55 ms later reaches a no-op event
      // handler; the model stops at the mode write, so no late tick follows.
      const jiffyNs = Math.round(1e9 / k.config.hz);
      k.clock.scheduleIn((lapicCalLoops(k.config.hz) + 1) * jiffyNs, () => {
        const gi = k.bus.get(GenIrqKey);
        const timer = gi.irq_to_desc(0)?.action;
        k.enter(() => {
          if (timer && timer.name === "timer") {
            outb_p(0x30, 0x43);
          }
        });
        for (const cpu of k.cpus) linux.startPeriodicTimer(cpu.id);
      });
    },
  };
}
