/**
 * The user-space side of a scenario's programs: an interactive bash that
 * runs each program in the foreground and reports how it ended, and a
 * gdb-like tracer that runs a program under ptrace, reports the stop and
 * continues it. Both are user tasks (`bash`, `gdb`); what they print goes to
 * the run's shell transcript.
 *
 * bash: jobs.c `notify_of_job_status()` prints strsignal() plus
 * ` (core dumped)` for a foreground job killed by a signal; `$?` is
 * 128 + signal. gdb (12.x): "Program received signal SIGTRAP,
 * Trace/breakpoint trap." then `0x%016lx in main ()`; SIGTRAP and SIGINT
 * are "nopass" (`handle`), every other signal is passed on `continue`.
 *
 * @module
 */

import { sleepToken } from "../../core/body.ts";
import type { Kernel } from "../../core/kernel.ts";
import type { Task } from "../../core/sched.ts";
import { processes, type UserMain, type UserProcess, waitUntil } from "./process.ts";
import {
  gdbSignalText,
  shellExitStatus,
  shellReport,
  SIGINT,
  signame,
  SIGTRAP,
  WEXITSTATUS,
  WIFSIGNALED,
  WTERMSIG,
} from "./signal.ts";

/** One program the shell runs. */
export interface ShellJob {
  /** Program file basename (`div_by_zero`). */
  file: string;
  main: UserMain;
  /** Start no earlier than this, ns. */
  atNs: number;
  /** Run it under gdb. */
  traced: boolean;
  /** Run it with sudo (CAP_SYS_RAWIO). */
  root: boolean;
  /** A core is written on a coredump signal. */
  coreDump: boolean;
  /** randomize_va_space. */
  aslr: boolean;
  /** How long the person at gdb's prompt takes before `continue`, ns. */
  continueAfterNs: number;
  /** Times to run it in a row. */
  repeat: number;
}

/** Result of each run, in order (for tests and expectations). */
export interface JobResult {
  /** The program file. */
  file: string;
  /** Its pid. */
  pid: number;
  /** Wait status. */
  status: number;
  /** `$?` */
  exitStatus: number;
  /** States seen by the tracer at each stop (`t`). */
  stopStates: string[];
}

/** Start the shell: a user task that runs `jobs` in order. */
export function startShell(
  k: Kernel,
  jobs: ShellJob[],
  out: (line: string) => void,
  results: JobResult[] = [],
): Task {
  const body = function* () {
    for (const job of jobs) {
      for (let n = 0; n < job.repeat; n++) {
        if (k.now < job.atNs) yield sleepToken(job.atNs - k.now, "S", "hrtimer_nanosleep");
        const r = job.traced
          ? yield* runTraced(k, shell, job, out)
          : yield* runPlain(k, shell, job, out);
        results.push(r);
        const report = job.traced ? undefined : shellReport(r.status);
        if (report) out(report);
        out("$ echo $?");
        out(String(r.exitStatus));
      }
    }
    return 0;
  };
  // the body runs later, on the CPU: `shell` is initialised by then
  const shell: Task = k.sched.create({ comm: "bash", kthread: false, body: body() });
  return shell;
}

function* runPlain(k: Kernel, shell: Task, job: ShellJob, out: (line: string) => void) {
  out(`$ ${job.root ? "sudo " : ""}./${job.file}`);
  const p = processes(k).exec({
    file: job.file,
    main: job.main,
    aslr: job.aslr,
    root: job.root,
    coreDump: job.coreDump,
    stdout: out,
    parent: shell,
  });
  yield* waitUntil(() => p.status !== undefined);
  p.reap();
  return result(p, p.status!, []);
}

function result(p: UserProcess, status: number, stopStates: string[]): JobResult {
  return { file: p.file, pid: p.pid, status, exitStatus: shellExitStatus(status), stopStates };
}

/** gdb -q ./prog; (gdb) run; continue until it ends; quit. */
function* runTraced(k: Kernel, shell: Task, job: ShellJob, out: (line: string) => void) {
  out(`$ ${job.root ? "sudo " : ""}gdb -q ./${job.file}`);
  let tracee!: UserProcess;
  let done = false;
  const stopStates: string[] = [];
  const gdb = function* () {
    out(`Reading symbols from ./${job.file}...`);
    out(`(No debugging symbols found in ./${job.file})`);
    out("(gdb) run");
    out(`Starting program: /home/user/${job.file} `);
    // fork, PTRACE_TRACEME, exec with ASLR off (gdb's `set disable-randomization on`)
    tracee = processes(k).exec({
      file: job.file,
      main: job.main,
      aslr: false,
      root: job.root,
      coreDump: job.coreDump,
      stdout: out,
      parent: gdbTask,
      tracer: { task: gdbTask },
    });
    for (;;) {
      // waitpid(): a ptrace stop or the end
      yield* waitUntil(() => tracee.status !== undefined || tracee.task.state === "t");
      if (tracee.status !== undefined) break;
      const sig = tracee.stopSig;
      stopStates.push(tracee.task.state);
      out("");
      out(`Program received signal ${signame(sig)}, ${gdbSignalText(sig)}.`);
      out(`0x${tracee.lastIp.toString(16).padStart(16, "0")} in main ()`);
      yield sleepToken(job.continueAfterNs, "S", "do_select"); // the person at the prompt
      out("(gdb) continue");
      out("Continuing.");
      // handle SIGTRAP/SIGINT nopass: resume without them; pass everything else
      tracee.ptraceCont(sig === SIGTRAP || sig === SIGINT ? 0 : sig);
    }
    const st = tracee.status!;
    tracee.reap();
    if (WIFSIGNALED(st)) {
      out("");
      out(
        `Program terminated with signal ${signame(WTERMSIG(st))}, ${gdbSignalText(WTERMSIG(st))}.`,
      );
      out("The program no longer exists.");
    } else if (WEXITSTATUS(st) === 0) {
      out(`[Inferior 1 (process ${tracee.pid}) exited normally]`);
    } else {
      out(
        `[Inferior 1 (process ${tracee.pid}) exited with code ${
          WEXITSTATUS(st).toString(8).padStart(2, "0")
        }]`,
      );
    }
    out("(gdb) quit");
    done = true;
    k.sched.wakeUp(shell);
    return 0;
  };
  const gdbTask: Task = k.sched.create({ comm: "gdb", kthread: false, body: gdb() });
  yield* waitUntil(() => done);
  // gdb itself exits 0; $? is gdb's
  return { ...result(tracee, tracee.status!, stopStates), exitStatus: 0 };
}
