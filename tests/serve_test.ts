/**
 * The status server (tools/serve/): routes and content types, the bearer
 * token on writes, errno → HTTP status mapping, the trace cursor, stimulus
 * injection, pacing with pause/resume and speed, the SSE feed, and the server
 * and simulation surviving malformed requests and kernel BUGs.
 *
 * Most tests drive the Hono app in-process (`app.request`) over a machine
 * stepped by hand (a fake wall clock); the SSE and malformed-request tests
 * use a real server on 127.0.0.1, port 0.
 *
 * Expected figures come from pc.yaml by hand: HZ=250 and the PIT's LATCH
 * (1193182 + 125) / 250 = 4773 counts. In mode 2 OUT rises at the control
 * word (t = 0), then tick n (n >= 1) comes n * 4773 + 1 input clocks later
 * (the count loads on the clock after the write) at 1193182 Hz; the handler
 * runs irq_entry_ns = 1200 ns after the edge. So by t = 100 ms ticks 0..24
 * have run (tick 25 is at 119326 / 1193182 s = 100.0064 ms): 25 interrupts
 * on IRQ 0, two trace entries each.
 */
import assert from "node:assert/strict";
import { createApp, errnoStatus, LiveFeed } from "../tools/serve/app.ts";
import { cpuContext, PacedSim } from "../tools/serve/sim.ts";
import { startServer } from "../tools/serve/mod.ts";
import { main } from "../tools/serve.ts";
import { HARDIRQ_OFFSET, SOFTIRQ_OFFSET } from "../core/cpu.ts";
import type { SleepToken } from "../core/body.ts";

const TOKEN = "s3cret";
const AUTH = { Authorization: `Bearer ${TOKEN}` };

/** A pc.yaml machine with a hand-driven wall clock, and its app. */
async function rig(opts: { traceCapacity?: number } = {}) {
  let wall = 0;
  const sim = await PacedSim.load("machines/pc.yaml", { wallMs: () => wall, ...opts });
  const feed = new LiveFeed(sim);
  const app = createApp({ sim, feed, token: TOKEN, page: "<!doctype html><p id=page>page</p>" });
  return {
    sim,
    feed,
    app,
    k: sim.kernel,
    /** Move the fake wall clock by `ms` and let the server loop step once. */
    wallStep(ms: number) {
      wall += ms;
      return sim.step();
    },
  };
}

function irqRow(text: string, irq: number): string | undefined {
  return text.split("\n").find((l) => new RegExp(`^\\s*${irq}:`).test(l));
}

Deno.test("GET /proc/interrupts is text/plain in kernel format (25 ticks at 100 ms)", async () => {
  const { app, sim } = await rig();
  sim.advance(100_000_000);
  const r = await app.request("/proc/interrupts");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
  const text = await r.text();
  assert.match(text, /^ {11}CPU0 {7}\n/);
  assert.equal(irqRow(text, 0), "  0:         25    XT-PIC      timer");
  assert.equal(irqRow(text, 1), "  1:          0    XT-PIC      i8042");
});

Deno.test("GET /proc/irq/N/* and registered files are served; /dmesg too", async () => {
  const { app } = await rig();
  // one CPU: the mask is cpu0 only, "1"; the list "0"
  let r = await app.request("/proc/irq/1/smp_affinity");
  assert.equal(r.status, 200);
  assert.equal(await r.text(), "1\n");
  r = await app.request("/proc/irq/1/smp_affinity_list");
  assert.equal(await r.text(), "0\n");
  r = await app.request("/dmesg");
  assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.match(await r.text(), /serio: i8042 KBD port at 0x60,0x64 irq 1/);
  r = await app.request("/api/views");
  const { views } = await r.json();
  assert.ok(views.includes("/proc/interrupts"));
  assert.ok(views.includes("/proc/irq/14/smp_affinity_list"));
});

Deno.test("a view a plugin registers later is served without server changes", async () => {
  const { app, k } = await rig();
  k.procfs.register("/proc/irqlab_new_view", () => "new\n");
  const r = await app.request("/proc/irqlab_new_view");
  assert.equal(r.status, 200);
  assert.equal(await r.text(), "new\n");
});

