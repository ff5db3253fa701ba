/**
 * x86 exceptions raised by user programs on the PC (machines/pc.yaml): the
 * kernel's dmesg lines pinned against the 6.1 format strings, the signals
 * and what the shell reports, ptrace stops, ioperm, rate limiting and
 * determinism. Expected lines are built by hand from the format strings
 * quoted in each test, with the process's own layout (its text mapping
 * and stack pointer, themselves checked against the x86_64 layout rules).
 */
import assert from "node:assert/strict";
import type { Kernel } from "../core/kernel.ts";
import { loadMachine, runScenario } from "../runner/mod.ts";
import { loadScenarioSpec } from "../config/scenario.ts";
import {
  type ExecOptions,
  type JobResult,
  processes,
  SEGV_ACCERR,
  SEGV_MAPERR,
  type ShellJob,
  SIG_IGN,
  SIGFPE,
  SIGILL,
  SIGSEGV,
  SIGTRAP,
  startShell,
  type UserMain,
  type UserProcess,
  WCOREDUMP,
  WEXITSTATUS,
  WIFEXITED,
  WTERMSIG,
} from "../plugins/signal/mod.ts";
import {
  ELF_ET_DYN_BASE,
  EXCEPTIONS,
  idtGate,
  TASK_SIZE_MAX,
  X86_TRAP_AC,
  X86_TRAP_BP,
  X86_TRAP_DE,
  X86_TRAP_GP,
  X86_TRAP_PF,
  X86_TRAP_UD,
} from "../plugins/x86/mod.ts";
import {
  div,
  errno,
  exit,
  inb,
  int3,
  int_n,
  ioperm,
  load,
  outb,
  printf,
  raise_exception,
  signal,
  store,
  ud2,
} from "../user.ts";

const hex = (n: number) => n.toString(16);
const px = (n: number) => n.toString(16).padStart(16, "0");

interface Run {
  k: Kernel;
  p: UserProcess;
  out: string[];
  /** dmesg lines after boot (the drivers' probe lines left out). */
  log: string[];
}

async function boot(seed = 1): Promise<Kernel> {
  const { kernel } = await loadMachine("machines/pc.yaml", { seed });
  // pid 1 is init (show_signal_msg() logs at KERN_EMERG for it): programs come later
  kernel.sched.create({
    comm: "init",
    kthread: false,
    start: "sleeping",
    body: (function* () {})(),
  });
  return kernel;
}

function dmesgAfterBoot(k: Kernel): string[] {
  return k.log.records.filter((r) => r.ts > 0).map((r) => r.text);
}

async function run(
  file: string,
  main: UserMain,
  opts: Partial<ExecOptions> & { ms?: number; seed?: number; before?: (k: Kernel) => void } = {},
): Promise<Run> {
  const k = await boot(opts.seed);
  opts.before?.(k);
  const out: string[] = [];
  const p = processes(k).exec({ file, main, stdout: (l) => out.push(l), ...opts });
  for (const c of k.cpus) c.start();
  k.runUntil((opts.ms ?? 100) * 1e6);
  return { k, p, out, log: dmesgAfterBoot(k) };
}

async function shell(jobs: Partial<ShellJob>[], ms: number, seed = 1) {
  const k = await boot(seed);
  const out: string[] = [];
  const results: JobResult[] = [];
  const full = jobs.map((j) => ({
    file: "prog",
    main: function* () {} as UserMain,
    atNs: 0,
    traced: false,
    root: false,
    coreDump: true,
    aslr: true,
    continueAfterNs: 100e6,
    repeat: 1,
    ...j,
  }));
  startShell(k, full, (l) => out.push(l), results);
  for (const c of k.cpus) c.start();
  return { k, out, results, runTo: (t: number) => k.runUntil(t * 1e6), ms };
}

// ---- the table ----

Deno.test("EXCEPTIONS lists vectors 0-31 with Intel's mnemonics", () => {
  assert.equal(EXCEPTIONS.length, 32);
  EXCEPTIONS.forEach((e, i) => assert.equal(e.vector, i));
  const m = (v: number) => EXCEPTIONS[v].mnemonic;
  // Intel SDM vol. 3 table 6-1 (20 #VE, 21 #CP; AMD: 29 #VC, 30 #SX)
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 29, 30].map(m),
    [
      "#DE",
      "#DB",
      "NMI",
      "#BP",
      "#OF",
      "#BR",
      "#UD",
      "#NM",
      "#DF",
      "#TS",
      "#NP",
      "#SS",
      "#GP",
      "#PF",
      "#MF",
      "#AC",
      "#MC",
      "#XM",
      "#VE",
      "#CP",
      "#VC",
      "#SX",
    ],
  );
});

