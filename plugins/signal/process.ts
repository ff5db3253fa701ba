/**
 * User processes: a user program (a TypeScript generator function written
 * like its C `main`) runs as a user task (`kthread: false`) with a comm and
 * a pid. Its instruction-level operations (`div`, `int3`, `outb`, a load
 * from an address...) go to the architecture ({@linkcode UserArch}), which
 * raises the exception and runs the kernel's trap handler; the handler sends
 * a signal with the kernel's rules (kernel/signal.c `force_sig_fault`), and
 * on the way back to user mode the signal is delivered (`get_signal`):
 * a tracer gets a ptrace stop (TASK_TRACED, `t`), a handler runs, or the
 * default action kills the process, with a core dump for the coredump
 * signals.
 *
 * Waiting (the shell's `waitpid`, the tracer's) is modelled with wake-ups of
 * the waiting task; nothing here reads a host clock.
 *
 * @module
 */

import { type Body, DONE, type SleepToken, sleepToken } from "../../core/body.ts";
import { serviceKey } from "../../core/bus.ts";
import { defineTraceEvent, type TraceEventType } from "../../core/trace.ts";
import type { ServiceKey } from "../../core/bus.ts";
import type { Cpu } from "../../core/cpu.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { Task } from "../../core/sched.ts";
import { defaultAction, exitedStatus, SI_KERNEL, SIGKILL, signaledStatus } from "./signal.ts";

/** Arguments of signal:signal_generate. */
export interface SignalGenerateArgs {
  sig: number;
  code: number;
  comm: string;
  pid: number;
  grp: number;
  res: number;
}

/**
 * signal:signal_generate (include/trace/events/signal.h):
 * `sig=%d errno=%d code=%d comm=%s pid=%d grp=%d res=%d`.
 */
export const signal_generate: TraceEventType<SignalGenerateArgs> = defineTraceEvent<
  SignalGenerateArgs
>(
  "signal",
  "signal_generate",
  (a) =>
    `sig=${a.sig} errno=0 code=${a.code} comm=${a.comm} pid=${a.pid} grp=${a.grp} res=${a.res}`,
);

/**
 * signal:signal_deliver (include/trace/events/signal.h):
 * `sig=%d errno=%d code=%d sa_handler=%lx sa_flags=%lx`.
 */
export const signal_deliver: TraceEventType<{ sig: number; code: number; handler: number }> =
  defineTraceEvent<{ sig: number; code: number; handler: number }>(
    "signal",
    "signal_deliver",
    (a) => `sig=${a.sig} errno=0 code=${a.code} sa_handler=${a.handler.toString(16)} sa_flags=0`,
  );

/** Names of the operations a user program can perform. */
export type UserOpName =
  | "div"
  | "int3"
  | "ud2"
  | "int"
  | "exception"
  | "outb"
  | "inb"
  | "ioperm"
  | "load"
  | "store"
  | "write"
  | "getpid"
  | "exit"
  | "signal"
  | "nanosleep";

/** One operation of a user program (yielded; see the user API in user.ts). */
export interface UserOp {
  /** Marks a user operation among the tokens a program yields. */
  readonly kind: "uop";
  /** Which operation. */
  readonly op: UserOpName;
  /** Its integer arguments, in the C call's order. */
  readonly args: readonly number[];
  /** Text of a write(). */
  readonly text?: string;
  /** Handler of signal(). */
  readonly handler?: SignalHandler;
}

/** What a user program's generator yields and gets back. */
export type UserCall<T> = Generator<UserOp | SleepToken, T, unknown>;

/** A signal handler: `void handler(int sig)`, a generator when it does work. */
export type SignalHandler = (sig: number) => Generator<unknown, unknown, unknown> | void;

/** SIG_DFL */
export const SIG_DFL = "SIG_DFL" as const;
/** SIG_IGN */
export const SIG_IGN = "SIG_IGN" as const;
/** A disposition: default, ignore, or a handler. */
export type Disposition = typeof SIG_DFL | typeof SIG_IGN | SignalHandler;

/** `int main(int argc, char **argv)`: a generator that returns the exit code. */
export type UserMain = (argv: string[]) => Generator<unknown, number | void, unknown>;

/** One mapping of the address space (`struct vm_area_struct` in small). */
export interface Vma {
  /** vm_start */
  start: number;
  /** vm_end (exclusive) */
  end: number;
  /** "r--", "r-x", "rw-". */
  perms: string;
  /** Backing file's basename, for print_vma_addr(); undefined for anonymous memory. */
  file?: string;
}

