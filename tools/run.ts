/**
 * `deno task run MACHINE.yaml [options]`: run a scenario on a machine and
 * print what a shell on that machine would show: the insmod/rmmod lines,
 * `cat /proc/interrupts` while the modules are loaded, and `dmesg`.
 *
 * Exit codes: 0 ok; 1 kernel BUG or failed expectation; 2 bad input
 * (machine file, scenario file, command line).
 *
 * @module
 */

import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError } from "../core/errors.ts";
import { runScenario } from "../runner/mod.ts";

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

/** Where the CLI writes (stdout, stderr); tests capture it. */
export interface CliIo {
  write(s: string): void;
  error(s: string): void;
}

const stdio: CliIo = {
  write: (s) => void Deno.stdout.writeSync(new TextEncoder().encode(s)),
  error: (s) => void Deno.stderr.writeSync(new TextEncoder().encode(s)),
};

/** Parse arguments and run. Returns the exit code. */
export async function main(args: string[], io: CliIo = stdio): Promise<number> {
  const write = io.write, error = io.error;
  const program = new Command()
    .name("irqlab run")
    .description("Run a scenario on a simulated machine and print dmesg and /proc/interrupts.")
    .argument("<machine>", "machine file, e.g. machines/pc.yaml")
    .option("-s, --scenario <file>", "scenario file (default: the machine file's scenario:)")
    .option("--seed <n>", "PRNG seed", intArg("--seed"))
    .option("--duration-ms <ms>", "override the scenario's duration", numArg("--duration-ms"))
    .option("--keep-going", "continue after a kernel BUG (exit 0)")
    .option("--trace <file>", "write the ftrace text of the run to FILE")
    .option("--events <list>", "trace only these events, like set_event (irq:*,sched:*)")
    .option("-q, --quiet", "print only failures")
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: error });
  try {
    program.parse(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    throw e;
  }
  const machine = program.args[0];
  const o = program.opts<{
    scenario?: string;
    seed?: number;
    durationMs?: number;
    keepGoing?: boolean;
    trace?: string;
    events?: string;
    quiet?: boolean;
  }>();
  try {
    const r = await runScenario(machine, {
      scenario: o.scenario,
      seed: o.seed,
      durationMs: o.durationMs,
      keepGoing: o.keepGoing,
      trace: o.trace !== undefined,
      events: o.events,
    });
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
    if (o.trace) {
      await Deno.writeTextFile(o.trace, r.kernel.trace.format(r.kernel.cpus.length));
    }
    for (const f of r.failures) error(`expectation failed: ${f}\n`);
    if (r.kernel.halted) {
      error("irqlab: run stopped by a kernel BUG (use --keep-going to continue)\n");
    }
    return r.exitCode;
  } catch (e) {
    if (e instanceof ConfigError) {
      error(e.message + "\n");
      return 2;
    }
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

function splitShell(lines: string[]): [string[], string[]] {
  const i = lines.findIndex((l) => l.startsWith("$ sudo rmmod"));
  return i < 0 ? [lines, []] : [lines.slice(0, i), lines.slice(i)];
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
