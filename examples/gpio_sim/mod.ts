/**
 * An example third-party plugin: a gpio-sim style GPIO controller, after
 * Linux 6.1's drivers/gpio/gpio-sim.c and kernel/irq/irq_sim.c. It is not
 * built in: a machine file loads it by path,
 *
 * ```yaml
 * plugins:
 *   - genirq
 *   - x86
 *   - i8259
 *   - { path: ./mod.ts }
 * devices:
 *   sim: { kind: gpio_sim, options: { ngpios: 8 } }
 * wires:
 *   - sim.irq_work -> pic_master.ir5 # how irq_work reaches a CPU here (see below)
 * ```
 *
 * and it imports nothing but the package's public `mod.ts`.
 *
 * What it models:
 *
 * - **The lines.** Each `gpio_sim` device is the platform device
 *   `gpio-sim.<id>` with one bank: a gpio_chip of `ngpios` lines, inputs by
 *   default, registered with gpiolib at a base found top-down from
 *   ARCH_NR_GPIOS as 6.1's gpiochip_find_base() does (the first 8-line chip
 *   gets 504..511). The legacy API (`gpio_request`, `gpio_to_irq`, ...) works
 *   on them; on a machine without a gpiolib provider the plugin provides one.
 * - **The pull files.** `/sys/devices/platform/gpio-sim.<id>/gpiochip<N>/sim_gpio<M>/pull`
 *   reads `pull-down` or `pull-up` and takes the same words: writing one
 *   sets the input level of a line (gpio_sim_apply_pull()); `value` reads
 *   the line and refuses writes with -EPERM. A device stimulus `pull` writes
 *   the file from a scenario, and a wire into the input pin `sim_gpio<M>` does
 *   the same as writing `pull-up` (high) or `pull-down` (low) — the wire is
 *   this model's addition, so other devices and the conformance kit can
 *   drive a line.
 * - **The interrupts.** An irq domain whose mappings are made by
 *   `gpio_to_irq()` (gpio_sim_to_irq -> irq_create_mapping) with the
 *   `irq_sim` chip: mask/unmask only flip the line's `enabled` flag, set_type
 *   accepts edge types only (-EINVAL for level), and the flow is
 *   handle_simple_irq. A pull change that matches the line's trigger type
 *   on a requested input marks the line pending with
 *   irq_set_irqchip_state(IRQCHIP_STATE_PENDING) — dropped while the line is
 *   masked — and queues the domain's irq_work, whose function
 *   irq_sim_handle_irq() runs handle_simple_irq for every pending line.
 *
 * **Deviation: how irq_work is delivered.** In Linux, irq_work_queue()
 * raises the IRQ_WORK_VECTOR self-IPI through the local APIC (the `IWI` row
 * of /proc/interrupts), or, without an irq_work interrupt
 * (arch_irq_work_has_interrupt() false), runs the work from the next tick.
 * irqlab's PC has no local APIC, and a tick listener cannot run bodies that
 * take time, so this plugin gives each device an output pin `irq_work` to
 * wire to a free controller input: irq_work_queue() raises it, and the
 * plugin requests that input with an action named `irq_work` whose handler
 * lowers it and runs irq_sim_handle_irq(). The work therefore runs in
 * hardirq context, as on hardware with the IPI, but it is counted on the
 * parent IRQ's row (`5: ... XT-PIC irq_work`) instead of `IWI`, and the
 * parent's own entry, mask/ack and EOI add their cost.
 *
 * @example
 * ```ts
 * // a module (examples/gpio_sim/gpio_sim_button.ts)
 * gpio_request(504, "sim_button");
 * const irq = gpio_to_irq(504);
 * request_irq(irq, handler, IRQF_TRIGGER_RISING, "sim_button", null);
 * // the scenario: echo pull-up > /sys/devices/platform/gpio-sim.0/gpiochip0/sim_gpio0/pull
 * ```
 * @module
 */

