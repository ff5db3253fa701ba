/**
 * The status endpoint as a Hono app over a {@linkcode PacedSim}: every
 * registered /proc and /sys view by path, the status and trace APIs, a
 * Server-Sent Events feed, the live page, and the authenticated writes.
 *
 * Nothing here knows a view: any path a plugin registers in procfs is served
 * (and written, when the plugin gave it a writer) as it is.
 *
 * Routes:
 * - `GET /` the live page; `GET /proc/...`, `GET /sys/...` a view as
 *   `text/plain` (404 `cat: PATH: No such file or directory`); `GET /dmesg`
 * - `GET /api/status`, `GET /api/views`, `GET /api/trace?cursor=N&limit=M`,
 *   `GET /api/events` (SSE: `status`, `interrupts`, `timeline`),
 *   `GET /api/trace.json` (trace-event JSON download)
 * - with `Authorization: Bearer TOKEN` (401 without, 403 wrong):
 *   `PUT /proc/...` (the body is what `echo` would write; -errno → 400/404/405/409
 *   with `write error: <strerror>`), `POST /api/inject`, `POST /api/pause`,
 *   `POST /api/resume`, `POST /api/speed`
 *
 * @example
 * ```ts
 * const sim = await PacedSim.load("machines/pc.yaml");
 * const feed = new LiveFeed(sim);
 * const app = createApp({ sim, feed, token: "secret", page: "<html></html>" });
 * await app.request("/proc/interrupts");
 * ```
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { formatTraceLine } from "../../core/trace.ts";
import { applyStimulus } from "../../runner/stimulus.ts";
import { strerror } from "../../runner/errno.ts";
import { PacedSim, type SimStatus, SPEED_MAX, SPEED_MIN } from "./sim.ts";
import { type Span, Timeline, traceEventJson, traceSince } from "./timeline.ts";

/** Largest write body: a /proc write handler sees at most a page. */
export const MAX_BODY = 4096;
/** Most trace lines one /api/trace answer carries. */
export const MAX_TRACE_LINES = 10_000;
/** Spans kept for a new SSE client. */
const SPAN_HISTORY = 4000;

/** glibc strerror texts beyond runner/errno.ts's, for write errors. */
const MORE_ERRNO: Record<number, string> = {
  3: "No such process",
  11: "Resource temporarily unavailable",
  13: "Permission denied",
  17: "File exists",
  28: "No space left on device",
  34: "Numerical result out of range",
  75: "Value too large for defined data type",
};

/** strerror(errno) for a positive errno. */
export function errnoText(errno: number): string {
  return MORE_ERRNO[errno] ?? strerror(-errno);
}

/**
 * HTTP status for a write's -errno: ENOENT/ENODEV/ESRCH 404 (no such file or
 * target), EACCES 405 (the file has no writer: only GET is allowed), EPERM
 * 403, EIO/EBUSY/EAGAIN/EEXIST 409 (the request is well formed but the
 * kernel's state refuses it: irq_set_affinity's -EIO for an IRQ whose chip
 * cannot move), anything else (EINVAL, ERANGE, EOVERFLOW...) 400.
 */
export function errnoStatus(errno: number): 400 | 403 | 404 | 405 | 409 {
  switch (errno) {
    case 2:
    case 3:
    case 19:
      return 404;
    case 13:
      return 405;
    case 1:
      return 403;
    case 5:
    case 11:
    case 16:
    case 17:
      return 409;
    default:
      return 400;
  }
}

/** One event for SSE clients. */
interface FeedEvent {
  event: "status" | "interrupts" | "timeline";
  data: string;
}

/** A subscriber's queue. */
interface Subscriber {
  queue: FeedEvent[];
  wake: (() => void) | undefined;
  lastInterrupts: string | undefined;
}

/**
 * The live feed: at every `tick()` (the server calls it a few times a second)
 * the status, `/proc/interrupts` when it changed for that client, and the
 * timeline spans closed since the last tick go to every SSE client.
 */
export class LiveFeed {
  readonly #sim: PacedSim;
  readonly #timeline: Timeline;
  readonly #subs = new Set<Subscriber>();
  readonly #history: Span[] = [];
  #closed = false;
  /** Updates published so far. */
  ticks = 0;

  constructor(sim: PacedSim) {
    this.#sim = sim;
    this.#timeline = new Timeline(sim.kernel);
  }

  /** Number of connected SSE clients. */
  get clients(): number {
    return this.#subs.size;
  }

