import assert from "node:assert/strict";
import { testKernel } from "../../tests/helpers.ts";
import {
  defaultAction,
  exitedStatus,
  gdbSignalText,
  RatelimitState,
  shellExitStatus,
  shellReport,
  SIGBUS,
  SIGCHLD,
  SIGFPE,
  SIGILL,
  SIGINT,
  SIGKILL,
  signaledStatus,
  signame,
  SIGSEGV,
  SIGSTOP,
  SIGTERM,
  SIGTRAP,
  strsignal,
  WCOREDUMP,
  WEXITSTATUS,
  WIFEXITED,
  WIFSIGNALED,
  WTERMSIG,
} from "./mod.ts";

Deno.test("signal numbers match arch/x86/include/uapi/asm/signal.h", () => {
  // #define SIGILL 4, SIGTRAP 5, SIGBUS 7, SIGFPE 8, SIGKILL 9, SIGSEGV 11, SIGTERM 15, SIGCHLD 17, SIGSTOP 19
  assert.deepEqual(
    [SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGKILL, SIGSEGV, SIGTERM, SIGCHLD, SIGSTOP],
    [4, 5, 7, 8, 9, 11, 15, 17, 19],
  );
  assert.equal(signame(SIGFPE), "SIGFPE");
  assert.equal(signame(SIGTRAP), "SIGTRAP");
});

Deno.test("strsignal gives glibc's texts, which bash prints", () => {
  // sysdeps/generic/siglist.h
  assert.equal(strsignal(SIGFPE), "Floating point exception");
  assert.equal(strsignal(SIGTRAP), "Trace/breakpoint trap");
  assert.equal(strsignal(SIGSEGV), "Segmentation fault");
  assert.equal(strsignal(SIGILL), "Illegal instruction");
  assert.equal(strsignal(SIGBUS), "Bus error");
  assert.equal(strsignal(SIGKILL), "Killed");
  // gdb words SIGFPE differently (gdbsupport/signals.def)
  assert.equal(gdbSignalText(SIGFPE), "Arithmetic exception");
  assert.equal(gdbSignalText(SIGTRAP), "Trace/breakpoint trap");
});

Deno.test("defaultAction follows SIG_KERNEL_COREDUMP/IGNORE/STOP_MASK", () => {
  for (const s of [SIGFPE, SIGTRAP, SIGSEGV, SIGILL, SIGBUS]) {
    assert.equal(defaultAction(s), "core");
  }
  assert.equal(defaultAction(SIGCHLD), "ign");
  assert.equal(defaultAction(SIGSTOP), "stop");
  assert.equal(defaultAction(SIGTERM), "term");
  assert.equal(defaultAction(SIGKILL), "term");
});

Deno.test("wait status encodes signal, core flag and exit code as kernel/exit.c", () => {
  // killed by SIGFPE with a core: status = 8 | 0x80 = 0x88
  const st = signaledStatus(SIGFPE, true);
  assert.equal(st, 0x88);
  assert.ok(WIFSIGNALED(st));
  assert.ok(!WIFEXITED(st));
  assert.equal(WTERMSIG(st), 8);
  assert.ok(WCOREDUMP(st));
  // exit(1): status = 1 << 8
  assert.equal(exitedStatus(1), 0x100);
  assert.ok(WIFEXITED(0x100));
  assert.equal(WEXITSTATUS(0x100), 1);
  // a stopped status (0x7f in the low bits) is neither exited nor signaled
  assert.ok(!WIFSIGNALED((SIGTRAP << 8) | 0x7f));
});

Deno.test("shellExitStatus is 128 + signal for a signal death, else the exit code", () => {
  // bash: $? = 128 + WTERMSIG
  assert.equal(shellExitStatus(signaledStatus(SIGFPE, true)), 136);
  assert.equal(shellExitStatus(signaledStatus(SIGTRAP, true)), 133);
  assert.equal(shellExitStatus(signaledStatus(SIGSEGV, false)), 139);
  assert.equal(shellExitStatus(exitedStatus(3)), 3);
});

Deno.test("shellReport adds (core dumped) only when a core was written", () => {
  assert.equal(
    shellReport(signaledStatus(SIGFPE, true)),
    "Floating point exception (core dumped)",
  );
  assert.equal(shellReport(signaledStatus(SIGSEGV, false)), "Segmentation fault");
  assert.equal(shellReport(exitedStatus(0)), undefined);
  // bash stays quiet for SIGINT (the user pressed ^C)
  assert.equal(shellReport(signaledStatus(SIGINT, false)), undefined);
});

Deno.test("RatelimitState allows burst messages per interval, then reports the suppressed", () => {
  // printk_ratelimit_state: interval 5 * HZ jiffies, burst 10 (kernel/printk/printk.c)
  const k = testKernel(1, { hz: 250 });
  const rs = new RatelimitState(5 * 250, 10);
  k.jiffies = 100;
  const first = Array.from({ length: 12 }, () => rs.check(k, "show_signal"));
  assert.deepEqual(first, [...Array(10).fill(true), false, false]);
  assert.equal(rs.missed, 2);
  // time_is_before_jiffies(begin + interval) needs jiffies > begin + interval:
  // at exactly begin + 1250 the interval has not ended yet
  k.jiffies = 100 + 1250;
  assert.equal(rs.check(k, "show_signal"), false);
  assert.deepEqual(k.log.lines(), []);
  k.jiffies = 100 + 1251;
  assert.equal(rs.check(k, "show_signal"), true);
  // lib/ratelimit.c: "%s: %d callbacks suppressed" with the caller's __func__
  assert.deepEqual(k.log.lines(), ["show_signal: 3 callbacks suppressed"]);
  assert.equal(k.log.records[0].level, 4);
  assert.equal(rs.missed, 0);
});

Deno.test("RatelimitState with interval 0 never limits", () => {
  const k = testKernel();
  const rs = new RatelimitState(0, 10);
  for (let i = 0; i < 50; i++) assert.ok(rs.check(k, "f"));
});
