/**
 * IRQ affinity from user space and from the core: the cpumask parsers of
 * `/proc/irq/N/smp_affinity[_list]` and `/proc/irq/default_smp_affinity`
 * (lib/bitmap.c `bitmap_parse`, `bitmap_parselist`), `write_irq_affinity()`
 * and `default_affinity_write()` (kernel/irq/proc.c), and the setters
 * `irq_set_affinity()`, `irq_do_set_affinity()`, `irq_setup_affinity()`
 * (kernel/irq/manage.c) and the deferred move `irq_move_irq()`
 * (kernel/irq/migration.c), all as Linux 6.1 has them.
 *
 * CPUs are online from boot to the end of a run (no hotplug is modelled), so
 * `cpu_online_mask` is every CPU of the machine. `nr_cpumask_bits` is the CPU
 * count, as with CONFIG_CPUMASK_OFFSTACK (x86 distribution kernels, nr_cpu_ids)
 * and on a Pi (NR_CPUS = 4): writing `ff` on a 4-CPU machine is -EOVERFLOW.
 *
 * @module
 */
import type { Kernel } from "../../core/kernel.ts";
import {
  EINVAL,
  EIO,
  IRQ_SET_MASK_OK,
  IRQ_SET_MASK_OK_DONE,
  IRQ_SET_MASK_OK_NOCOPY,
  IRQD_AFFINITY_MANAGED,
  IRQD_AFFINITY_SET,
  IRQD_MOVE_PCNTXT,
  IRQD_NO_BALANCING,
  IRQD_PER_CPU,
  IRQD_SETAFFINITY_PENDING,
} from "./constants.ts";
import type { IrqData, IrqDesc } from "./desc.ts";
import type { GenIrq } from "./genirq.ts";

/** -EOVERFLOW (include/uapi/asm-generic/errno.h): "Value too large for defined data type". */
export const EOVERFLOW = 75;
/** -ERANGE (errno-base.h): "Numerical result out of range". */
export const ERANGE = 34;

/** A parsed mask (sorted CPU ids) or a negative errno. */
export type ParsedMask = number[] | number;

/**
 * bitmap_parse() (lib/bitmap.c) as cpumask_parse_user() calls it: comma
 * separated 32-bit hex words, most significant first, up to the first
 * newline. A word of more than 8 digits or bits beyond `nbits` is
 * -EOVERFLOW, a non-hex character -EINVAL.
 */
export function parseCpumask(text: string, nbits: number): ParsedMask {
  const nl = text.indexOf("\n");
  const s = nl >= 0 ? text.slice(0, nl) : text;
  // bitmap_find_region_reverse() skips separators (white space and commas)
  const words = s.split(/[\s,]+/).filter((w) => w !== "").reverse();
  const maxWords = Math.ceil(nbits / 32);
  const cpus: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (!/^[0-9a-fA-F]+$/.test(w)) return -EINVAL;
    if (w.length > 8) return -EOVERFLOW;
    if (i >= maxWords) return -EOVERFLOW;
    const v = parseInt(w, 16);
    for (let b = 0; b < 32; b++) {
      if (v & (2 ** b)) {
        const cpu = i * 32 + b;
        if (cpu >= nbits) return -EOVERFLOW;
        cpus.push(cpu);
      }
    }
  }
  return cpus.sort((a, b) => a - b);
}

/**
 * bitmap_parselist() (lib/bitmap.c) as cpulist_parse() calls it: `0-3,5`,
 * `0-15:2/4` (used/group), `N` for the last CPU. A bit at or beyond `nbits`
 * is -ERANGE, bad syntax -EINVAL.
 */
