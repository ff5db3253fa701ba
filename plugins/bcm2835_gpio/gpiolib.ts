/**
 * The legacy integer GPIO API of Linux 6.1 (include/linux/gpio.h,
 * drivers/gpio/gpiolib.c, gpiolib-legacy.c) over the GPIO chips a plugin
 * registers: `gpio_is_valid`, `gpio_request`, `gpio_free`,
 * `gpio_direction_input`, `gpio_direction_output`, `gpio_get_value`,
 * `gpio_set_value`, `gpio_set_debounce`, `gpio_to_irq`, with the kernel's
 * return values.
 *
 * @example
 * ```ts
 * if (!gpio_is_valid(15)) return -ENODEV;
 * if (gpio_request(15, "my_button")) return -EINVAL;
 * gpio_direction_input(15);
 * const irq = gpio_to_irq(15);
 * ```
 * @module
 */

import { type ServiceKey, serviceKey } from "../../core/bus.ts";
import { type Kernel, kernel } from "../../core/kernel.ts";
import { EBUSY, EINVAL, ENOTSUPP } from "../genirq/mod.ts";

/** ARCH_NR_GPIOS of a 6.1 kernel (asm-generic/gpio.h): legacy numbers are below it. */
export const ARCH_NR_GPIOS = 512;
/** -EPROBE_DEFER: a valid number whose chip is not (yet) there. */
export const EPROBE_DEFER = 517;
/** ENXIO */
export const ENXIO = 6;

/** GPIO_LINE_DIRECTION_IN / _OUT (include/linux/gpio/driver.h). */
export const GPIO_LINE_DIRECTION_IN = 1;
/** get_direction(): the line is an output. */
export const GPIO_LINE_DIRECTION_OUT = 0;

/** PIN_CONFIG_INPUT_DEBOUNCE (include/linux/pinctrl/pinconf-generic.h). */
export const PIN_CONFIG_INPUT_DEBOUNCE = 10;

/** struct gpio_chip, the operations gpiolib calls. Offsets are chip-relative. */
export interface GpioChip {
  /** Chip label (gpiochip sysfs `label`); for a descriptor, the requester's label. */
  readonly label: string;
  /** First legacy number (gpiochip base). */
  readonly base: number;
  /** Number of lines. */
  readonly ngpio: number;
  /** GPIO_LINE_DIRECTION_IN/_OUT or a negative errno. */
  get_direction(offset: number): number;
  /** Make the line an input; 0 or a negative errno. */
  direction_input(offset: number): number;
  /** Make the line an output driving `value`; 0 or a negative errno. */
  direction_output(offset: number, value: number): number;
  /** The line's level (0 or 1). */
  get(offset: number): number;
  /** Drive an output line. */
  set(offset: number, value: number): void;
  /** gc->set_config(): 0 or a negative errno. */
  set_config(offset: number, param: number, arg: number): number;
  /** gc->to_irq(): the Linux IRQ, or a negative errno. */
  to_irq(offset: number): number;
  /** gpiochip_lock_as_irq() / unlock: called by the irq chip's request/release resources. */
  lock_as_irq?(offset: number): number;
  /** Undo lock_as_irq. */
  unlock_as_irq?(offset: number): void;
}

/** struct gpio_desc flags used here. */
export const FLAG_REQUESTED = 1 << 0;
/** The line is an output. */
export const FLAG_IS_OUT = 1 << 1;
export const FLAG_USED_AS_IRQ = 1 << 9;

/** A line's descriptor. */
export interface GpioDesc {
  /** The chip of the line. */
  chip: GpioChip;
  /** Offset in the chip. */
  offset: number;
  /** FLAG_* bits. */
  flags: number;
  /** Chip label (gpiochip sysfs `label`); for a descriptor, the requester's label. */
  label: string | undefined;
}

/** gpiolib's state: the chips and their descriptors. */
export class Gpiolib {
  /** Registered chips, in order (gpiochip0, gpiochip1...). */
  readonly chips: GpioChip[] = [];
  /** Descriptors by legacy GPIO number. */
  readonly descs = new Map<number, GpioDesc>();

  /** Create a Gpiolib. */
  constructor(readonly kernel: Kernel) {}

  /** gpiochip_add_data(): register a chip's lines. */
  add(chip: GpioChip): void {
    this.chips.push(chip);
    for (let i = 0; i < chip.ngpio; i++) {
      this.descs.set(chip.base + i, { chip, offset: i, flags: 0, label: undefined });
    }
  }

  /** gpio_to_desc() */
  toDesc(gpio: number): GpioDesc | undefined {
    return this.descs.get(gpio);
  }

