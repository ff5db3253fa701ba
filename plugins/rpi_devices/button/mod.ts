/**
 * A push button with contact bounce, between a GPIO pad and 3V3 (the
 * classic Pi experiment's wiring with the pad pulled down): output `out` is
 * high while the contacts touch. A press closes the contacts and then
 * bounces: `bounce_edges` times the contact opens and closes again, at
 * instants spread over `bounce_us` (drawn from the run's seeded PRNG, or
 * given exactly as `pattern_us`); a release opens them and bounces the same
 * way. So a press makes `bounce_edges` falling edges and a release
 * `1 + bounce_edges`.
 *
 * Stimuli: `press` (optionally `hold_ms`, then a release), `release`.
 *
 * @module
 */

import { z } from "zod";
import type { Kernel } from "../../../core/kernel.ts";
import { OutputPin, type Pin } from "../../../core/line.ts";
import type { Device, DeviceKind, StimulusKind } from "../../../core/plugin.ts";

/** Options of a `push_button`. */
export interface ButtonOptions {
  /** Bounces (open+close pairs) after each press or release. */
  bounce_edges: number;
  /** The window the bounces fall in, µs. */
  bounce_us: number;
  /** Explicit toggle offsets in µs after the first contact change (even count); overrides the PRNG. */
  pattern_us?: number[];
}

/** The option schema. */
export const buttonOptions: z.ZodType<ButtonOptions> = z.object({
  bounce_edges: z.number().int().min(0).max(1000).default(4).describe(
    "Contact bounces after each press or release (each an extra open+close).",
  ),
  bounce_us: z.number().positive().default(1000).describe("Window the bounces fall in, µs."),
  pattern_us: z.array(z.number().positive()).optional().describe(
    "Exact toggle offsets after the first change, µs, ascending, an even count (overrides bounce_edges).",
  ),
}).strict().check((ctx) => {
  const p = ctx.value.pattern_us;
  if (!p) return;
  if (p.length % 2) {
    ctx.issues.push({
      code: "custom",
      input: p,
      message: "pattern_us needs an even number of toggles (each bounce opens and closes again)",
      path: ["pattern_us"],
    });
  }
  for (let i = 1; i < p.length; i++) {
    if (p[i] <= p[i - 1]) {
      ctx.issues.push({
        code: "custom",
        input: p,
        message: `pattern_us must be ascending: ${p[i]} after ${p[i - 1]}`,
        path: ["pattern_us", i],
      });
      break;
    }
  }
}) as unknown as z.ZodType<ButtonOptions>;

/** Bounce of one press or release, overriding the device's options. */
export interface BounceArgs {
  bounce_edges?: number;
  bounce_us?: number;
  pattern_us?: number[];
}

/** Arguments of `press`. */
export interface PressArgs extends BounceArgs {
  /** Release after this many ms (omit: stay pressed). */
  hold_ms?: number;
}
const bounceShape = {
  bounce_edges: z.number().int().min(0).max(1000).optional().describe(
    "Bounces of this change (default: the device's).",
  ),
  bounce_us: z.number().positive().optional().describe("Their window, µs."),
  pattern_us: z.array(z.number().positive()).optional().describe(
    "Exact toggle offsets, µs, ascending, an even count.",
  ),
};
const pressArgs: z.ZodType<PressArgs> = z.object({
  hold_ms: z.number().positive().optional().describe("Release after this many ms."),
  ...bounceShape,
}).strict();
const releaseArgs: z.ZodType<BounceArgs> = z.object(bounceShape).strict();

/** The button. */
export class PushButton implements Device {
  readonly kind = "push_button";
  readonly out: OutputPin;
  readonly pins: ReadonlyMap<string, Pin>;
  readonly stimuli: Readonly<Record<string, StimulusKind<unknown>>>;
  /** Contact changes so far (for tests): [ns, closed]. */
  readonly history: [number, boolean][] = [];

  constructor(readonly kernel: Kernel, readonly name: string, readonly options: ButtonOptions) {
    this.out = new OutputPin(`${name}.out`, this);
    this.pins = new Map<string, Pin>([["out", this.out]]);
    this.stimuli = {
      press: {
        description: "close the contacts (with bounce); release after hold_ms if given",
        args: pressArgs,
        apply: (a: PressArgs, at: number) => {
          this.change(true, at, a);
          if (a.hold_ms !== undefined) this.change(false, at + Math.round(a.hold_ms * 1e6), a);
        },
      } satisfies StimulusKind<PressArgs>,
      release: {
        description: "open the contacts (with bounce)",
        args: releaseArgs,
        apply: (a: BounceArgs, at: number) => this.change(false, at, a),
      } satisfies StimulusKind<BounceArgs>,
    };
  }

  /** Toggle offsets (ns) after the first change: the pattern, or 2·bounce_edges PRNG draws. */
  bounceOffsets(b: BounceArgs = {}): number[] {
    const o = { ...this.options, ...b };
    if (b.pattern_us === undefined && b.bounce_edges !== undefined) delete o.pattern_us;
    if (o.pattern_us) {
      if (o.pattern_us.length % 2) {
        this.kernel.notImplemented(
          `${this.name}: an odd bounce pattern (it would end in the wrong state)`,
        );
      }
      return o.pattern_us.map((us) => Math.round(us * 1000));
    }
    const n = 2 * o.bounce_edges;
    const span = Math.round(o.bounce_us * 1000);
    const t: number[] = [];
    for (let i = 0; i < n; i++) t.push(1 + this.kernel.random.int(span));
    t.sort((a, b) => a - b);
    // distinct instants: a toggle pair at one instant would be no edge at all
    for (let i = 1; i < n; i++) if (t[i] <= t[i - 1]) t[i] = t[i - 1] + 1;
    return t;
  }

  /** Schedule a press (closed = true) or release at `at` ns, with its bounce. */
  change(closed: boolean, at: number, bounce: BounceArgs = {}): void {
    const k = this.kernel;
    const set = (level: boolean) => {
      this.history.push([k.now, level]);
      this.out.set(level);
    };
    k.clock.schedule(at, () => {
      set(closed);
      let level = closed;
      for (const off of this.bounceOffsets(bounce)) {
        level = !level;
        const l = level;
        k.clock.schedule(k.now + off, () => set(l));
      }
    });
  }
}

/** Device kind `push_button`. */
export const buttonKind: DeviceKind<ButtonOptions> = {
  kind: "push_button",
  description: "push button with contact bounce, high while pressed (to 3V3)",
  options: buttonOptions,
  create: (name, options, kernel) => new PushButton(kernel, name, options),
};
