/**
 * Linux's pinctrl-bcm2835 (drivers/pinctrl/bcm/pinctrl-bcm2835.c, 6.1) as
 * far as interrupts and the legacy GPIO API go: the gpio_chip (function
 * select for direction, GPSET/GPCLR, GPLEV, pinconf that knows only bias
 * and output so debounce is -ENOTSUPP), the `pinctrl-bcm2835` irq_chip
 * (set_type records the type and reprograms the detect enables of an
 * enabled line, switching the flow to handle_edge_irq or handle_level_irq;
 * unmask sets the detect enables; mask clears them and the latched event;
 * ack writes GPEDS), an irq domain where hwirq = GPIO number with mappings
 * made on first gpio_to_irq(), and the bank interrupts as chained parents
 * (`bcm2835_gpio_irq_handler`), hidden from /proc/interrupts.
 *
 * The chip's base is 0 as on Raspberry Pi OS 6.1 kernels (their pinctrl
 * patch "Set base to 0 give expected gpio numbering"), so the classic
 * modules' `gpio_request(15, ...)` names GPIO 15.
 *
 * @module
 */

import { readl, writel } from "../../linux/api.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { ArmArch, ChainedHandler } from "../arm/mod.ts";
import type { ArmctrlLinux } from "../bcm2835_intc/mod.ts";
import {
  EINVAL,
  EIO,
  ENOTSUPP,
  handle_edge_irq,
  handle_level_irq,
  IRQ_NOPROBE,
  IRQ_TYPE_EDGE_BOTH,
  IRQ_TYPE_EDGE_FALLING,
  IRQ_TYPE_EDGE_RISING,
  IRQ_TYPE_LEVEL_HIGH,
  IRQ_TYPE_LEVEL_LOW,
  IRQ_TYPE_NONE,
  type IrqChip,
  IRQCHIP_IMMUTABLE,
  IRQCHIP_MASK_ON_SUSPEND,
  type IrqData,
  type IrqDomain,
} from "../genirq/mod.ts";
import {
  BCM2835_FSEL_GPIO_IN,
  BCM2835_FSEL_GPIO_OUT,
  BCM2835_NUM_GPIOS,
  GPAFEN0,
  GPAREN0,
  GPCLR0,
  GPEDS0,
  GPFEN0,
  GPFSEL0,
  GPHEN0,
  GPLEN0,
  GPLEV0,
  GPREN0,
  GPSET0,
} from "./gpio.ts";
import {
  FLAG_IS_OUT,
  FLAG_USED_AS_IRQ,
  GPIO_LINE_DIRECTION_IN,
  GPIO_LINE_DIRECTION_OUT,
  type GpioChip,
  Gpiolib,
  PIN_CONFIG_INPUT_DEBOUNCE,
} from "./gpiolib.ts";

/** MODULE_NAME: the irq chip's name in /proc/interrupts. */
export const MODULE_NAME = "pinctrl-bcm2835";
/** BCM2835_NUM_IRQS: the bank interrupts the driver uses (gpio_int[3] is unused). */
export const BCM2835_NUM_IRQS = 3;

// include/linux/pinctrl/pinconf-generic.h (the params bcm2835_pinconf_set accepts)
export const PIN_CONFIG_BIAS_DISABLE = 1;
/** pinconf: pull the line down. */
export const PIN_CONFIG_BIAS_PULL_DOWN = 3;
/** pinconf: pull the line up. */
export const PIN_CONFIG_BIAS_PULL_UP = 5;
export const PIN_CONFIG_OUTPUT = 20;

const GPIO_REG_OFFSET = (p: number) => p >> 5;
const GPIO_REG_SHIFT = (p: number) => p & 31;

/** The driver's state (struct bcm2835_pinctrl). */
export class Bcm2835Pinctrl {
  readonly irqType = new Uint8Array(BCM2835_NUM_GPIOS);
  readonly enabledIrqMap = new Uint32Array(2);
  domain!: IrqDomain;
  readonly irqChip: IrqChip;
  readonly gpioChip: GpioChip;
  /** Linux IRQs of the bank parents, gpio_int[0..2]. */
  readonly parents: number[] = [];