import { z } from "zod";
import {
  ARCH_NR_GPIOS,
  type Device,
  type DeviceKind,
  EINVAL,
  EPERM,
  FLAG_IS_OUT,
  FLAG_REQUESTED,
  type GenIrq,
  GenIrqKey,
  GPIO_LINE_DIRECTION_IN,
  GPIO_LINE_DIRECTION_OUT,
  type GpioChip,
  Gpiolib,
  GpiolibKey,
  handle_simple_irq,
  InputPin,
  IRQ_HANDLED,
  IRQ_NOAUTOEN,
  IRQ_NOPROBE,
  IRQ_NOREQUEST,
  IRQ_TYPE_EDGE_BOTH,
  IRQ_TYPE_EDGE_FALLING,
  IRQ_TYPE_EDGE_RISING,
  type IrqChip,
  type IrqData,
  type IrqDomain,
  type irqreturn_t,
  type Kernel,
  noteCall,
  OutputPin,
  type Pin,
  PIN_CONFIG_BIAS_PULL_DOWN,
  PIN_CONFIG_BIAS_PULL_UP,
  type Plugin,
  request_irq,
  type StimulusKind,
} from "../../mod.ts";

/** ENOTSUPP (include/linux/errno.h, kernel-internal). */
const ENOTSUPP = 524;

/** enum irqchip_irq_state (include/linux/interrupt.h): the state gpio-sim sets. */
export const IRQCHIP_STATE_PENDING = 0;

/** gpio_sim_sysfs_pull_strings[]: index 0 is pull-down, 1 is pull-up. */
export const GPIO_SIM_PULL_STRINGS = ["pull-down", "pull-up"] as const;

// ---- irq_work (kernel/irq_work.c), as far as irq_sim needs it ----

/** struct irq_work: a function run soon in hardirq context. */
export interface IrqWork {
  /** IRQ_WORK_PENDING: queued and not yet started. */
  pending: boolean;
  /** The work function. Interrupt context; a generator so its calls take time. */
  readonly func: () => Generator<unknown, void, unknown>;
  /** arch_irq_work_raise(): here, raise the device's `irq_work` line. */
  readonly raise: () => void;
}

/**
 * irq_work_queue(): claim the work (false when it is already pending, as
 * irq_work_claim() fails) and raise the irq_work interrupt. May run in any
 * context.
 */
export function irq_work_queue(work: IrqWork): boolean {
  if (work.pending) return false;
  work.pending = true;
  work.raise();
  return true;
}

// ---- irq_sim (kernel/irq/irq_sim.c) ----

/** struct irq_sim_work_ctx: the domain's pending bitmap and its irq_work. */
export class IrqSimWorkCtx {
  /** One byte per line: 1 when pending. */
  readonly pending: Uint8Array;
  domain!: IrqDomain;
  work!: IrqWork;
  constructor(readonly irqCount: number) {
    this.pending = new Uint8Array(irqCount);
  }
}

/** struct irq_sim_irq_ctx: per mapped IRQ (the irq_data's chip_data). */
export interface IrqSimIrqCtx {
  enabled: boolean;
  readonly workCtx: IrqSimWorkCtx;
}

/** The irq_sim chip's extra operations (struct irq_chip's irqchip-state callbacks). */
export interface IrqSimChip extends IrqChip {
  /** irq_set_irqchip_state: 0 or a negative errno. */
  irq_set_irqchip_state(d: IrqData, which: number, state: boolean): number;
  /** irq_get_irqchip_state: the state, or a negative errno. */
  irq_get_irqchip_state(d: IrqData, which: number): boolean | number;
}

function simCtx(d: IrqData): IrqSimIrqCtx {
  return d.chip_data as IrqSimIrqCtx;
}

