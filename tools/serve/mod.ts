/**
 * The status server: a {@linkcode PacedSim} stepped from the server loop,
 * the Hono app of app.ts served with `Deno.serve`, and the live feed ticked
 * a few times a second. `deno task serve MACHINE` runs it (tools/serve.ts);
 * tests start it in-process on port 0.
 *
 * @example
 * ```ts
 * const s = await startServer({ machine: "machines/pc.yaml", port: 0 });
 * console.log(s.url, s.token);
 * await s.close();
 * ```
 * @module
 */

import { type AppOptions, createApp, LiveFeed } from "./app.ts";
import { PacedSim } from "./sim.ts";

/** Options of {@linkcode startServer}. */
export interface ServeOptions {
  /** Machine file. */
  machine: string;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port; 0 picks a free one (default 8250). */
  port?: number;
  /** Simulated seconds per wall second (default 1). */
  speed?: number;
  seed?: number;
  keepGoing?: boolean;
  /** Bearer token for writes (default: 32 random bytes in hex). */
  token?: string;
  /** Period of simulation steps, ms (default 10). */
  stepMs?: number;
  /** Period of live-feed updates, ms (default 250). */
  tickMs?: number;
  /** Trace ring size (default 65536 entries). */
  traceCapacity?: number;
  /** The trace download's exporter (default: the ring buffer's spans, timeline.ts). */
  exportTrace?: AppOptions["exportTrace"];
}

/** A running server. */
export interface RunningServer {
  sim: PacedSim;
  feed: LiveFeed;
  /** Base URL, e.g. `http://127.0.0.1:8250`. */
  url: string;
  port: number;
  token: string;
  /** Stop stepping, end the SSE streams and shut the listener down. */
  close(): Promise<void>;
}

/** A random bearer token (the server's own, not part of the simulation). */
export function randomToken(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** The page, read once from page.html beside this file. */
async function loadPage(): Promise<string> {
  return await Deno.readTextFile(new URL("./page.html", import.meta.url));
}

/** Load the machine and serve it. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const sim = await PacedSim.load(opts.machine, {
    speed: opts.speed,
    seed: opts.seed,
    keepGoing: opts.keepGoing,
    traceCapacity: opts.traceCapacity,
  });
  const feed = new LiveFeed(sim);
  const token = opts.token ?? randomToken();
  const host = opts.host ?? "127.0.0.1";
  let port = 0;
  const loopback = host === "127.0.0.1" || host === "localhost" || host === "::1";
  const app = createApp({
    sim,
    feed,
    token,
    page: await loadPage(),
    exportTrace: opts.exportTrace,
    allowHost: loopback
      ? (h) => h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`
      : undefined,
  });
  const server = Deno.serve({
    hostname: host,
    port: opts.port ?? 8250,
    onListen: () => {},
  }, app.fetch);
  const step = setInterval(() => sim.step(), opts.stepMs ?? 10);
  // An exception escaping a timer callback would end the process: log it instead.
  const tick = setInterval(() => {
    try {
      feed.tick();
    } catch (e) {
      console.error(`irqlab serve: live update failed: ${(e as Error).message}`);
    }
  }, opts.tickMs ?? 250);
  port = server.addr.port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    sim,
    feed,
    url: `http://${shown}:${port}`,
    port,
    token,
    async close() {
      clearInterval(step);
      clearInterval(tick);
      feed.close();
      await server.shutdown();
    },
  };
}
