/**
 * x86 exceptions 0–31 and what Linux 6.1 does when user code raises them:
 * the vector table (arch/x86/include/asm/trapnr.h, the IDT entries of
 * arch/x86/include/asm/idtentry.h), the handlers of
 * arch/x86/kernel/traps.c (`do_error_trap`, `do_trap`, `show_signal`,
 * `exc_general_protection`, `exc_int3`, `math_error`), the user page fault
 * of arch/x86/mm/fault.c (`show_signal_msg`, `show_opcodes` from
 * arch/x86/kernel/dumpstack.c) and `ioperm()` (arch/x86/kernel/ioport.c).
 *
 * Exceptions run on the faulting task's stack in task context (not in
 * interrupt context) and are not counted in /proc/interrupts (only the NMI
 * and MCE/MCP rows count exception-like events; arch/x86/kernel/irq.c).
 *
 * User processes are laid out as a gcc PIE on x86_64 (binfmt_elf.c
 * `ELF_ET_DYN_BASE` plus `arch_mmap_rnd()`, 28 bits of pages; the stack
 * top below `TASK_SIZE_MAX` randomised by 22 bits of pages and
 * `arch_align_stack()`), from the machine's seeded PRNG, so addresses are
 * plausible and the same for the same seed.
 *
 * @module
 */

import type { Kernel } from "../../core/kernel.ts";
import type { Random } from "../../core/random.ts";
import { defineTraceEvent, type TraceEventType } from "../../core/trace.ts";
import { printk_ratelimit } from "../signal/ratelimit.ts";
import {
  type ArchFault,
  BUS_ADRALN,
  FPE_FLTDIV,
  FPE_INTDIV,
  ILL_ILLOPN,
  processes,
  type ProcessImage,
  SEGV_ACCERR,
  SEGV_MAPERR,
  SIGBUS,
  SIGFPE,
  SIGILL,
  SIGSEGV,
  SIGTRAP,
  type UserArch,
  UserArchKey,
  type UserOp,
  type UserProcess,
  type Vma,
} from "../signal/mod.ts";

// arch/x86/include/asm/trapnr.h
export const X86_TRAP_DE = 0;
export const X86_TRAP_DB = 1;
export const X86_TRAP_NMI = 2;
export const X86_TRAP_BP = 3;
export const X86_TRAP_OF = 4;
export const X86_TRAP_BR = 5;
export const X86_TRAP_UD = 6;
export const X86_TRAP_NM = 7;
export const X86_TRAP_DF = 8;
export const X86_TRAP_OLD_MF = 9;
export const X86_TRAP_TS = 10;
export const X86_TRAP_NP = 11;
export const X86_TRAP_SS = 12;
export const X86_TRAP_GP = 13;
export const X86_TRAP_PF = 14;
export const X86_TRAP_SPURIOUS = 15;
export const X86_TRAP_MF = 16;
export const X86_TRAP_AC = 17;
export const X86_TRAP_MC = 18;
export const X86_TRAP_XF = 19;
export const X86_TRAP_VE = 20;
export const X86_TRAP_CP = 21;
export const X86_TRAP_VC = 29;
export const X86_TRAP_IRET = 32;

// arch/x86/include/asm/trap_pf.h
export const X86_PF_PROT = 1 << 0;
export const X86_PF_WRITE = 1 << 1;
export const X86_PF_USER = 1 << 2;
export const X86_PF_RSVD = 1 << 3;
export const X86_PF_INSTR = 1 << 4;

/**
 * exceptions:page_fault_user (arch/x86/include/asm/trace/exceptions.h):
 * `address=%ps ip=%ps error_code=0x%lx`; %ps of an address without a
 * kernel symbol prints `0x%lx`.
 */
export const page_fault_user: TraceEventType<{ address: number; ip: number; error: number }> =
  defineTraceEvent<{ address: number; ip: number; error: number }>(
    "exceptions",
    "page_fault_user",
    (a) =>
      `address=0x${a.address.toString(16)} ip=0x${a.ip.toString(16)} error_code=0x${
        a.error.toString(16)
      }`,
  );

