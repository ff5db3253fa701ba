/**
 * Device kind conformance (wiring checks): what every device kind must do so
 * that machine files can wire it and report faults with a location — pins
 * named `<device>.<pin>` and owned by the device, an options schema that has
 * defaults and refuses unknown keys, stimuli with argument schemas, a reset
 * that leaves the outputs as the device drives them.
 *
 * @example
 * ```ts
 * import { deviceConformance } from "./testing/mod.ts";
 * import { builtinPlugins } from "./mod.ts";
 * deviceConformance(builtinPlugins.devices(), { ata: { channel: "primary" } });
 * ```
 * @module
 */
import type { Kernel } from "../core/kernel.ts";
import { InputPin, OutputPin } from "../core/line.ts";
import type { DeviceKind, Plugin } from "../core/plugin.ts";
import { testKernel } from "../tests/helpers.ts";

/** The device kinds a plugin defines (runs its setup on a scratch kernel). */
export function deviceKinds(plugin: Plugin, kernel: Kernel = testKernel()): DeviceKind<unknown>[] {
  const kinds: DeviceKind<unknown>[] = [];
  plugin.setup({
    kernel,
    defineDevice(kind) {
      kinds.push(kind as DeviceKind<unknown>);
    },
  });
  return kinds;
}

/**
 * Register wiring checks as Deno tests for every device kind `plugin`
 * defines. `options` gives the options a kind needs when `{}` is not valid;
 * `prerequisites` are plugins set up first on the scratch kernel (services
 * the kinds need, e.g. genirq).
 */
export function deviceConformance(
  plugin: Plugin,
  options: Record<string, unknown> = {},
  prerequisites: Plugin[] = [],
): void {
  const fresh = () => {
    const k = testKernel();
    for (const p of prerequisites) deviceKinds(p, k);
    return k;
  };
  for (const kind of deviceKinds(plugin, fresh())) {
    const label = `${plugin.name} device conformance: ${kind.kind}`;
    Deno.test(`${label}: has a kind name and a description`, () => {
      ok(/^[a-z][a-z0-9_]*$/.test(kind.kind), `kind "${kind.kind}" is lower snake_case`);
      ok(kind.description.trim().length > 0, "description is not empty");
    });
    Deno.test(`${label}: options parse with defaults and refuse unknown keys`, () => {
      const base = (options[kind.kind] ?? {}) as Record<string, unknown>;
      const good = kind.options.safeParse(base);
      ok(good.success, `options ${JSON.stringify(base)} are valid: ${good.error?.message}`);
      const bad = kind.options.safeParse({ ...base, no_such_option_xyz: 1 });
      ok(!bad.success, "an unknown option key is an error (a typo must not pass silently)");
    });
    Deno.test(`${label}: pins are named <device>.<pin>, owned by the device, one direction each`, () => {
      const k = fresh();
      const parsed = kind.options.parse(options[kind.kind] ?? {});
      const dev = k.enter(() => kind.create("dut", parsed, k));
      eq(dev.name, "dut", "device name");
      eq(dev.kind, kind.kind, "device kind");
      for (const [key, pin] of dev.pins) {
        ok(/^[a-z][a-z0-9_]*$/.test(key), `pin key "${key}" is lower snake_case`);
        eq(pin.name, `dut.${key}`, "pin name");
        ok(pin instanceof InputPin || pin instanceof OutputPin, `${key} is an input or an output`);
        if (pin.owner !== undefined) eq(pin.owner, dev as unknown, `${key} owner`);
      }
    });
    Deno.test(`${label}: stimuli declare argument schemas`, () => {
      const k = fresh();
      const dev = k.enter(() =>
        kind.create("dut", kind.options.parse(options[kind.kind] ?? {}), k)
      );
      for (const [name, st] of Object.entries(dev.stimuli ?? {})) {
        ok(st.description.trim().length > 0, `stimulus ${name} has a description`);
        ok(typeof st.args.safeParse === "function", `stimulus ${name} has an argument schema`);
      }
    });
    Deno.test(`${label}: reset keeps the pins and their owners`, () => {
      const k = fresh();
      const dev = k.enter(() =>
        kind.create("dut", kind.options.parse(options[kind.kind] ?? {}), k)
      );
      const before = [...dev.pins.keys()];
      k.enter(() => dev.reset?.());
      eq([...dev.pins.keys()].join(","), before.join(","), "the same pins after reset");
    });
  }
}

function eq<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}

function ok(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}