Deno.test("unknown paths give 404 with a cat-like message and nothing else", async () => {
  const { app } = await rig();
  for (const p of ["/proc/nope", "/proc/irq/99/smp_affinity", "/etc/passwd", "/sys/x"]) {
    const r = await app.request(p);
    assert.equal(r.status, 404, p);
    assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await r.text(), `cat: ${p}: No such file or directory\n`);
  }
});

Deno.test("HEAD of a view answers its headers without a body", async () => {
  const { app } = await rig();
  const r = await app.request("/proc/interrupts", { method: "HEAD" });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(await r.text(), "");
});

Deno.test("GET / is the HTML page", async () => {
  const { app } = await rig();
  const r = await app.request("/");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(await r.text(), /id=page/);
});

Deno.test("/api/status reports time, events, speed and the per-CPU context", async () => {
  const { app, sim } = await rig();
  sim.advance(100_000_000);
  const r = await app.request("/api/status");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
  const s = await r.json();
  assert.equal(s.machine, "pc");
  assert.equal(s.simTimeNs, 100_000_000);
  // jiffies: one per tick on the tick CPU, 25 ticks
  assert.equal(s.jiffies, 25);
  assert.ok(s.events > 25, `events ${s.events}`);
  assert.equal(s.speed, 1);
  assert.equal(s.paused, false);
  assert.equal(s.halted, false);
  assert.equal(s.bug, null);
  assert.deepEqual(s.cpus, [{
    cpu: 0,
    comm: "swapper/0",
    pid: 0,
    hardirq: 0,
    softirq: 0,
    servingSoftirq: false,
    nmi: false,
    preemptCount: "0x00000000",
    irqsDisabled: false,
  }]);
  // 25 ticks (entry + exit each) and the 5 sched_switch lines of the workqueue plugin's first
  // workers (kworker/0:0, kworker/0:0H, kworker/u2:0, the writeback rescuer) going idle at boot
  assert.deepEqual(s.trace, { enabled: true, written: 55, capacity: 65536 });
});

Deno.test("cpuContext decodes preempt_count as include/linux/preempt.h lays it out", async () => {
  const { k } = await rig();
  const c = k.cpus[0];
  // one hardirq level over a softirq being served with one local_bh_disable (0x200) on top
  c.preemptCount = HARDIRQ_OFFSET + SOFTIRQ_OFFSET + 0x200;
  c.irqsDisabled = true;
  assert.deepEqual(cpuContext(c), {
    cpu: 0,
    comm: "swapper/0",
    pid: 0,
    hardirq: 1,
    softirq: 3,
    servingSoftirq: true,
    nmi: false,
    preemptCount: "0x00010300",
    irqsDisabled: true,
  });
});