/** How the CPU reports an exception (Intel SDM vol. 3, 6.5). */
export type ExceptionClass = "fault" | "trap" | "abort" | "interrupt" | "reserved";

/** One row of the exception table. */
export interface ExceptionInfo {
  vector: number;
  /** Intel's mnemonic: #DE, #DB, NMI, #BP ... */
  mnemonic: string;
  /** The IDT entry (arch/x86/include/asm/idtentry.h), `asm_` + this. */
  entry: string;
  /**
   * The string the kernel's handler passes to do_trap()/show_signal()
   * ("divide error", "int3", "general protection fault"...); undefined when
   * the handler prints no `traps:` line for a user task.
   */
  name?: string;
  /** Signal a user task gets (0: none / not delivered to user space). */
  signal: number;
  /** si_code of that signal (0: force_sig(), SI_KERNEL). */
  siCode: number;
  cls: ExceptionClass;
  /** The CPU pushes an error code. */
  errorCode: boolean;
}

function row(
  vector: number,
  mnemonic: string,
  entry: string,
  name: string | undefined,
  signal: number,
  siCode: number,
  cls: ExceptionClass,
  errorCode = false,
): ExceptionInfo {
  return { vector, mnemonic, entry, name, signal, siCode, cls, errorCode };
}

const R = (v: number, m = "reserved") => row(v, m, "", undefined, 0, 0, "reserved");

/**
 * Vectors 0–31 (Intel SDM vol. 3 table 6-1; handlers in
 * arch/x86/kernel/traps.c, signal and si_code as each handler sends them to
 * a user task in Linux 6.1).
 */
