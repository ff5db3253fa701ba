/**
 * The live page in a real browser: playwright-core drives Debian's Chromium
 * (`/usr/bin/chromium`, headless) against the status server on 127.0.0.1,
 * port 0. The test fails — never skips — when Chromium is missing; .ci/run
 * installs it (`apt-get install -y chromium`).
 *
 * Permissions this needs beyond the other tests (deno.json `test`):
 * `--allow-run=/usr/bin/chromium`, `--allow-read=/usr/bin/chromium`
 * (playwright checks the executable exists), `--allow-env` (playwright reads
 * PW_*, TMPDIR and more, and its bundled `debug` module lists every variable
 * when loaded, so a name list cannot do), `--allow-sys=homedir`. Playwright's
 * temporary profile and artifacts go to a directory under the repository
 * (TMPDIR points there), so `--allow-write=.` covers them.
 */
import assert from "node:assert/strict";
import { startServer } from "../tools/serve/mod.ts";

const CHROMIUM = "/usr/bin/chromium";

async function haveChromium(): Promise<boolean> {
  try {
    return (await Deno.stat(CHROMIUM)).isFile;
  } catch {
    return false;
  }
}

/**
 * Start the status server on `machine` (port 0), open its page in headless
 * Chromium with the token, run `fn`, and clean everything up. Fails (never
 * skips) when Chromium is missing.
 */
/** The test knob's content (a writable view the first test registers). */
let knob = "0\n";

async function withPage(
  machine: string,
  fn: (
    srv: Awaited<ReturnType<typeof startServer>>,
    page: import("playwright-core").Page,
  ) => Promise<void>,
  prepare?: (srv: Awaited<ReturnType<typeof startServer>>) => void,
): Promise<void> {
  if (!(await haveChromium())) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: install it with ` +
        "`sudo apt-get install -y chromium` (.ci/run does this itself)",
    );
  }
  const tmp = await Deno.realPath(await Deno.makeTempDir({ dir: ".", prefix: ".pw-" }));
  const oldTmp = Deno.env.get("TMPDIR");
  let srv: Awaited<ReturnType<typeof startServer>> | undefined;
  let browser: import("playwright-core").Browser | undefined;
  try {
    Deno.env.set("TMPDIR", tmp);
    // playwright-core's bundled is-wsl probes /proc/sys/fs/binfmt_misc/WSLInterop
    // when it is loaded, and Deno grants /proc/sys only to --allow-all. This
    // variable makes that probe lazy; it is only read by the "open a URL in a
    // desktop app" helper, which launching Chromium never uses.
    Deno.env.set("__IS_WSL_TEST__", "1");
    srv = await startServer({ machine, port: 0, tickMs: 100 });
    prepare?.(srv); // before the page loads its list of views
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    const page = await browser.newPage();
    await page.goto(`${srv.url}/#token=${srv.token}`);
    await fn(srv, page);
  } finally {
    await browser?.close();
    await srv?.close();
    await Deno.remove(tmp, { recursive: true });
    if (oldTmp === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", oldTmp);
    Deno.env.delete("__IS_WSL_TEST__");
  }
}