  constructor(
    readonly kernel: Kernel,
    readonly arm: ArmArch,
    readonly base: number,
    readonly gpiolib: Gpiolib,
  ) {
    this.irqChip = {
      name: MODULE_NAME,
      flags: IRQCHIP_MASK_ON_SUSPEND | IRQCHIP_IMMUTABLE,
      irq_set_type: (d, type) => this.irqSetType(d, type),
      irq_ack: (d) => this.setBit(GPEDS0, d.hwirq),
      irq_mask: (d) => this.irqMask(d),
      irq_unmask: (d) => this.irqUnmask(d),
      // GPIOCHIP_IRQ_RESOURCE_HELPERS: gpiochip_reqres_irq / gpiochip_relres_irq
      irq_request_resources: (d) => this.reqres(d.hwirq),
      irq_release_resources: (d) => this.relres(d.hwirq),
    };
    this.gpioChip = {
      label: MODULE_NAME,
      base: 0,
      ngpio: BCM2835_NUM_GPIOS,
      get_direction: (offset) => {
        // bcm2835_gpio_get_direction(): alternative functions have no clear direction
        const fsel = this.fselGet(offset);
        if (fsel > BCM2835_FSEL_GPIO_OUT) return -EINVAL;
        return fsel === BCM2835_FSEL_GPIO_IN ? GPIO_LINE_DIRECTION_IN : GPIO_LINE_DIRECTION_OUT;
      },
      direction_input: (offset) => {
        this.fselSet(offset, BCM2835_FSEL_GPIO_IN);
        return 0;
      },
      direction_output: (offset, value) => {
        // bcm2835_gpio_direction_output(): value first, then the function
        this.setBit(value ? GPSET0 : GPCLR0, offset);
        this.fselSet(offset, BCM2835_FSEL_GPIO_OUT);
        return 0;
      },
      get: (offset) => {
        const v = readl(this.base + GPLEV0 + GPIO_REG_OFFSET(offset) * 4);
        return (v >>> GPIO_REG_SHIFT(offset)) & 1;
      },
      set: (offset, value) => {
        this.setBit(value ? GPSET0 : GPCLR0, offset);
      },
      set_config: (_offset, param, _arg) => {
        // gpiochip_generic_config -> bcm2835_pinconf_set(): bias and output only
        switch (param) {
          case PIN_CONFIG_BIAS_DISABLE:
          case PIN_CONFIG_BIAS_PULL_DOWN:
          case PIN_CONFIG_BIAS_PULL_UP:
          case PIN_CONFIG_OUTPUT:
            this.kernel.notImplemented("pinconf bias/output through set_config");
            return 0;
          case PIN_CONFIG_INPUT_DEBOUNCE:
          default:
            return -ENOTSUPP;
        }
      },
      to_irq: (offset) => {
        return this.toIrq(offset);
      },
    };
  }

  fselGet(pin: number): number {
    const a = this.base + GPFSEL0 + Math.floor(pin / 10) * 4;
    return (readl(a) >>> ((pin % 10) * 3)) & 7;
  }

  fselSet(pin: number, fsel: number): void {
    const a = this.base + GPFSEL0 + Math.floor(pin / 10) * 4;
    const shift = (pin % 10) * 3;
    const v = readl(a);
    writel((v & ~(7 << shift)) | (fsel << shift), a);
  }

  /** bcm2835_gpio_set_bit(): one bit of a per-bank register pair. */
  setBit(reg: number, pin: number): void {
    writel(1 << GPIO_REG_SHIFT(pin), this.base + reg + GPIO_REG_OFFSET(pin) * 4);
  }