export function parseCpulist(text: string, nbits: number): ParsedMask {
  const nl = text.indexOf("\n");
  const s = (nl >= 0 ? text.slice(0, nl) : text).trim();
  const set = new Set<number>();
  if (s === "") return [];
  const num = (t: string): number => (t === "N" ? nbits - 1 : /^\d+$/.test(t) ? Number(t) : NaN);
  for (const region of s.split(",")) {
    const m = /^\s*([0-9]+|N)(?:-([0-9]+|N)(?::(\d+)\/(\d+))?)?\s*$/.exec(region);
    if (!m) return -EINVAL;
    const start = num(m[1]);
    const end = m[2] !== undefined ? num(m[2]) : start;
    const used = m[3] !== undefined ? Number(m[3]) : 1;
    const group = m[4] !== undefined ? Number(m[4]) : 1;
    if (start > end || used === 0 || used > group) return -EINVAL;
    if (end >= nbits) return -ERANGE;
    for (let c = start; c <= end; c++) if ((c - start) % group < used) set.add(c);
  }
  return [...set].sort((a, b) => a - b);
}

/** irqd_can_balance(): neither per-CPU nor IRQF_NOBALANCING. */
export function irqdCanBalance(d: IrqData): boolean {
  return (d.state & (IRQD_PER_CPU | IRQD_NO_BALANCING)) === 0;
}

/** irq_can_set_affinity(): a desc whose chip can move it and that may be balanced. */
export function canSetAffinity(desc: IrqDesc | undefined): boolean {
  if (!desc) return false;
  const d = desc.irq_data;
  return irqdCanBalance(d) && d.chip.irq_set_affinity !== undefined;
}

/** irq_can_set_affinity_usr(): and not a managed interrupt. */
export function canSetAffinityUsr(desc: IrqDesc | undefined): boolean {
  return canSetAffinity(desc) && (desc!.irq_data.state & IRQD_AFFINITY_MANAGED) === 0;
}

function online(k: Kernel): number[] {
  return k.cpus.map((c) => c.id);
}

/**
 * irq_do_set_affinity(): hand the chip the online part of `mask` (all of
 * it when forced), copy `mask` into the affinity on IRQ_SET_MASK_OK(_DONE)
 * and let the threads follow. Returns 0 or a negative errno.
 */
export function doSetAffinity(
  gi: GenIrq,
  d: IrqData,
  mask: readonly number[],
  force: boolean,
): number {
  const chip = d.chip;
  if (!chip.irq_set_affinity) return -EINVAL;
  const on = online(gi.kernel);
  const tmp = mask.filter((c) => on.includes(c));
  let ret: number;
  if (!force && tmp.length > 0) ret = chip.irq_set_affinity(d, tmp, force);
  else if (force) ret = chip.irq_set_affinity(d, [...mask], force);
  else ret = -EINVAL;
  switch (ret) {
    case IRQ_SET_MASK_OK:
    case IRQ_SET_MASK_OK_DONE:
      d.affinity = [...mask].sort((a, b) => a - b);
    // falls through
    case IRQ_SET_MASK_OK_NOCOPY:
      setThreadAffinity(gi, d.desc);
      ret = 0;
  }
  return ret;
}

/**
 * irq_set_thread_affinity() + irq_thread_check_affinity(): each irq thread
 * of the desc moves to the effective affinity (the affinity when the chip
 * keeps no effective mask). The kernel flags the thread and it moves itself
 * when it next runs; the handler runs on the new CPUs either way.
 */
export function setThreadAffinity(gi: GenIrq, desc: IrqDesc): void {
  const d = desc.irq_data;
  const mask = d.effective_affinity.length ? d.effective_affinity : d.affinity;
  for (let a = desc.action; a; a = a.next) {
    for (const t of [a.thread, a.secondary?.thread]) {
      if (t && t.state !== "X") gi.kernel.sched.setCpusAllowed(t, mask);
    }
  }
}

/**
 * irq_set_affinity() → irq_set_affinity_locked(): move now when the chip
 * can do so from process context (IRQD_MOVE_PCNTXT) and no move is pending,
 * else record the mask and set IRQD_SETAFFINITY_PENDING for the next
 * interrupt (x86 IO-APIC without interrupt remapping: irq_move_irq() from the
 * ack). Returns 0 or a negative errno.
 */
