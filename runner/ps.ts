/**
 * The task list as `ps` (procps-ng) prints it, from the scheduler's tasks:
 * `ps -ef`, `ps ax -o pid,ni,cmd` and `ps -eLo pid,cls,rtprio,ni,psr,comm`.
 *
 * What is modelled: pid, comm, kernel thread or not (kernel threads show
 * their CMD in brackets), policy and priority, CPU, and CPU time
 * (`sumExecNs`). What is not: users (everything is root), parents (Linux's
 * kernel threads are children of kthreadd, pid 2, and user tasks of a
 * shell; the model creates neither and numbers its tasks from 1, so PPID
 * prints 0, which no modelled task has), start time (`STIME` is the boot
 * minute, `00:00`) and terminals (`?`).
 *
 * @example
 * ```ts
 * psEf(kernel); // "UID          PID    PPID  C STIME TTY          TIME CMD\n..."
 * ```
 * @module
 */

import type { Kernel } from "../core/kernel.ts";
import type { Task } from "../core/sched.ts";

/** Live tasks in pid order (exited ones are reaped: ps does not show them). */
function tasks(k: Kernel): Task[] {
  return k.sched.tasks.filter((t) => t.state !== "X").sort((a, b) => a.pid - b.pid);
}

/** CMD column: `[comm]` for a kernel thread, the comm for a user task. */
function cmd(t: Task): string {
  return t.kthread ? `[${t.comm}]` : t.comm;
}

/** TIME column: cumulative CPU time as `[DD-]HH:MM:SS`. */
function cputime(ns: number): string {
  const s = Math.floor(ns / 1e9);
  const p = (n: number) => String(n).padStart(2, "0");
  const d = Math.floor(s / 86400);
  const hms = `${p(Math.floor(s / 3600) % 24)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`;
  return d > 0 ? `${p(d)}-${hms}` : hms;
}

/** CPU time of a task up to now (the running one's current slice included). */
function execNs(k: Kernel, t: Task): number {
  const running = k.cpus[t.cpu]?.current === t;
  return t.sumExecNs + (running ? Math.max(0, k.now - t.execStart) : 0);
}

/**
 * `ps -ef`: `UID PID PPID C STIME TTY TIME CMD` with procps's widths
 * (UID %-8s, PID %7d, PPID %7d, C %2d, STIME %5s, TTY %-8s, TIME %8s).
 */
export function psEf(k: Kernel): string {
  let out = "UID          PID    PPID  C STIME TTY          TIME CMD\n";
  for (const t of tasks(k)) {
    const ns = execNs(k, t);
    // C: integer percent of CPU time over the task's life (here, since boot)
    const c = k.now > 0 ? Math.floor(ns * 100 / k.now) : 0;
    out += `${"root".padEnd(8)} ${String(t.pid).padStart(7)} ${"0".padStart(7)} ${
      String(c).padStart(2)
    } ${"00:00".padStart(5)} ${"?".padEnd(8)} ${cputime(ns).padStart(8)} ${cmd(t)}\n`;
  }
  return out;
}

/** NI column: the nice value, `-` for real-time tasks. */
function ni(t: Task): string {
  return t.rt ? "-" : String(t.nice);
}

/** `ps ax -o pid,ni,cmd`: `    PID  NI CMD`. */
export function psPidNiCmd(k: Kernel): string {
  let out = "    PID  NI CMD\n";
  for (const t of tasks(k)) {
    out += `${String(t.pid).padStart(7)} ${ni(t).padStart(3)} ${cmd(t)}\n`;
  }
  return out;
}

/** CLS column: TS (SCHED_OTHER), FF (SCHED_FIFO), RR (SCHED_RR), IDL (SCHED_IDLE). */
function cls(t: Task): string {
  switch (t.policy) {
    case "fifo":
      return "FF";
    case "rr":
      return "RR";
    case "idle":
      return "IDL";
    default:
      return "TS";
  }
}

/** `ps -eLo pid,cls,rtprio,ni,psr,comm`: `    PID CLS RTPRIO  NI PSR COMMAND`. */
export function psSched(k: Kernel): string {
  let out = "    PID CLS RTPRIO  NI PSR COMMAND\n";
  for (const t of tasks(k)) {
    out += `${String(t.pid).padStart(7)} ${cls(t).padStart(3)} ${
      (t.rt ? String(t.rtPriority) : "-").padStart(6)
    } ${ni(t).padStart(3)} ${String(t.cpu).padStart(3)} ${t.comm}\n`;
  }
  return out;
}

/** The ps commands the views answer, with their functions. */
export const PS_VIEWS: Readonly<Record<string, (k: Kernel) => string>> = {
  "ps -ef": psEf,
  "ps ax -o pid,ni,cmd": psPidNiCmd,
  "ps -eLo pid,cls,rtprio,ni,psr,comm": psSched,
};
