/**
 * IRQ wires: opaque pins wired from outside (the cascade is configuration,
 * not code). An output pin drives one or more wires; an input pin has one
 * driver, or several when it is declared `shared` (a wired-OR line such as a
 * shared PCI INTx net). Levels propagate synchronously and only on change.
 *
 * @example
 * ```ts
 * const out = new OutputPin("pic_slave.int");
 * const seen: boolean[] = [];
 * const inp = new InputPin("pic_master.ir2", (level) => seen.push(level));
 * connect(out, inp);
 * out.set(true); out.set(true); out.set(false);
 * // seen == [true, false]: the repeated level did not propagate
 * ```
 * @module
 */

/** Raised when a wire cannot be connected. */
export class WireError extends Error {
  /** Error name. */
  override name = "WireError";
}

/** A pin that drives wires. */
export class OutputPin {
  /** Current electrical level (true = high / asserted). */
  level = false;
  /** Inputs this pin drives. */
  readonly targets: InputPin[] = [];

  /**
   * @param name full name, `<device>.<pin>`
   * @param owner the device that owns the pin (lets a master PIC find its slave)
   */
  /** Create a OutputPin. */
  constructor(readonly name: string, readonly owner?: unknown) {}

  /** Drive a new level. No-op when unchanged. */
  set(level: boolean): void {
    if (level === this.level) return;
    this.level = level;
    const t = this.targets;
    for (let i = 0; i < t.length; i++) t[i].driverChanged(level);
  }

  /** Drive high then low at once (a pulse: an edge for edge-triggered inputs). */
  pulse(): void {
    this.set(true);
    this.set(false);
  }
}

/** A pin driven by wires. */
export class InputPin {
  /** Current level seen by the receiver. */
  level = false;
  /** Drivers connected to this input. */
  readonly drivers: OutputPin[] = [];
  #high = 0;

  /**
   * @param name full name, `<device>.<pin>`
   * @param onChange called synchronously with the new level when it changes
   * @param shared allow several drivers, combined as wired-OR
   * @param owner the device that owns the pin
   */
  /** Create a InputPin. */
  constructor(
    readonly name: string,
    public onChange: (level: boolean) => void = () => {},
    readonly shared = false,
    readonly owner?: unknown,
  ) {}

  /** Called by a driver when its level changes. */
  driverChanged(driverLevel: boolean): void {
    this.#high += driverLevel ? 1 : -1;
    const level = this.#high > 0;
    if (level === this.level) return;
    this.level = level;
    this.onChange(level);
  }
}

/** Either kind of pin. */
export type Pin = OutputPin | InputPin;

/**
 * Connect `from` to `to`, checked: the input must not already have a driver
 * unless it is shared, and the same wire may not be made twice. The input
 * takes the driver's current level at once.
 */
export function connect(from: OutputPin, to: InputPin): void {
  if (to.drivers.includes(from)) {
    throw new WireError(`Cannot connect ${from.name} -> ${to.name}: the wire already exists`);
  }
  if (to.drivers.length > 0 && !to.shared) {
    throw new WireError(
      `Cannot connect ${from.name} -> ${to.name}: ${to.name} is already driven by ${
        to.drivers[0].name
      } and is not a shared line`,
    );
  }
  to.drivers.push(from);
  from.targets.push(to);
  if (from.level) to.driverChanged(true);
}