/** irq_sim_irqchip: mask and unmask only flip `enabled`; edge types only. */
export const irq_sim_irqchip: IrqSimChip = {
  name: "irq_sim",
  irq_mask: (d) => {
    simCtx(d).enabled = false;
  },
  irq_unmask: (d) => {
    simCtx(d).enabled = true;
  },
  irq_set_type: (d, type) => {
    // "We only support rising and falling edge trigger types."
    if (type & ~IRQ_TYPE_EDGE_BOTH) return -EINVAL;
    d.setTriggerType(type);
    return 0;
  },
  irq_get_irqchip_state: (d, which) => {
    if (which !== IRQCHIP_STATE_PENDING) return -EINVAL;
    const ctx = simCtx(d);
    return ctx.enabled && ctx.workCtx.pending[d.hwirq] === 1;
  },
  irq_set_irqchip_state: (d, which, state) => {
    if (which !== IRQCHIP_STATE_PENDING) return -EINVAL;
    const ctx = simCtx(d);
    // a masked line drops the event: nothing is latched for it
    if (ctx.enabled) {
      ctx.workCtx.pending[d.hwirq] = state ? 1 : 0;
      if (state) irq_work_queue(ctx.workCtx.work);
    }
    return 0;
  },
};

/**
 * irq_sim_handle_irq(): the irq_work function. Runs handle_simple_irq for
 * each pending line, lowest first, until none is pending (a line that
 * becomes pending while its handler runs is handled again in the same
 * run). Interrupt context.
 *
 * The kernel resumes find_next_bit() at the last offset; a lower line made
 * pending by a higher line's handler would make it find none and touch
 * IRQ 0's descriptor. This model starts over from 0 instead.
 */
export function* irq_sim_handle_irq(
  gi: GenIrq,
  k: Kernel,
  ctx: IrqSimWorkCtx,
): Generator<unknown, void, unknown> {
  let offset = 0;
  while (ctx.pending.includes(1)) {
    offset = ctx.pending.indexOf(1, offset);
    if (offset < 0) offset = ctx.pending.indexOf(1);
    ctx.pending[offset] = 0;
    const irqnum = ctx.domain.findMapping(offset);
    const body = gi.flowBody(k.thisCpu(), irqnum); // handle_simple_irq(irq_to_desc(irqnum))
    if (body) yield noteCall(body);
  }
}

/**
 * irq_domain_create_sim(): a linear domain of `numIrqs` lines with the
 * irq_sim chip; mappings are made on demand by {@linkcode irq_sim_map}.
 */
export function irq_domain_create_sim(
  gi: GenIrq,
  k: Kernel,
  name: string,
  numIrqs: number,
  raise: () => void,
): IrqSimWorkCtx {
  const ctx = new IrqSimWorkCtx(numIrqs);
  ctx.domain = gi.addDomain(name, irq_sim_irqchip);
  ctx.work = { pending: false, func: () => irq_sim_handle_irq(gi, k, ctx), raise };
  return ctx;
}

/**
 * irq_create_mapping() with irq_sim_domain_map(): the Linux IRQ of `hwirq`,
 * allocated on first use. x86's irq_domain_alloc_descs() hint is the hwirq
 * (at least 1) and the legacy IRQs 0-15 are taken, so the first mapping on
 * the PC gets IRQ 16.
 */
export function irq_sim_map(gi: GenIrq, ctx: IrqSimWorkCtx, hwirq: number): number {
  const have = ctx.domain.findMapping(hwirq);
  if (have) return have;
  const virq = gi.irq_create_mapping(ctx.domain, hwirq, Math.max(hwirq, 1));
  const desc = gi.irq_to_desc(virq)!;
  // irq_set_chip(), irq_set_chip_data(), irq_set_handler(handle_simple_irq)
  desc.irq_data.chip = irq_sim_irqchip;
  desc.irq_data.chip_data = { enabled: false, workCtx: ctx } satisfies IrqSimIrqCtx;
  desc.handle_irq = handle_simple_irq;
  gi.irq_modify_status(virq, IRQ_NOREQUEST | IRQ_NOAUTOEN, IRQ_NOPROBE);
  return virq;
}

