/**
 * Spin-waits of the timer API (del_timer_sync, hrtimer_cancel): the
 * kernel's `cpu_relax()` loop as a sub-body that polls every `spinNs`.
 *
 * A generator body yields the token and gets the wait's result as the
 * yield's value. A plain function cannot yield: the token was also
 * registered with `noteCall`, so the executor runs the wait right after the
 * function's step, and the function's own result (`cpu.retval`, e.g. a
 * handler's irqreturn_t) is kept.
 *
 * @module
 */

import { noteCall } from "../../linux/api.ts";
import { type Body, type CallToken, DONE } from "../../core/body.ts";
import type { Cpu } from "../../core/cpu.ts";

/** A spinning wait; `poll` answers the result (>= 0) or -1 to spin on. */
export class SpinWait implements Body {
  /** Set when a generator yielded the token (its result is then the yield's value). */
  yielded = false;
  #started = false;
  #saved = 0;
  constructor(
    readonly label: string,
    readonly poll: (cpu: Cpu) => number,
    readonly spinNs: number,
  ) {}

  step(cpu: Cpu): number {
    if (!this.#started) {
      this.#started = true;
      this.#saved = cpu.retval;
    }
    const r = this.poll(cpu);
    if (r < 0) return this.spinNs;
    cpu.retval = this.yielded ? r : this.#saved;
    return DONE;
  }
}

/**
 * The call token of a wait, registered for plain callers too. Only a
 * generator yielding the token reads its `body` (GeneratorBody), which
 * marks the wait as yielded.
 */
export function waitToken(w: SpinWait): CallToken {
  noteCall(w);
  return {
    kind: "call",
    get body(): Body {
      w.yielded = true;
      return w;
    },
  };
}