/** The process image the architecture lays out at exec. */
export interface ProcessImage {
  /** Mappings sorted by address. */
  vmas: Vma[];
  /** The text (r-x) mapping. */
  text: Vma;
  /** The user stack pointer in main(). */
  sp: number;
}

/** A fault the architecture raised for an operation. */
export interface ArchFault {
  /** Marks a fault result. */
  readonly fault: true;
  /**
   * True for faults (the saved ip is the faulting instruction, which runs
   * again if the task goes on), false for traps (ip after it: int3).
   */
  readonly restart: boolean;
}

/** The architecture's side of user mode. */
export interface UserArch {
  /** Lay out the address space of a new process (ELF load, stack). */
  image(file: string, aslr: boolean, k: Kernel): ProcessImage;
  /**
   * Execute one operation in user mode on the current CPU. On an exception
   * the arch enters the kernel, runs its handler (which prints and calls
   * {@linkcode UserProcess.forceSig}) and returns an {@linkcode ArchFault}.
   */
  execute(p: UserProcess, op: UserOp): number | ArchFault;
  /** ns of user-mode work one operation costs (apart from the kernel's). */
  readonly opCostNs: number;
}

/** Service key under which an arch plugin provides {@linkcode UserArch}. */
export const UserArchKey: ServiceKey<UserArch> = serviceKey<UserArch>("user-arch");

/** A pending signal (`struct kernel_siginfo` in small). */
export interface SigInfo {
  /** si_signo */
  sig: number;
  /** si_code */
  code: number;
  /** si_addr */
  addr: number;
}

/** A tracer attached with ptrace (a debugger). */
export interface Tracer {
  /** The tracer's task, woken when the tracee stops or exits. */
  task: Task;
}

/** Options of exec. */
export interface ExecOptions {
  /** The program file's basename (argv[0] without "./"; comm is its first 15 chars). */
  file: string;
  /** The program. */
  main: UserMain;
  /** An explicit pid: 1 runs it as init (is_global_init). Default: the next free pid. */
  pid?: number;
  /** argv (default `["./<file>"]`). */
  argv?: string[];
  /** randomize_va_space (ASLR) for this exec; gdb turns it off. */
  aslr?: boolean;
  /** Has CAP_SYS_RAWIO (root); needed by ioperm(..., 1). */
  root?: boolean;
  /** A core file is written when a coredump signal kills it (see README: core_dump). */
  coreDump?: boolean;
  /** Traced from the start (PTRACE_TRACEME before exec). */
  tracer?: Tracer;
  /** stdout: one call per line. */
  stdout?: (line: string) => void;
  /** Task woken when the process exits (its parent in waitpid). */
  parent?: Task;
  /** CPU to run on. */
  cpu?: number;
}

/** Per-machine state of user processes. */
export class Processes {
  /** Every process exec'd on this machine, by pid. */
  readonly byPid: Map<number, UserProcess> = new Map();
  /** show_unhandled_signals (sysctl debug.exception-trace; x86 default 1, arch/x86/mm/fault.c). */
  showUnhandledSignals = 1;

  constructor(readonly kernel: Kernel) {
    kernel.procfs.register(
      "/proc/sys/debug/exception-trace",
      () => `${this.showUnhandledSignals}\n`,
      (data) => {
        const v = data.trim();
        if (!/^-?\d+$/.test(v)) return -22; // proc_dointvec: -EINVAL
        this.showUnhandledSignals = Number(v);
        return data.length;
      },
    );
  }

  /** exec a user program as a new user task. */
  exec(opts: ExecOptions): UserProcess {
    const k = this.kernel;
    const arch = k.bus.tryGet(UserArchKey);
    if (!arch) {
      throw new Error(
        "Cannot run a user program: no architecture plugin provides user mode (load x86)",
      );
    }
    const p = new UserProcess(this, arch, opts);
    const task = k.sched.create({
      comm: opts.file,
      kthread: false,
      cpu: opts.cpu,
      pid: opts.pid,
      body: p.body,
    });
    p.task = task;
    this.byPid.set(task.pid, p);
    k.procfs.registerDir(`/proc/${task.pid}/`, (rest) => p.procFile(rest));
    return p;
  }
}

const registry = new WeakMap<Kernel, Processes>();