Deno.test("writes need the bearer token: 401 without one, 403 with a wrong one", async () => {
  const { app, sim } = await rig();
  const cases: [string, string, Record<string, string>, number][] = [
    ["POST", "/api/pause", {}, 401],
    ["POST", "/api/pause", { Authorization: "Basic czNjcmV0" }, 401],
    ["POST", "/api/pause", { Authorization: "Bearer" }, 401],
    ["POST", "/api/pause", { Authorization: "Bearer s3cre" }, 403],
    ["POST", "/api/pause", { Authorization: "Bearer s3cret2" }, 403],
    ["POST", "/api/inject", {}, 401],
    ["POST", "/api/resume", { Authorization: "Bearer nope" }, 403],
    ["PUT", "/proc/irq/1/smp_affinity", {}, 401],
    ["PUT", "/proc/irq/1/smp_affinity", { Authorization: "Bearer nope" }, 403],
  ];
  for (const [method, path, headers, status] of cases) {
    const r = await app.request(path, { method, headers, body: "1\n" });
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(headers)}`);
    const body = await r.json();
    assert.match(body.error, status === 401 ? /Authorization: Bearer/ : /wrong bearer token/);
    if (status === 401) assert.equal(r.headers.get("www-authenticate"), 'Bearer realm="irqlab"');
  }
  assert.equal(sim.paused, false, "no refused request paused the machine");
  const r = await app.request("/api/pause", { method: "POST", headers: AUTH });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).paused, true);
});

Deno.test("PUT maps -errno to the HTTP status and the kernel's errno text", async () => {
  const { app, k } = await rig();
  let stored = "0\n";
  k.procfs.register("/proc/irqlab/ok", () => stored, (d) => {
    stored = d;
    return d.length;
  });
  k.procfs.register("/proc/irqlab/einval", () => "", () => -22);
  k.procfs.register("/proc/irqlab/eio", () => "", () => -5);
  k.procfs.register("/proc/irqlab/ebusy", () => "", () => -16);
  k.procfs.register("/proc/irqlab/erange", () => "", () => -34);
  const put = (path: string, body: string) =>
    app.request(path, { method: "PUT", headers: AUTH, body });
  const expect: [string, number, string][] = [
    ["/proc/irqlab/einval", 400, "write error: Invalid argument\n"],
    ["/proc/irqlab/erange", 400, "write error: Numerical result out of range\n"],
    ["/proc/irqlab/eio", 409, "write error: Input/output error\n"],
    ["/proc/irqlab/ebusy", 409, "write error: Device or resource busy\n"],
    ["/proc/irqlab/missing", 404, "write error: No such file or directory\n"],
    ["/proc/interrupts", 405, "write error: Permission denied\n"], // no writer: EACCES
  ];
  for (const [path, status, text] of expect) {
    const r = await put(path, "1\n");
    assert.equal(r.status, status, path);
    assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await r.text(), text, path);
  }
  assert.equal((await put("/proc/interrupts", "1")).headers.get("allow"), "GET, HEAD");
  const r = await put("/proc/irqlab/ok", "3\n");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("x-bytes-written"), "2");
  assert.equal(await r.text(), "3\n");
  assert.equal(stored, "3\n");
});

Deno.test("errnoStatus: not-found 404, no writer 405, refused by state 409, bad value 400", () => {
  assert.equal(errnoStatus(2), 404); // ENOENT
  assert.equal(errnoStatus(19), 404); // ENODEV
  assert.equal(errnoStatus(13), 405); // EACCES
  assert.equal(errnoStatus(1), 403); // EPERM
  assert.equal(errnoStatus(5), 409); // EIO
  assert.equal(errnoStatus(16), 409); // EBUSY
  assert.equal(errnoStatus(22), 400); // EINVAL
  assert.equal(errnoStatus(75), 400); // EOVERFLOW
});

Deno.test("/api/trace returns kernel trace lines after a cursor with the next cursor", async () => {
  const { app, sim } = await rig();
  sim.advance(100_000_000); // 25 ticks: 50 entries, and 5 sched_switch lines of the first kworkers
  let r = await app.request("/api/trace?cursor=0&limit=2");
  let t = await r.json();
  assert.equal(t.cursor, 2);
  assert.equal(t.lost, 0);
  assert.equal(t.more, true);
  assert.equal(
    t.lines[0],
    // N: the workqueue plugin's first kworkers were woken at boot and have not run yet
    "          <idle>-0       [000] dNh1.     0.000001: irq_handler_entry: irq=0 name=timer",
  );
  assert.match(t.lines[1], /irq_handler_exit: irq=0 ret=handled$/);
  r = await app.request("/api/trace?cursor=53");
  t = await r.json();
  assert.equal(t.cursor, 55);
  assert.equal(t.more, false);
  assert.equal(t.lines.length, 2);
  // the 25th tick (n = 24): 114553 clocks = 96.006309 ms, + 1.2 us = 96.007509 ms, which
  // ns2usecs() rounds to the nearest µs (nsec += 500): 0.096008 s
  assert.match(t.lines[0], / 0\.096008: irq_handler_entry: irq=0 name=timer$/);
  r = await app.request("/api/trace?cursor=55");
  assert.deepEqual(await r.json(), { cursor: 55, lost: 0, more: false, lines: [] });
});

Deno.test("/api/trace reports entries the ring overwrote before the cursor reached them", async () => {
  const { app, sim } = await rig({ traceCapacity: 8 });
  sim.advance(100_000_000);
  const t = await (await app.request("/api/trace?cursor=0")).json();
  assert.equal(t.lost, 47); // 55 written, 8 kept
  assert.equal(t.lines.length, 8);
  assert.equal(t.cursor, 55);
});

Deno.test("/api/trace rejects bad cursors and limits with 400", async () => {
  const { app } = await rig();
  for (const q of ["cursor=abc", "cursor=-1", "cursor=5", "limit=0", "limit=100001", "limit=x"]) {
    const r = await app.request(`/api/trace?${q}`);
    assert.equal(r.status, 400, q);
    assert.match((await r.json()).error, /cursor|limit/);
  }
});

Deno.test("POST /api/inject raises the keyboard's interrupt through the stimulus machinery", async () => {
  const { app, sim } = await rig();
  const r = await app.request("/api/inject", {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({ role: "keyboard", action: "type", args: { text: "a" } }),
  });
  assert.equal(r.status, 202);
  assert.deepEqual(await r.json(), { injected: { device: "keyboard", action: "type", at_ns: 0 } });
  sim.advance(200_000_000);
  // one key: a make code and a break code, one IRQ 1 each
  assert.equal(
    irqRow(sim.kernel.procfs.read("/proc/interrupts")!, 1),
    "  1:          2    XT-PIC      i8042",
  );
});

Deno.test("POST /api/inject answers 400 with a clear message for bad requests", async () => {
  const { app, sim } = await rig();
  const cases: [string, RegExp][] = [
    ["{", /^bad JSON/],
    ["[1,2]", /expected an object, got an array/],
    ['"x"', /expected an object, got string/],
    ['{"role":"keyboard"}', /"action" must be a string/],
    ['{"role":5,"action":"type"}', /"role" must be a string/],
    [
      '{"role":"mouse","action":"type"}',
      /no device is bound to role "mouse"; roles: button, disk, keyboard, nic, serial, timer/,
    ],
    ['{"device":"pic9","action":"type"}', /no device "pic9"/],
    ['{"role":"keyboard","action":"press"}', /has no action "press"; actions: key, move, type/],
    ['{"role":"keyboard","action":"type","args":{"text":5}}', /bad args for keyboard type: text:/],
    ['{"role":"keyboard","action":"type","args":{"text":"a"},"delay_ms":-1}', /delay_ms/],
    ['{"action":"type"}', /give "role"/],
  ];
  for (const [body, re] of cases) {
    const r = await app.request("/api/inject", { method: "POST", headers: AUTH, body });
    assert.equal(r.status, 400, body);
    assert.match((await r.json()).error, re, body);
  }
  sim.advance(200_000_000);
  assert.equal(irqRow(sim.kernel.procfs.read("/proc/interrupts")!, 1)?.trim().split(/\s+/)[1], "0");
});

Deno.test("pacing: the wall clock times the speed; pause stops, resume does not catch up", async () => {
  const { app, wallStep, sim } = await rig();
  assert.equal(wallStep(10), 10_000_000); // 10 ms wall at speed 1
  await app.request("/api/pause", { method: "POST", headers: AUTH });
  assert.equal(wallStep(50), 0);
  assert.equal(sim.kernel.now, 10_000_000);
  const s = await (await app.request("/api/resume", { method: "POST", headers: AUTH })).json();
  assert.equal(s.paused, false);
  assert.equal(wallStep(10), 10_000_000);
  const r = await app.request("/api/speed", {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({ speed: 10 }),
  });
  assert.equal((await r.json()).speed, 10);
  assert.equal(wallStep(10), 100_000_000);
  assert.equal(sim.kernel.now, 120_000_000);
  for (const body of ['{"speed":0.001}', '{"speed":1001}', '{"speed":"2"}', "{}", "nope"]) {
    const bad = await app.request("/api/speed", { method: "POST", headers: AUTH, body });
    assert.equal(bad.status, 400, body);
  }
  assert.equal(sim.speed, 10);
});

Deno.test("pacing: a step over its compute budget stops and reports lagging", async () => {
  let wall = 0;
  // each wall-clock read costs 30 ms: the budget (40 ms) runs out after the first slice
  const sim = await PacedSim.load("machines/pc.yaml", {
    wallMs: () => (wall += 30),
    speed: 1000,
  });
  const ran = sim.step();
  assert.ok(ran > 0 && ran < 30_000_000_000, `ran ${ran}`);
  assert.equal(sim.status().lagging, true);
});

Deno.test("a kernel BUG halts the machine and shows in status; the server keeps answering", async () => {
  const { app, sim, k, wallStep } = await rig();
  const tok: SleepToken = { kind: "sleep", ns: 1e6, state: "D", caller: "msleep" } as SleepToken;
  k.clock.scheduleIn(5_000_000, () => k.schedulingWhileAtomic(k.cpus[0], tok));
  wallStep(20);
  const s = await (await app.request("/api/status")).json();
  assert.equal(s.halted, true);
  assert.equal(s.bugs, 1);
  // comm/pid/count: swapper/0, pid 0, preempt_count 0 + schedule()'s own preempt_disable()
  assert.match(s.bug, /BUG: scheduling while atomic: swapper\/0\/0\/0x00000001$/);
  assert.equal(s.simTimeNs, 5_000_000);
  assert.equal(wallStep(20), 0, "a halted machine does not advance");
  assert.equal((await app.request("/proc/interrupts")).status, 200);
  const inj = await app.request("/api/inject", {
    method: "POST",
    headers: AUTH,
    body: '{"role":"keyboard","action":"type","args":{"text":"a"}}',
  });
  assert.equal(inj.status, 409);
  assert.equal(sim.stopped, true);
});

Deno.test("an exception inside the simulation is shown in status, not thrown", async () => {
  const { app, k, wallStep } = await rig();
  k.clock.scheduleIn(1_000_000, () => {
    throw new TypeError("boom in a device model");
  });
  assert.doesNotThrow(() => wallStep(5));
  const s = await (await app.request("/api/status")).json();
  assert.equal(s.error, "TypeError: boom in a device model");
  assert.equal((await app.request("/proc/interrupts")).status, 200);
});

Deno.test("GET /api/trace.json downloads trace-event JSON of the ring buffer", async () => {
  const { app, sim } = await rig();
  sim.advance(10_000_000);
  const r = await app.request("/api/trace.json");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-disposition"), 'attachment; filename="irqlab-pc-trace.json"');
  const j = await r.json();
  const irqs = j.traceEvents.filter((e: { cat?: string }) => e.cat === "hardirq");
  // ticks at 0, 4.001066 and 8.001294 ms: three timer handlers; the first enters at 1200 ns
  assert.equal(irqs.length, 3);
  assert.equal(irqs[0].name, "irq 0 timer");
  assert.equal(irqs[0].ph, "X");
  assert.equal(irqs[0].ts, 1.2);
  assert.ok(irqs[0].dur > 0);
});

Deno.test("GET /api/trace.json uses the exporter the app is given", async () => {
  const sim = await PacedSim.load("machines/pc.yaml");
  const app = createApp({
    sim,
    feed: new LiveFeed(sim),
    token: TOKEN,
    page: "",
    exportTrace: (k) => JSON.stringify({ traceEvents: [], cpus: k.cpus.length }),
  });
  const r = await app.request("/api/trace.json");
  assert.deepEqual(await r.json(), { traceEvents: [], cpus: 1 });
});

Deno.test("LiveFeed sends status every tick and /proc/interrupts only when it changed", async () => {
  const { feed, sim } = await rig();
  const sub = feed.subscribe();
  let got = await feed.next(sub, 10);
  assert.deepEqual(got.map((e) => e.event), ["status", "interrupts", "timeline"]);
  feed.tick(); // nothing ran: same /proc/interrupts
  got = await feed.next(sub, 10);
  assert.deepEqual(got.map((e) => e.event), ["status"]);
  sim.advance(10_000_000);
  feed.tick();
  got = await feed.next(sub, 10);
  assert.deepEqual(got.map((e) => e.event), ["status", "interrupts", "timeline"]);
  const spans = JSON.parse(got[2].data).spans;
  assert.ok(
    spans.some((s: { lane: string; name: string }) =>
      s.lane === "hardirq" && s.name === "irq 0 timer"
    ),
  );
  feed.close();
});

// ---- a real server on 127.0.0.1 ----

/** A request body stream of `n` bytes in 1 KiB chunks (sent chunked). */
function chunked(n: number): ReadableStream<Uint8Array> {
  let left = n;
  return new ReadableStream({
    pull(ctl) {
      if (left <= 0) return ctl.close();
      const k = Math.min(1024, left);
      left -= k;
      ctl.enqueue(new Uint8Array(k).fill(0x7b));
    },
  });
}

Deno.test("SSE /api/events delivers at least two status updates with advancing time", async () => {
  const srv = await startServer({ machine: "machines/pc.yaml", port: 0, tickMs: 30, speed: 1 });
  try {
    const r = await fetch(`${srv.url}/api/events`);
    assert.equal(r.headers.get("content-type"), "text/event-stream");
    const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    const times: number[] = [];
    let interrupts = 0;
    while (times.length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(msg)?.[1];
        const data = msg.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6))
          .join("\n");
        if (ev === "status") times.push(JSON.parse(data).simTimeNs);
        if (ev === "interrupts") {
          assert.match(JSON.parse(data).text, /^ +CPU0/);
          interrupts++;
        }
      }
    }
    assert.equal(srv.feed.clients, 1);
    await reader.cancel();
    // the server notices the client left (at its next write) and drops its queue
    for (let i = 0; i < 50 && srv.feed.clients > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(srv.feed.clients, 0);
    assert.equal(times.length, 3);
    assert.ok(times[2] > times[0], `simulated time advanced: ${times}`);
    assert.ok(interrupts >= 1);
  } finally {
    await srv.close();
  }
});

Deno.test("malformed requests get 4xx and neither the server nor the simulation stops", async () => {
  const srv = await startServer({ machine: "machines/pc.yaml", port: 0, token: TOKEN });
  try {
    const before = srv.sim.kernel.now;
    const bad = [
      ["/api/inject", { method: "POST", headers: AUTH, body: "{not json" }, 400],
      ["/api/inject", { method: "POST", headers: AUTH, body: "x".repeat(100_000) }, 413],
      ["/api/inject", { method: "POST", headers: AUTH, body: "null" }, 400],
      ["/api/speed", { method: "POST", headers: AUTH, body: '{"speed":1e999}' }, 400],
      ["/api/trace?cursor=1e99", {}, 400],
      ["/proc/%ZZ", {}, 404],
      ["/proc/../../etc/passwd", {}, 404],
      ["/proc/irq/1/smp_affinity", { method: "DELETE", headers: AUTH }, 404],
      ["/proc/interrupts", { method: "PUT", headers: AUTH, body: "\u0000\uffff" }, 405],
      ["/api/pause", { method: "POST", headers: { Authorization: "Bearer \u00e9" } }, 403],
      // chunked, no Content-Length: cut at 4096 bytes while reading
      ["/api/inject", { method: "POST", headers: AUTH, body: chunked(8192), duplex: "half" }, 413],
    ] as [string, RequestInit & { duplex?: string }, number][];
    for (const [path, init, status] of bad) {
      const r = await fetch(srv.url + path, init);
      await r.body?.cancel();
      assert.equal(r.status, status, `${init.method ?? "GET"} ${path}`);
    }
    // another Host (a rebound DNS name) is refused; the server's own address is fine
    for (const [host, status] of [["evil.example", 403], [`localhost:${srv.port}`, 200]] as const) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
      await c.write(
        new TextEncoder().encode(
          `GET /api/status HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        ),
      );
      const head = new TextDecoder().decode(
        (await new Response(c.readable).arrayBuffer()).slice(0, 12),
      );
      assert.equal(head, `HTTP/1.1 ${status}`, host);
    }
    // a request cut off mid-body
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    await conn.write(
      new TextEncoder().encode(
        `POST /api/inject HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
          "Content-Length: 100\r\n\r\n{",
      ),
    );
    conn.close();
    await new Promise((r) => setTimeout(r, 150));
    const s = await (await fetch(`${srv.url}/api/status`)).json();
    assert.equal(s.error, null);
    assert.equal(s.paused, false);
    assert.ok(s.simTimeNs > before, "the simulation kept advancing");
    const r = await fetch(`${srv.url}/proc/interrupts`);
    assert.equal(r.status, 200);
    await r.body?.cancel();
  } finally {
    await srv.close();
  }
});

Deno.test("serve main prints the URL and token, binds 127.0.0.1, and stops on abort", async () => {
  let out = "", err = "";
  const ac = new AbortController();
  const run = main(["machines/pc.yaml", "--port", "0"], {
    write: (s) => (out += s),
    error: (s) => (err += s),
  }, ac.signal);
  while (!out.includes("token:")) await new Promise((r) => setTimeout(r, 20));
  const url = /page: {2}(http:\/\/127\.0\.0\.1:\d+)\/#token=([0-9a-f]{64})\n/.exec(out);
  assert.ok(url, out);
  assert.match(out, new RegExp(`\ntoken: ${url[2]}\n`));
  const r = await fetch(`${url[1]}/api/pause`, {
    method: "POST",
    headers: { Authorization: `Bearer ${url[2]}` },
  });
  assert.equal(r.status, 200);
  await r.body?.cancel();
  ac.abort();
  assert.equal(await run, 0);
  assert.equal(err, "");
});

Deno.test("serve main exits 2 with a message for bad options and machine files", async () => {
  for (
    const [args, re] of [
      [["machines/pc.yaml", "--speed", "0"], /--speed must be a number from 0\.01 to 1000/],
      [["machines/pc.yaml", "--speed", "abc"], /--speed must be a number/],
      [["machines/pc.yaml", "--port", "70000"], /--port must be an integer from 0 to 65535/],
      [["machines/nope.yaml"], /cannot read machine file "machines\/nope\.yaml": no such file/],
    ] as [string[], RegExp][]
  ) {
    let err = "";
    const code = await main(args, { write: () => {}, error: (s) => (err += s) });
    assert.equal(code, 2, args.join(" "));
    assert.match(err, re);
    assert.doesNotMatch(err, /\n\s+at /, "no stack trace");
  }
});

Deno.test("load: 10,000 requests while the simulation runs, no 5xx, bounded heap", async () => {
  const srv = await startServer({ machine: "machines/pc.yaml", port: 0, token: TOKEN, speed: 100 });
  try {
    const paths = [
      "/proc/interrupts",
      "/api/status",
      "/proc/irq/1/smp_affinity",
      "/api/trace?cursor=0&limit=100",
      "/proc/nope",
    ];
    // the heap is measured after a full GC; the trace ring (65536 entries) filling up is
    // most of the growth, and bounded
    const gc = (globalThis as { gc?: () => void }).gc;
    assert.ok(gc, "run with --v8-flags=--expose-gc (deno task test does) to measure the heap");
    gc();
    const heapBefore = Deno.memoryUsage().heapUsed;
    const simBefore = srv.sim.kernel.now;
    const statuses = new Map<number, number>();
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < 10_000) {
        const i = next++;
        const r = i % 10 === 9
          ? await fetch(`${srv.url}/api/inject`, { method: "POST", headers: AUTH, body: "{bad" })
          : await fetch(srv.url + paths[i % paths.length]);
        await r.arrayBuffer();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const ms = performance.now() - t0;
    gc();
    const heapGrowth = Deno.memoryUsage().heapUsed - heapBefore;
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, 10_000);
    for (const s of statuses.keys()) assert.ok(s < 500, `status ${s}`);
    // i % 10 == 9 is a bad inject (400); /proc/nope is i % 5 == 4, so i % 10 == 4 (404)
    assert.equal(statuses.get(400), 1000);
    assert.equal(statuses.get(404), 1000);
    assert.equal(statuses.get(200), 8000);
    assert.ok(srv.sim.kernel.now > simBefore, "the simulation advanced during the load");
    assert.ok(heapGrowth < 64 * 2 ** 20, `heap grew ${(heapGrowth / 2 ** 20).toFixed(1)} MiB`);
    console.log(
      `10,000 requests in ${ms.toFixed(0)} ms (${Math.round(10_000_000 / ms)}/s), ` +
        `heap ${(heapGrowth / 2 ** 20).toFixed(1)} MiB`,
    );
  } finally {
    await srv.close();
  }
});
