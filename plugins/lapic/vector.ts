/**
 * The x86 vector domain in small (arch/x86/kernel/apic/vector.c with
 * kernel/irq/matrix.c): one bitmap of vectors per CPU, system vectors
 * reserved on every CPU, and device vectors allocated as irq_matrix_alloc()
 * does — on the CPU of the requested mask with the most free vectors
 * (matrix_find_best_cpu(): ties go to the lowest CPU number), at the lowest
 * free vector from FIRST_EXTERNAL_VECTOR up to FIRST_SYSTEM_VECTOR - 1.
 *
 * An IRQ has one vector on one CPU (its effective affinity). Moving an IRQ
 * allocates the new vector first and releases the old one only after the
 * move is complete (vector.c: apic_update_vector() + the cleanup through
 * IRQ_MOVE_CLEANUP_VECTOR); the model releases it at once because the move
 * takes place inside the interrupt on the old CPU, after its EOI.
 *
 * @module
 */

import {
  FIRST_EXTERNAL_VECTOR,
  FIRST_SYSTEM_VECTOR,
  IA32_SYSCALL_VECTOR,
  IRQ_MOVE_CLEANUP_VECTOR,
  ISA_IRQ_VECTOR,
  NR_VECTORS,
  type X86Arch,
} from "../x86/mod.ts";

/** An IRQ's vector assignment (struct apic_chip_data in small). */
export interface VectorAssignment {
  vector: number;
  cpu: number;
}

/** The vector matrix of all CPUs. */
export class VectorMatrix {
  /** Per CPU: 256 flags, 1 = in use (system or allocated). */
  readonly used: Uint8Array[];
  /** Per CPU: device vectors allocated (matrix cm->allocated). */
  readonly allocated: number[];
  /** Per IRQ: its assignment. */
  readonly byIrq = new Map<number, VectorAssignment>();

  constructor(readonly x86: X86Arch, readonly nrCpus: number, legacyPic: boolean) {
    this.used = Array.from({ length: nrCpus }, () => new Uint8Array(NR_VECTORS));
    this.allocated = new Array(nrCpus).fill(0);
    for (let c = 0; c < nrCpus; c++) {
      const u = this.used[c];
      // exceptions 0-31 and the vectors irq_matrix_assign_system() reserves
      // (lapic_assign_system_vectors(): the cleanup vector, the syscall
      // vector and every system vector from FIRST_SYSTEM_VECTOR up)
      for (let v = 0; v < FIRST_EXTERNAL_VECTOR; v++) u[v] = 1;
      u[IRQ_MOVE_CLEANUP_VECTOR] = 1;
      u[IA32_SYSCALL_VECTOR] = 1;
      for (let v = FIRST_SYSTEM_VECTOR; v < NR_VECTORS; v++) u[v] = 1;
      // "if (nr_legacy_irqs() > 1) lapic_assign_legacy_vector(PIC_CASCADE_IR, false)"
      if (legacyPic) u[ISA_IRQ_VECTOR(2)] = 1;
    }
  }

  /**
   * Keep a legacy vector set up before the IOAPIC took over (IRQ 0, the
   * timer, on ISA_IRQ_VECTOR(0) of CPU 0: vector_configure_legacy() keeps
   * an activated legacy IRQ's vector, irq_matrix_assign() counts it as
   * allocated on that CPU).
   */
  assignLegacy(irq: number, cpu: number): VectorAssignment {
    const a = { vector: ISA_IRQ_VECTOR(irq), cpu };
    this.used[cpu][a.vector] = 1;
    this.allocated[cpu]++;
    this.byIrq.set(irq, a);
    this.x86.vectorIrq[cpu][a.vector] = irq;
    return a;
  }

  /**
   * assign_vector_locked(): keep the current vector when its CPU is in
   * `mask`, else allocate on the best CPU of `mask`. Returns the assignment
   * or undefined when no vector is free (-ENOSPC).
   */
  assign(irq: number, mask: readonly number[]): VectorAssignment | undefined {
    const cur = this.byIrq.get(irq);
    if (cur && mask.includes(cur.cpu)) return cur;
    const got = this.#alloc(mask);
    if (!got) return undefined;
    if (cur) this.release(irq);
    this.byIrq.set(irq, got);
    this.used[got.cpu][got.vector] = 1;
    this.allocated[got.cpu]++;
    this.x86.vectorIrq[got.cpu][got.vector] = irq;
    return got;
  }

  /** Free an IRQ's vector (clear_irq_vector()). */
  release(irq: number): void {
    const a = this.byIrq.get(irq);
    if (!a) return;
    this.byIrq.delete(irq);
    this.used[a.cpu][a.vector] = 0;
    this.allocated[a.cpu]--;
    this.x86.vectorIrq[a.cpu][a.vector] = -1;
  }

  /** irq_matrix_alloc(): best CPU (fewest allocated, lowest id), lowest free vector. */
  #alloc(mask: readonly number[]): VectorAssignment | undefined {
    let best = -1;
    for (const c of [...mask].sort((a, b) => a - b)) {
      if (c < 0 || c >= this.nrCpus) continue;
      if (best < 0 || this.allocated[c] < this.allocated[best]) best = c;
    }
    if (best < 0) return undefined;
    const u = this.used[best];
    for (let v = FIRST_EXTERNAL_VECTOR; v < FIRST_SYSTEM_VECTOR; v++) {
      if (!u[v]) return { vector: v, cpu: best };
    }
    return undefined;
  }
}