export const EXCEPTIONS: readonly ExceptionInfo[] = [
  // exc_divide_error: do_error_trap(regs, 0, "divide error", X86_TRAP_DE, SIGFPE, FPE_INTDIV, ..)
  row(0, "#DE", "exc_divide_error", "divide error", SIGFPE, FPE_INTDIV, "fault"),
  // exc_debug_user: send_sigtrap() (TRAP_TRACE/TRAP_HWBKPT), no traps: line
  row(1, "#DB", "exc_debug", undefined, SIGTRAP, 2, "trap"),
  row(2, "NMI", "exc_nmi", undefined, 0, 0, "interrupt"),
  // do_int3_user: do_trap(X86_TRAP_BP, SIGTRAP, "int3", regs, 0, 0, NULL)
  row(3, "#BP", "exc_int3", "int3", SIGTRAP, 0, "trap"),
  // exc_overflow: do_error_trap(regs, 0, "overflow", X86_TRAP_OF, SIGSEGV, 0, NULL)
  row(4, "#OF", "exc_overflow", "overflow", SIGSEGV, 0, "trap"),
  // exc_bounds: do_trap(X86_TRAP_BR, SIGSEGV, "bounds", regs, 0, 0, NULL)
  row(5, "#BR", "exc_bounds", "bounds", SIGSEGV, 0, "fault"),
  // handle_invalid_op: do_error_trap(regs, 0, "invalid opcode", X86_TRAP_UD, SIGILL, ILL_ILLOPN, ..)
  row(6, "#UD", "exc_invalid_op", "invalid opcode", SIGILL, ILL_ILLOPN, "fault"),
  // exc_device_not_available: lazy FPU is gone; a user #NM is "unexpected" (die)
  row(7, "#NM", "exc_device_not_available", undefined, 0, 0, "fault"),
  // exc_double_fault: "PANIC: double fault" + die()
  row(8, "#DF", "exc_double_fault", undefined, 0, 0, "abort", true),
  // exc_coproc_segment_overrun: do_error_trap(.., "coprocessor segment overrun", .., SIGFPE, 0, NULL)
  row(9, "-", "exc_coproc_segment_overrun", "coprocessor segment overrun", SIGFPE, 0, "abort"),
  // exc_invalid_tss: do_error_trap(regs, error_code, "invalid TSS", X86_TRAP_TS, SIGSEGV, 0, NULL)
  row(10, "#TS", "exc_invalid_tss", "invalid TSS", SIGSEGV, 0, "fault", true),
  // exc_segment_not_present: .. "segment not present", X86_TRAP_NP, SIGBUS ..
  row(11, "#NP", "exc_segment_not_present", "segment not present", SIGBUS, 0, "fault", true),
  // exc_stack_segment: .. "stack segment", X86_TRAP_SS, SIGBUS ..
  row(12, "#SS", "exc_stack_segment", "stack segment", SIGBUS, 0, "fault", true),
  // exc_general_protection: show_signal(tsk, SIGSEGV, "", desc, ..); force_sig(SIGSEGV)
  row(13, "#GP", "exc_general_protection", "general protection fault", SIGSEGV, 0, "fault", true),
  // exc_page_fault -> bad_area: show_signal_msg() "segfault at", SIGSEGV SEGV_MAPERR/ACCERR
  row(14, "#PF", "exc_page_fault", undefined, SIGSEGV, SEGV_MAPERR, "fault", true),
  row(15, "-", "exc_spurious_interrupt_bug", undefined, 0, 0, "reserved"),
  // exc_coprocessor_error -> math_error(): force_sig_fault(SIGFPE, fpu__exception_code(), ..),
  // no traps: line; the code comes from the FPU status word: the model takes a zero divide
  row(16, "#MF", "exc_coprocessor_error", undefined, SIGFPE, FPE_FLTDIV, "fault"),
  // exc_alignment_check: do_trap(X86_TRAP_AC, SIGBUS, "alignment check", .., BUS_ADRALN, NULL)
  row(17, "#AC", "exc_alignment_check", "alignment check", SIGBUS, BUS_ADRALN, "fault", true),
  // exc_machine_check: MCE handling (counted in the MCE row), not a user signal here
  row(18, "#MC", "exc_machine_check", undefined, 0, 0, "abort"),
  // exc_simd_coprocessor_error -> math_error(): SIGFPE, no traps: line
  row(19, "#XM", "exc_simd_coprocessor_error", undefined, SIGFPE, FPE_FLTDIV, "fault"),
  row(20, "#VE", "exc_virtualization_exception", undefined, 0, 0, "fault"),
  // exc_control_protection (CET user shadow stacks: 6.6+; SIGSEGV SEGV_CPERR)
  row(21, "#CP", "exc_control_protection", undefined, 0, 0, "fault", true),
  R(22),
  R(23),
  R(24),
  R(25),
  R(26),
  R(27),
  R(28, "#HV"),
  row(29, "#VC", "exc_vmm_communication", undefined, 0, 0, "fault", true),
  R(30, "#SX"),
  R(31),
];

/** An IDT gate as arch/x86/kernel/idt.c sets it up (64-bit). */
export interface IdtGate {
  /** Descriptor privilege level: 3 lets user code reach it with `int n` (SYSG). */
  dpl: 0 | 3;
  /** Interrupt stack table entry (ISTG), when the entry switches stacks. */
  ist?: "IST_INDEX_DF" | "IST_INDEX_NMI" | "IST_INDEX_DB" | "IST_INDEX_MCE" | "IST_INDEX_VC";
}

/**
 * def_idts[] / early_idts[] (arch/x86/kernel/idt.c): every gate is an
 * interrupt gate (IF cleared on entry); SYSG ones have DPL 3 (#BP, #OF and
 * the IA32 `int $0x80` entry), ISTG ones run on their own stack.
 */
export function idtGate(vector: number): IdtGate {
  switch (vector) {
    case X86_TRAP_BP:
    case X86_TRAP_OF:
    case 0x80: // IA32_SYSCALL_VECTOR, entry_INT80_compat
      return { dpl: 3 };
    case X86_TRAP_NMI:
      return { dpl: 0, ist: "IST_INDEX_NMI" };
    case X86_TRAP_DF:
      return { dpl: 0, ist: "IST_INDEX_DF" };
    case X86_TRAP_DB:
      return { dpl: 0, ist: "IST_INDEX_DB" };
    case X86_TRAP_MC:
      return { dpl: 0, ist: "IST_INDEX_MCE" };
    case X86_TRAP_VC:
      return { dpl: 0, ist: "IST_INDEX_VC" };
    default:
      return { dpl: 0 };
  }
}

