/**
 * `deno task serve MACHINE.yaml [options]`: run a machine paced to wall time
 * and serve its kernel views, status, trace and a live page over HTTP
 * (tools/serve/). Prints the URL and the bearer token writes need, then runs
 * until interrupted (Ctrl-C).
 *
 * Exit codes: 0 after Ctrl-C; 2 bad input (machine file, options) with a
 * located message.
 *
 * @module
 */

import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError, ConfigErrors } from "../core/errors.ts";
import { startServer } from "./serve/mod.ts";
import { SPEED_MAX, SPEED_MIN } from "./serve/sim.ts";

/** Where the CLI writes; tests capture it. */
export interface ServeIo {
  write(s: string): void;
  error(s: string): void;
}

const stdio: ServeIo = {
  write: (s) => void Deno.stdout.writeSync(new TextEncoder().encode(s)),
  error: (s) => void Deno.stderr.writeSync(new TextEncoder().encode(s)),
};

function portArg(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) {
    throw new InvalidArgumentError(`--port must be an integer from 0 to 65535, got "${v}"`);
  }
  return Number(v);
}

function speedArg(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < SPEED_MIN || n > SPEED_MAX) {
    throw new InvalidArgumentError(
      `--speed must be a number from ${SPEED_MIN} to ${SPEED_MAX}, got "${v}"`,
    );
  }
  return n;
}

function seedArg(v: string): number {
  if (!/^\d+$/.test(v)) {
    throw new InvalidArgumentError(`--seed must be a non-negative integer, got "${v}"`);
  }
  return Number(v);
}

/**
 * Parse arguments, start the server and wait until `signal` aborts (default:
 * SIGINT/SIGTERM). Returns the exit code.
 */
export async function main(
  args: string[],
  io: ServeIo = stdio,
  signal?: AbortSignal,
): Promise<number> {
  const program = new Command()
    .name("irqlab serve")
    .description("Run a machine paced to wall time and serve its views and a live page.")
    .argument("<machine>", "machine file, e.g. machines/pc.yaml")
    .option("--host <addr>", "address to bind", "127.0.0.1")
    .option("--port <n>", "port (0 picks a free one)", portArg, 8250)
    .option("--speed <x>", `simulated s per wall s, ${SPEED_MIN}..${SPEED_MAX}`, speedArg, 1)
    .option("--seed <n>", "PRNG seed", seedArg)
    .option("--keep-going", "continue after a kernel BUG")
    .exitOverride()
    .configureOutput({ writeOut: io.write, writeErr: io.error });
  try {
    program.parse(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const o = program.opts<
    { host: string; port: number; speed: number; seed?: number; keepGoing?: boolean }
  >();
  let server;
  try {
    server = await startServer({ machine: program.args[0], ...o });
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ConfigErrors) {
      io.error(`${e.message}\n`);
      return 2;
    }
    if (e instanceof Deno.errors.AddrInUse || e instanceof Deno.errors.AddrNotAvailable) {
      io.error(`irqlab serve: cannot listen on ${o.host}:${o.port}: ${(e as Error).message}\n`);
      return 2;
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      io.error(
        `irqlab serve: ${(e as Error).message}\n  hint: deno task serve allows 127.0.0.1 only; ` +
          `for another --host run deno run --allow-read=. --allow-net=HOST tools/serve.ts\n`,
      );
      return 2;
    }
    throw e;
  }
  const k = server.sim.kernel;
  io.write(
    `# irqlab serve: machine ${server.sim.machine} (${k.config.arch}, ${k.cpus.length} CPU${
      k.cpus.length === 1 ? "" : "s"
    }, HZ=${k.config.hz}), speed ${o.speed}x\n` +
      `page:  ${server.url}/#token=${server.token}\n` +
      `token: ${server.token}\n` +
      `  e.g. curl ${server.url}/proc/interrupts\n` +
      `       curl -X POST -H 'Authorization: Bearer ${server.token}' ${server.url}/api/pause\n`,
  );
  if (o.host !== "127.0.0.1" && o.host !== "localhost" && o.host !== "::1") {
    io.error(`irqlab serve: warning: listening on ${o.host}, not only this machine\n`);
  }
  await new Promise<void>((resolve) => {
    if (signal) {
      signal.addEventListener("abort", () => resolve(), { once: true });
      return;
    }
    const stop = () => resolve();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
  await server.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