  /** Publish one update to every client. Never throws on a simulation fault. */
  tick(): void {
    this.ticks++;
    const status = JSON.stringify(this.#sim.status());
    const interrupts = readView(this.#sim, "/proc/interrupts") ?? "";
    const spans = this.#timeline.read();
    this.#history.push(...spans);
    if (this.#history.length > SPAN_HISTORY) {
      this.#history.splice(0, this.#history.length - SPAN_HISTORY);
    }
    const timeline = JSON.stringify({ spans, lost: this.#timeline.lost });
    for (const s of this.#subs) {
      s.queue.push({ event: "status", data: status });
      if (s.lastInterrupts !== interrupts) {
        s.lastInterrupts = interrupts;
        s.queue.push({ event: "interrupts", data: JSON.stringify({ text: interrupts }) });
      }
      if (spans.length) s.queue.push({ event: "timeline", data: timeline });
      // A client that does not read keeps only the latest few updates.
      if (s.queue.length > 60) s.queue.splice(0, s.queue.length - 60);
      s.wake?.();
    }
  }

  /** A new client: it gets the current state at once, then every tick. */
  subscribe(): Subscriber {
    const interrupts = readView(this.#sim, "/proc/interrupts") ?? "";
    const s: Subscriber = {
      queue: [
        { event: "status", data: JSON.stringify(this.#sim.status()) },
        { event: "interrupts", data: JSON.stringify({ text: interrupts }) },
        { event: "timeline", data: JSON.stringify({ spans: this.#history, lost: 0 }) },
      ],
      wake: undefined,
      lastInterrupts: interrupts,
    };
    this.#subs.add(s);
    return s;
  }

  unsubscribe(s: Subscriber): void {
    this.#subs.delete(s);
    s.wake?.();
  }

  /** Wait for the next events of `s` (empty when the feed closed or `s` left). */
  async next(s: Subscriber, timeoutMs: number): Promise<FeedEvent[]> {
    if (!s.queue.length && !this.#closed && this.#subs.has(s)) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => done(), timeoutMs);
        const done = () => {
          clearTimeout(t);
          s.wake = undefined;
          resolve();
        };
        s.wake = done;
      });
    }
    return s.queue.splice(0);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** End every stream (server shutdown). */
  close(): void {
    this.#closed = true;
    for (const s of this.#subs) s.wake?.();
    this.#subs.clear();
  }
}

/** A view's text, or undefined; a reader that throws counts as missing and is logged. */
function readView(sim: PacedSim, path: string): string | undefined {
  try {
    return sim.enter(() => sim.kernel.procfs.read(path));
  } catch (e) {
    console.error(`irqlab serve: reading ${path} failed: ${(e as Error).message}`);
    return undefined;
  }
}

/** Files below /proc/irq/N/ that genirq's dir reader may answer (probed, not assumed). */
const IRQ_FILES = [
  "smp_affinity",
  "smp_affinity_list",
  "effective_affinity",
  "effective_affinity_list",
  "node",
  "spurious",
];

/** Every readable view path: the registered files, and /proc/irq/N/* for each IRQ row. */
export function viewPaths(sim: PacedSim): string[] {
  const procfs = sim.kernel.procfs;
  const paths = new Set(procfs.files());
  const interrupts = readView(sim, "/proc/interrupts") ?? "";
  for (const line of interrupts.split("\n")) {
    const m = /^\s*(\d+):/.exec(line);
    if (!m) continue;
    for (const f of IRQ_FILES) {
      const p = `/proc/irq/${m[1]}/${f}`;
      if (readView(sim, p) !== undefined) paths.add(p);
    }
  }
  return [...paths].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** What {@linkcode createApp} needs. */
export interface AppOptions {
  sim: PacedSim;
  feed: LiveFeed;
  /** The bearer token writes must carry. */
  token: string;
  /** The HTML of `/`. */
  page: string;
  /** Keep-alive period of SSE streams, ms (default 15000). */
  keepAliveMs?: number;
  /**
   * Accept a request's `Host` header (default: any). A server on loopback
   * accepts only its own address, so a web page whose name an attacker
   * rebinds to 127.0.0.1 (DNS rebinding) cannot read the views.
   */
  allowHost?: (host: string) => boolean;
  /**
   * The trace download (`GET /api/trace.json`): Chrome trace-event JSON of
   * the machine's trace. Default: timeline.ts's spans of the ring buffer; a
   * fuller Perfetto exporter plugs in here.
   */
  exportTrace?: (kernel: PacedSim["kernel"]) => string;
}

/** Compare two strings in time independent of where they differ. */
function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a), y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

const TEXT = "text/plain; charset=utf-8";

/** The app's context variables: the body of a write, read once by the middleware. */
export type Env = { Variables: { body: string } };
type Ctx = Context<Env>;

/** A body as UTF-8 text, or undefined when it is over `max` bytes (the rest is not read). */
async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): Promise<string | undefined> {
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    all.set(ch, at);
    at += ch.length;
  }
  return new TextDecoder().decode(all);
}

function apiError(
  c: Context<Env>,
  status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500,
  msg: string,
) {
  return c.json({ error: msg }, status);
}

/** Parse a JSON object body; a string describing the problem when it is not one. */
function jsonBody(c: Ctx): Record<string, unknown> | string {
  const text = c.get("body");
  if (text.trim() === "") return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `bad JSON: ${(e as Error).message}`;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return `bad JSON: expected an object, got ${Array.isArray(v) ? "an array" : typeof v}`;
  }
  return v as Record<string, unknown>;
}

/** Build the Hono app. */
export function createApp(opts: AppOptions): Hono<Env> {
  const { sim, feed, token, page } = opts;
  const app = new Hono<Env>();

  if (opts.allowHost) {
    const allow = opts.allowHost;
    app.use("*", async (c, next) => {
      const host = (c.req.header("host") ?? "").toLowerCase();
      if (!allow(host)) {
        return apiError(c, 403, `Host "${host.slice(0, 100)}" is not this server's address`);
      }
      return await next();
    });
  }

  // Writes need the bearer token: 401 without one, 403 with a wrong one.
  app.use("*", async (c, next) => {
    const m = c.req.method;
    if (m === "GET" || m === "HEAD" || m === "OPTIONS") return await next();
    const auth = c.req.header("authorization");
    const bearer = auth && /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!bearer) {
      c.header("WWW-Authenticate", 'Bearer realm="irqlab"');
      return apiError(c, 401, "writes need Authorization: Bearer <token> (printed at start)");
    }
    if (!sameToken(bearer[1], token)) return apiError(c, 403, "wrong bearer token");
    return await next();
  });
  // Read a write's body once, at most MAX_BODY bytes (413 past that, without
  // buffering the rest); handlers take it from c.get("body").
  app.use("*", async (c, next) => {
    const m = c.req.method;
    if (m === "GET" || m === "HEAD" || m === "OPTIONS") return await next();
    const len = c.req.header("content-length");
    if (len !== undefined && !(Number(len) <= MAX_BODY)) {
      return apiError(c, 413, `request body over ${MAX_BODY} bytes`);
    }
    const text = await readLimited(c.req.raw.body, MAX_BODY);
    if (text === undefined) return apiError(c, 413, `request body over ${MAX_BODY} bytes`);
    c.set("body", text);
    return await next();
  });

  app.get("/", (c) => c.html(page));

  // ---- views ----
  const view = (c: Ctx) => {
    const path = c.req.path;
    let text: string | undefined;
    try {
      text = sim.enter(() => sim.kernel.procfs.read(path));
    } catch (e) {
      return c.text(`cat: ${path}: Input/output error (${(e as Error).message})\n`, 500);
    }
    if (text === undefined) {
      return c.text(`cat: ${path}: No such file or directory\n`, 404, { "Content-Type": TEXT });
    }
    return c.text(text, 200, { "Content-Type": TEXT });
  };
  app.get("/proc/*", view);
  app.get("/sys/*", view);
  app.get("/dmesg", (c) => c.text(sim.kernel.log.dmesg(), 200, { "Content-Type": TEXT }));

  const write = (c: Ctx) => {
    const path = c.req.path;
    const data = c.get("body");
    let r: number;
    try {
      r = sim.enter(() => sim.kernel.procfs.write(path, data));
    } catch (e) {
      return c.text(`write error: ${path}: ${(e as Error).message}\n`, 500, {
        "Content-Type": TEXT,
      });
    }
    if (r < 0) {
      const status = errnoStatus(-r);
      if (status === 405) c.header("Allow", "GET, HEAD");
      return c.text(`write error: ${errnoText(-r)}\n`, status, { "Content-Type": TEXT });
    }
    return c.text(readView(sim, path) ?? "", 200, {
      "Content-Type": TEXT,
      "X-Bytes-Written": String(r),
    });
  };
  app.put("/proc/*", write);
  app.put("/sys/*", write);

  // ---- API ----
  app.get("/api/status", (c) => c.json(sim.status() satisfies SimStatus));
  app.get("/api/views", (c) => c.json({ views: viewPaths(sim) }));

  app.get("/api/trace", (c) => {
    const q = c.req.query("cursor") ?? "0";
    const l = c.req.query("limit") ?? "1000";
    if (!/^\d{1,15}$/.test(q)) {
      return apiError(c, 400, `cursor must be a non-negative integer, got "${q}"`);
    }
    if (!/^\d{1,6}$/.test(l) || Number(l) < 1 || Number(l) > MAX_TRACE_LINES) {
      return apiError(c, 400, `limit must be an integer from 1 to ${MAX_TRACE_LINES}, got "${l}"`);
    }
    const cursor = Number(q), limit = Number(l);
    const written = sim.kernel.trace.written;
    if (cursor > written) {
      return apiError(c, 400, `cursor ${cursor} is past the last entry written (${written})`);
    }
    const { entries, lost } = traceSince(sim.kernel, cursor);
    const taken = entries.slice(0, limit);
    return c.json({
      cursor: cursor + lost + taken.length,
      lost,
      more: entries.length > taken.length,
      lines: taken.map((e) => formatTraceLine(e).slice(0, -1)),
    });
  });

  app.get("/api/trace.json", (c) =>
    c.body((opts.exportTrace ?? traceEventJson)(sim.kernel), 200, {
      "Content-Type": "application/json",
      "Content-Disposition": `attachment; filename="irqlab-${sim.machine}-trace.json"`,
    }));

  app.get("/api/events", (c) => {
    const sub = feed.subscribe();
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => feed.unsubscribe(sub));
      let id = 0;
      while (!stream.aborted && !stream.closed && !feed.closed) {
        const events = await feed.next(sub, opts.keepAliveMs ?? 15_000);
        if (!events.length) {
          if (!feed.closed) await stream.write(": keep-alive\n\n");
          continue;
        }
        for (const e of events) {
          await stream.writeSSE({ event: e.event, data: e.data, id: String(++id) });
        }
      }
      feed.unsubscribe(sub);
    });
  });

  app.post("/api/pause", (c) => {
    sim.pause();
    return c.json(sim.status());
  });
  app.post("/api/resume", (c) => {
    sim.resume();
    return c.json(sim.status());
  });
  app.post("/api/speed", (c) => {
    const body = jsonBody(c);
    if (typeof body === "string") return apiError(c, 400, body);
    const v = body.speed;
    if (typeof v !== "number" || !(v >= SPEED_MIN && v <= SPEED_MAX)) {
      return apiError(
        c,
        400,
        `speed must be a number from ${SPEED_MIN} to ${SPEED_MAX}, got ${JSON.stringify(v)}`,
      );
    }
    sim.speed = v;
    return c.json(sim.status());
  });

  app.post("/api/inject", (c) => {
    const body = jsonBody(c);
    if (typeof body === "string") return apiError(c, 400, body);
    const { role, device, action, args, delay_ms } = body;
    if (role !== undefined && typeof role !== "string") {
      return apiError(c, 400, `"role" must be a string, got ${JSON.stringify(role)}`);
    }
    if (device !== undefined && typeof device !== "string") {
      return apiError(c, 400, `"device" must be a string, got ${JSON.stringify(device)}`);
    }
    if (typeof action !== "string") {
      return apiError(c, 400, `"action" must be a string, got ${JSON.stringify(action)}`);
    }
    if (delay_ms !== undefined && (typeof delay_ms !== "number" || !(delay_ms >= 0))) {
      return apiError(c, 400, `"delay_ms" must be a number >= 0, got ${JSON.stringify(delay_ms)}`);
    }
    if (sim.stopped) return apiError(c, 409, "the machine is stopped (see /api/status)");
    let r;
    try {
      r = applyStimulus(sim.kernel, {
        role,
        device,
        action,
        args,
        delayNs: Math.round(((delay_ms as number | undefined) ?? 0) * 1e6),
      });
    } catch (e) {
      return apiError(c, 500, `the stimulus failed: ${(e as Error).message}`);
    }
    if (!r.ok) return apiError(c, 400, r.error);
    return c.json({ injected: { device: r.device, action, at_ns: r.at } }, 202);
  });

  app.notFound((c) => {
    const p = c.req.path;
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      return apiError(c, 404, `no ${c.req.method} route for ${p}`);
    }
    return c.text(`cat: ${p}: No such file or directory\n`, 404, { "Content-Type": TEXT });
  });
  app.onError((e, c) => apiError(c, 500, `internal error: ${e.message}`));
  return app;
}