  /** __bcm2835_gpio_irq_config(): read-modify-write one detect enable bit. */
  #irqConfigReg(reg: number, pin: number, enable: boolean): void {
    const a = this.base + reg + GPIO_REG_OFFSET(pin) * 4;
    const v = readl(a);
    const bit = 1 << GPIO_REG_SHIFT(pin);
    writel(enable ? v | bit : v & ~bit, a);
  }

  /** bcm2835_gpio_irq_config(): the detect enables of the line's type. */
  irqConfig(pin: number, enable: boolean): void {
    switch (this.irqType[pin]) {
      case IRQ_TYPE_EDGE_RISING:
        this.#irqConfigReg(GPREN0, pin, enable);
        break;
      case IRQ_TYPE_EDGE_FALLING:
        this.#irqConfigReg(GPFEN0, pin, enable);
        break;
      case IRQ_TYPE_EDGE_BOTH:
        this.#irqConfigReg(GPREN0, pin, enable);
        this.#irqConfigReg(GPFEN0, pin, enable);
        break;
      case IRQ_TYPE_LEVEL_HIGH:
        this.#irqConfigReg(GPHEN0, pin, enable);
        break;
      case IRQ_TYPE_LEVEL_LOW:
        this.#irqConfigReg(GPLEN0, pin, enable);
        break;
    }
  }

  /** bcm2835_gpio_irq_unmask() */
  irqUnmask(d: IrqData): void {
    const gpio = d.hwirq;
    this.enabledIrqMap[GPIO_REG_OFFSET(gpio)] |= 1 << GPIO_REG_SHIFT(gpio);
    this.irqConfig(gpio, true);
  }

  /** bcm2835_gpio_irq_mask(): also clears events latched before the sources were cleared. */
  irqMask(d: IrqData): void {
    const gpio = d.hwirq;
    this.irqConfig(gpio, false);
    this.setBit(GPEDS0, gpio);
    this.enabledIrqMap[GPIO_REG_OFFSET(gpio)] &= ~(1 << GPIO_REG_SHIFT(gpio));
  }

  /** bcm2835_gpio_irq_set_type() */
  irqSetType(d: IrqData, type: number): number {
    const gpio = d.hwirq;
    const enabled = (this.enabledIrqMap[GPIO_REG_OFFSET(gpio)] & (1 << GPIO_REG_SHIFT(gpio))) !== 0;
    const ret = enabled ? this.#setTypeEnabled(gpio, type) : this.#setTypeDisabled(gpio, type);
    // irq_set_handler_locked()
    d.desc.handle_irq = (type & IRQ_TYPE_EDGE_BOTH) ? handle_edge_irq : handle_level_irq;
    return ret;
  }

  #setTypeDisabled(gpio: number, type: number): number {
    switch (type) {
      case IRQ_TYPE_NONE:
      case IRQ_TYPE_EDGE_RISING:
      case IRQ_TYPE_EDGE_FALLING:
      case IRQ_TYPE_EDGE_BOTH:
      case IRQ_TYPE_LEVEL_HIGH:
      case IRQ_TYPE_LEVEL_LOW:
        this.irqType[gpio] = type;
        return 0;
    }
    return -EINVAL;
  }

  /** __bcm2835_gpio_irq_set_type_enabled(): the slower path for an enabled line. */
  #setTypeEnabled(gpio: number, type: number): number {
    const cur = this.irqType[gpio];
    switch (type) {
      case IRQ_TYPE_NONE:
        if (cur !== type) {
          this.irqConfig(gpio, false);
          this.irqType[gpio] = type;
        }
        return 0;
      case IRQ_TYPE_EDGE_RISING:
      case IRQ_TYPE_EDGE_FALLING:
        if (cur === IRQ_TYPE_EDGE_BOTH) {
          // the other edge is already on: turn off the one not wanted
          this.irqType[gpio] = type === IRQ_TYPE_EDGE_RISING
            ? IRQ_TYPE_EDGE_FALLING
            : IRQ_TYPE_EDGE_RISING;
          this.irqConfig(gpio, false);
          this.irqType[gpio] = type;
        } else if (cur !== type) {
          this.irqConfig(gpio, false);
          this.irqType[gpio] = type;
          this.irqConfig(gpio, true);
        }
        return 0;
      case IRQ_TYPE_EDGE_BOTH:
        if (cur === IRQ_TYPE_EDGE_RISING) {
          this.irqType[gpio] = IRQ_TYPE_EDGE_FALLING;
          this.irqConfig(gpio, true);
          this.irqType[gpio] = type;
        } else if (cur === IRQ_TYPE_EDGE_FALLING) {
          this.irqType[gpio] = IRQ_TYPE_EDGE_RISING;
          this.irqConfig(gpio, true);
          this.irqType[gpio] = type;
        } else if (cur !== type) {
          this.irqConfig(gpio, false);
          this.irqType[gpio] = type;
          this.irqConfig(gpio, true);
        }
        return 0;
      case IRQ_TYPE_LEVEL_HIGH:
      case IRQ_TYPE_LEVEL_LOW:
        if (cur !== type) {
          this.irqConfig(gpio, false);
          this.irqType[gpio] = type;
          this.irqConfig(gpio, true);
        }
        return 0;
    }
    return -EINVAL;
  }

  /** gpiochip_reqres_irq() -> gpiochip_lock_as_irq(): the line must be an input. */
  reqres(offset: number): number {
    const d = this.gpiolib.toDesc(this.gpioChip.base + offset);
    if (!d) return -EINVAL;
    // "Flush direction if something changed behind our back"
    const dir = this.gpioChip.get_direction(offset);
    if (dir < 0) {
      this.gpiolib.chipErr(this.gpioChip, "gpiochip_lock_as_irq: cannot get GPIO direction");
      this.gpiolib.chipErr(this.gpioChip, `unable to lock HW IRQ ${offset} for IRQ`);
      return dir;
    }
    if (dir === GPIO_LINE_DIRECTION_OUT) d.flags |= FLAG_IS_OUT;
    else d.flags &= ~FLAG_IS_OUT;
    if (d.flags & FLAG_IS_OUT) {
      this.gpiolib.chipErr(
        this.gpioChip,
        "gpiochip_lock_as_irq: tried to flag a GPIO set as output for IRQ",
      );
      this.gpiolib.chipErr(this.gpioChip, `unable to lock HW IRQ ${offset} for IRQ`);
      return -EIO;
    }
    d.flags |= FLAG_USED_AS_IRQ;
    return 0;
  }

  relres(offset: number): void {
    const d = this.gpiolib.toDesc(this.gpioChip.base + offset);
    if (d) d.flags &= ~FLAG_USED_AS_IRQ;
  }

  /** gpiochip_to_irq(): irq_create_mapping() with gpiochip_irq_map()'s chip and handler. */
  toIrq(offset: number): number {
    if (offset < 0 || offset >= BCM2835_NUM_GPIOS) return -EINVAL;
    const have = this.domain.findMapping(offset);
    if (have) return have;
    const irq = this.arm.irq_create_mapping(this.domain, offset, this.irqChip, handle_level_irq);
    this.arm.gi.irq_to_desc(irq)!.status |= IRQ_NOPROBE; // irq_set_noprobe()
    return irq;
  }

  /**
   * bcm2835_gpio_irq_handler(): the chained handler of bank parent `group`.
   * Interrupt context.
   */
  bankHandler(group: number, hostChip: IrqChip): ChainedHandler {
    // bcm2835_gpio_irq_handle_bank(): events of the group's pins that are enabled
    const bank = (s: Int32Array, i: number, b: number, mask: number) => {
      let events = readl(this.base + GPEDS0 + b * 4);
      events &= mask;
      events &= this.enabledIrqMap[b];
      s[i] = events | 0;
    };
    return {
      name: "bcm2835_gpio_irq_handler",
      enter: (_cpu, desc, s) => {
        // chained_irq_enter(): the ARMCTRL chip has no irq_eoi: mask (no irq_ack)
        if (desc) hostChip.irq_mask?.(desc.irq_data);
        // events per bank are read once, then each set bit handled in order
        s[0] = 0;
        s[1] = 0;
        switch (group) {
          case 0: // IRQ0 covers GPIOs 0-27
            bank(s, 0, 0, 0x0fffffff);
            break;
          case 1: // IRQ1 covers GPIOs 28-45
            bank(s, 0, 0, 0xf0000000);
            bank(s, 1, 1, 0x00003fff);
            break;
          case 2: // IRQ2 covers GPIOs 46-57
            bank(s, 1, 1, 0x003fc000);
            break;
        }
      },
      next: (_cpu, _desc, s) => {
        for (let b = 0; b < 2; b++) {
          while (s[b] !== 0) {
            const v = s[b] >>> 0;
            const offset = 31 - Math.clz32(v & -v);
            s[b] = (v & ~(1 << offset)) | 0;
            // generic_handle_domain_irq(): an unmapped GPIO is skipped (-EINVAL)
            const irq = this.domain.findMapping(b * 32 + offset);
            if (irq) return irq;
          }
        }
        return -1;
      },
      exit: (_cpu, desc) => {
        // chained_irq_exit(): unmask the parent
        if (desc) hostChip.irq_unmask?.(desc.irq_data);
      },
    };
  }
}