Deno.test("EXCEPTIONS carries the kernel's handler strings and signals (traps.c, 6.1)", () => {
  // do_error_trap(regs, 0, "divide error", X86_TRAP_DE, SIGFPE, FPE_INTDIV, ..)
  assert.deepEqual(
    [EXCEPTIONS[0].name, EXCEPTIONS[0].signal, EXCEPTIONS[0].siCode],
    ["divide error", SIGFPE, 1],
  );
  // do_trap(X86_TRAP_BP, SIGTRAP, "int3", regs, 0, 0, NULL)
  assert.deepEqual([EXCEPTIONS[3].name, EXCEPTIONS[3].signal], ["int3", SIGTRAP]);
  // "invalid opcode", SIGILL, ILL_ILLOPN (2)
  assert.deepEqual([EXCEPTIONS[6].name, EXCEPTIONS[6].signal, EXCEPTIONS[6].siCode], [
    "invalid opcode",
    SIGILL,
    2,
  ]);
  // GPFSTR "general protection fault", SIGSEGV
  assert.deepEqual([EXCEPTIONS[13].name, EXCEPTIONS[13].signal], [
    "general protection fault",
    SIGSEGV,
  ]);
  // "overflow" SIGSEGV, "bounds" SIGSEGV, "invalid TSS" SIGSEGV, "segment not present" SIGBUS,
  // "stack segment" SIGBUS, "alignment check" SIGBUS BUS_ADRALN (1)
  assert.deepEqual(
    [4, 5, 10, 11, 12, 17].map((v) => [EXCEPTIONS[v].name, EXCEPTIONS[v].signal]),
    [
      ["overflow", 11],
      ["bounds", 11],
      ["invalid TSS", 11],
      ["segment not present", 7],
      ["stack segment", 7],
      ["alignment check", 7],
    ],
  );
  assert.equal(EXCEPTIONS[X86_TRAP_AC].siCode, 1);
  // math_error() sends SIGFPE for #MF and #XM without a traps: line
  assert.deepEqual([EXCEPTIONS[16].name, EXCEPTIONS[16].signal], [undefined, SIGFPE]);
  assert.deepEqual([EXCEPTIONS[19].name, EXCEPTIONS[19].signal], [undefined, SIGFPE]);
  // error codes are pushed for 8, 10-14, 17, 21, 29 (SDM table 6-1)
  assert.deepEqual(
    EXCEPTIONS.filter((e) => e.errorCode).map((e) => e.vector),
    [8, 10, 11, 12, 13, 14, 17, 21, 29],
  );
});

// ---- layout ----

Deno.test("exec lays out a PIE with ELF_ET_DYN_BASE + arch_mmap_rnd and a random stack", async () => {
  const { p } = await run("a.out", function* () {});
  const base = p.image.text.start - 0x1000;
  // 28 bits of pages above 0x555555554000, page aligned
  assert.equal((base - ELF_ET_DYN_BASE) % 0x1000, 0);
  assert.ok(base >= ELF_ET_DYN_BASE && base < ELF_ET_DYN_BASE + 2 ** 40);
  assert.equal(p.image.text.end - p.image.text.start, 0x1000);
  // sp 16-byte aligned, within 16 GB + a page or two below TASK_SIZE_MAX
  assert.equal(p.image.sp % 16, 0);
  assert.ok(p.image.sp < TASK_SIZE_MAX && p.image.sp > TASK_SIZE_MAX - 2 ** 34 - 0x3000);
});

Deno.test("exec without ASLR puts the text at 0x555555555000 as under gdb", async () => {
  const { p } = await run("a.out", function* () {}, { aslr: false });
  assert.equal(p.image.text.start, 0x555555555000);
  // 0x7ffffffff000 - 0xc40 (env, auxv, argv and main's frame of a small program)
  assert.equal(p.image.sp, 0x7fffffffe3c0);
});

// ---- #DE ----

