/**
 * `deno task lab`: the lab book. Without arguments it lists the experiments
 * (every scenario) with the machines that can run each and what it shows;
 * `deno task lab NAME [--machine x86] [run options]` prints what to look at
 * and runs it like `deno task run` (same output, flags and exit codes).
 *
 * @module
 */
import { didYouMean } from "../config/loader.ts";
import { ConfigError } from "../core/errors.ts";
import { cannotRun, machines, scenarios } from "../runner/catalog.ts";
import { type CliIo, main as run } from "./run.ts";

const stdio: CliIo = {
  write: (s) => void Deno.stdout.writeSync(new TextEncoder().encode(s)),
  error: (s) => void Deno.stderr.writeSync(new TextEncoder().encode(s)),
};

/** Machines tried in this order when `--machine` is not given. */
const PREFERRED = ["pc", "x86", "rpi", "rpi1"];

function oneLine(text: string | undefined): string {
  return (text ?? "").replace(/\s+/g, " ").trim();
}

function wrap(text: string, width: number, indent: string): string {
  const out: string[] = [];
  let line = "";
  for (const w of text.split(" ")) {
    if (line && line.length + 1 + w.length > width) {
      out.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(indent + line);
  return out.join("\n");
}

/** Run the lab book CLI. Returns the exit code. */
export async function main(args: string[], io: CliIo = stdio): Promise<number> {
  let all, ms;
  try {
    [all, ms] = await Promise.all([scenarios(), machines()]);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.error(e.message + "\n");
      return 2;
    }
    throw e;
  }
  if (args.length === 0 || args[0] === "--help" || args[0] === "-h") {
    io.write("irqlab lab book: deno task lab NAME [--machine MACHINE] [run options]\n\n");
    for (const s of all) {
      const on = ms.filter((m) => !cannotRun(s.spec, m.spec)).map((m) => m.id);
      io.write(`${s.id}  [${on.join(", ") || "no machine"}]\n`);
      const d = oneLine(s.spec.description);
      if (d) io.write(wrap(d, 96, "    ") + "\n");
    }
    return 0;
  }
  const name = args[0];
  const rest = args.slice(1);
  const entry = all.find((s) => s.id === name || s.spec.name === name);
  if (!entry) {
    io.error(
      `irqlab lab: no experiment "${name}"\n  expected: one of: ${
        all.map((s) => s.id).join(", ")
      }\n  hint: ${didYouMean(name, all.map((s) => s.id), "run `deno task lab` for the list")}\n`,
    );
    return 2;
  }
  let machineId: string | undefined;
  const i = rest.findIndex((a) => a === "--machine" || a.startsWith("--machine="));
  if (i >= 0) {
    const a = rest[i];
    machineId = a.includes("=") ? a.slice(a.indexOf("=") + 1) : rest[i + 1];
    rest.splice(i, a.includes("=") ? 1 : 2);
    if (!machineId) {
      io.error("irqlab lab: --machine needs a machine name (pc, x86, rpi...)\n");
      return 2;
    }
  }
  let machine;
  if (machineId) {
    machine = ms.find((m) => m.id === machineId || m.file === machineId);
    if (!machine) {
      io.error(
        `irqlab lab: no machine "${machineId}"\n  expected: one of: ${
          ms.map((m) => m.id).join(", ")
        }\n  hint: ${
          didYouMean(machineId, ms.map((m) => m.id), "machine files live in machines/")
        }\n`,
      );
      return 2;
    }
    const why = cannotRun(entry.spec, machine.spec);
    if (why) {
      io.error(`irqlab lab: ${entry.id} cannot run on ${machine.id}: ${why}\n`);
      return 2;
    }
  } else {
    const ok = ms.filter((m) => !cannotRun(entry.spec, m.spec));
    ok.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
    machine = ok[0];
    if (!machine) {
      io.error(`irqlab lab: no machine can run ${entry.id}\n`);
      return 2;
    }
  }
  const d = oneLine(entry.spec.description);
  const quiet = rest.includes("-q") || rest.includes("--quiet");
  if (d && !quiet) io.write(`# what to look at:\n${wrap(d, 96, "#   ")}\n`);
  return await run([machine.file, "--scenario", entry.file, ...rest], io);
}

function rank(id: string): number {
  const i = PREFERRED.indexOf(id);
  return i < 0 ? PREFERRED.length : i;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
