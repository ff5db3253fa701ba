/**
 * One stimulus applied to a running machine, resolved the way a scenario's
 * `stimuli:` entries are (role → device → the device's named action, its
 * arguments checked against the action's schema), for callers that inject
 * while the machine runs (the status server's POST /api/inject).
 *
 * @example
 * ```ts
 * const r = applyStimulus(kernel, { role: "keyboard", action: "type", args: { text: "a" } });
 * if (!r.ok) console.error(r.error);
 * ```
 * @module
 */

import type { Kernel } from "../core/kernel.ts";
import type { Device } from "../core/plugin.ts";

/** A stimulus request: a role (or a device name), an action and its arguments. */
export interface StimulusRequest {
  role?: string;
  device?: string;
  action: string;
  args?: unknown;
  /** Delay from now, ns (default 0). */
  delayNs?: number;
}

/** The outcome: applied at a simulated time, or why not. */
export type StimulusResult =
  | { ok: true; device: string; at: number }
  | { ok: false; error: string };

/** Resolve and apply one stimulus at `kernel.now + delayNs`. */
export function applyStimulus(k: Kernel, req: StimulusRequest): StimulusResult {
  let dev: Device | undefined;
  if (req.role !== undefined) {
    dev = k.roleDevice(req.role);
    if (!dev) {
      return {
        ok: false,
        error: `no device is bound to role "${req.role}"; roles: ${
          [...k.roles.keys()].sort().join(", ") || "(none)"
        }`,
      };
    }
  } else if (req.device !== undefined) {
    dev = k.devices.get(req.device);
    if (!dev) {
      return {
        ok: false,
        error: `no device "${req.device}"; devices: ${[...k.devices.keys()].sort().join(", ")}`,
      };
    }
  } else return { ok: false, error: 'give "role" (or "device")' };
  const actions = Object.keys(dev.stimuli ?? {}).sort();
  const kind = dev.stimuli?.[req.action];
  if (!kind) {
    return {
      ok: false,
      error: `device "${dev.name}" (${dev.kind}) has no action "${req.action}"; ${
        actions.length ? `actions: ${actions.join(", ")}` : "it takes no stimuli"
      }`,
    };
  }
  const parsed = kind.args.safeParse(req.args ?? {});
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) =>
      `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`
    ).join("; ");
    return { ok: false, error: `bad args for ${dev.name} ${req.action}: ${why}` };
  }
  const delay = req.delayNs ?? 0;
  if (!Number.isInteger(delay) || delay < 0) {
    return { ok: false, error: `delay must be a non-negative integer of ns, got ${delay}` };
  }
  const at = k.now + delay;
  k.enter(() => kind.apply(parsed.data, at));
  return { ok: true, device: dev.name, at };
}