// ---- the user address space (x86_64) ----

/** TASK_SIZE_MAX with 4-level paging: (1 << 47) - PAGE_SIZE. */
export const TASK_SIZE_MAX = 0x7ffffffff000;
/** ELF_ET_DYN_BASE (DEFAULT_MAP_WINDOW / 3 * 2), page aligned as load_elf_binary does. */
export const ELF_ET_DYN_BASE = 0x555555554000;
const PAGE = 0x1000;
/** arch_mmap_rnd(): mmap_rnd_bits = 28 on x86_64. */
const MMAP_RND_BITS = 28;
/** stack_maxrandom_size(): 22 bits of pages (16 GB) on x86_64. */
const STACK_RND_BITS = 22;
/** Distance from the stack top to main()'s sp for a small program (env, auxv, argv, frames). */
const MAIN_SP_OFFSET = 0xc40;

/**
 * Where each operation's instruction sits in the text mapping, from gcc -O0
 * PIE builds of the classic programs (main at 0x1129): `idiv %ecx` at
 * 0x113c (divide_by_zero.c), `out %al,(%dx)` at 0x1140 (userapp.c), the
 * instruction after `int3` at 0x1182 (interrupt.c, after its printf loop),
 * `mov (%rax),%eax` / `movl $1,(%rax)` at 0x113d (a NULL dereference).
 * The notes' dmesg lines show the same offsets.
 */
const IP_OFFSET: Partial<Record<string, number>> = {
  div: 0x13c,
  outb: 0x140,
  inb: 0x140,
  int3: 0x182,
  ud2: 0x131,
  int: 0x131,
  load: 0x13d,
  store: 0x13d,
};

/**
 * Bytes of the text page around main of a NULL-dereference program
 * (gcc 11 -O0, x86_64 PIE): the tail of __do_global_dtors_aux, frame_dummy,
 * main up to the faulting access, then the access and main's epilogue, then
 * _fini (section .fini, 4-byte aligned). show_opcodes() prints from them.
 */
// deno-fmt-ignore
const TEXT_HEAD: readonly [number, readonly number[]][] = [
  [0x1113, [0x5d, 0xc3, 0x0f, 0x1f, 0x00, 0xc3, 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00]],
  [0x1120, [0xf3, 0x0f, 0x1e, 0xfa, 0xe9, 0x77, 0xff, 0xff, 0xff]], // frame_dummy: endbr64; jmp
  [0x1129, [0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5, // main: endbr64; push %rbp; mov %rsp,%rbp
    0x48, 0xc7, 0x45, 0xf8, 0x00, 0x00, 0x00, 0x00, // movq $0x0,-0x8(%rbp)
    0x48, 0x8b, 0x45, 0xf8]], // mov -0x8(%rbp),%rax
];
/** `mov (%rax),%eax; pop %rbp; ret` (return *p) */
const LOAD_TAIL = [0x8b, 0x00, 0x5d, 0xc3];
/** `movl $0x1,(%rax); mov $0x0,%eax; pop %rbp; ret` (*p = 1; return 0) */
// deno-fmt-ignore
const STORE_TAIL = [0xc7, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xc3];
/** _fini: `endbr64; sub $0x8,%rsp; add $0x8,%rsp; ret` */
const FINI = [0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x83, 0xec, 0x08, 0x48, 0x83, 0xc4, 0x08, 0xc3];
/** Offset of the faulting access in the text page (0x113d). */
const ACCESS_AT = 0x13d;