// ---- gpio-sim (drivers/gpio/gpio-sim.c) ----

/** struct gpio_sim_chip: the bank's bitmaps, its gpio_chip and its irq_sim domain. */
export class GpioSimChip {
  /** 1 = input (the default: "Default to input mode."). */
  readonly directionMap: Uint8Array;
  readonly valueMap: Uint8Array;
  readonly pullMap: Uint8Array;
  readonly gc: GpioChip;

  constructor(
    readonly gpiolib: Gpiolib,
    readonly gi: GenIrq,
    readonly irqSim: IrqSimWorkCtx,
    label: string,
    base: number,
    ngpio: number,
  ) {
    this.directionMap = new Uint8Array(ngpio).fill(1);
    this.valueMap = new Uint8Array(ngpio);
    this.pullMap = new Uint8Array(ngpio);
    this.gc = {
      label,
      base,
      ngpio,
      get: (offset) => this.valueMap[offset],
      set: (offset, value) => {
        this.valueMap[offset] = value ? 1 : 0;
      },
      direction_output: (offset, value) => {
        this.directionMap[offset] = 0;
        this.valueMap[offset] = value ? 1 : 0;
        return 0;
      },
      direction_input: (offset) => {
        this.directionMap[offset] = 1;
        return 0;
      },
      get_direction: (offset) =>
        this.directionMap[offset] ? GPIO_LINE_DIRECTION_IN : GPIO_LINE_DIRECTION_OUT,
      set_config: (offset, param) => {
        // gpio_sim_set_config(): a bias is a pull
        if (param === PIN_CONFIG_BIAS_PULL_UP) return this.applyPull(offset, 1);
        if (param === PIN_CONFIG_BIAS_PULL_DOWN) return this.applyPull(offset, 0);
        return -ENOTSUPP;
      },
      to_irq: (offset) => irq_sim_map(this.gi, this.irqSim, offset),
    };
  }

  /**
   * gpio_sim_apply_pull(): on a requested input whose level changes and
   * that has an IRQ mapping, an edge matching the trigger type marks the IRQ
   * pending; then the value follows the pull unless software drives the
   * line as an output. Returns 0.
   */
  applyPull(offset: number, value: number): number {
    const desc = this.gpiolib.toDesc(this.gc.base + offset)!;
    const requested = (desc.flags & FLAG_REQUESTED) !== 0;
    const out = (desc.flags & FLAG_IS_OUT) !== 0;
    if (requested && !out) {
      if (value === this.valueMap[offset]) {
        this.pullMap[offset] = value;
        return 0;
      }
      // "nobody is listening for interrupts on this line" without a mapping
      const irq = this.irqSim.domain.findMapping(offset);
      if (irq) {
        const d = this.gi.irq_to_desc(irq)!.irq_data;
        const type = d.triggerType();
        if (
          (value && (type & IRQ_TYPE_EDGE_RISING)) || (!value && (type & IRQ_TYPE_EDGE_FALLING))
        ) {
          // irq_set_irqchip_state(irq, IRQCHIP_STATE_PENDING, true)
          const ret = (d.chip as IrqSimChip).irq_set_irqchip_state(d, IRQCHIP_STATE_PENDING, true);
          if (ret) {
            this.pullMap[offset] = value;
            return 0;
          }
        }
      }
    }
    // "Change the value unless we're actively driving the line."
    if (!requested || !out) this.valueMap[offset] = value;
    this.pullMap[offset] = value;
    return 0;
  }
}

/** Options of a `gpio_sim` device. */
export const gpioSimOptions = z.object({
  ngpios: z.number().int().min(1).max(1024).default(8).describe(
    "Lines in the bank (the configfs bank's num_lines; GPIO_SIM_NGPIO_MAX is 1024)",
  ),
  label: z.string().min(1).optional().describe(
    "The gpiochip label (default gpio-sim.<id>-node0, as the kernel names an unlabelled bank)",
  ),
}).strict();