/** The user processes of a machine (created on first use). */
export function processes(k: Kernel): Processes {
  let p = registry.get(k);
  if (!p) {
    p = new Processes(k);
    registry.set(k, p);
  }
  return p;
}

// fs/proc/array.c task_state_array
const STATE_TEXT: Record<string, string> = {
  R: "R (running)",
  S: "S (sleeping)",
  D: "D (disk sleep)",
  t: "t (tracing stop)",
  X: "X (dead)",
  I: "I (idle)",
};

/** A user process (one thread). */
export class UserProcess {
  /** The user task running it. */
  task!: Task;
  /** The program file's basename. */
  readonly file: string;
  /** Its address space. */
  readonly image: ProcessImage;
  /** Has CAP_SYS_RAWIO. */
  readonly root: boolean;
  /** A core is written on a coredump signal. */
  readonly coreDump: boolean;
  /** The task's body. */
  readonly body: UserProgramBody;
  /** sighand->action[], by signal number. */
  readonly actions: Disposition[] = [];
  /** Pending signals, in order. */
  readonly pending: SigInfo[] = [];
  /** The tracer, when ptraced. */
  tracer: Tracer | undefined;
  /** errno of the last failed call. */
  errno = 0;
  /** The I/O permission bitmap (thread.io_bitmap), 1 bit per port; undefined until ioperm(). */
  ioBitmap: Uint8Array | undefined;
  /** regs->ip of the last exception (for a tracer's report). */
  lastIp = 0;
  /** Wait status once dead. */
  status: number | undefined;
  /** Signal of the current ptrace stop (0 when not stopped). */
  stopSig = 0;
  /** Signal and si_code of the last ptrace stop. */
  stopSigSeen = 0;
  stopCode = 0;
  /** Signal the tracer resumes with (0: discard). */
  resumeSig = 0;
  /** Set when a core file was written. */
  coreDumped = false;
  /** Where stdout lines go. */
  readonly stdout: (line: string) => void;
  #outBuf = "";
  /** The task that waits for it (the shell, or gdb). */
  readonly parent: Task | undefined;

  constructor(readonly procs: Processes, readonly arch: UserArch, opts: ExecOptions) {
    this.file = opts.file;
    this.root = opts.root ?? true;
    this.coreDump = opts.coreDump ?? true;
    this.tracer = opts.tracer;
    this.stdout = opts.stdout ?? (() => {});
    this.parent = opts.parent;
    this.image = arch.image(opts.file, opts.aslr ?? true, procs.kernel);
    this.body = new UserProgramBody(this, opts.main(opts.argv ?? [`./${opts.file}`]));
  }

  /** Its pid. */
  get pid(): number {
    return this.task.pid;
  }
  /** Its comm (the file name, 15 characters at most). */
  get comm(): string {
    return this.task.comm;
  }
  /** Its machine's kernel. */
  get kernel(): Kernel {
    return this.procs.kernel;
  }

  /** The disposition of `sig`. */
  action(sig: number): Disposition {
    return this.actions[sig] ?? SIG_DFL;
  }

  /**
   * unhandled_signal() (kernel/signal.c): the signal will take its default
   * action or is ignored, the task is not dying, and no tracer decides;
   * is_global_init() (pid 1) always counts as unhandled.
   */
  unhandledSignal(sig: number): boolean {
    if (this.pid === 1) return true;
    const h = this.action(sig);
    if (h !== SIG_IGN && h !== SIG_DFL) return false;
    if (this.pending.some((s) => s.sig === SIGKILL)) return false;
    return !this.tracer;
  }

  /**
   * force_sig_fault() / force_sig() (kernel/signal.c
   * force_sig_info_to_task, HANDLER_CURRENT): a blocked or ignored signal
   * is reset to SIG_DFL so the fault cannot be ignored; then it is queued.
   */
  forceSig(sig: number, code = SI_KERNEL, addr = 0): void {
    if (this.action(sig) === SIG_IGN) this.actions[sig] = SIG_DFL;
    this.pending.push({ sig, code, addr });
    const k = this.kernel;
    if (k.trace.enabled) {
      // send_signal_locked(.., PIDTYPE_PID): grp 0, res TRACE_SIGNAL_DELIVERED (0)
      k.traceEvent(signal_generate, {
        sig,
        code,
        comm: this.comm,
        pid: this.pid,
        grp: 0,
        res: 0,
      });
    }
  }

