/**
 * Spurious / unhandled interrupt detection (kernel/irq/spurious.c).
 * Runs in interrupt context after each dispatch.
 *
 * @module
 */

import {
  IRQ_HANDLED,
  IRQ_IS_POLLED,
  IRQ_NO_DEBUG,
  IRQ_NONE,
  IRQ_WAKE_THREAD,
  IRQS_POLL_INPROGRESS,
  IRQS_SPURIOUS_DISABLED,
} from "./constants.ts";
import type { IrqDesc } from "./desc.ts";
import type { GenIrq } from "./genirq.ts";

/** Bit 31 of threads_handled_last marks a deferred verdict (SPURIOUS_DEFERRED). */
const SPURIOUS_DEFERRED = 0x80000000;
/** Interrupts counted before the verdict (spurious.c: 100000). */
export const SPURIOUS_WINDOW = 100000;
/** More unhandled than this in a window disables the line (spurious.c: 99900). */
export const SPURIOUS_THRESHOLD = 99900;

/** A deterministic stand-in for a hashed kernel pointer of a function. */
export function hashedPointer(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return "00000000" + h.toString(16).padStart(8, "0");
}

function fnName(f: unknown): string {
  return (typeof f === "function" && f.name) ? f.name : "0x0";
}

/** bad_action_ret(): `(unsigned int)ret > IRQ_HANDLED | IRQ_WAKE_THREAD`. */
function badActionRet(ret: number): boolean {
  return (ret >>> 0) > (IRQ_HANDLED | IRQ_WAKE_THREAD);
}

/** __report_bad_irq(): the report with the list of handlers. */
function reportBadIrq(gi: GenIrq, desc: IrqDesc, ret: number): void {
  const k = gi.kernel;
  if (badActionRet(ret)) {
    // %x of the irqreturn_t: a negative value prints as its unsigned 32-bit hex
    k.printk(3, `irq event ${desc.irq}: bogus return value ${(ret >>> 0).toString(16)}`);
  } else {
    k.printk(3, `irq ${desc.irq}: nobody cared (try booting with the "irqpoll" option)`);
  }
  gi.dumpStack(["__report_bad_irq", "note_interrupt", "handle_irq_event", desc.handle_irq.name]);
  k.printk(3, "handlers:");
  for (let a = desc.action; a; a = a.next) {
    let line = `[<${hashedPointer(fnName(a.handler))}>] ${fnName(a.handler)}`;
    if (a.thread_fn) {
      line += ` threaded [<${hashedPointer(fnName(a.thread_fn))}>] ${fnName(a.thread_fn)}`;
    }
    k.printk(3, line);
  }
}

/** note_interrupt(desc, action_ret). */
export function note_interrupt(gi: GenIrq, desc: IrqDesc, action_ret: number): void {
  // handle_irq_event_percpu(): `if (!irq_settings_no_debug(desc)) note_interrupt()`
  // (__setup_irq sets IRQ_NO_DEBUG on every requested irq under noirqdebug)
  if (gi.noirqdebug || (desc.status & IRQ_NO_DEBUG)) return;
  if ((desc.istate & IRQS_POLL_INPROGRESS) || (desc.status & IRQ_IS_POLLED)) return;
  if (badActionRet(action_ret)) {
    if (gi.badIrqReports > 0) {
      gi.badIrqReports--;
      reportBadIrq(gi, desc, action_ret);
    }
    return;
  }
  // Deferred accounting of threaded handlers: a plain WAKE_THREAD is judged
  // at the next interrupt by whether the thread handled something since.
  if (action_ret & IRQ_WAKE_THREAD) {
    if (action_ret === IRQ_WAKE_THREAD) {
      if (!(desc.threads_handled_last & SPURIOUS_DEFERRED)) {
        desc.threads_handled_last |= SPURIOUS_DEFERRED;
        return;
      }
      const handled = desc.threads_handled | SPURIOUS_DEFERRED;
      if (handled !== desc.threads_handled_last) {
        action_ret = IRQ_HANDLED;
        desc.threads_handled_last = handled;
      } else {
        action_ret = IRQ_NONE;
      }
    } else {
      desc.threads_handled_last &= ~SPURIOUS_DEFERRED;
    }
  }
  if (action_ret === IRQ_NONE) {
    const hz = gi.kernel.config.hz;
    const j = gi.kernel.jiffies;
    // time_after(jiffies, desc->last_unhandled + HZ/10)
    if (j > desc.last_unhandled + Math.floor(hz / 10)) desc.irqs_unhandled = 1;
    else desc.irqs_unhandled++;
    desc.last_unhandled = j;
  }
  // Only lines that saw an unhandled interrupt are counted: commit
  // 7c07012eb1be "genirq: Reduce irqdebug cacheline bouncing" (v5.13), so
  // the 100000-interrupt window starts with the first unhandled one.
  if (!desc.irqs_unhandled) return;
  // Now getting into unhandled irq detection
  desc.irq_count++;
  if (desc.irq_count < SPURIOUS_WINDOW) return;
  desc.irq_count = 0;
  if (desc.irqs_unhandled > SPURIOUS_THRESHOLD) {
    reportBadIrq(gi, desc, action_ret);
    gi.kernel.printk(0, `Disabling IRQ #${desc.irq}`);
    desc.istate |= IRQS_SPURIOUS_DISABLED;
    desc.depth++;
    gi.irq_disable(desc);
    gi.armSpuriousPoll();
  }
  desc.irqs_unhandled = 0;
}