/** The text page's bytes for a program whose faulting access is `op`. */
function textPage(op: "load" | "store"): Uint8Array {
  const b = new Uint8Array(PAGE);
  for (const [at, bytes] of TEXT_HEAD) b.set(bytes, at - PAGE);
  const tail = op === "load" ? LOAD_TAIL : STORE_TAIL;
  b.set(tail, ACCESS_AT);
  b.set(FINI, Math.ceil((ACCESS_AT + tail.length) / 4) * 4);
  return b;
}

/** Per-process x86 state: the user memory written so far (the I/O bitmap is on the process). */
interface X86ProcState {
  mem: Map<number, number>;
}

const procState = new WeakMap<UserProcess, X86ProcState>();
function stateOf(p: UserProcess): X86ProcState {
  let s = procState.get(p);
  if (!s) {
    s = { mem: new Map() };
    procState.set(p, s);
  }
  return s;
}

/** IO_BITMAP_BITS (arch/x86/include/asm/processor.h). */
export const IO_BITMAP_BITS = 65536;
const EINVAL = 22, EPERM = 1;

function hex(n: number): string {
  return n.toString(16);
}

/** %px: the full pointer, 16 hex digits (lib/vsprintf.c pointer_string). */
function px(n: number): string {
  return n.toString(16).padStart(16, "0");
}

/** x86 user mode and its exceptions for one machine. */
export class X86Traps implements UserArch {
  /** ns one user-mode operation costs (a few instructions). */
  readonly opCostNs = 2;

  /** `irqStat`: the per-CPU irq_stat of the x86 plugin, for the exceptions Linux counts. */
  constructor(
    readonly kernel: Kernel,
    readonly irqStat?: readonly { mce_exception_count: number }[],
  ) {}

  #random: Random | undefined;

  image(file: string, aslr: boolean, k: Kernel): ProcessImage {
    // a stream of its own, forked at the first exec, so programs do not shift other plugins' draws
    const r = this.#random ??= k.random.fork();
    const rnd = (bits: number) => {
      // two draws: JS bit operations are 32-bit
      const hi = bits > 16 ? r.int(1 << (bits - 16)) : 0;
      const lo = r.int(1 << Math.min(16, bits));
      return hi * 65536 + lo;
    };
    const base = ELF_ET_DYN_BASE + (aslr ? rnd(MMAP_RND_BITS) * PAGE : 0);
    const stackTop = TASK_SIZE_MAX - (aslr ? rnd(STACK_RND_BITS) * PAGE : 0);
    // arch_align_stack(): sp -= get_random_u32_below(8192); sp & ~0xf
    const align = aslr ? r.int(8192) : 0;
    const sp = Math.floor((stackTop - MAIN_SP_OFFSET - align) / 16) * 16;
    const text: Vma = { start: base + PAGE, end: base + 2 * PAGE, perms: "r-x", file };
    const vmas: Vma[] = [
      { start: base, end: base + PAGE, perms: "r--", file },
      text,
      { start: base + 2 * PAGE, end: base + 3 * PAGE, perms: "r--", file },
      { start: base + 3 * PAGE, end: base + 5 * PAGE, perms: "rw-", file },
      { start: stackTop - 0x21000, end: stackTop, perms: "rw-", file: undefined },
    ];
    return { vmas, text, sp };
  }

  /** regs->ip of an operation. */
  ipOf(p: UserProcess, op: string): number {
    return p.image.text.start + (IP_OFFSET[op] ?? 0x129);
  }