/** Parsed options of a `gpio_sim` device. */
export type GpioSimOptions = z.output<typeof gpioSimOptions>;

/** Arguments of the `pull` stimulus. */
export interface PullArgs {
  /** The line (offset in the bank). */
  line: number;
  /** What to write to its pull file. */
  pull: "pull-up" | "pull-down";
}

/** A `gpio_sim` device: the platform device gpio-sim.<id> and its bank. */
export class GpioSimDevice implements Device {
  /** The device kind. */
  readonly kind = "gpio_sim";
  /** `sim_gpio<M>` inputs and the `irq_work` output. */
  readonly pins: ReadonlyMap<string, Pin>;
  /** Raised by irq_work_queue(); wire it to a free controller input. */
  readonly irqWork: OutputPin;
  /** One input per line: high = pull-up, low = pull-down. */
  readonly lines: InputPin[] = [];
  /** The driver's chip once probed. */
  chip: GpioSimChip | undefined;
  /** The sysfs directory of the bank once probed (`/sys/devices/platform/gpio-sim.0/gpiochip0`). */
  sysfsDir: string | undefined;
  /** The device's stimuli: `pull`. */
  readonly stimuli: Readonly<Record<string, StimulusKind<unknown>>>;

  constructor(readonly name: string, readonly options: GpioSimOptions, k: Kernel) {
    this.irqWork = new OutputPin(`${name}.irq_work`, this);
    const pins = new Map<string, Pin>([["irq_work", this.irqWork]]);
    for (let i = 0; i < options.ngpios; i++) {
      const pin = new InputPin(
        `${name}.sim_gpio${i}`,
        (level) => {
          this.chip?.applyPull(i, level ? 1 : 0);
        },
        false,
        this,
      );
      this.lines.push(pin);
      pins.set(`sim_gpio${i}`, pin);
    }
    this.pins = pins;
    const pull: StimulusKind<PullArgs> = {
      description: "write pull-up or pull-down to the pull file of line `line`",
      args: z.object({
        line: z.number().int().min(0).max(options.ngpios - 1),
        pull: z.enum(GPIO_SIM_PULL_STRINGS),
      }).strict(),
      apply: (a, at) => {
        k.clock.schedule(at, () => {
          if (this.sysfsDir) k.procfs.write(`${this.sysfsDir}/sim_gpio${a.line}/pull`, a.pull);
        });
      },
    };
    this.stimuli = { pull: pull as StimulusKind<unknown> };
  }
}

/** The `gpio_sim` device kind. */
export const gpioSimKind: DeviceKind<GpioSimOptions> = {
  kind: "gpio_sim",
  description: "gpio-sim: a bank of simulated GPIO lines set through sysfs pull files (irq_sim)",
  options: gpioSimOptions,
  create: (name, o, k) => new GpioSimDevice(name, o, k),
};

/**
 * gpiochip_find_base() of Linux 6.1: the highest free range below
 * ARCH_NR_GPIOS, searching down from the chip with the highest base.
 */
export function gpiochip_find_base(gpiolib: Gpiolib, ngpio: number): number {
  let base = ARCH_NR_GPIOS - ngpio;
  for (const c of [...gpiolib.chips].sort((a, b) => b.base - a.base)) {
    if (c.base + c.ngpio <= base) break;
    base = c.base - ngpio;
  }
  return base;
}

/** The irq_work action's handler: lower the line, clear PENDING, run the work. Hardirq. */
function* irq_work_interrupt(_irq: number, dev: unknown): Generator<unknown, irqreturn_t, unknown> {
  const d = dev as GpioSimDevice;
  const work = d.chip!.irqSim.work;
  d.irqWork.set(false);
  // irq_work_single(): PENDING is cleared before the function runs, so a
  // queue from inside it raises the interrupt again
  work.pending = false;
  yield* work.func();
  return IRQ_HANDLED;
}

