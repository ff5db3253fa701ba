/**
 * The Pi's devices with their drivers: the PL011's FIFO trigger and
 * receive timeout, the USB keyboard's reports and the smsc95xx frames
 * completing at microframes inside the dwc_otg interrupt, NET_RX runs.
 */
import assert from "node:assert/strict";
import { Machine } from "../runner/machine.ts";
import fc from "fast-check";
import { testKernel } from "./helpers.ts";
import {
  type Pl011,
  PushButton,
  type Smsc95xx,
  type UsbKeyboard,
} from "../plugins/rpi_devices/mod.ts";

Deno.test("pl011 receive: 12 characters make a trigger-level and a timeout interrupt", async () => {
  // Linux sets the RX FIFO level to half (8 of 16). At 115200 baud a
  // character takes 86.8 µs: the 8th raises RXIS and the handler drains 8;
  // characters 9-12 stay below the level, so RTIS fires 32 bit periods
  // (278 µs) after the 12th and the handler drains 4. Two interrupts.
  const m = await Machine.load("machines/rpi.yaml");
  const uart = m.kernel.devices.get("uart0") as Pl011;
  uart.receive("hello world!", 0, 1_000_000);
  m.run(10_000_000);
  const row = m.proc("/proc/interrupts")!.split("\n").find((l) => l.startsWith("114:"))!;
  assert.equal(row.trim().split(/\s+/)[1], "2");
  assert.equal(uart.fifo.length, 0);
  assert.equal(uart.overruns, 0);
});

Deno.test("usb keyboard: each key down and up is a report completed in the USB interrupt", async () => {
  // "hi": 2 characters, a down and an up report each: 4 reports, each at
  // the next 8 ms poll of the interrupt endpoint.
  const m = await Machine.load("machines/rpi.yaml");
  const kbd = m.kernel.devices.get("keyboard") as UsbKeyboard;
  const seen: (string | undefined)[] = [];
  kbd.onReport = (key) => seen.push(key);
  kbd.type("hi", 1_000_000, 80, 120);
  m.run(600_000_000);
  assert.equal(kbd.reports, 4);
  assert.deepEqual(seen, ["h", undefined, "i", undefined]);
});

Deno.test("smsc95xx burst: frames complete per microframe, NET_RX runs once per interrupt with frames", async () => {
  // Frames at 1000.010 ms + k * 100 µs, k = 0..9, complete at microframe
  // ceil(t / 125 µs): 8001, 8001, 8002, 8003, 8004, 8005, 8005, 8006, 8007,
  // 8008 -> 10 frames in 8 distinct microframes: 8 USB interrupts raise
  // NET_RX, and each raise runs once at that interrupt's irq_exit on CPU 0.
  const m = await Machine.load("machines/rpi.yaml");
  const eth = m.kernel.devices.get("eth0") as Smsc95xx;
  eth.burst(10, 100, 1_000_010_000);
  m.run(1_100_000_000);
  assert.equal(eth.frames, 10);
  assert.equal(eth.processed, 10, "net_rx_action took every queued frame");
  const row = m.proc("/proc/softirqs")!.split("\n").find((l) => l.includes("NET_RX:"))!;
  assert.equal(row, "      NET_RX:          8          0          0          0");
});

Deno.test("push_button: a press makes bounce_edges falling edges, a release 1 + bounce_edges, inside the window", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 50, max: 5000 }),
      (seed, n, us) => {
        const k = testKernel(1, {}, {}, seed);
        const b = new PushButton(k, "b", { bounce_edges: n, bounce_us: us });
        b.change(true, 1_000_000);
        b.change(false, 100_000_000);
        k.runUntil(200_000_000);
        // a falling edge: the contact opens after being closed
        const falls = (from: number, to: number) =>
          b.history.filter(([t, l], i) => t >= from && t < to && !l && i > 0 && b.history[i - 1][1])
            .length;
        assert.equal(falls(0, 50_000_000), n, "press");
        assert.equal(falls(50_000_000, 200_000_000), 1 + n, "release");
        // every toggle within bounce_us of its change; ends closed, then open
        for (const [t] of b.history) {
          const base = t < 50_000_000 ? 1_000_000 : 100_000_000;
          assert.ok(t - base <= us * 1000 + 2 * n, `toggle at +${t - base} ns`);
        }
        assert.equal(b.out.level, false);
      },
    ),
    { numRuns: 100 },
  );
});