  execute(p: UserProcess, op: UserOp): number | ArchFault {
    const k = this.kernel;
    const a = op.args;
    switch (op.op) {
      case "div": {
        // idiv r/m32: #DE on a zero divisor and on a quotient that does not fit (INT_MIN / -1)
        const x = a[0] | 0, y = a[1] | 0;
        if (y === 0 || (x === -0x80000000 && y === -1)) return this.trap(p, X86_TRAP_DE, 0, "div");
        return (x / y) | 0;
      }
      case "int3":
        return this.trap(p, X86_TRAP_BP, 0, "int3");
      case "ud2":
        return this.trap(p, X86_TRAP_UD, 0, "ud2");
      case "int": {
        // `int $n` (CD ib): a gate with DPL < CPL 3 is a #GP whose error code
        // names the IDT entry: (n << 3) | 2 (the IDT bit); SDM vol. 3, 6.13
        const n = a[0] & 0xff;
        if (idtGate(n).dpl < 3) return this.trap(p, X86_TRAP_GP, (n << 3) | 2, "int");
        if (n === 0x80) {
          k.notImplemented("int $0x80 (IA32 system calls)");
          return 0;
        }
        // a software interrupt is a trap: ip is past the 2-byte instruction
        return this.trap(p, n, 0, "int", 2);
      }
      case "exception":
        if (!(a[0] >= 0 && a[0] < 32)) {
          k.notImplemented(`exception vector ${a[0]} (only 0-31 are exceptions)`);
          return 0;
        }
        return this.trap(p, a[0], a[1] ?? 0, "exception");
      case "outb":
      case "inb": {
        const port = (op.op === "outb" ? a[1] : a[0]) & 0xffff;
        if (!this.ioAllowed(p, port)) return this.trap(p, X86_TRAP_GP, 0, op.op);
        const c = k.currentCpu;
        if (c) c.accum += k.costs.port_io_ns;
        if (op.op === "outb") {
          k.ports.write(port, a[0] & 0xff, 1);
          return 0;
        }
        return k.ports.read(port, 1) & 0xff;
      }
      case "ioperm":
        return this.ioperm(p, a[0], a[1], a[2]);
      case "load":
      case "store":
        return this.access(p, op.op, a[0], a[1] ?? 0);
      default:
        k.notImplemented(`user operation ${op.op} on x86`);
        return 0;
    }
  }

  /** Is `port` open in the task's I/O bitmap (IOPL 0: the TSS bitmap decides)? */
  ioAllowed(p: UserProcess, port: number): boolean {
    const bm = p.ioBitmap;
    return bm !== undefined && (bm[port >> 3] & (1 << (port & 7))) !== 0;
  }

  /**
   * ksys_ioperm() (arch/x86/kernel/ioport.c): -EINVAL for an empty or
   * out-of-range span (`from + num <= from || from + num > IO_BITMAP_BITS`),
   * -EPERM for turning ports on without CAP_SYS_RAWIO; else the bits are
   * set (here: 1 = permitted; the TSS bitmap stores the inverse).
   */
  ioperm(p: UserProcess, from: number, num: number, turnOn: number): number {
    if (from + num <= from || from + num > IO_BITMAP_BITS) {
      p.errno = EINVAL;
      return -1;
    }
    if (turnOn && !p.root) {
      p.errno = EPERM;
      return -1;
    }
    if (!p.ioBitmap) {
      if (!turnOn) return 0;
      p.ioBitmap = new Uint8Array(IO_BITMAP_BITS / 8);
    }
    for (let i = from; i < from + num; i++) {
      if (turnOn) p.ioBitmap[i >> 3] |= 1 << (i & 7);
      else p.ioBitmap[i >> 3] &= ~(1 << (i & 7));
    }
    return 0;
  }

  /** A user load or store; an unmapped address or a write to a read-only mapping is a #PF. */
  access(p: UserProcess, kind: "load" | "store", addr: number, value: number): number | ArchFault {
    const vma = p.image.vmas.find((v) => addr >= v.start && addr < v.end);
    const write = kind === "store";
    let error = X86_PF_USER | (write ? X86_PF_WRITE : 0);
    if (vma && addr < TASK_SIZE_MAX) {
      if (!write || vma.perms[1] === "w") {
        const mem = stateOf(p).mem;
        if (write) {
          mem.set(addr, value);
          return 0;
        }
        return mem.get(addr) ?? 0;
      }
      error |= X86_PF_PROT;
    }
    return this.pageFault(p, kind, addr, error, vma !== undefined);
  }

