/**
 * `deno task run ...`: the irqlab command.
 *
 * ```
 * deno task run MACHINE [options]            run a scenario (same as `run MACHINE`)
 * deno task run report MACHINE [--json]      interrupt and thread latency tables
 * deno task run cat MACHINE PATH [--at T]    a view (/proc/..., dmesg, ps -ef) at time T
 * deno task run watch MACHINE [PATH]         like `watch -d -n1 cat PATH`, in simulated time
 * ```
 *
 * `run` prints what a shell on that machine would show: the insmod/rmmod
 * lines, `cat /proc/interrupts` while the modules are loaded, and `dmesg`;
 * `--trace FILE` writes the ftrace text, `--perfetto FILE` the timeline.
 *
 * Exit codes: 0 ok; 1 kernel BUG or failed expectation; 2 bad input
 * (machine file, scenario file, command line, unknown view path or time);
 * 70 an internal error.
 *
 * @module
 */

import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError, formatConfigError } from "../core/errors.ts";
import type { Kernel } from "../core/kernel.ts";
import { traceEvents, unmatchedEventPatterns } from "../core/trace.ts";
import { didYouMean } from "../config/loader.ts";
import type { MachineSpec } from "../config/machine.ts";
import { loadMachine, type RunOptions, runScenario } from "../runner/mod.ts";
import { PerfettoRecorder } from "../runner/perfetto.ts";
import { formatLatencyHist, formatLatencyTop, LatencyRecorder } from "../runner/latency.ts";
import { readView, viewPaths } from "../runner/views.ts";
import { highlightChanges, parseTime, Progress, seconds, type TermEnv } from "./progress.ts";

function intArg(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) {
      throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${v}"`);
    }
    return Number(v);
  };
}

function numArg(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`${name} must be a positive number, got "${v}"`);
    }
    return n;
  };
}

function timeArg(name: string) {
  return (v: string): number => {
    const ns = parseTime(v);
    if (ns === undefined) {
      throw new InvalidArgumentError(
        `${name} must be a time with a unit (ns, us, ms, s), e.g. 500ms; got "${v}"`,
      );
    }
    return ns;
  };
}

/** Where the CLI writes (stdout, stderr) and what it knows of the terminal; tests capture it. */
export interface CliIo {
  write(s: string): void;
  error(s: string): void;
  /** Terminal facts and the wall clock (default: the process's). */
  env?: TermEnv;
  /** Wait between `watch` frames (default: a host timer). */
  sleep?(ms: number): Promise<void>;
}