  /** chip_err(): `gpio gpiochipN: (label): message` */
  chipErr(chip: GpioChip, msg: string): void {
    this.kernel.printk(3, `gpio gpiochip${this.chips.indexOf(chip)}: (${chip.label}): ${msg}`);
  }
}

/** Service key of gpiolib. */
export const GpiolibKey: ServiceKey<Gpiolib> = serviceKey<Gpiolib>("gpiolib");

function lib(): Gpiolib {
  return kernel().bus.get(GpiolibKey);
}

/** gpio_is_valid(number): 0 <= number < ARCH_NR_GPIOS (6.1 asm-generic/gpio.h). */
export function gpio_is_valid(number: number): boolean {
  return Number.isInteger(number) && number >= 0 && number < ARCH_NR_GPIOS;
}

/**
 * gpio_request(gpio, label): 0; -EPROBE_DEFER for a valid number no chip
 * has; -EBUSY when already requested. A number past ARCH_NR_GPIOS has no
 * descriptor and gpiod_request(NULL) answers 0: VALIDATE_DESC() lets a NULL
 * descriptor through as an optional GPIO (drivers/gpio/gpiolib.c
 * validate_desc()), so the kernel itself reports success.
 */
export function gpio_request(gpio: number, label: string): number {
  const d = lib().toDesc(gpio);
  // "Compatibility: assume unavailable "valid" GPIOs will appear later"
  if (!d) return gpio_is_valid(gpio) ? -EPROBE_DEFER : 0;
  if (d.flags & FLAG_REQUESTED) return -EBUSY;
  d.flags |= FLAG_REQUESTED;
  d.label = label;
  // Flush the direction (gpiod_request_commit -> gpiod_get_direction)
  const dir = d.chip.get_direction(d.offset);
  if (dir === GPIO_LINE_DIRECTION_OUT) d.flags |= FLAG_IS_OUT;
  else if (dir === GPIO_LINE_DIRECTION_IN) d.flags &= ~FLAG_IS_OUT;
  return 0;
}

/** gpio_free(gpio): release a requested line (silently nothing otherwise, as without extra_checks). */
export function gpio_free(gpio: number): void {
  const d = lib().toDesc(gpio);
  if (!d || !(d.flags & FLAG_REQUESTED)) return;
  d.flags &= ~(FLAG_REQUESTED | FLAG_USED_AS_IRQ);
  d.label = undefined;
}

/** gpio_direction_input(gpio): 0 or a negative errno (0 for no descriptor: VALIDATE_DESC). */
export function gpio_direction_input(gpio: number): number {
  const d = lib().toDesc(gpio);
  if (!d) return 0; // VALIDATE_DESC: a NULL descriptor is an optional GPIO
  const r = d.chip.direction_input(d.offset);
  if (r === 0) d.flags &= ~FLAG_IS_OUT;
  return r;
}

/**
 * gpio_direction_output(gpio, value) -> gpiod_direction_output_raw(): the
 * chip's answer. Unlike gpiod_direction_output(), the raw variant the
 * legacy API uses does not refuse a line used as an IRQ: the pad simply
 * becomes an output (include/linux/gpio.h, 6.1).
 */
export function gpio_direction_output(gpio: number, value: number): number {
  const d = lib().toDesc(gpio);
  if (!d) return 0; // VALIDATE_DESC
  const r = d.chip.direction_output(d.offset, value ? 1 : 0);
  if (r === 0) d.flags |= FLAG_IS_OUT;
  return r;
}

/** gpio_get_value(gpio): the line level, 0 or 1. */
export function gpio_get_value(gpio: number): number {
  const d = lib().toDesc(gpio);
  return d ? d.chip.get(d.offset) : 0;
}

/** gpio_set_value(gpio, value) */
export function gpio_set_value(gpio: number, value: number): void {
  const d = lib().toDesc(gpio);
  if (d) d.chip.set(d.offset, value ? 1 : 0);
}

/**
 * gpio_set_debounce(gpio, debounce_us) -> gpiod_set_config(desc,
 * PIN_CONFIG_INPUT_DEBOUNCE): the chip's set_config answer (on a BCM2835,
 * -ENOTSUPP = -524: its pinconf knows only bias and output).
 */
export function gpio_set_debounce(gpio: number, debounce: number): number {
  const d = lib().toDesc(gpio);
  if (!d) return 0; // VALIDATE_DESC
  return d.chip.set_config(d.offset, PIN_CONFIG_INPUT_DEBOUNCE, debounce);
}

/** gpio_to_irq(gpio): the Linux IRQ (mapping it on first use), or -EINVAL without a descriptor. */
export function gpio_to_irq(gpio: number): number {
  const d = lib().toDesc(gpio);
  if (!d) return -EINVAL;
  return d.chip.to_irq(d.offset);
}

export { ENOTSUPP };