Deno.test("#DE prints the do_trap line and kills with SIGFPE and a core", async () => {
  const { p, log, k } = await run("div_by_zero", function* () {
    yield* div(1, 0);
  });
  // show_signal(): pr_info("%s[%d] %s%s ip:%lx sp:%lx error:%lx", comm, pid, "trap ",
  //   "divide error", ip, sp, error_code); print_vma_addr(" in ", ip) -> "%s%s[%lx+%lx]"
  const t = p.image.text.start;
  assert.deepEqual(log, [
    `traps: div_by_zero[${p.pid}] trap divide error ip:${hex(t + 0x13c)} sp:${
      hex(p.image.sp)
    } error:0 in div_by_zero[${hex(t)}+1000]`,
  ]);
  // pr_info = KERN_INFO
  assert.equal(k.log.records.at(-1)!.level, 6);
  assert.equal(WTERMSIG(p.status!), SIGFPE);
  assert.ok(WCOREDUMP(p.status!));
  assert.equal(p.task.state, "X");
});

Deno.test("#DE also on INT_MIN / -1, and idiv truncates toward zero otherwise", async () => {
  const got: number[] = [];
  const { p, log } = await run("divs", function* () {
    got.push(yield* div(-7, 2), yield* div(7, -2), yield* div(-0x80000000, 1));
    yield* div(-0x80000000, -1);
    got.push(99);
  });
  assert.deepEqual(got, [-3, -3, -0x80000000]);
  assert.equal(log.length, 1);
  assert.match(log[0], / trap divide error /);
  assert.equal(WTERMSIG(p.status!), SIGFPE);
});

Deno.test("show_unhandled_signals 0 (debug.exception-trace) silences the line, not the signal", async () => {
  const { p, log, k } = await run("quiet", function* () {
    yield* div(1, 0);
  }, { before: (k) => assert.equal(k.procfs.write("/proc/sys/debug/exception-trace", "0\n"), 2) });
  assert.deepEqual(log, []);
  assert.equal(WTERMSIG(p.status!), SIGFPE);
  assert.equal(k.procfs.read("/proc/sys/debug/exception-trace"), "0\n");
  // proc_dointvec refuses text that is not a number
  assert.equal(k.procfs.write("/proc/sys/debug/exception-trace", "yes"), -22);
});

Deno.test("SIG_IGN for SIGFPE does not survive a #DE: force_sig resets it to SIG_DFL", async () => {
  // force_sig_info_to_task(): blocked or ignored -> sa_handler = SIG_DFL; and
  // unhandled_signal() counts SIG_IGN as unhandled, so the line is printed
  const { p, log } = await run("ign", function* () {
    yield* signal(SIGFPE, SIG_IGN);
    yield* div(1, 0);
  });
  assert.equal(log.length, 1);
  assert.equal(WTERMSIG(p.status!), SIGFPE);
});

// ---- #BP ----

Deno.test("#BP without a tracer: trap int3 line, ip after the int3, SIGTRAP with a core", async () => {
  const { p, log, out } = await run("int3", function* () {
    yield* printf("before\n");
    yield* int3();
    yield* printf("after\n");
  });
  const t = p.image.text.start;
  // do_trap(X86_TRAP_BP, SIGTRAP, "int3", ...): a trap, so ip is past the 1-byte int3 (0x1181)
  assert.deepEqual(log, [
    `traps: int3[${p.pid}] trap int3 ip:${hex(t + 0x182)} sp:${hex(p.image.sp)} error:0 in int3[${
      hex(t)
    }+1000]`,
  ]);
  assert.deepEqual(out, ["before"]);
  assert.equal(WTERMSIG(p.status!), SIGTRAP);
  assert.ok(WCOREDUMP(p.status!));
});

Deno.test("#BP with a SIGTRAP handler: no line, the handler runs, the program goes on", async () => {
  // unhandled_signal() is false when a handler is installed
  const { p, log, out } = await run("handled", function* () {
    yield* signal(SIGTRAP, function* (sig: number) {
      yield* printf("caught %d\n", sig);
    });
    yield* int3();
    yield* printf("after\n");
    return 3;
  });
  assert.deepEqual(log, []);
  assert.deepEqual(out, ["caught 5", "after"]);
  assert.ok(WIFEXITED(p.status!));
  assert.equal(WEXITSTATUS(p.status!), 3);
});