const enc = new TextEncoder();
const stdio: CliIo = {
  write: (s) => void Deno.stdout.writeSync(enc.encode(s)),
  error: (s) => void Deno.stderr.writeSync(enc.encode(s)),
  env: {
    errTty: Deno.stderr.isTerminal(),
    outTty: Deno.stdout.isTerminal(),
    noColor: Deno.noColor,
    now: () => performance.now(),
  },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

const PIPE_ENV: TermEnv = { errTty: false, outTty: false, noColor: true, now: () => 0 };

/** A bad command-line value: printed like a config error, exit 2. */
class UsageError extends Error {}

function usage(path: string, message: string, expected?: string, hint?: string): UsageError {
  return new UsageError(formatConfigError({ path, message, expected, hint }));
}

interface Common {
  scenario?: string;
  seed?: number;
  durationMs?: number;
  keepGoing?: boolean;
  quiet?: boolean;
}

function addCommon(c: Command): Command {
  return c
    .option("-s, --scenario <file>", "scenario file (default: the machine file's scenario:)")
    .option("--seed <n>", "PRNG seed", intArg("--seed"))
    .option("--duration-ms <ms>", "override the scenario's duration", numArg("--duration-ms"))
    .option("--keep-going", "continue after a kernel BUG (exit 0)")
    .option("-q, --quiet", "print only failures");
}

/** Parse arguments and run. Returns the exit code. */
export async function main(args: string[], io: CliIo = stdio): Promise<number> {
  const write = io.write, error = io.error;
  const env = io.env ?? PIPE_ENV;
  let code = 0;
  const program = new Command()
    .name("irqlab")
    .description("A deterministic simulator of the Linux interrupt subsystem.")
    .exitOverride()
    // no colour probing: commander would read FORCE_COLOR/CLICOLOR_FORCE, which
    // needs --allow-env; help and errors are plain text
    .configureOutput({
      writeOut: write,
      writeErr: error,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });

  addCommon(
    program.command("run <machine>", { isDefault: true })
      .description("Run a scenario on a simulated machine and print dmesg and /proc/interrupts.")
      .option("--trace <file>", "write the ftrace text of the run to FILE")
      .option("--events <list>", "trace only these events, like set_event (irq:*,!sched:*)")
      .option("--perfetto <file>", "write the timeline as Chrome trace-event JSON to FILE"),
  ).action(
    async (machine: string, o: Common & { trace?: string; events?: string; perfetto?: string }) => {
      code = await cmdRun(machine, o, io, env);
    },
  );

  addCommon(
    program.command("report <machine>")
      .description("Interrupt and thread latency per CPU and per IRQ (rtla timerlat style).")
      .option("--json", "print the figures as JSON")
      .option("--hist", "print histograms too (rtla timerlat hist style)")
      .option("--bucket <time>", "histogram bucket width (default 1us)", timeArg("--bucket")),
  ).action(
    async (machine: string, o: Common & { json?: boolean; hist?: boolean; bucket?: number }) => {
      code = await cmdReport(machine, o, io, env);
    },
  );

  addCommon(
    program.command("cat <machine> <path>")
      .description("Print a view (/proc/interrupts, /proc/stat, ps -ef, dmesg...) at a time.")
      .option(
        "--at <time>",
        "simulated time to stop at, e.g. 500ms (default: the end)",
        timeArg("--at"),
      )
      .option("--events <list>", "for /sys/kernel/tracing/trace: the events, like set_event"),
  ).action(
    async (machine: string, path: string, o: Common & { at?: number; events?: string }) => {
      code = await cmdCat(machine, path, o, io, env);
    },
  );

  addCommon(
    program.command("watch <machine> [path]")
      .description("Like `watch -d -n1 cat PATH` (default /proc/interrupts), in simulated time.")
      .option(
        "-n, --interval <time>",
        "simulated time between frames (default 1s)",
        timeArg("--interval"),
      )
      .option(
        "--delay-ms <ms>",
        "wall time between frames (default: 1000 on a terminal, else 0)",
        intArg("--delay-ms"),
      ),
  ).action(
    async (
      machine: string,
      path: string | undefined,
      o: Common & { interval?: number; delayMs?: number },
    ) => {
      code = await cmdWatch(machine, path ?? "/proc/interrupts", o, io, env);
    },
  );

  try {
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ConfigError || e instanceof UsageError) {
      error(e.message + "\n");
      return 2;
    }
    // stdout closed early (`| head`): stop quietly, as a shell tool does
    if (e instanceof Deno.errors.BrokenPipe) return 0;
    if (e instanceof Deno.errors.PermissionDenied) {
      error(`irqlab: ${e.message}\n`);
      return 2;
    }
    error(
      `irqlab: internal error: ${
        (e as Error).message
      }\n  please report this with the machine and scenario files\n`,
    );
    return 70;
  }
}

/** Run options shared by the subcommands, with progress on stderr. */
function runOptions(
  o: Common,
  env: TermEnv,
  io: CliIo,
  extra: Partial<RunOptions> = {},
): { opts: RunOptions; progress: () => Progress | undefined } {
  let progress: Progress | undefined;
  const userStart = extra.onStart;
  const userStep = extra.onStep;
  const opts: RunOptions = {
    scenario: o.scenario,
    seed: o.seed,
    durationMs: o.durationMs,
    keepGoing: o.keepGoing,
    ...extra,
    onStart: (k) => {
      progress = new Progress(env, io.error, o.quiet ?? false, k.clock.dispatched);
      userStart?.(k);
    },
    stepNs: extra.stepNs ?? (env.errTty && !o.quiet ? 1_000_000 : undefined),
    onStep: async (k, now, end) => {
      progress?.update(now, end, k.clock.dispatched);
      await userStep?.(k, now, end);
    },
  };
  return { opts, progress: () => progress };
}

