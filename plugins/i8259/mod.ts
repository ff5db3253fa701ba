/**
 * The `i8259` plugin: registers the `i8259` device kind, one Intel 8259A PIC
 * (with its PIIX ELCR) per device. A PC has two, cascaded by a wire in the
 * machine file:
 *
 * ```yaml
 * devices:
 *   pic_master: { kind: i8259, options: { io_base: 0x20 } }   # ELCR1 at 0x4d0
 *   pic_slave:  { kind: i8259, options: { io_base: 0xa0 } }   # ELCR2 at 0x4d1
 * wires:
 *   - pic_slave.int -> pic_master.ir2
 *   - pic_master.int -> cpu0.intr
 * ```
 *
 * The hardware only: Linux's XT-PIC irq_chip and init_8259A program it
 * through ports 0x20/0x21, 0xA0/0xA1 and 0x4D0/0x4D1.
 *
 * @example
 * ```ts
 * import { i8259 } from "./plugins/i8259/mod.ts";
 * const plugins = [i8259()];
 * ```
 * @module
 */

import { z } from "zod";
import type { DeviceKind, Plugin } from "../../core/plugin.ts";
import { serviceKey } from "../../core/bus.ts";
import type { OutputPin } from "../../core/line.ts";
import { I8259, PIC_ELCR1, PIC_ELCR2, PIC_MASTER_CMD, PIC_SLAVE_CMD } from "./chip.ts";
import { bootLegacyPic, type LegacyPic } from "./linux.ts";

export { bootLegacyPic, LegacyPic } from "./linux.ts";

/** Service key of Linux's legacy PIC driver state (cached masks, the XT-PIC chip). */
export const LegacyPicKey = serviceKey<LegacyPic>("legacy-pic");

export * from "./chip.ts";

/**
 * Plugin options (none yet: everything is per device).
 *
 * @example
 * ```ts
 * const opts: Options = {};
 * ```
 */
export interface Options {
  /**
   * What Linux does with the pair at boot: `legacy` (no IOAPIC: init_8259A,
   * IRQs 0-15 on XT-PIC, the cascade action on IRQ 2), `masked` (an IOAPIC
   * took over: the chips are initialised and every line masked), or `none`
   * (hardware only, for register-level tests).
   */
  mode: "legacy" | "masked" | "none";
  /** Program the pair in auto-EOI mode (init_8259A(1)). */
  auto_eoi: boolean;
}

/**
 * Default plugin options.
 *
 * @example
 * ```ts
 * i8259({ ...defaults });
 * ```
 */
export const defaults = { mode: "legacy", auto_eoi: false } satisfies Options;

/**
 * Options of one `i8259` device (the `options:` block in a machine file).
 *
 * @example
 * ```ts
 * deviceOptions.parse({ io_base: 0xa0 }); // { io_base: 160 }, ELCR2 by default
 * deviceOptions.parse({ io_base: 0x20, elcr_port: null }); // no ELCR (PC/AT)
 * ```
 */
export const deviceOptions = z.object({
  io_base: z.number().int().min(0).max(0xfffe).default(PIC_MASTER_CMD).describe(
    "Command port (A0 = 0); the data port (A0 = 1) is io_base + 1. 0x20 master, 0xa0 slave.",
  ),
  elcr_port: z.number().int().min(0).max(0xffff).nullable().optional().describe(
    "ELCR port; default 0x4d0 (ELCR1) for io_base 0x20, 0x4d1 (ELCR2) for 0xa0, none otherwise. " +
      "null: no ELCR.",
  ),
}).strict();

/**
 * Validated options of one `i8259` device.
 *
 * @example
 * ```ts
 * const o: DeviceOptions = { io_base: 0x20 };
 * ```
 */
export type DeviceOptions = z.output<typeof deviceOptions>;

/**
 * The ELCR port a device gets: the option when given (null = none), else the
 * PIIX default for the standard PC bases.
 *
 * @example
 * ```ts
 * elcrPortFor({ io_base: 0xa0 }); // 0x4d1
 * elcrPortFor({ io_base: 0x80 }); // null
 * ```
 */
export function elcrPortFor(options: DeviceOptions): number | null {
  if (options.elcr_port !== undefined) return options.elcr_port;
  if (options.io_base === PIC_MASTER_CMD) return PIC_ELCR1;
  if (options.io_base === PIC_SLAVE_CMD) return PIC_ELCR2;
  return null;
}

/**
 * The `i8259` device kind.
 *
 * @example
 * ```ts
 * const master = i8259Kind.create("pic_master", deviceOptions.parse({}), kernel) as I8259;
 * ```
 */
export const i8259Kind: DeviceKind<DeviceOptions> = {
  kind: "i8259",
  description:
    "Intel 8259A programmable interrupt controller with PIIX ELCR (pins ir0..ir7, int; cascade by wiring a slave's int to a master ir)",
  options: deviceOptions,
  create(name, options, kernel) {
    return new I8259(name, kernel, { io_base: options.io_base, elcr_port: elcrPortFor(options) });
  },
};

/**
 * The i8259 plugin factory.
 *
 * @example
 * ```ts
 * const plugin = i8259();
 * plugin.name; // "i8259"
 * ```
 */
export function i8259(options: Partial<Options> = {}): Plugin {
  const opts: Options = { ...defaults, ...options };
  return {
    name: "i8259",
    requires: opts.mode === "none" ? [] : ["genirq", "x86"],
    setup(ctx) {
      ctx.defineDevice(i8259Kind);
    },
    start(k) {
      if (opts.mode === "none") return;
      // The master drives a CPU's INTR, or a LAPIC's LINT0 on an APIC machine.
      const master = [...k.devices.values()].find((d) =>
        d instanceof I8259 &&
        (d.pins.get("int") as OutputPin).targets.some((t) =>
          t.name.startsWith("cpu") || t.name.startsWith("lapic")
        )
      );
      if (!master) return;
      const pic = bootLegacyPic(k, opts.auto_eoi, opts.mode === "legacy");
      k.bus.provide(LegacyPicKey, pic, "i8259");
    },
  };
}