Deno.test({
  name: "the live page shows /proc/interrupts, highlights a changed cell and the CPU context",
  // playwright keeps a pipe to the browser open between its own async steps
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withPage("machines/pc.yaml", async (srv, page) => {
      // /proc/interrupts rendered as a table: the timer row and the keyboard's
      await page.waitForSelector('#interrupts tr[data-irq="0"] td[data-cpu="0"]');
      assert.equal(
        (await page.textContent('#interrupts tr[data-irq="1"] td.txt'))?.trim(),
        "XT-PIC      i8042",
      );
      assert.equal(await page.textContent('#interrupts tr[data-irq="1"] td[data-cpu="0"]'), "0");
      // the timer counts up, so its cell is highlighted on an update (watch -d)
      await page.waitForSelector('#interrupts tr[data-irq="0"] td[data-cpu="0"].changed');

      // the per-CPU context: idle, task level, interrupts on between slices
      await page.waitForSelector('#cpus tr[data-cpu="0"]');
      assert.equal(await page.textContent('#cpus tr[data-cpu="0"] td.current'), "swapper/0/0");
      assert.equal(await page.textContent('#cpus tr[data-cpu="0"] td.hardirq'), "0");
      assert.equal(await page.textContent('#cpus tr[data-cpu="0"] td.irqs'), "on");

      // the download link, and what it serves
      assert.equal(await page.getAttribute("#download", "href"), "/api/trace.json");
      const dl = await page.evaluate(async () => {
        const r = await fetch("/api/trace.json");
        return { status: r.status, n: (await r.json()).traceEvents.length };
      });
      assert.equal(dl.status, 200);
      assert.ok(dl.n > 0);

      // inject a key press with the page's form (role keyboard, type "a"; the
      // token came from the URL fragment): IRQ 1's cell changes and is highlighted
      await page.click("#inject");
      await page.waitForFunction(
        `(() => {
          const td = document.querySelector('#interrupts tr[data-irq="1"] td[data-cpu="0"]');
          return td !== null && td.textContent !== "0" && td.classList.contains("changed");
        })()`,
        undefined,
        { timeout: 10_000 },
      );
      assert.equal(await page.textContent("#msg"), "POST /api/inject: 202");

      // the rolling timeline received the keyboard's hardirq spans
      // (`spans` is the page script's top-level binding, reached by an expression)
      await page.waitForFunction(
        "spans.some((s) => s.lane === 'hardirq' && s.name === 'irq 1 i8042')",
        undefined,
        { timeout: 10_000 },
      );

      // writing a view through the page: a good value, then a bad one (the kernel's errno text)
      await page.selectOption("#views", "/proc/irqlab_knob");
      await page.fill("#wvalue", "7");
      await page.click("#write");
      await page.waitForFunction(`document.querySelector("#view").textContent.endsWith("7\\n")`);
      assert.equal(await page.textContent("#msg"), "PUT /proc/irqlab_knob: 200");
      assert.equal(knob, "7\n");
      await page.fill("#wvalue", "x");
      await page.click("#write");
      await page.waitForFunction(`document.querySelector("#msg").textContent.includes("400")`);
      assert.equal(
        await page.textContent("#msg"),
        "PUT /proc/irqlab_knob: 400 write error: Invalid argument",
      );
      assert.equal(knob, "7\n");

      // a write without the token is refused and the page says so
      await page.evaluate(() => sessionStorage.removeItem("irqlab-token"));
      await page.fill("#token", "wrong");
      await page.click("#pause");
      await page.waitForFunction(
        `document.querySelector("#msg").textContent.startsWith("POST /api/pause: 403")`,
      );
      assert.equal(srv.sim.paused, false);
    }, (srv) => {
      // a writable view, as a plugin would register one (genirq's smp_affinity on SMP
      // machines): it takes one decimal digit and answers -EINVAL to anything else
      srv.sim.kernel.procfs.register("/proc/irqlab_knob", () => knob, (d) => {
        if (!/^\d\n?$/.test(d)) return -22;
        knob = d.endsWith("\n") ? d : d + "\n";
        return d.length;
      });
    }),
});

Deno.test({
  name: "the live page changes an IRQ's affinity on x86.yaml and the count moves to that CPU",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withPage("machines/x86.yaml", async (srv, page) => {
      await page.waitForSelector('#interrupts tr[data-irq="1"] td[data-cpu="0"]');
      assert.equal(await page.textContent('#interrupts tr[data-irq="1"] td[data-cpu="0"]'), "0");

      // echo 1 > /proc/irq/1/smp_affinity through the page: IO-APIC edge IRQs move at the
      // next interrupt (IRQD_SETAFFINITY_PENDING), and the file shows the new mask at once
      await page.selectOption("#views", "/proc/irq/1/smp_affinity");
      await page.fill("#wvalue", "1");
      await page.click("#write");
      await page.waitForFunction(`document.querySelector("#msg").textContent.includes("200")`);
      assert.equal(await page.textContent("#msg"), "PUT /proc/irq/1/smp_affinity: 200");
      assert.equal(srv.sim.kernel.procfs.read("/proc/irq/1/smp_affinity"), "1\n");

      // a key press (two interrupts): the first moves the vector to CPU 0, the second lands there
      await page.click("#inject");
      await page.waitForFunction(
        `(() => {
          const td = document.querySelector('#interrupts tr[data-irq="1"] td[data-cpu="0"]');
          return td !== null && td.textContent !== "0" && td.classList.contains("changed");
        })()`,
        undefined,
        { timeout: 10_000 },
      );
      assert.equal(srv.sim.kernel.procfs.read("/proc/irq/1/effective_affinity_list"), "0\n");

      // an empty mask is refused with the kernel's errno text
      await page.fill("#wvalue", "0");
      await page.click("#write");
      await page.waitForFunction(`document.querySelector("#msg").textContent.includes("400")`);
      assert.equal(
        await page.textContent("#msg"),
        "PUT /proc/irq/1/smp_affinity: 400 write error: Invalid argument",
      );
    }),
});