Deno.test("a SIGSEGV handler that exits ends the fault loop", async () => {
  const { p, out } = await run("h", function* () {
    yield* signal(SIGSEGV, function* () {
      yield* printf("SIGSEGV\n");
      yield* exit(2);
    });
    yield* load(0);
  });
  assert.deepEqual(out, ["SIGSEGV"]);
  assert.equal(WEXITSTATUS(p.status!), 2);
});

Deno.test("int3 under gdb: ptrace stop in state t, no traps line, continue to a normal exit", async () => {
  let after = false;
  const s = await shell([{
    file: "int3",
    traced: true,
    continueAfterNs: 100e6,
    main: function* () {
      yield* printf("i equals to: %d\n", 5);
      yield* int3();
      after = true;
      yield* printf("done\n");
    },
  }], 500);
  s.runTo(50); // gdb waits 100 ms before "continue"
  const p = [...processes(s.k).byPid.values()][0];
  assert.equal(p.task.state, "t");
  const status = s.k.procfs.read(`/proc/${p.pid}/status`)!;
  // fs/proc/array.c: "State:\tt (tracing stop)"; TracerPid is gdb's pid
  assert.match(status, /^State:\tt \(tracing stop\)$/m);
  assert.match(status, new RegExp(`^TracerPid:\t${p.tracer!.task.pid}$`, "m"));
  assert.equal(after, false);
  s.runTo(500);
  assert.equal(after, true);
  assert.deepEqual(dmesgAfterBoot(s.k), []);
  assert.deepEqual(s.out, [
    "$ gdb -q ./int3",
    "Reading symbols from ./int3...",
    "(No debugging symbols found in ./int3)",
    "(gdb) run",
    "Starting program: /home/user/int3 ",
    "i equals to: 5",
    "",
    "Program received signal SIGTRAP, Trace/breakpoint trap.",
    // gdb disables ASLR: 0x555555555000 + 0x182
    "0x0000555555555182 in main ()",
    "(gdb) continue",
    "Continuing.",
    "done",
    `[Inferior 1 (process ${p.pid}) exited normally]`,
    "(gdb) quit",
    "$ echo $?",
    "0",
  ]);
  assert.deepEqual(s.results[0].stopStates, ["t"]);
});

Deno.test("SIGFPE under gdb is passed on continue and kills the program", async () => {
  const s = await shell([{
    file: "div_by_zero",
    traced: true,
    main: function* () {
      yield* div(1, 0);
    },
  }], 500);
  s.runTo(500);
  assert.deepEqual(s.out.slice(5), [
    "",
    "Program received signal SIGFPE, Arithmetic exception.",
    "0x000055555555513c in main ()",
    "(gdb) continue",
    "Continuing.",
    "",
    "Program terminated with signal SIGFPE, Arithmetic exception.",
    "The program no longer exists.",
    "(gdb) quit",
    "$ echo $?",
    "0",
  ]);
  assert.deepEqual(dmesgAfterBoot(s.k), []);
});

// ---- #UD and the rest of the table ----

Deno.test("#UD: trap invalid opcode, SIGILL, Illegal instruction (core dumped), 132", async () => {
  const s = await shell([{
    file: "ud",
    main: function* () {
      yield* ud2();
    },
  }], 100);
  s.runTo(100);
  const p = [...processes(s.k).byPid.values()][0];
  assert.match(
    dmesgAfterBoot(s.k)[0],
    new RegExp(`^traps: ud\\[${p.pid}\\] trap invalid opcode ip:`),
  );
  assert.deepEqual(s.out, ["$ ./ud", "Illegal instruction (core dumped)", "$ echo $?", "132"]);
});

Deno.test("each user-deliverable vector sends its signal; do_trap ones print 'trap <name>'", async () => {
  for (const e of EXCEPTIONS) {
    if (!e.signal || e.vector === X86_TRAP_PF) continue;
    const { p, log } = await run("v", function* () {
      yield* raise_exception(e.vector);
    });
    assert.equal(WTERMSIG(p.status!), e.signal, `vector ${e.vector}`);
    if (e.vector === X86_TRAP_GP) assert.match(log[0], /\] general protection fault ip:/);
    else if (e.name) {
      assert.match(log[0], new RegExp(`\\] trap ${e.name} ip:`), `vector ${e.vector}`);
    } else assert.deepEqual(log, [], `vector ${e.vector} prints no traps: line`);
  }
});

