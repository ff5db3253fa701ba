/**
 * The user-space API of irqlab's user programs: a small libc for programs
 * written like their C originals and run as user tasks in a scenario
 * (`programs:`). A program is a generator function `main(argv)` that
 * `yield*`s each operation, so an operation can fault, stop under a tracer
 * or take time exactly where it stands. Its return value is the exit code.
 *
 * Kernel modules use mod.ts; user programs use this file (its `outb` is
 * glibc's <sys/io.h> one, executed in user mode, not the kernel's).
 *
 * @example
 * ```ts
 * // scenarios/programs/div_by_zero.ts — int main() { int i = 1/0; return 0; }
 * import { div } from "../../user.ts";
 * export default function* main() {
 *   const i = yield* div(1, 0); // idiv: #DE -> SIGFPE
 *   return i * 0;
 * }
 * ```
 * @module
 */

import { sleepToken } from "./core/body.ts";
import { kernel } from "./core/kernel.ts";
import { kprintf } from "./core/printk.ts";
import {
  type Disposition,
  processes,
  SIG_DFL,
  SIG_IGN,
  type SignalHandler,
  type UserCall,
  type UserOp,
  type UserProcess,
} from "./plugins/signal/mod.ts";
import { strerror } from "./runner/errno.ts";

export {
  SIG_DFL,
  SIG_IGN,
  SIGBUS,
  SIGFPE,
  SIGILL,
  SIGINT,
  SIGSEGV,
  SIGTERM,
  SIGTRAP,
} from "./plugins/signal/mod.ts";
export type { SignalHandler, UserCall, UserMain } from "./plugins/signal/mod.ts";

function op(name: UserOp["op"], args: number[], extra: Partial<UserOp> = {}): UserOp {
  return { kind: "uop", op: name, args, ...extra };
}

function self(): UserProcess {
  const k = kernel();
  const p = processes(k).byPid.get(k.thisCpu().current.pid);
  if (!p) throw new Error("user API called outside a user program");
  return p;
}

/** `a / b` on ints (idiv): #DE when b is 0 or the quotient overflows (INT_MIN / -1). */
export function* div(a: number, b: number): UserCall<number> {
  return (yield op("div", [a, b])) as number;
}

/** `__asm__("int3")`: the breakpoint trap (#BP). */
export function* int3(): UserCall<void> {
  yield op("int3", []);
}

/** `__asm__("ud2")`: an invalid opcode (#UD). */
export function* ud2(): UserCall<void> {
  yield op("ud2", []);
}

/**
 * `__asm__("int $n")`: a software interrupt. Only the DPL-3 gates (3, 4) are
 * reachable from user mode; any other vector is a #GP with error code
 * `(n << 3) | 2`.
 */
export function* int_n(n: number): UserCall<void> {
  yield op("int", [n]);
}

/** Raise exception `vector` (0–31) at this point, for experiments with the whole table. */
export function* raise_exception(vector: number, error_code = 0): UserCall<void> {
  yield op("exception", [vector, error_code]);
}

/** <sys/io.h> outb(value, port): `out %al,(%dx)`; #GP unless ioperm() opened the port. */
export function* outb(value: number, port: number): UserCall<void> {
  yield op("outb", [value, port]);
}

/** <sys/io.h> inb(port) */
export function* inb(port: number): UserCall<number> {
  return (yield op("inb", [port])) as number;
}

/** ioperm(from, num, turn_on): 0, or -1 with errno (EINVAL, EPERM). */
export function* ioperm(from: number, num: number, turn_on: number): UserCall<number> {
  return (yield op("ioperm", [from, num, turn_on])) as number;
}

/** `*(int *)addr`: a load (a #PF when nothing is mapped there). */
export function* load(addr: number): UserCall<number> {
  return (yield op("load", [addr])) as number;
}

/** `*(int *)addr = value`: a store. */
export function* store(addr: number, value: number): UserCall<void> {
  yield op("store", [addr, value]);
}

/** printf(fmt, ...): to stdout (line-buffered, lost if a signal kills the program first). */
export function* printf(fmt: string, ...args: unknown[]): UserCall<number> {
  return (yield op("write", [], { text: kprintf(fmt, args) })) as number;
}

/** puts(s) */
export function* puts(s: string): UserCall<number> {
  return (yield op("write", [], { text: s + "\n" })) as number;
}

/** perror(s): `s: strerror(errno)`. */
export function* perror(s: string): UserCall<void> {
  yield op("write", [], { text: `${s}: ${strerror(self().errno)}\n` });
}

/** errno of the calling program. */
export function errno(): number {
  return self().errno;
}

/** getpid() */
export function* getpid(): UserCall<number> {
  return (yield op("getpid", [])) as number;
}

/** signal(sig, handler): SIG_DFL, SIG_IGN or a handler function (a generator when it works). */
export function* signal(sig: number, handler: Disposition): UserCall<number> {
  if (handler === SIG_DFL || handler === SIG_IGN) {
    return (yield op("signal", [sig, handler === SIG_IGN ? 1 : 0])) as number;
  }
  return (yield op("signal", [sig, 2], { handler: handler as SignalHandler })) as number;
}

/** exit(status): flush stdout and end the process (from main or a signal handler). */
export function* exit(status: number): UserCall<never> {
  yield op("exit", [status]);
  throw new Error("exit() returned");
}

/** usleep(us) */
export function* usleep(us: number): UserCall<number> {
  yield sleepToken(us * 1000, "S", "hrtimer_nanosleep");
  return 0;
}

/** sleep(seconds) */
export function* sleep(seconds: number): UserCall<number> {
  return yield* usleep(seconds * 1e6);
}
