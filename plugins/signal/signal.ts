/**
 * Signals as the kernel numbers and treats them, and as a shell reports them.
 *
 * - Numbers: arch/x86/include/uapi/asm/signal.h (the same as
 *   include/uapi/asm-generic/signal.h for every signal below).
 * - si_code values: include/uapi/asm-generic/siginfo.h.
 * - Default actions: kernel/signal.c and include/linux/signal.h
 *   (`SIG_KERNEL_COREDUMP_MASK`, `SIG_KERNEL_IGNORE_MASK`,
 *   `SIG_KERNEL_STOP_MASK`); everything else terminates.
 * - Wait status: include/uapi/linux/wait.h / glibc's `WTERMSIG`,
 *   `WCOREDUMP` (0x80), `WIFSTOPPED` (0x7f); kernel/exit.c builds it.
 * - Shell messages: glibc's `strsignal()` texts (sysdeps/generic/siglist.h),
 *   which bash prints for a foreground job killed by a signal, followed by
 *   ` (core dumped)` when `WCOREDUMP(status)`; `$?` is 128 + signal.
 * - gdb's descriptions (gdb/infrun.c `print_signal_received_reason`, the
 *   table in gdbsupport/signals.def).
 *
 * @module
 */

// arch/x86/include/uapi/asm/signal.h
export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGIOT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGSTKFLT = 16;
export const SIGCHLD = 17;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGTSTP = 20;
export const SIGTTIN = 21;
export const SIGTTOU = 22;
export const SIGURG = 23;
export const SIGXCPU = 24;
export const SIGXFSZ = 25;
export const SIGVTALRM = 26;
export const SIGPROF = 27;
export const SIGWINCH = 28;
export const SIGIO = 29;
export const SIGPWR = 30;
export const SIGSYS = 31;
/** Highest classic signal number. */
export const NSIG_CLASSIC = 31;

// include/uapi/asm-generic/siginfo.h
/** si_code: sent by the kernel (force_sig() without a fault code). */
export const SI_KERNEL = 0x80;
export const ILL_ILLOPC = 1;
export const ILL_ILLOPN = 2;
export const FPE_INTDIV = 1;
export const FPE_INTOVF = 2;
export const FPE_FLTDIV = 3;
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const BUS_ADRALN = 1;
export const TRAP_BRKPT = 1;

/** Signal names (`kill -l`), by number. */
// deno-fmt-ignore
const NAMES = [
  "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
  "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
  "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
  "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
];

/** The signal's name, `SIGFPE`; `SIG<n>` for numbers without one. */
export function signame(sig: number): string {
  return NAMES[sig] ?? `SIG${sig}`;
}

/** glibc strsignal() texts (sysdeps/generic/siglist.h), what bash prints. */
// deno-fmt-ignore
const STRSIGNAL = [
  "", "Hangup", "Interrupt", "Quit", "Illegal instruction", "Trace/breakpoint trap", "Aborted",
  "Bus error", "Floating point exception", "Killed", "User defined signal 1",
  "Segmentation fault", "User defined signal 2", "Broken pipe", "Alarm clock", "Terminated",
  "Stack fault", "Child exited", "Continued", "Stopped (signal)", "Stopped",
  "Stopped (tty input)", "Stopped (tty output)", "Urgent I/O condition",
  "CPU time limit exceeded", "File size limit exceeded", "Virtual timer expired",
  "Profiling timer expired", "Window changed", "I/O possible", "Power failure",
  "Bad system call",
];

/** strsignal(sig) as glibc words it. */
export function strsignal(sig: number): string {
  return STRSIGNAL[sig] ?? `Unknown signal ${sig}`;
}

/** gdb's description of a signal in "Program received signal SIGX, <text>." */
const GDB_TEXT: Record<number, string> = {
  [SIGILL]: "Illegal instruction",
  [SIGTRAP]: "Trace/breakpoint trap",
  [SIGABRT]: "Aborted",
  [SIGBUS]: "Bus error",
  [SIGFPE]: "Arithmetic exception",
  [SIGKILL]: "Killed",
  [SIGSEGV]: "Segmentation fault",
};

/** gdb's signal description (gdbsupport/signals.def). */
export function gdbSignalText(sig: number): string {
  return GDB_TEXT[sig] ?? strsignal(sig);
}

/** What SIG_DFL does with a signal (include/linux/signal.h masks). */
export type DefaultAction = "core" | "term" | "ign" | "stop" | "cont";

/** sig_kernel_coredump / sig_kernel_ignore / sig_kernel_stop, else terminate. */
export function defaultAction(sig: number): DefaultAction {
  switch (sig) {
    // SIG_KERNEL_COREDUMP_MASK
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGFPE:
    case SIGSEGV:
    case SIGBUS:
    case SIGSYS:
    case SIGXCPU:
    case SIGXFSZ:
      return "core";
    // SIG_KERNEL_IGNORE_MASK
    case SIGCHLD:
    case SIGWINCH:
    case SIGURG:
      return "ign";
    case SIGCONT:
      return "cont";
    // SIG_KERNEL_STOP_MASK
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return "stop";
    default:
      return "term";
  }
}

/** WCOREDUMP flag in a wait status (include/uapi/linux/wait.h; glibc `__WCOREFLAG`). */
export const WCOREFLAG = 0x80;

/** The wait status of a task killed by `sig` (kernel/exit.c: exit_code = sig | 0x80 if dumped). */
export function signaledStatus(sig: number, coreDumped: boolean): number {
  return sig | (coreDumped ? WCOREFLAG : 0);
}

/** The wait status of a task that called exit(code). */
export function exitedStatus(code: number): number {
  return (code & 0xff) << 8;
}

/** WIFEXITED(status) */
export function WIFEXITED(status: number): boolean {
  return (status & 0x7f) === 0;
}
/** WEXITSTATUS(status) */
export function WEXITSTATUS(status: number): number {
  return (status >> 8) & 0xff;
}
/** WIFSIGNALED(status) */
export function WIFSIGNALED(status: number): boolean {
  // glibc: ((signed char) ((status & 0x7f) + 1) >> 1) > 0, i.e. neither exited (0) nor stopped (0x7f)
  const low = status & 0x7f;
  return low !== 0 && low !== 0x7f;
}
/** WTERMSIG(status) */
export function WTERMSIG(status: number): number {
  return status & 0x7f;
}
/** WCOREDUMP(status) */
export function WCOREDUMP(status: number): boolean {
  return (status & WCOREFLAG) !== 0;
}

/** `$?` as bash computes it: the exit code, or 128 + the signal (bash jobs.c `process_exit_status`). */
export function shellExitStatus(status: number): number {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/**
 * What interactive bash prints for a foreground job that ended with
 * `status` (jobs.c `notify_of_job_status`): nothing for a normal exit or
 * SIGINT/SIGPIPE, else strsignal() and ` (core dumped)` when a core was
 * written.
 */
export function shellReport(status: number): string | undefined {
  if (!WIFSIGNALED(status)) return undefined;
  const sig = WTERMSIG(status);
  if (sig === SIGINT || sig === SIGPIPE) return undefined;
  return strsignal(sig) + (WCOREDUMP(status) ? " (core dumped)" : "");
}