Deno.test("a machine check is counted in the MCE row (mce_exception_count)", async () => {
  const { k } = await run("mc", function* () {
    yield* raise_exception(18);
  });
  const row = k.procfs.read("/proc/interrupts")!.split("\n").find((l) => l.includes("MCE:"))!;
  // "%*s: " + "%10u " per CPU + "  Machine check exceptions"
  assert.equal(row, "MCE:          1   Machine check exceptions");
});

Deno.test("exceptions are not counted in /proc/interrupts", async () => {
  const quiet = await run("idle", function* () {}, { ms: 50 });
  const noisy = await run("traps", function* () {
    yield* signal(SIGTRAP, () => {});
    for (let i = 0; i < 20; i++) yield* int3();
  }, { ms: 50 });
  assert.equal(
    noisy.k.procfs.read("/proc/interrupts"),
    quiet.k.procfs.read("/proc/interrupts"),
  );
  void X86_TRAP_DE;
  void X86_TRAP_BP;
  void X86_TRAP_UD;
});

// ---- #GP and ioperm ----

Deno.test("outb without ioperm: #GP, 'general protection fault' without 'trap ', SIGSEGV", async () => {
  const { p, log } = await run("userapp", function* () {
    yield* outb(0x80, 0x00);
  });
  const t = p.image.text.start;
  // exc_general_protection(): show_signal(tsk, SIGSEGV, "", desc, regs, error_code)
  assert.deepEqual(log, [
    `traps: userapp[${p.pid}] general protection fault ip:${hex(t + 0x140)} sp:${
      hex(p.image.sp)
    } error:0 in userapp[${hex(t)}+1000]`,
  ]);
  assert.equal(WTERMSIG(p.status!), SIGSEGV);
});

Deno.test("ioperm opens ports for root: the outb reaches the PIC, turning off closes them", async () => {
  let imr = -1;
  const { p, log } = await run("pic", function* () {
    assert.equal(yield* ioperm(0x21, 1, 1), 0);
    yield* outb(0xfb, 0x21); // OCW1: mask everything but the cascade
    imr = yield* inb(0x21);
    assert.equal(yield* ioperm(0x21, 1, 0), 0);
    yield* outb(0xff, 0x21);
  }, { root: true });
  assert.equal(imr, 0xfb);
  assert.equal(log.length, 1);
  assert.match(log[0], /\] general protection fault ip:/);
  assert.equal(WTERMSIG(p.status!), SIGSEGV);
});

Deno.test("ioperm errors: EPERM without CAP_SYS_RAWIO, EINVAL for empty or too-high spans", async () => {
  const r: [number, number][] = [];
  function* attempt(from: number, num: number, on: number) {
    const ret = yield* ioperm(from, num, on);
    r.push([ret, ret === 0 ? 0 : errno()]);
  }
  const { p } = await run("perm", function* () {
    yield* attempt(0x80, 1, 1);
    yield* attempt(0x80, 0, 1);
    yield* attempt(0xffff, 2, 1);
    yield* attempt(0x80, 1, 0); // turning bits off needs no capability
  }, { root: false });
  // ksys_ioperm(): turn_on && !capable(CAP_SYS_RAWIO) -> -EPERM (1);
  // (from + num <= from) || (from + num > IO_BITMAP_BITS) -> -EINVAL (22)
  assert.deepEqual(r, [[-1, 1], [-1, 22], [-1, 22], [0, 0]]);
  assert.ok(WIFEXITED(p.status!));
});

// ---- #PF ----

Deno.test("a load from 0: segfault at 0 ... error 4, the CPU part and the Code: line", async () => {
  const { p, log, k } = await run("null_deref", function* () {
    yield* load(0);
  });
  const t = p.image.text.start;
  // show_signal_msg(): "%s%s[%d]: segfault at %lx ip %px sp %px error %lx" + print_vma_addr
  //   + " likely on CPU %d (core %d, socket %d)"; error 4 = X86_PF_USER, read, not present
  assert.equal(
    log[0],
    `null_deref[${p.pid}]: segfault at 0 ip ${px(t + 0x13d)} sp ${
      px(p.image.sp)
    } error 4 in null_deref[${hex(t)}+1000] likely on CPU 0 (core 0, socket 0)`,
  );
  // show_opcodes(): "Code: %42ph <%02x> %21ph" — 42 bytes, the byte at ip, 21 bytes;
  // mov -0x8(%rbp),%rax (48 8b 45 f8) ends the prologue, mov (%rax),%eax is 8b 00
  const code = log[1].split(" ");
  assert.equal(code[0], "Code:");
  assert.equal(code.length, 1 + 42 + 1 + 21);
  assert.deepEqual(code.slice(39, 43), ["48", "8b", "45", "f8"]);
  assert.equal(code[43], "<8b>");
  assert.equal(code[44], "00");
  assert.equal(WTERMSIG(p.status!), SIGSEGV);
  assert.equal(k.log.records.filter((r) => r.ts > 0).every((r) => r.level === 6), true);
});