  /** Enter the kernel for an exception: the IDT gate, the entry code and the exit. */
  #enter(): void {
    const k = this.kernel;
    const c = k.currentCpu;
    if (c) c.accum += k.costs.irq_entry_ns + k.costs.irq_exit_ns;
  }

  /**
   * A user-mode exception other than #PF, handled as its traps.c handler
   * does. Returns the fault for the process body.
   */
  trap(p: UserProcess, vector: number, errorCode: number, op: string, len = 0): ArchFault {
    this.#enter();
    const e = EXCEPTIONS[vector];
    const ip = this.ipOf(p, op) + len;
    p.lastIp = ip;
    const restart = e.cls !== "trap" && len === 0;
    if (vector === X86_TRAP_MC) {
      // do_machine_check(): this_cpu_inc(mce_exception_count), the MCE row of /proc/interrupts
      const stat = this.irqStat?.[this.kernel.thisCpu().id];
      if (stat) stat.mce_exception_count++;
    }
    if (e.signal === 0) {
      this.kernel.notImplemented(`${e.mnemonic} (vector ${vector}) from user mode`);
      return { fault: true, restart: false };
    }
    if (vector === X86_TRAP_GP) {
      // exc_general_protection(), user mode: show_signal(tsk, SIGSEGV, "", desc, ..); force_sig()
      this.showSignal(p, SIGSEGV, "", e.name!, ip, p.image.sp, errorCode);
      p.forceSig(SIGSEGV);
    } else if (e.name !== undefined) {
      // do_trap(): show_signal(tsk, signr, "trap ", str, ..); force_sig / force_sig_fault
      this.showSignal(p, e.signal, "trap ", e.name, ip, p.image.sp, errorCode);
      if (e.siCode) p.forceSig(e.signal, e.siCode, ip);
      else p.forceSig(e.signal);
    } else {
      // math_error(), exc_debug_user(): the signal without a traps: line
      p.forceSig(e.signal, e.siCode, ip);
    }
    return { fault: true, restart };
  }

  /** Raise any vector 0–31 from user mode at the instruction of `op` (tests, experiments). */
  raise(p: UserProcess, vector: number, errorCode = 0, op = "raise"): ArchFault {
    return this.trap(p, vector, errorCode, op);
  }

  /**
   * show_signal() (arch/x86/kernel/traps.c), Linux 6.1:
   *   if (show_unhandled_signals && unhandled_signal(tsk, signr) && printk_ratelimit()) {
   *     pr_info("%s[%d] %s%s ip:%lx sp:%lx error:%lx", tsk->comm, task_pid_nr(tsk),
   *             type, desc, regs->ip, regs->sp, error_code);
   *     print_vma_addr(KERN_CONT " in ", regs->ip);
   *     pr_cont("\n");
   *   }
   * with pr_fmt "traps: ".
   */
  showSignal(
    p: UserProcess,
    sig: number,
    type: string,
    desc: string,
    ip: number,
    sp: number,
    error: number,
  ): void {
    const k = this.kernel;
    if (!processes(k).showUnhandledSignals || !p.unhandledSignal(sig)) return;
    if (!printk_ratelimit(k, "show_signal")) return;
    k.printk(
      6,
      `traps: ${p.comm}[${p.pid}] ${type}${desc} ip:${hex(ip)} sp:${hex(sp)} error:${hex(error)}` +
        this.vmaAddr(p, ip),
    );
  }

  /**
   * print_vma_addr(" in ", ip) (mm/memory.c): `%s%s[%lx+%lx]` with the
   * basename of the mapping's file, its start and its size, for
   * find_vma(mm, ip) — the first mapping ending above ip — when it has a
   * file; nothing otherwise.
   */
  vmaAddr(p: UserProcess, ip: number): string {
    const vma = p.image.vmas.find((v) => v.end > ip);
    if (!vma?.file) return "";
    return ` in ${vma.file}[${hex(vma.start)}+${hex(vma.end - vma.start)}]`;
  }

  /**
   * A user page fault that finds no mapping (or a protection violation):
   * __bad_area_nosemaphore() -> sanitize_error_code(), show_signal_msg(),
   * force_sig_fault(SIGSEGV, SEGV_MAPERR / SEGV_ACCERR, address).
   */
  pageFault(
    p: UserProcess,
    op: "load" | "store",
    addr: number,
    error: number,
    mapped: boolean,
  ): ArchFault {
    this.#enter();
    const ip = this.ipOf(p, op);
    p.lastIp = ip;
    const k = this.kernel;
    // exc_page_fault() -> trace_page_fault_entries(), with the hardware error code
    if (k.trace.enabled) k.traceEvent(page_fault_user, { address: addr, ip, error });
    // sanitize_error_code(): a user access to a kernel address is reported as a protection fault
    if (addr >= TASK_SIZE_MAX) error |= X86_PF_PROT;
    if (processes(this.kernel).showUnhandledSignals) this.showSignalMsg(p, op, addr, ip, error);
    p.forceSig(SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, addr);
    return { fault: true, restart: true };
  }

  /**
   * show_signal_msg() (arch/x86/mm/fault.c), Linux 6.1:
   *   printk("%s%s[%d]: segfault at %lx ip %px sp %px error %lx", loglvl, tsk->comm,
   *          task_pid_nr(tsk), address, (void *)regs->ip, (void *)regs->sp, error_code);
   *   print_vma_addr(KERN_CONT " in ", regs->ip);
   *   printk(KERN_CONT " likely on CPU %d (core %d, socket %d)", cpu,
   *          topology_core_id(cpu), topology_physical_package_id(cpu));
   *   printk(KERN_CONT "\n");
   *   show_opcodes(regs, loglvl);
   * loglvl is KERN_INFO (KERN_EMERG for pid 1). The CPU part came with
   * "x86/mm: Print likely CPU at segfault time" (v6.1-rc1); every CPU here is
   * its own core in socket 0.
   */
  showSignalMsg(p: UserProcess, op: "load" | "store", addr: number, ip: number, error: number) {
    const k = this.kernel;
    if (!p.unhandledSignal(SIGSEGV)) return;
    if (!printk_ratelimit(k, "show_signal_msg")) return;
    const level = p.pid > 1 ? 6 : 0;
    const cpu = k.thisCpu().id;
    const sp = p.image.sp;
    k.printk(
      level,
      `${p.comm}[${p.pid}]: segfault at ${hex(addr)} ip ${px(ip)} sp ${px(sp)} error ${
        hex(error)
      }` + this.vmaAddr(p, ip) + ` likely on CPU ${cpu} (core ${cpu}, socket 0)`,
    );
    k.printk(level, this.opcodes(p, op, ip));
  }

  /**
   * show_opcodes() (arch/x86/kernel/dumpstack.c): PROLOGUE_SIZE 42 bytes
   * before ip, the byte at ip in <>, EPILOGUE_SIZE 21 after:
   * `"%sCode: %42ph <%02x> %21ph\n"`; when the 64 bytes are not all in a
   * readable mapping: `"%sCode: Unable to access opcode bytes at 0x%lx.\n"`.
   */
  opcodes(p: UserProcess, op: "load" | "store", ip: number): string {
    const from = ip - 42;
    const text = p.image.text;
    if (from < text.start || ip + 22 > text.end) {
      return `Code: Unable to access opcode bytes at 0x${hex(from)}.`;
    }
    const page = textPage(op);
    const b = (i: number) => page[i - text.start].toString(16).padStart(2, "0");
    const pre: string[] = [], post: string[] = [];
    for (let i = from; i < ip; i++) pre.push(b(i));
    for (let i = ip + 1; i < ip + 22; i++) post.push(b(i));
    return `Code: ${pre.join(" ")} <${b(ip)}> ${post.join(" ")}`;
  }
}

/** Install x86 user mode on a machine (called by the x86 plugin's setup). */
export function setupTraps(
  k: Kernel,
  irqStat?: readonly { mce_exception_count: number }[],
): X86Traps {
  const t = new X86Traps(k, irqStat);
  k.bus.provide(UserArchKey, t, "x86");
  processes(k); // registers /proc/sys/debug/exception-trace
  return t;
}