/**
 * gpio_sim_probe() -> gpio_sim_add_bank() and gpio_sim_setup_sysfs() for
 * device number `id`, then the irq_work action on the input its
 * `irq_work` pin is wired to. Boot time.
 */
export function gpio_sim_probe(k: Kernel, dev: GpioSimDevice, id: number, lib: Gpiolib): void {
  const gi = k.bus.get(GenIrqKey);
  const ngpio = dev.options.ngpios;
  const label = dev.options.label ?? `gpio-sim.${id}-node0`;
  const sim = irq_domain_create_sim(gi, k, `gpio-sim.${id}`, ngpio, () => dev.irqWork.set(true));
  const chip = new GpioSimChip(lib, gi, sim, label, gpiochip_find_base(lib, ngpio), ngpio);
  lib.add(chip.gc);
  // lines already pulled up by a wire start high
  for (let i = 0; i < ngpio; i++) {
    if (dev.lines[i].level) chip.valueMap[i] = chip.pullMap[i] = 1;
  }
  dev.chip = chip;
  const dir = `/sys/devices/platform/gpio-sim.${id}/gpiochip${lib.chips.indexOf(chip.gc)}`;
  dev.sysfsDir = dir;
  const attr = (rest: string) => {
    const m = /^sim_gpio(\d+)\/(value|pull)$/.exec(rest);
    if (!m || Number(m[1]) >= ngpio) return undefined;
    return { offset: Number(m[1]), file: m[2] };
  };
  k.procfs.registerDir(
    dir + "/",
    (rest) => {
      const a = attr(rest);
      if (!a) return undefined;
      // gpio_sim_sysfs_val_show() / gpio_sim_sysfs_pull_show()
      return a.file === "value"
        ? `${chip.valueMap[a.offset]}\n`
        : `${GPIO_SIM_PULL_STRINGS[chip.pullMap[a.offset]]}\n`;
    },
    (rest, data) => {
      const a = attr(rest);
      if (!a) return undefined;
      if (a.file === "value") return -EPERM; // gpio_sim_sysfs_val_store()
      // sysfs_match_string(): sysfs_streq() ignores one trailing newline
      const word = data.endsWith("\n") ? data.slice(0, -1) : data;
      const pull = (GPIO_SIM_PULL_STRINGS as readonly string[]).indexOf(word);
      if (pull < 0) return -EINVAL;
      const ret = chip.applyPull(a.offset, pull);
      return ret ? ret : data.length;
    },
  );
  const parent = gi.irqOfOutput(dev.irqWork);
  if (parent < 0) {
    k.notImplemented(
      `irq_work without an interrupt for ${dev.name}: wire ${dev.name}.irq_work to a free controller input`,
    );
    return;
  }
  const ret = k.enter(() => request_irq(parent, irq_work_interrupt, 0, "irq_work", dev));
  if (ret) {
    k.printk(3, `gpio-sim gpio-sim.${id}: cannot request IRQ ${parent} for irq_work: ${ret}`);
  }
}

/** Options of the plugin (none). */
export type Options = Record<string, never>;
/** Defaults of {@linkcode Options}. */
export const defaults: Options = {};

/**
 * The gpio_sim plugin factory (the module's default export, so a machine
 * file can load it with `{ path: ... }`).
 */
export function gpio_sim(_options: Partial<Options> = {}): Plugin {
  return {
    name: "gpio_sim",
    requires: ["genirq"],
    setup(ctx) {
      ctx.defineDevice(gpioSimKind);
    },
    start(k) {
      // gpiolib is a kernel service; the Pi's pinctrl plugin provides it,
      // elsewhere this plugin does
      let lib = k.bus.tryGet(GpiolibKey);
      if (!lib) {
        lib = new Gpiolib(k);
        k.bus.provide(GpiolibKey, lib, "gpio_sim");
      }
      let id = 0;
      for (const d of k.devices.values()) {
        if (d instanceof GpioSimDevice) gpio_sim_probe(k, d, id++, lib);
      }
    },
  };
}

export default gpio_sim;