  /** Append to stdout (line-buffered, as a terminal). */
  write(text: string): void {
    this.#outBuf += text;
    let i: number;
    while ((i = this.#outBuf.indexOf("\n")) >= 0) {
      this.stdout(this.#outBuf.slice(0, i));
      this.#outBuf = this.#outBuf.slice(i + 1);
    }
  }

  /** Flush stdout at exit (exit() flushes stdio; a signal death loses it). */
  flush(): void {
    if (this.#outBuf) this.stdout(this.#outBuf);
    this.#outBuf = "";
  }

  /** The task ends with wait status `status`; waiters are woken. */
  die(status: number): void {
    this.status = status;
    const k = this.kernel;
    if (this.tracer) k.sched.wakeUp(this.tracer.task);
    if (this.parent && this.parent !== this.tracer?.task) k.sched.wakeUp(this.parent);
  }

  /** PTRACE_CONT: resume a tracee from its ptrace stop, delivering `sig` (0: none). */
  ptraceCont(sig: number): void {
    if (this.task.state !== "t") return;
    this.resumeSig = sig;
    this.stopSig = 0;
    this.kernel.sched.wakeUp(this.task);
  }

  /** Set once the parent collected the exit status (wait4): the pid is gone. */
  reaped = false;

  /** The parent's wait4() collected the status: release_task(), /proc/<pid> goes away. */
  reap(): void {
    this.reaped = true;
  }

  /** Files under /proc/<pid>/ (a subset of `status`). */
  procFile(rest: string): string | undefined {
    if (rest !== "status" || this.reaped) return undefined;
    const t = this.task;
    const tracer = this.tracer?.task.pid ?? 0;
    const ppid = this.parent?.pid ?? 0;
    // dead but not yet waited for: a zombie (EXIT_ZOMBIE)
    const state = this.status !== undefined ? "Z (zombie)" : STATE_TEXT[t.state] ?? t.state;
    return `Name:\t${t.comm}\nState:\t${state}\nTgid:\t${t.pid}\n` +
      `Pid:\t${t.pid}\nPPid:\t${ppid}\nTracerPid:\t${tracer}\n`;
  }
}

const RUN = 0, SIGNAL = 1, AFTER_STOP = 2;

/** The body of a user task: runs the program and delivers its signals. */
export class UserProgramBody implements Body {
  readonly label: string;
  #stack: Iterator<unknown, unknown, unknown>[];
  #sent: unknown = undefined;
  #phase = RUN;
  /** The faulting op to run again after the signal (a fault, not a trap). */
  #restart: UserOp | undefined;

  constructor(readonly p: UserProcess, it: Generator<unknown, unknown, unknown>) {
    this.label = p.file;
    this.#stack = [it];
  }

  step(cpu: Cpu): number {
    const p = this.p;
    for (;;) {
      switch (this.#phase) {
        case RUN: {
          if (this.#restart) {
            const op = this.#restart;
            this.#restart = undefined;
            return this.#execute(op);
          }
          const it = this.#stack[this.#stack.length - 1];
          const sent = this.#sent;
          this.#sent = undefined;
          const r = it.next(sent);
          if (r.done) {
            if (this.#stack.length > 1) {
              // a signal handler returned (rt_sigreturn): back to where the signal hit
              this.#stack.pop();
              this.#restart = this.#handlerRestart.pop();
              continue;
            }
            // exit(main's return value)
            p.flush();
            const code = typeof r.value === "number" ? r.value : 0;
            return this.#exit(cpu, exitedStatus(code));
          }
          const tok = r.value as UserOp | SleepToken | undefined;
          if (tok && typeof tok === "object" && "kind" in tok) {
            if (tok.kind === "uop" && tok.op === "exit") {
              // exit(): stdio is flushed, then exit_group()
              p.flush();
              return this.#exit(cpu, exitedStatus(tok.args[0] ?? 0));
            }
            if (tok.kind === "uop") return this.#execute(tok);
            if (tok.kind === "sleep") return cpu.sleep(tok);
          }
          return 0;
        }
        case SIGNAL: {
          const s = p.pending.shift();
          if (!s) {
            // back to user mode: a fault whose signal did not kill runs its instruction again
            this.#restart = this.#faulted;
            this.#faulted = undefined;
            this.#phase = RUN;
            continue;
          }
          // get_signal() -> ptrace_signal(): a traced task stops for its tracer
          if (p.tracer && s.sig !== SIGKILL) {
            p.stopSig = s.sig;
            p.stopSigSeen = s.sig;
            p.stopCode = s.code;
            this.#phase = AFTER_STOP;
            p.kernel.sched.wakeUp(p.tracer.task);
            return cpu.sleep(sleepToken(Infinity, "t", "ptrace_stop"));
          }
          const r = this.#deliver(cpu, s.sig, s.code);
          if (r !== undefined) return r;
          continue;
        }
        case AFTER_STOP: {
          // the tracer resumed us: with a signal, or none (the signal is discarded)
          const sig = p.resumeSig;
          p.resumeSig = 0;
          this.#phase = SIGNAL;
          if (sig) {
            // ptrace_signal(): a signal the tracer injects is SI_USER unless it is the stop's own
            const r = this.#deliver(cpu, sig, sig === p.stopSigSeen ? p.stopCode : 0);
            if (r !== undefined) return r;
          }
          continue;
        }
      }
    }
  }

  #handlerRestart: (UserOp | undefined)[] = [];

  /** Run one operation; a fault queues a signal for delivery on return to user mode. */
  #execute(op: UserOp): number {
    const p = this.p;
    const k = p.kernel;
    // system calls every architecture has: entry and exit cost as an interrupt's
    const syscall = k.costs.irq_entry_ns + k.costs.irq_exit_ns;
    switch (op.op) {
      case "write":
        p.write(op.text ?? "");
        this.#sent = (op.text ?? "").length;
        return syscall;
      case "getpid":
        this.#sent = p.pid;
        return syscall;
      case "signal": {
        // signal(sig, handler): SIGKILL and SIGSTOP cannot be caught (-EINVAL)
        const sig = op.args[0];
        if (!(sig >= 1 && sig <= 64) || sig === SIGKILL || sig === 19) {
          p.errno = 22;
          this.#sent = -1;
          return syscall;
        }
        const a = op.args[1];
        p.actions[sig] = op.handler ?? (a === 1 ? SIG_IGN : SIG_DFL);
        this.#sent = 0;
        return syscall;
      }
    }
    const v = p.arch.execute(p, op);
    if (typeof v === "object") {
      this.#faulted = v.restart ? op : undefined;
      this.#phase = SIGNAL;
      return p.arch.opCostNs;
    }
    this.#faulted = undefined;
    this.#sent = v;
    if (p.pending.length) this.#phase = SIGNAL;
    return p.arch.opCostNs;
  }

  /** The op that faulted last (run again unless the signal kills or is handled elsewhere). */
  #faulted: UserOp | undefined;

  /**
   * Deliver `sig` by its disposition. Returns a step result when the task
   * dies (DONE), or undefined to go on.
   */
  #deliver(cpu: Cpu, sig: number, code: number): number | undefined {
    const p = this.p;
    const h = p.action(sig);
    const k = p.kernel;
    if (k.trace.enabled) {
      // get_signal(): trace_signal_deliver(signr, &ksig->info, ka); SIG_DFL 0, SIG_IGN 1
      const handler = h === SIG_DFL ? 0 : h === SIG_IGN ? 1 : p.image.text.start + 0x149;
      k.traceEvent(signal_deliver, { sig, code, handler });
    }
    if (typeof h === "function") {
      // handle_signal(): run the handler on the user stack; rt_sigreturn
      // returns to the interrupted ip (the faulting instruction for a fault)
      const g = h(sig);
      if (g && typeof g === "object" && "next" in g) {
        this.#handlerRestart.push(this.#faulted);
        this.#faulted = undefined;
        this.#stack.push(g);
      }
      // a plain function handler has run already; #faulted stays for the restart
      return undefined;
    }
    if (h === SIG_IGN) return undefined;
    const act = defaultAction(sig);
    if (act === "ign" || act === "cont") return undefined;
    if (act === "stop") {
      p.kernel.notImplemented(`job-control stop by ${sig}`);
      return undefined;
    }
    // do_coredump() for the coredump signals, then do_group_exit()
    const core = act === "core" && p.coreDump;
    p.coreDumped = core;
    return this.#exit(cpu, signaledStatus(sig, core));
  }

  #exit(cpu: Cpu, status: number): number {
    this.p.die(status);
    for (const it of this.#stack) it.return?.(undefined);
    cpu.retval = status;
    return DONE;
  }
}

/** sleep until `cond()` holds: a loop of interruptible sleeps (wait_event in small). */
export function* waitUntil(cond: () => boolean, caller = "do_wait"): Generator<SleepToken, void> {
  while (!cond()) yield sleepToken(Infinity, "S", caller);
}
