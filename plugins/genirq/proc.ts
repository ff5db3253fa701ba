/**
 * /proc/interrupts (kernel/irq/proc.c show_interrupts) and /proc/irq/N/*.
 *
 * @module
 */

import type { Kernel } from "../../core/kernel.ts";
import { IRQ_HIDDEN, IRQD_SETAFFINITY_PENDING } from "./constants.ts";
import { no_irq_chip } from "./desc.ts";
import type { GenIrq } from "./genirq.ts";

/** Width of the first column: 3, plus one per power of ten >= 1000 up to nr_irqs. */
export function interruptsPrec(nrIrqs: number): number {
  let prec = 3;
  for (let j = 1000; prec < 10 && j <= nrIrqs; j *= 10) prec++;
  return prec;
}

/** The text of /proc/interrupts. */
export function showInterrupts(gi: GenIrq, k: Kernel): string {
  const prec = interruptsPrec(gi.nr_irqs);
  const online = k.cpus.filter((c) => c.online).map((c) => c.id);
  const showLevel = k.config.arch !== "x86"; // CONFIG_GENERIC_IRQ_SHOW_LEVEL
  let out = " ".repeat(prec + 8) + online.map((c) => `CPU${String(c).padEnd(8)}`).join("") +
    "\n";
  for (let i = 0; i < gi.nr_irqs; i++) {
    const desc = gi.descs[i];
    if (!desc || (desc.status & IRQ_HIDDEN)) continue;
    let any = 0;
    for (const c of online) any |= desc.kstat_irqs[c];
    if ((!desc.action || desc.chained) && !any) continue;
    let row = `${String(i).padStart(prec)}: `;
    for (const c of online) row += `${String(desc.kstat_irqs[c]).padStart(10)} `;
    const d = desc.irq_data;
    if (d.chip.irq_print_chip) row += d.chip.irq_print_chip(d);
    else row += ` ${(d.chip.name || "-").padStart(8)}`;
    row += d.domain ? ` ${String(d.hwirq).padStart(prec)}` : ` ${"".padStart(prec)}`;
    if (showLevel) row += ` ${(d.isLevel() ? "Level" : "Edge").padEnd(8)}`;
    if (desc.name) row += `-${desc.name.padEnd(8)}`;
    const names = desc.actionNames();
    if (names.length) row += `  ${names.join(", ")}`;
    out += row + "\n";
  }
  if (gi.archShowInterrupts) out += gi.archShowInterrupts(prec);
  return out;
}

/** `%*pb`: hex cpumask with a comma every 32 bits. */
export function formatCpumask(cpus: readonly number[], nrCpus: number): string {
  const words = Math.max(1, Math.ceil(nrCpus / 32));
  const parts: string[] = [];
  for (let w = words - 1; w >= 0; w--) {
    let v = 0;
    for (const c of cpus) if (c >= w * 32 && c < (w + 1) * 32) v |= 1 << (c - w * 32);
    const bitsInWord = Math.min(32, nrCpus - w * 32);
    const digits = Math.ceil(bitsInWord / 4);
    parts.push((v >>> 0).toString(16).padStart(digits, "0"));
  }
  return parts.join(",");
}

/** `%*pbl`: CPU list with ranges (`0-3,5`). */
export function formatCpulist(cpus: readonly number[]): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    out.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

/**
 * Read a /proc/irq file (`smp_affinity`, `smp_affinity_list`,
 * `affinity_hint`, `effective_affinity[_list]`, `spurious`, `node`).
 *
 * /proc/irq/N exists for every desc with a real chip: init_irq_proc()
 * registers all existing descs at boot (register_irq_proc() skips only
 * no_irq_chip), and __setup_irq() registers later ones on request.
 */
export function readProcIrq(gi: GenIrq, k: Kernel, irq: number, file: string): string | undefined {
  const desc = gi.irq_to_desc(irq);
  if (!desc || (!desc.procCreated && desc.irq_data.chip === no_irq_chip)) return undefined;
  const n = k.cpus.length;
  const d = desc.irq_data;
  // show_irq_affinity(): with CONFIG_GENERIC_PENDING_IRQ (x86) a move not yet
  // made shows its pending mask
  const affinity = (d.state & IRQD_SETAFFINITY_PENDING) ? desc.pending_mask : d.affinity;
  switch (file) {
    case "smp_affinity":
      return formatCpumask(affinity, n) + "\n";
    case "smp_affinity_list":
      return formatCpulist(affinity) + "\n";
    case "affinity_hint":
      // irq_affinity_hint_proc_show(): the hint, or an empty mask when none is set
      return formatCpumask([], n) + "\n";
    case "effective_affinity":
      return formatCpumask(d.effective_affinity, n) + "\n";
    case "effective_affinity_list":
      return formatCpulist(d.effective_affinity) + "\n";
    case "node":
      return "0\n";
    case "spurious": {
      const ms = Math.floor(desc.last_unhandled * 1000 / k.config.hz);
      return `count ${desc.irq_count}\nunhandled ${desc.irqs_unhandled}\nlast_unhandled ${ms} ms\n`;
    }
  }
  return undefined;
}
