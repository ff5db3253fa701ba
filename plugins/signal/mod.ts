/**
 * Signals and user processes (kernel/signal.c, kernel/ptrace.c in small):
 * signal numbers and default actions, `force_sig_fault()`,
 * `unhandled_signal()`, delivery with ptrace stops, core dumps and the wait
 * status, `printk_ratelimit()`, and the user programs of a scenario (a
 * TypeScript generator written like its C `main`, run as a user task).
 * Architecture plugins provide the instruction side ({@linkcode UserArchKey});
 * x86 does so in plugins/x86/traps.ts.
 *
 * This folder is a library used by arch plugins and the runner, not a
 * plugin of its own: machine files need no new entry.
 *
 * @module
 */

export * from "./signal.ts";
export * from "./ratelimit.ts";
export * from "./process.ts";
export * from "./shell.ts";