/** `--events` items that match no tracepoint are bad input (set_event answers EINVAL). */
function checkEvents(events: string | undefined): void {
  if (!events) return;
  const bad = unmatchedEventPatterns(events);
  if (bad.length === 0) return;
  const systems = [...new Set(traceEvents().map((t) => t.system))].sort();
  throw usage(
    "--events",
    `no trace event matches ${bad.map((b) => `"${b}"`).join(", ")}`,
    `comma-separated [!][system:]event items; systems: ${systems.join(", ")}`,
    "e.g. irq:*,sched:sched_switch,!irq:softirq_raise",
  );
}

async function cmdRun(
  machine: string,
  o: Common & { trace?: string; events?: string; perfetto?: string },
  io: CliIo,
  env: TermEnv,
): Promise<number> {
  const write = io.write, error = io.error;
  let tl: PerfettoRecorder | undefined;
  const { opts, progress } = runOptions(o, env, io, {
    trace: o.trace !== undefined,
    events: o.events,
    onStart: (k) => {
      checkEvents(o.events);
      if (o.perfetto !== undefined) {
        tl = new PerfettoRecorder(k);
        k.trace.addSink(tl);
      }
    },
  });
  const r = await runScenario(machine, opts);
  progress()?.done();
  if (!o.quiet) {
    const k = r.kernel;
    write(
      `# irqlab: machine ${r.machine.name} (${r.machine.arch}, ${k.cpus.length} CPU${
        k.cpus.length > 1 ? "s" : ""
      }, HZ=${k.config.hz}), scenario ${r.scenario.name}, seed ${k.random.seed}\n`,
    );
    const [insmod, rmmod] = splitShell(r.shell);
    for (const l of insmod) write(l + "\n");
    write("$ cat /proc/interrupts\n" + r.interrupts);
    const softirqs = r.kernel.procfs.read("/proc/softirqs");
    if (softirqs !== undefined) write("$ cat /proc/softirqs\n" + softirqs);
    for (const l of rmmod) write(l + "\n");
    write("$ dmesg\n" + r.dmesg);
  }
  if (o.trace) await Deno.writeTextFile(o.trace, r.kernel.trace.format(r.kernel.cpus.length));
  if (o.perfetto && tl) await Deno.writeTextFile(o.perfetto, tl.json());
  for (const f of r.failures) error(`expectation failed: ${f}\n`);
  if (r.kernel.halted) {
    error("irqlab: run stopped by a kernel BUG (use --keep-going to continue)\n");
  }
  return r.exitCode;
}

async function cmdReport(
  machine: string,
  o: Common & { json?: boolean; hist?: boolean; bucket?: number },
  io: CliIo,
  env: TermEnv,
): Promise<number> {
  let lat: LatencyRecorder | undefined;
  const { opts, progress } = runOptions(o, env, io, {
    unload: false,
    onStart: (k) => {
      lat = new LatencyRecorder(k);
      k.trace.addSink(lat);
    },
  });
  const r = await runScenario(machine, opts);
  progress()?.done();
  const rep = lat!.report(o.bucket ?? 1000);
  if (o.json) io.write(JSON.stringify(rep, null, 2) + "\n");
  else {
    io.write(formatLatencyTop(rep));
    if (o.hist) io.write("\n" + formatLatencyHist(rep));
  }
  for (const f of r.failures) io.error(`expectation failed: ${f}\n`);
  return r.kernel.halted ? 1 : 0;
}

/**
 * Run MACHINE's scenario (or the bare machine when it names none and no -s
 * is given) up to `untilNs`, calling `onStep` every `stepNs`.
 */