export function setAffinity(gi: GenIrq, irq: number, mask: readonly number[]): number {
  const desc = gi.irq_to_desc(irq);
  if (!desc) return -EINVAL;
  const d = desc.irq_data;
  if (!d.chip.irq_set_affinity) return -EINVAL;
  let ret = 0;
  if ((d.state & IRQD_MOVE_PCNTXT) && !(d.state & IRQD_SETAFFINITY_PENDING)) {
    ret = doSetAffinity(gi, d, mask, false);
  } else {
    d.state |= IRQD_SETAFFINITY_PENDING;
    desc.pending_mask = [...mask].sort((a, b) => a - b);
  }
  d.state |= IRQD_AFFINITY_SET;
  return ret;
}

/**
 * irq_move_irq() / irq_move_masked_irq() (kernel/irq/migration.c): called by
 * a chip from its ack path; carries out a pending affinity change now that
 * the interrupt is being handled on the old target.
 */
export function moveIrq(gi: GenIrq, d: IrqData): void {
  if (!(d.state & IRQD_SETAFFINITY_PENDING)) return;
  d.state &= ~IRQD_SETAFFINITY_PENDING;
  const desc = d.desc;
  // "Paranoia: cpu-local interrupts shouldn't be calling in here anyway."
  if (!irqdCanBalance(d)) return;
  const mask = desc.pending_mask;
  desc.pending_mask = [];
  const on = online(gi.kernel);
  if (mask.some((c) => on.includes(c))) doSetAffinity(gi, d, mask, false);
}

/**
 * irq_setup_affinity() at startup: the affinity set before (IRQD_AFFINITY_SET)
 * or the default affinity, restricted to online CPUs (all of them when that
 * leaves nothing), programmed into the chip.
 */
export function setupAffinity(gi: GenIrq, desc: IrqDesc): number {
  const d = desc.irq_data;
  if (!canSetAffinity(desc)) return 0;
  const on = online(gi.kernel);
  let set: number[] = (d.state & IRQD_AFFINITY_SET) ? d.affinity : gi.defaultAffinity;
  if (!set.some((c) => on.includes(c))) set = gi.defaultAffinity;
  let mask = set.filter((c) => on.includes(c));
  if (mask.length === 0) mask = on;
  return doSetAffinity(gi, d, mask, false);
}

/**
 * write_irq_affinity() (kernel/irq/proc.c, 6.1): `echo MASK >
 * /proc/irq/N/smp_affinity` (or a list to `smp_affinity_list`). Returns the
 * bytes written or a negative errno: -EIO when the IRQ cannot be moved from
 * user space (per-CPU, IRQF_NOBALANCING, a chip without irq_set_affinity,
 * managed), the parser's errno, -EINVAL for a mask with no online CPU
 * (irq_select_affinity_usr() without CONFIG_AUTO_IRQ_AFFINITY), else what
 * irq_set_affinity() answers.
 */
export function writeIrqAffinity(
  gi: GenIrq,
  irq: number,
  list: boolean,
  data: string,
): number {
  const desc = gi.irq_to_desc(irq);
  if (!canSetAffinityUsr(desc)) return -EIO;
  const n = gi.kernel.cpus.length;
  const parsed = list ? parseCpulist(data, n) : parseCpumask(data, n);
  if (typeof parsed === "number") return parsed;
  const on = online(gi.kernel);
  // "Do not allow disabling IRQs completely - it's a too easy way to make
  // the system unusable accidentally :-) At least one online CPU still has
  // to be targeted."
  if (!parsed.some((c) => on.includes(c))) return -EINVAL;
  const err = setAffinity(gi, irq, parsed);
  return err === 0 ? data.length : err;
}

/** default_affinity_write() (kernel/irq/proc.c): the mask new IRQs start with. */
export function defaultAffinityWrite(gi: GenIrq, data: string): number {
  const parsed = parseCpumask(data, gi.kernel.cpus.length);
  if (typeof parsed === "number") return parsed;
  if (!parsed.some((c) => gi.kernel.cpus.some((cpu) => cpu.id === c))) return -EINVAL;
  gi.defaultAffinity = parsed;
  return data.length;
}