Deno.test("a segfault of pid 1 is logged at KERN_EMERG (show_signal_msg loglvl)", async () => {
  const { kernel: k } = await loadMachine("machines/pc.yaml");
  const p = processes(k).exec({ file: "init", pid: 1, main: divLoad });
  for (const c of k.cpus) c.start();
  k.runUntil(10e6);
  assert.equal(p.pid, 1);
  // const char *loglvl = task_pid_nr(tsk) > 1 ? KERN_INFO : KERN_EMERG;
  assert.deepEqual(k.log.records.filter((r) => r.ts > 0).map((r) => r.level), [0, 0]);
});

function* divLoad() {
  yield* load(0);
}

Deno.test("#PF error codes: 6 for a write to nothing, 7 for a write to the text (SEGV_ACCERR)", async () => {
  const w = await run("w", function* () {
    yield* store(0x1000, 1);
  });
  assert.match(w.log[0], /: segfault at 1000 ip [0-9a-f]{16} sp [0-9a-f]{16} error 6 in w\[/);
  // without ASLR the text mapping is at 0x555555555000 (r-x): writing there is a protection fault
  const t = await run("t", function* () {
    yield* store(0x555555555008, 1);
  }, { aslr: false });
  assert.match(t.log[0], / error 7 in t\[/);
  assert.equal(SEGV_ACCERR, 2);
  assert.equal(SEGV_MAPERR, 1);
});

Deno.test("a kernel address is a protection fault (sanitize_error_code adds X86_PF_PROT)", async () => {
  const { log } = await run("k", function* () {
    yield* load(0x7ffffffff000);
  });
  assert.match(log[0], /: segfault at 7ffffffff000 ip [0-9a-f]{16} sp [0-9a-f]{16} error 5 in k\[/);
});

// ---- rate limiting ----

Deno.test("traps lines are printk_ratelimit()ed: 10 per 5 s, then 'show_signal: N callbacks suppressed'", async () => {
  const s = await shell([
    { file: "div_by_zero", main: divMain, repeat: 12 },
    { file: "div_by_zero", main: divMain, atNs: 6000e6 },
  ], 7000);
  s.runTo(7000);
  const lines = dmesgAfterBoot(s.k);
  // 12 runs within one interval: 10 lines; the run after 5 s (jiffies > begin + 5 * HZ)
  // first prints the 2 that were suppressed
  assert.equal(lines.length, 12);
  assert.equal(lines.slice(0, 10).every((l) => / trap divide error /.test(l)), true);
  assert.equal(lines[10], "show_signal: 2 callbacks suppressed");
  assert.match(lines[11], / trap divide error /);
  // the shell reported all 13 deaths
  assert.equal(s.out.filter((l) => l === "Floating point exception (core dumped)").length, 13);
  assert.equal(s.results.length, 13);
});

function* divMain() {
  yield* div(1, 0);
}

Deno.test("core_dump false: the shell prints no (core dumped)", async () => {
  const s = await shell([{ file: "d", main: divMain, coreDump: false }], 100);
  s.runTo(100);
  assert.deepEqual(s.out, ["$ ./d", "Floating point exception", "$ echo $?", "136"]);
});

// ---- determinism ----

Deno.test("the same seed gives the same addresses and lines; another seed moves them", async () => {
  const a = await run("div_by_zero", divMain, { seed: 7 });
  const b = await run("div_by_zero", divMain, { seed: 7 });
  const c = await run("div_by_zero", divMain, { seed: 8 });
  assert.deepEqual(a.k.log.dmesg(), b.k.log.dmesg());
  assert.notEqual(a.p.image.text.start, c.p.image.text.start);
});

Deno.test("tracepoints: exceptions:page_fault_user, signal:signal_generate, signal:signal_deliver", async () => {
  const { k, p } = await run("null_deref", divLoad, {
    before: (k) => (k.trace.enabled = true),
  });
  const text = k.trace.format(k.cpus.length);
  const ip = (p.image.text.start + 0x13d).toString(16);
  // TP_printk("address=%ps ip=%ps error_code=0x%lx"): no symbol, so %ps prints 0x%lx
  assert.match(text, new RegExp(`page_fault_user: address=0x0 ip=0x${ip} error_code=0x4\n`));
  // TP_printk("sig=%d errno=%d code=%d comm=%s pid=%d grp=%d res=%d"); SEGV_MAPERR = 1
  assert.match(
    text,
    new RegExp(`signal_generate: sig=11 errno=0 code=1 comm=null_deref pid=${p.pid} grp=0 res=0\n`),
  );
  // TP_printk("sig=%d errno=%d code=%d sa_handler=%lx sa_flags=%lx"); SIG_DFL = 0
  assert.match(text, /signal_deliver: sig=11 errno=0 code=1 sa_handler=0 sa_flags=0\n/);
  // in that order
  assert.ok(text.indexOf("page_fault_user") < text.indexOf("signal_generate"));
  assert.ok(text.indexOf("signal_generate") < text.indexOf("signal_deliver"));
});

// ---- scenario files ----

Deno.test("runScenario reports bad programs: entries with file:line:col", async () => {
  await assert.rejects(
    () => runScenario("machines/pc.yaml", { scenario: "tests/fixtures/bad_programs.yaml" }),
    (e: Error) => {
      assert.equal(
        e.message,
        'tests/fixtures/bad_programs.yaml:4:11: error at programs[0].path: cannot load program "programs/no_such_program.ts": no such file tests/fixtures/programs/no_such_program.ts\n' +
          "  hint: a program is a TypeScript file: export default function* main() { ... }\n" +
          'tests/fixtures/bad_programs.yaml:5:11: error at programs[1].path: cannot load program "drivers/not_a_program.ts": its default export is not a generator function main()\n' +
          "  hint: a program is a TypeScript file: export default function* main() { ... }",
      );
      return true;
    },
  );
});

Deno.test("loadScenarioSpec checks programs: keys and times", () => {
  assert.throws(
    () =>
      loadScenarioSpec(
        "name: x\nduration_ms: 10\nprograms:\n  - { path: a.ts, at_ms: 20, trace: true }\n",
        "s.yaml",
      ),
    (e: Error) => {
      assert.match(
        e.message,
        /^s\.yaml:4:26: error at programs\[0\]\.at_ms: program at 20 ms comes after the end$/m,
      );
      assert.match(
        e.message,
        /^s\.yaml:4:30: error at programs\[0\]\.trace: unknown key "trace"$/m,
      );
      assert.match(e.message, /hint: did you mean "traced"\?/);
      return true;
    },
  );
});

Deno.test("a scenario run is byte-identical twice: shell transcript and dmesg", async () => {
  const a = await runScenario("machines/pc.yaml", { scenario: "scenarios/int3.yaml" });
  const b = await runScenario("machines/pc.yaml", { scenario: "scenarios/int3.yaml" });
  assert.deepEqual(a.shell, b.shell);
  assert.equal(a.dmesg, b.dmesg);
  assert.equal(a.programs[0].exitStatus, 133);
});

// ---- IDT gates and int $n ----

Deno.test("idtGate: DPL 3 only for #BP, #OF and int $0x80; IST stacks for NMI, #DF, #DB, #MC, #VC", () => {
  // arch/x86/kernel/idt.c: SYSG(X86_TRAP_OF), SYSG(X86_TRAP_BP), SYSG(IA32_SYSCALL_VECTOR)
  const user = [...Array(256).keys()].filter((v) => idtGate(v).dpl === 3);
  assert.deepEqual(user, [3, 4, 0x80]);
  // ISTG(X86_TRAP_NMI, .., IST_INDEX_NMI), ISTG(X86_TRAP_DF, ..), ISTG(X86_TRAP_DB, ..),
  // ISTG(X86_TRAP_MC, ..), ISTG(X86_TRAP_VC, ..)
  assert.deepEqual(
    [2, 8, 1, 18, 29].map((v) => idtGate(v).ist),
    ["IST_INDEX_NMI", "IST_INDEX_DF", "IST_INDEX_DB", "IST_INDEX_MCE", "IST_INDEX_VC"],
  );
  assert.equal(idtGate(X86_TRAP_GP).ist, undefined);
});

Deno.test("int $n from user mode: a DPL-0 gate is #GP((n << 3) | 2), int $3 is #BP past the insn", async () => {
  const gp0 = await run("i0", function* () {
    yield* int_n(0);
  });
  // (0 << 3) | 2 = 2: the IDT bit of the selector error code
  assert.match(gp0.log[0], /\] general protection fault ip:[0-9a-f]+ sp:[0-9a-f]+ error:2 in i0\[/);
  const gp13 = await run("i13", function* () {
    yield* int_n(13);
  });
  // (13 << 3) | 2 = 0x6a
  assert.match(gp13.log[0], / error:6a in i13\[/);
  const bp = await run("i3", function* () {
    yield* int_n(3);
  });
  // CD 03 is two bytes: ip = 0x1131 + 2
  const t = bp.p.image.text.start;
  assert.match(bp.log[0], new RegExp(`\\] trap int3 ip:${hex(t + 0x133)} `));
  const of = await run("i4", function* () {
    yield* int_n(4);
  });
  assert.match(of.log[0], /\] trap overflow ip:/);
  assert.equal(WTERMSIG(of.p.status!), SIGSEGV);
});

Deno.test("show_signal and show_signal_msg share printk_ratelimit_state; the next caller names itself", async () => {
  const s = await shell([
    { file: "div_by_zero", main: divMain, repeat: 11 },
    { file: "null_deref", main: divLoad, atNs: 6000e6 },
  ], 7000);
  s.runTo(7000);
  const lines = dmesgAfterBoot(s.k);
  // 10 allowed, the 11th suppressed; after the interval the segfault path prints first
  assert.equal(lines.length, 13);
  assert.equal(lines[10], "show_signal_msg: 1 callbacks suppressed");
  assert.match(lines[11], /^null_deref\[\d+\]: segfault at 0 /);
  assert.match(lines[12], /^Code: /);
});

Deno.test("a handler that returns from a fault runs the faulting instruction again", async () => {
  // rt_sigreturn restores the saved ip, which for #DE is the idiv itself: it faults again
  let calls = 0;
  const { p, log } = await run("again", function* () {
    yield* signal(SIGFPE, () => void calls++);
    yield* div(1, 0);
    calls = -1000; // never reached
  }, { ms: 10 });
  assert.ok(calls > 100, `handler ran ${calls} times`);
  assert.deepEqual(log, []);
  assert.equal(p.status, undefined);
  assert.equal(p.task.state, "R");
});

Deno.test("/proc/PID/status: Z (zombie) until the parent waits, then gone", async () => {
  const k = await boot();
  const p = processes(k).exec({ file: "z", main: divMain });
  for (const c of k.cpus) c.start();
  k.runUntil(10e6);
  // no parent waits here: the dead task stays a zombie
  assert.match(k.procfs.read(`/proc/${p.pid}/status`)!, /^State:\tZ \(zombie\)$/m);
  p.reap();
  assert.equal(k.procfs.read(`/proc/${p.pid}/status`), undefined);
});

Deno.test("comm is cut to 15 characters (TASK_COMM_LEN 16); print_vma_addr names the whole file", async () => {
  const { p, log } = await run("divide_by_zero_program", divMain);
  assert.equal(p.comm, "divide_by_zero_");
  assert.match(
    log[0],
    new RegExp(
      `^traps: divide_by_zero_\\[${p.pid}\\] trap divide error .* in divide_by_zero_program\\[`,
    ),
  );
});

Deno.test("show_opcodes for a store: <c7> then the rest of main and _fini at the next 4-byte boundary", async () => {
  const { log } = await run("st", function* () {
    yield* store(0, 1);
  });
  // main: ... 48 8b 45 f8 | c7 00 01 00 00 00 (movl $1,(%rax)) b8 00 00 00 00 5d c3,
  // .fini 4-aligned at 0x114c: f3 0f 1e fa 48 83 ec ...
  assert.equal(
    log[1].slice(log[1].indexOf("<")),
    "<c7> 00 01 00 00 00 b8 00 00 00 00 5d c3 00 00 f3 0f 1e fa 48 83 ec",
  );
  assert.match(log[0], / error 6 in st\[/);
});