async function runTo(
  machine: string,
  o: Common,
  io: CliIo,
  env: TermEnv,
  untilNs: number | undefined,
  stepNs?: number,
  onStep?: (k: Kernel, now: number, end: number) => Promise<void> | void,
  trace?: { events?: string },
): Promise<{ kernel: Kernel; spec: MachineSpec }> {
  const { spec: probe } = await loadMachine(machine, { seed: o.seed });
  if (o.scenario === undefined && !probe.scenario) {
    const { kernel, spec } = await loadMachine(machine, { seed: o.seed });
    kernel.keepGoing = o.keepGoing ?? false;
    if (trace) {
      checkEvents(trace.events);
      kernel.trace.enabled = true;
      kernel.trace.setFilter(trace.events);
    }
    for (const c of kernel.cpus) c.start();
    const end = untilNs ?? Math.round((o.durationMs ?? 1000) * 1e6);
    const progress = new Progress(env, io.error, o.quiet ?? false);
    const step = stepNs ?? 10_000_000;
    for (let t = Math.min(end, step);; t = Math.min(end, t + step)) {
      kernel.runUntil(t);
      progress.update(t, end, kernel.clock.dispatched);
      await onStep?.(kernel, t, end);
      if (t >= end || kernel.halted) break;
    }
    progress.done();
    return { kernel, spec };
  }
  const { opts, progress } = runOptions(o, env, io, {
    unload: false,
    durationMs: untilNs !== undefined ? untilNs / 1e6 : o.durationMs,
    stepNs,
    onStep,
    ...(trace
      ? { trace: true, events: trace.events, onStart: () => checkEvents(trace.events) }
      : {}),
  });
  const r = await runScenario(machine, opts);
  progress()?.done();
  return { kernel: r.kernel, spec: r.machine };
}

function unknownPath(path: string, k: Kernel, spec: MachineSpec): UsageError {
  const known = viewPaths({ kernel: k, spec });
  return usage(
    path,
    `no such file or view "${path}" on machine "${spec.name}"`,
    `one of: ${known.join(", ")}`,
    didYouMean(path, known, "PID is a task's pid (see ps -ef); N an IRQ number"),
  );
}

/** Paths under tracefs need tracing on from the start. */
function isTracefs(path: string): boolean {
  return /^\/sys\/kernel\/(debug\/)?tracing\//.test(path);
}

async function cmdCat(
  machine: string,
  path: string,
  o: Common & { at?: number; events?: string },
  io: CliIo,
  env: TermEnv,
): Promise<number> {
  const trace = isTracefs(path) ? { events: o.events } : undefined;
  const { kernel, spec } = await runTo(machine, o, io, env, o.at, undefined, undefined, trace);
  const text = readView({ kernel, spec }, path);
  if (text === undefined) throw unknownPath(path, kernel, spec);
  io.write(text);
  return kernel.halted ? 1 : 0;
}

async function cmdWatch(
  machine: string,
  path: string,
  o: Common & { interval?: number; delayMs?: number },
  io: CliIo,
  env: TermEnv,
): Promise<number> {
  const interval = o.interval ?? 1_000_000_000;
  const delay = o.delayMs ?? (env.outTty ? 1000 : 0);
  let prev: string | undefined;
  let bad: UsageError | undefined;
  const frame = async (k: Kernel, now: number, spec?: MachineSpec) => {
    const text = readView({ kernel: k, spec }, path);
    if (text === undefined) {
      bad ??= unknownPath(path, k, spec ?? ({ name: "?" } as MachineSpec));
      return;
    }
    const head = `Every ${seconds(interval)}s: cat ${path}    t=${seconds(now)}\n\n`;
    const body = env.outTty ? highlightChanges(prev, text, env.noColor) : text;
    io.write((env.outTty ? "\x1b[H\x1b[2J" : "") + head + body + (env.outTty ? "" : "\n"));
    prev = text;
    if (delay > 0) await (io.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(delay);
  };
  const { spec: probe } = await loadMachine(machine, { seed: o.seed });
  // no progress line: the frames show the simulated time and own the screen
  const { kernel } = await runTo(
    machine,
    { ...o, quiet: true },
    io,
    env,
    undefined,
    interval,
    async (k, now) => {
      if (!bad) await frame(k, now, probe);
    },
  );
  if (bad) throw bad;
  return kernel.halted ? 1 : 0;
}

function splitShell(lines: string[]): [string[], string[]] {
  const i = lines.findIndex((l) => l.startsWith("$ sudo rmmod"));
  return i < 0 ? [lines, []] : [lines.slice(0, i), lines.slice(i)];
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