/**
 * bcm2835_pinctrl_probe(): quiet every detect enable and event, register the
 * gpio_chip with gpiolib, make the irq domain and chain the bank
 * interrupts. Runs at boot.
 */
export function bcm2835_pinctrl_probe(
  k: Kernel,
  arm: ArmArch,
  base: number,
  gpiolib: Gpiolib,
  armctrl: ArmctrlLinux,
  bankGpuIrqs: readonly number[],
): Bcm2835Pinctrl {
  const pc = new Bcm2835Pinctrl(k, arm, base, gpiolib);
  k.enter(() => {
    for (let i = 0; i < 2; i++) {
      // disable all detects and clear all the events
      for (const reg of [GPREN0, GPFEN0, GPHEN0, GPLEN0, GPAREN0, GPAFEN0]) {
        writel(0, base + reg + i * 4);
      }
      const events = readl(base + GPEDS0 + i * 4);
      writel(events, base + GPEDS0 + i * 4);
    }
    pc.domain = arm.irq_domain_add_linear(MODULE_NAME, pc.irqChip);
    gpiolib.add(pc.gpioChip);
    for (let i = 0; i < BCM2835_NUM_IRQS; i++) {
      const parent = armctrl.gpuIrq(bankGpuIrqs[i]);
      pc.parents.push(parent);
      arm.irq_set_chained_handler_and_data(parent, pc.bankHandler(i, armctrl.chip));
    }
  });
  return pc;
}

export { FLAG_IS_OUT, FLAG_USED_AS_IRQ };
