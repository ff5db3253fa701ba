/**
 * The Raspberry Pi profiles end to end: ARMCTRL, the BCM2836 per-core
 * controller and the GPIO block through their registers (Machine.readl /
 * writel, device lines), the IRQ numbers Linux gives them, the legacy GPIO
 * API's answers, the GPPUD sequence, contact bounce with a plain and a
 * threaded handler, the smp_affinity errno, edge-to-handler latency, the
 * golden /proc/interrupts of the default run and determinism.
 */
import assert from "node:assert/strict";
import { main } from "../tools/run.ts";
import { Machine } from "../runner/machine.ts";
import { runScenario } from "../runner/mod.ts";
import { ArmKey, IPI_RESCHEDULE, smp_call_function_single } from "../plugins/arm/mod.ts";
import {
  DISABLE_IRQS_1,
  ENABLE_BASIC_IRQS,
  ENABLE_IRQS_1,
  ENABLE_IRQS_2,
  FIQ_CONTROL,
  get_next_armctrl_hwirq,
  IRQ_BASIC_PENDING,
  IRQ_PENDING_1,
  IRQ_PENDING_2,
} from "../plugins/bcm2835_intc/mod.ts";
import {
  LOCAL_GPU_ROUTING,
  LOCAL_IRQ_PENDING0,
  LOCAL_MAILBOX0_CLR0,
  LOCAL_MAILBOX0_SET0,
} from "../plugins/bcm2836/mod.ts";
import {
  GPAFEN0,
  GPCLR0,
  GPEDS0,
  GPFEN0,
  GPFSEL0,
  GPHEN0,
  gpio_direction_input,
  gpio_direction_output,
  gpio_get_value,
  gpio_is_valid,
  gpio_request,
  gpio_set_debounce,
  gpio_set_value,
  gpio_to_irq,
  GPLEV0,
  GPPUD,
  GPPUDCLK0,
  GPREN0,
  GPSET0,
} from "../plugins/bcm2835_gpio/mod.ts";
import {
  handle_edge_irq,
  handle_level_irq,
  in_hardirq,
  IRQ_HANDLED,
  IRQF_ONESHOT,
  IRQF_TRIGGER_FALLING,
  IRQF_TRIGGER_HIGH,
  request_irq,
  request_threaded_irq,
  smp_processor_id,
  udelay,
} from "../mod.ts";
import type { Led, PushButton } from "../plugins/rpi_devices/mod.ts";

/** Assert that `text` has exactly this line. */
function assertLine(text: string, line: string): void {
  assert.ok(text.split("\n").includes(line), `no line ${JSON.stringify(line)} in:\n${text}`);
}

/** The row of `irq` in /proc/interrupts text. */
function row(text: string, irq: number): string {
  return text.split("\n").find((l) => l.trimStart().startsWith(`${irq}:`)) ?? "";
}

const ARMCTRL = 0x3f00b200;
const GPIO = 0x3f200000;
const LOCAL = 0x40000000;

function load(file = "machines/rpi.yaml") {
  return Machine.load(file);
}

Deno.test("irq_domain_alloc_descs numbers the Pi 3's IRQs as a 6.1 kernel does", async () => {
  // 0-15 are preallocated (ARM NR_IRQS = 16). of_irq_init() runs the
  // BCM2836 driver first: mailbox 0 (hwirq 4, hint 4 -> first free >= 4)
  // is 16, the 32 IPIs 17-48; then ARMCTRL maps banks 0, 1, 2 in order:
  // hwirq 0-7 -> 49-56, 32-63 -> 57-88, 64-95 -> 89-120; its parent, local
  // hwirq 8 (GPU_FAST) -> 121; time_init() maps the timer PPIs in DT order
  // (0, 1, 3, 2) -> 122-125. So USB (GPU 9, hwirq 41) is 57 + 9 = 66 and the
  // PL011 (GPU 57, hwirq 89) is 89 + 25 = 114, the system timer (GPU 3)
  // 57 + 3 = 60 — what a real Pi 3 on a 5.1x kernel prints at boot:
  // "bcm2835: system timer (irq = 60)" (a boot log posted to
  // linux-arm-kernel), and on a Pi 1 "bcm2835: system timer (irq = 27)"
  // (raspberrypi/linux issue #2438).
  const m = await load();
  assertLine(m.dmesg(), "[    0.000000] bcm2835: system timer (irq = 60)");
  const text = m.proc("/proc/interrupts")!;
  assert.ok(
    row(text, 66).endsWith("ARMCTRL-level  41 Edge      dwc_otg, dwc_otg_pcd, dwc_otg_hcd:usb1"),
    row(text, 66),
  );
  assert.ok(row(text, 114).endsWith("ARMCTRL-level  89 Edge      uart-pl011"), row(text, 114));
  assert.ok(row(text, 122).endsWith("bcm2836-timer   0 Edge      arch_timer"), row(text, 122));
  assert.ok(row(text, 123).endsWith("bcm2836-timer   1 Edge      arch_timer"), row(text, 123));
  // The first gpio_to_irq() maps GPIO 15 with hint 15 -> first free: 126.
  m.kernel.enter(() => {
    assert.equal(gpio_to_irq(15), 126);
    assert.equal(gpio_to_irq(15), 126);
    assert.equal(gpio_to_irq(16), 127);
  });
});

Deno.test("irq_domain_alloc_descs numbers the Pi 1's IRQs with ARMCTRL as the root", async () => {
  // No per-core controller: ARMCTRL hwirq 0-7 -> 16-23, 32-63 -> 24-55,
  // 64-95 -> 56-87. System timer C3 (GPU 3) = 24 + 3 = 27, USB 24 + 9 = 33,
  // UART 56 + 25 = 81; a uniprocessor kernel prints no IPI rows.
  const m = await load("machines/rpi1.yaml");
  assertLine(m.dmesg(), "[    0.000000] bcm2835: system timer (irq = 27)");
  const text = m.proc("/proc/interrupts")!;
  assert.equal(
    text,
    "           CPU0       \n" +
      " 27:          0  ARMCTRL-level  35 Edge      timer\n" +
      " 33:          0  ARMCTRL-level  41 Edge      dwc_otg, dwc_otg_pcd, dwc_otg_hcd:usb1\n" +
      " 81:          0  ARMCTRL-level  89 Edge      uart-pl011\n" +
      "Err:          0\n",
  );
});

Deno.test("ARMCTRL enable registers after boot hold the requested and chained sources", async () => {
  const m = await load();
  // The firmware left GPU 9 enabled; armctrl_of_init() disabled it and said
  // so. Then the system timer (GPU 3) and dwc_otg (GPU 9) were requested:
  // bits 3 and 9 of ENABLE_IRQS_1. GPIO banks GPU 49-51 (chained, started)
  // and the UART (GPU 57): bits 17, 18, 19, 25 of ENABLE_IRQS_2. Nothing in
  // the basic bank.
  assert.equal(m.readl(ARMCTRL + ENABLE_IRQS_1), (1 << 9) | (1 << 3));
  assertLine(m.dmesg(), "[    0.000000] [Firmware Bug]: Bootloader left irq enabled: bank 1 irq 9");
  assert.equal(
    m.readl(ARMCTRL + ENABLE_IRQS_2),
    ((1 << 17) | (1 << 18) | (1 << 19) | (1 << 25)) >>> 0,
  );
  assert.equal(m.readl(ARMCTRL + ENABLE_BASIC_IRQS), 0);
});

Deno.test("ARMCTRL pending registers show enabled sources, with bank bits and shortcuts as the hardware sets them", async () => {
  const m = await load();
  m.setLine("usb.irq", true); // GPU 9: a shortcut (index 1 -> basic bit 11)
  assert.equal(m.readl(ARMCTRL + IRQ_PENDING_1), 1 << 9);
  assert.equal(m.readl(ARMCTRL + IRQ_BASIC_PENDING), 1 << 11, "shortcut bit, not bit 8");
  assert.equal(m.line("armctrl.irq"), true);
  // Routed to core 0 by the GPU routing register (0 after reset).
  assert.equal(m.readl(LOCAL + LOCAL_IRQ_PENDING0), 1 << 8);
  assert.equal(m.intr(0), true);
  assert.equal(m.intr(1), false);
  m.setLine("uart0.irq", true); // GPU 57: bank 2 bit 25, shortcut index 9 -> basic bit 19
  m.setLine("gpio.int0", true); // GPU 49: bank 2 bit 17, no shortcut -> basic bit 9
  m.setLine("gpio.int3", true); // GPU 52: not enabled -> in neither register
  assert.equal(m.readl(ARMCTRL + IRQ_PENDING_2), ((1 << 25) | (1 << 17)) >>> 0);
  assert.equal(m.readl(ARMCTRL + IRQ_BASIC_PENDING), (1 << 11) | (1 << 19) | (1 << 9));
  // get_next_armctrl_hwirq(): shortcut 1 first (hwirq 32 + 9), then
  // shortcut 2 (64 + 25), then bank 2's lowest bit (64 + 17).
  const next = () => m.kernel.enter(() => get_next_armctrl_hwirq(ARMCTRL));
  assert.equal(next(), 41);
  m.writel(1 << 9, ARMCTRL + DISABLE_IRQS_1);
  assert.equal(m.readl(ARMCTRL + ENABLE_IRQS_1), 1 << 3, "only the system timer left");
  assert.equal(m.readl(ARMCTRL + IRQ_PENDING_1), 0, "a disabled source is not pending");
  assert.equal(next(), 89);
  m.setLine("uart0.irq", false);
  assert.equal(next(), 81);
  m.setLine("gpio.int0", false);
  assert.equal(next(), -1);
  assert.equal(m.line("armctrl.irq"), false);
  assert.equal(m.intr(0), false);
  // FIQ control: source 9 with the enable bit drives the fiq output.
  m.writel(0x80 | 9, ARMCTRL + FIQ_CONTROL);
  assert.equal(m.line("armctrl.fiq"), true);
  m.writel(1 << 9, ARMCTRL + ENABLE_IRQS_1);
  assert.equal(m.readl(ARMCTRL + IRQ_BASIC_PENDING), 1 << 11);
});

Deno.test("BCM2836 GPU routing register moves the GPU interrupt to another core", async () => {
  const m = await load();
  m.setLine("usb.irq", true);
  m.writel(2, LOCAL + LOCAL_GPU_ROUTING);
  assert.equal(m.readl(LOCAL + LOCAL_IRQ_PENDING0 + 4 * 2), 1 << 8);
  assert.equal(m.readl(LOCAL + LOCAL_IRQ_PENDING0), 0);
  assert.deepEqual([m.intr(0), m.intr(2)], [false, true]);
});

Deno.test("BCM2836 mailbox 0 carries IPI_RESCHEDULE and it is counted in the IPI2 row", async () => {
  const m = await load();
  const arm = m.kernel.bus.get(ArmKey);
  m.kernel.trace.enabled = true;
  m.kernel.enter(() => arm.send_ipi([3], IPI_RESCHEDULE));
  // smp_cross_call: bit 2 set in core 3's mailbox 0; its IRQ pending bit 4.
  assert.equal(m.readl(LOCAL + LOCAL_MAILBOX0_CLR0 + 16 * 3), 1 << 2);
  assert.equal(m.readl(LOCAL + LOCAL_IRQ_PENDING0 + 4 * 3), 1 << 4);
  assert.equal(m.intr(3), true);
  m.run(50_000);
  // do_handle_IPI() traces ipi_entry/ipi_exit with the IPI's name (include/trace/events/ipi.h)
  const trace = m.kernel.trace.format(4);
  assert.match(trace, /\[003\] .{5} +\d+\.\d+: ipi_entry: \(Rescheduling interrupts\)\n/);
  assert.match(trace, /\[003\] .{5} +\d+\.\d+: ipi_exit: \(Rescheduling interrupts\)\n/);
  // The IPI chip's ack cleared the mailbox bit; handle_percpu_devid_irq counted it on CPU 3.
  assert.equal(m.readl(LOCAL + LOCAL_MAILBOX0_CLR0 + 16 * 3), 0);
  assert.equal(m.intr(3), false);
  assertLine(
    m.proc("/proc/interrupts")!,
    "IPI2:          0          0          0          1  Rescheduling interrupts",
  );
  // Writing 1s to the set register and the clear register, by hand:
  m.writel(0x5, LOCAL + LOCAL_MAILBOX0_SET0 + 16 * 1);
  assert.equal(m.readl(LOCAL + LOCAL_MAILBOX0_CLR0 + 16 * 1), 0x5);
  m.writel(0x1, LOCAL + LOCAL_MAILBOX0_CLR0 + 16 * 1);
  assert.equal(m.readl(LOCAL + LOCAL_MAILBOX0_CLR0 + 16 * 1), 0x4);
});

Deno.test("GPIO registers: function select, set/clear, level, edge and level detect with write-1-to-clear", async () => {
  const m = await load();
  const led = m.kernel.devices.get("led") as Led;
  // GPIO 17 as output: GPFSEL1 bits 21-23 = 001.
  m.writel(1 << 21, GPIO + GPFSEL0 + 4);
  m.writel(1 << 17, GPIO + GPSET0);
  assert.equal(m.readl(GPIO + GPLEV0) & (1 << 17), 1 << 17);
  assert.equal(led.lit, true);
  m.writel(1 << 17, GPIO + GPCLR0);
  assert.equal(m.readl(GPIO + GPLEV0) & (1 << 17), 0);
  assert.equal(led.lit, false);
  // GPIO 15 is an input pulled down after reset: the button to 3V3 sets the level.
  assert.equal(m.readl(GPIO + GPLEV0) & (1 << 15), 0);
  m.writel(1 << 15, GPIO + GPREN0);
  m.setLine("button.out", true);
  assert.equal(m.readl(GPIO + GPLEV0) & (1 << 15), 1 << 15);
  assert.equal(m.readl(GPIO + GPEDS0), 1 << 15, "rising edge detected");
  assert.equal(m.line("gpio.int0"), true);
  assert.equal(m.line("gpio.int3"), true);
  assert.equal(m.line("gpio.int1"), false);
  m.writel(1 << 15, GPIO + GPEDS0);
  assert.equal(m.readl(GPIO + GPEDS0), 0);
  assert.equal(m.line("gpio.int0"), false);
  // A falling edge with only the rising detect on: nothing.
  m.setLine("button.out", false);
  assert.equal(m.readl(GPIO + GPEDS0), 0);
  // Asynchronous falling detect.
  m.writel(1 << 15, GPIO + GPAFEN0);
  m.setLine("button.out", true);
  m.setLine("button.out", false);
  assert.equal(m.readl(GPIO + GPEDS0), 1 << 15);
  m.writel(1 << 15, GPIO + GPEDS0);
  // High level detect: the status bit comes back while the level stays high.
  m.writel(0, GPIO + GPREN0);
  m.writel(0, GPIO + GPAFEN0);
  m.setLine("button.out", true);
  m.writel(1 << 15, GPIO + GPHEN0);
  assert.equal(m.readl(GPIO + GPEDS0), 1 << 15);
  m.writel(1 << 15, GPIO + GPEDS0);
  assert.equal(m.readl(GPIO + GPEDS0), 1 << 15, "level still high: set again");
  m.setLine("button.out", false);
  m.writel(1 << 15, GPIO + GPEDS0);
  assert.equal(m.readl(GPIO + GPEDS0), 0);
  assert.equal(m.readl(GPIO + GPFEN0), 0);
});

Deno.test("GPPUD sequence latches the pull only with 150-cycle set-up and hold on the clocked pads", async () => {
  const m = await load();
  // 150 cycles of the 250 MHz core clock = 600 ns. GPIO 20 and 21 reset to pull-down.
  const lev = (n: number) => (m.readl(GPIO + GPLEV0) >>> n) & 1;
  assert.equal(lev(20), 0);
  // Correct: control, wait, clock pad 20, wait, remove control, remove clock.
  m.writel(2, GPIO + GPPUD);
  m.run(1000);
  m.writel(1 << 20, GPIO + GPPUDCLK0);
  m.run(1000);
  m.writel(0, GPIO + GPPUD);
  m.writel(0, GPIO + GPPUDCLK0);
  assert.equal(lev(20), 1, "pad 20 now pulled up");
  assert.equal(lev(21), 0, "pad 21 was not clocked");
  // Hold too short (100 ns < 600 ns): pad 21 keeps its pull-down.
  m.writel(2, GPIO + GPPUD);
  m.run(1000);
  m.writel(1 << 21, GPIO + GPPUDCLK0);
  m.run(100);
  m.writel(0, GPIO + GPPUD);
  m.writel(0, GPIO + GPPUDCLK0);
  assert.equal(lev(21), 0);
  assert.match(m.dmesg(), /GPPUD sequence for GPIO 21 too short/);
  // No set-up time: the clock right after the control write does not latch.
  m.writel(2, GPIO + GPPUD);
  m.writel(1 << 22, GPIO + GPPUDCLK0);
  m.run(1000);
  m.writel(0, GPIO + GPPUD);
  m.writel(0, GPIO + GPPUDCLK0);
  assert.equal(lev(22), 0);
  // Back to pull-down on 20, the classic way.
  m.writel(1, GPIO + GPPUD);
  m.run(1000);
  m.writel(1 << 20, GPIO + GPPUDCLK0);
  m.run(1000);
  m.writel(0, GPIO + GPPUD);
  m.writel(0, GPIO + GPPUDCLK0);
  assert.equal(lev(20), 0);
});

Deno.test("GPPUD sequence of the classic module (udelay(2000) in a plain init) pulls GPIO 5 down", async () => {
  // GPIO 5 resets pulled up (reads 1 with nothing attached). The module's
  // set_gpio_pulldown() waits 2 ms between the writes: the set-up and hold
  // are met, so after insmod the pad reads 0.
  const r = await runScenario("machines/rpi.yaml", {
    scenario: "tests/fixtures/rpi_pullup_pin5.yaml",
  });
  const gpio = r.kernel.devices.get("gpio")!;
  const lev = r.kernel.enter(() => r.kernel.mmio.read(GPIO + GPLEV0, 4));
  assert.equal((lev >>> 5) & 1, 0);
  assert.equal((gpio as unknown as { pull: Uint8Array }).pull[5], 1, "BCM2835_PUD_DOWN");
});

Deno.test("gpiolib legacy API answers as 6.1 does on a BCM2835", async () => {
  const m = await load();
  const led = m.kernel.devices.get("led") as Led;
  m.kernel.enter(() => {
    assert.equal(gpio_is_valid(15), true);
    assert.equal(gpio_is_valid(511), true);
    assert.equal(gpio_is_valid(512), false, "ARCH_NR_GPIOS is 512");
    assert.equal(gpio_is_valid(-1), false);
    assert.equal(gpio_request(15, "my_button"), 0);
    assert.equal(gpio_request(15, "again"), -16, "-EBUSY");
    assert.equal(gpio_request(100, "nochip"), -517, "valid but no chip: -EPROBE_DEFER");
    // no descriptor past ARCH_NR_GPIOS: VALIDATE_DESC passes NULL as optional -> 0
    assert.equal(gpio_request(600, "bad"), 0);
    assert.equal(gpio_direction_input(600), 0);
    assert.equal(gpio_to_irq(600), -22);
    // pinconf of the BCM2835 knows bias and output only: -ENOTSUPP (524)
    assert.equal(gpio_set_debounce(15, 1000), -524);
    assert.equal(gpio_direction_output(17, 1), 0);
    assert.equal(gpio_get_value(17), 1);
    assert.equal(led.lit, true);
    gpio_set_value(17, 0);
    assert.equal(led.lit, false);
    assert.equal(gpio_get_value(17), 0);
  });
});

Deno.test("request_irq on a GPIO: the trigger programs the detect enables and the flow; an output is refused", async () => {
  const m = await load();
  const k = m.kernel;
  const handler = (_irq: number, _dev: unknown) => IRQ_HANDLED;
  k.enter(() => {
    gpio_request(15, "b");
    gpio_direction_output(15, 0);
    const irq = gpio_to_irq(15);
    // gpiochip_lock_as_irq(): the line is an output
    assert.equal(request_irq(irq, handler, IRQF_TRIGGER_FALLING, "x", null), -5);
    gpio_direction_input(15);
    assert.equal(request_irq(irq, handler, IRQF_TRIGGER_FALLING, "button", null), 0);
    // unmask: GPFEN0 bit 15; flow switched to handle_edge_irq
    assert.equal(k.mmio.read(GPIO + GPFEN0, 4), 1 << 15);
    assert.equal(m.kernel.bus.get(ArmKey).gi.irq_to_desc(irq)!.handle_irq, handle_edge_irq);
    // The legacy call is gpiod_direction_output_raw(): no USED_AS_IRQ check.
    assert.equal(gpio_direction_output(15, 1), 0, "the raw variant does not refuse");
    assert.equal((k.mmio.read(GPIO + GPFSEL0 + 4, 4) >>> 15) & 7, 1, "GPIO 15 is an output now");
    gpio_direction_input(15);
    gpio_request(16, "c");
    gpio_direction_input(16);
    const irq16 = gpio_to_irq(16);
    assert.equal(request_irq(irq16, handler, IRQF_TRIGGER_HIGH, "level", null), 0);
    assert.equal(k.mmio.read(GPIO + GPHEN0, 4), 1 << 16);
    assert.equal(m.kernel.bus.get(ArmKey).gi.irq_to_desc(irq16)!.handle_irq, handle_level_irq);
  });
  const d = m.dmesg();
  assert.match(
    d,
    /gpio gpiochip0: \(pinctrl-bcm2835\): gpiochip_lock_as_irq: tried to flag a GPIO set as output for IRQ/,
  );
  assert.match(
    d,
    /genirq: Failed to request resources for x \(irq 126\) on irqchip pinctrl-bcm2835/,
  );
  const text = m.proc("/proc/interrupts")!;
  // hwirq = GPIO number; Edge from the trigger type; Level from IRQD_LEVEL
  assertLine(
    text,
    "126:          0          0          0          0  pinctrl-bcm2835  15 Edge      button",
  );
  assertLine(
    text,
    "127:          0          0          0          0  pinctrl-bcm2835  16 Level     level",
  );
  // The bank parents (106-108) are chained: hidden.
  assert.doesNotMatch(text, /^10[678]:/m);
});

Deno.test("smp_affinity of a GPU or per-CPU interrupt cannot be written: -EIO", async () => {
  // write_irq_affinity() -> irq_can_set_affinity_usr(): the ARMCTRL-level
  // and pinctrl-bcm2835 chips have no irq_set_affinity, the arch timer is
  // per-CPU: "echo 2 > /proc/irq/66/smp_affinity: write error: Input/output error".
  const m = await load();
  assert.equal(m.write("/proc/irq/66/smp_affinity", "2\n"), -5);
  assert.equal(m.write("/proc/irq/66/smp_affinity_list", "1\n"), -5);
  assert.equal(m.write("/proc/irq/123/smp_affinity", "2\n"), -5);
  assert.equal(m.proc("/proc/irq/66/smp_affinity"), "f\n");
  m.kernel.enter(() => {
    gpio_request(15, "b");
    gpio_direction_input(15);
    request_irq(gpio_to_irq(15), () => IRQ_HANDLED, IRQF_TRIGGER_FALLING, "b", null);
  });
  assert.equal(m.write("/proc/irq/126/smp_affinity", "2\n"), -5);
});

/** Falling edges in a button's history. */
function fallingEdges(b: PushButton): number[] {
  const out: number[] = [];
  for (let i = 1; i < b.history.length; i++) {
    if (b.history[i - 1][1] && !b.history[i][1]) out.push(b.history[i][0]);
  }
  if (b.history.length && !b.history[0][1]) out.unshift(b.history[0][0]);
  return out;
}

Deno.test("bounce: every falling edge reaches a plain handler", async () => {
  // Press at 500 ms with toggles at +100/+200/+300/+400 µs: open, close,
  // open, close -> 2 falling edges; release at 800 ms: open, then close,
  // open, close, open -> 3. Five falling edges 200 µs apart or more; the
  // handler and its MY_SOFTIRQ take well under 100 µs, so none coalesce:
  // five interrupts, five handler runs, five softirq runs on CPU 0.
  const r = await runScenario("machines/rpi.yaml", {
    scenario: "tests/fixtures/rpi_bounce_plain.yaml",
  });
  const b = r.kernel.devices.get("button") as PushButton;
  assert.equal(fallingEdges(b).length, 5);
  const lines = r.kernel.log.lines();
  assert.equal(lines.filter((l) => l === "irq:126").length, 5);
  assert.equal(lines.filter((l) => l === "my_action").length, 5);
  assertLine(
    r.interrupts,
    "126:          5          0          0          0  pinctrl-bcm2835  15 Edge      button_interrupt",
  );
  assertLine(
    r.kernel.procfs.read("/proc/softirqs")!,
    "  MY_SOFTIRQ:          5          0          0          0",
  );
});

Deno.test("bounce: the threaded ONESHOT handler runs twice for five edges", async () => {
  // Same five falling edges. handle_edge_irq never masks for a oneshot
  // thread, so all five are interrupts (the /proc count is 5) and each
  // wakes the thread: the first at 500.1 ms starts it (it clears
  // IRQTF_RUNTHREAD and busy-waits 4 s); the four later edges find it
  // running and set RUNTHREAD once -> exactly one more run after the first.
  const r = await runScenario("machines/rpi.yaml", {
    scenario: "tests/fixtures/rpi_bounce_threaded.yaml",
  });
  const lines = r.kernel.log.lines();
  assert.equal(lines.filter((l) => l === "threaded irq:126").length, 2);
  assertLine(
    r.interrupts,
    "126:          5          0          0          0  pinctrl-bcm2835  15 Edge      button_interrupt",
  );
});

Deno.test("GPIO edge to handler: 2.62 µs on the Pi 3, 3.8 µs on the Pi 1", async () => {
  // The first falling edge is at 500.1 ms; the CPU is idle then (the SOF
  // and tick work of 500.0 ms is long done). Pi 3: irq_entry 1870 + 5
  // register accesses (per-core pending, basic pending, pending 2, bank
  // mask, GPEDS) x 150 = 2620 ns. Pi 1: 3200 + 4 x 150 = 3800 ns.
  const r3 = await runScenario("machines/rpi.yaml", {
    scenario: "tests/fixtures/rpi_bounce_plain.yaml",
  });
  const t3 = r3.kernel.log.records.find((x) => x.text === "irq:126")!.ts;
  assert.equal(t3 - 500_100_000, 2620);
  const r1 = await runScenario("machines/rpi1.yaml", {
    scenario: "tests/fixtures/rpi1_bounce_plain.yaml",
  });
  const t1 = r1.kernel.log.records.find((x) => x.text === "irq:88")!.ts;
  assert.equal(t1 - 500_100_000, 3800);
});

Deno.test("request_threaded_irq with NULL primary needs IRQF_ONESHOT on the Pi too", async () => {
  const m = await load();
  m.kernel.enter(() => {
    gpio_request(15, "b");
    gpio_direction_input(15);
    const irq = gpio_to_irq(15);
    const fn = () => IRQ_HANDLED;
    assert.equal(request_threaded_irq(irq, null, fn, IRQF_TRIGGER_FALLING, "t", null), -22);
    assert.equal(
      request_threaded_irq(irq, null, fn, IRQF_TRIGGER_FALLING | IRQF_ONESHOT, "t", null),
      0,
    );
  });
});

/** The default run's /proc/interrupts, line by line against a real Pi 3's format. */
const GOLDEN_PI3 =
  // Header: prec (3, nr_irqs < 1000) + 8 spaces, then "CPU%-8d" per online CPU.
  "           CPU0       CPU1       CPU2       CPU3       \n" +
  // "%*d: " then "%10u " per CPU; the chip name " %8s"; the hwirq " %*lu"
  // (prec 3); " %-8s" Level/Edge (CONFIG_GENERIC_IRQ_SHOW_LEVEL on ARM): the
  // ARMCTRL chip has no irq_set_type, so IRQD_LEVEL is never set and it
  // prints Edge although its flow is handle_level_irq; no desc->name; then
  // "  " and the actions. The system timer: requested, but the arch timer
  // (rating 450 over 300) is the tick device: 0.
  " 60:          0          0          0          0  ARMCTRL-level  35 Edge      timer\n" +
  // USB: SOF every 125 µs from 125 µs on; the one at
  // 10.000000 s is still being taken when the snapshot is made: 79999, all
  // on CPU 0 (the firmware routes the GPU interrupt to core 0).
  " 66:      79999          0          0          0  ARMCTRL-level  41 Edge      dwc_otg, dwc_otg_pcd, dwc_otg_hcd:usb1\n" +
  // PL011 requested at boot, nothing received.
  "114:          0          0          0          0  ARMCTRL-level  89 Edge      uart-pl011\n" +
  // Both physical timer PPIs are requested on a 32-bit kernel; the kernel
  // runs non-secure, so only CNTPNSIRQ (hwirq 1) fires: every 10 ms (HZ 100)
  // on every core, the tick at 10.000 s not yet taken: 999.
  "122:          0          0          0          0  bcm2836-timer   0 Edge      arch_timer\n" +
  "123:        999        999        999        999  bcm2836-timer   1 Edge      arch_timer\n" +
  // "%8s" is a minimum width: "pinctrl-bcm2835" (15 chars) pushes the
  // columns right, as on a real Pi. 4 bounces on the press (4 falling
  // edges) + release (1 + 4): 9 each (seed 1's bounce instants are far
  // enough apart to be separate interrupts; checked in the test).
  "126:          9          0          0          0  pinctrl-bcm2835  15 Edge      button_interrupt\n" +
  "127:          9          0          0          0  pinctrl-bcm2835  16 Edge      button_interrupt\n" +
  // show_ipi_list(): "%*s%u: " with prec - 1 = 2 < len("IPI"), so "IPI0: ";
  // counts "%10u "; " %s" the ipi_types[] name. IPI2: the irq thread of
  // 126 woken at request time on idle CPU 1 (insmod ran on CPU 0).
  "IPI0:          0          0          0          0  CPU wakeup interrupts\n" +
  "IPI1:          0          0          0          0  Timer broadcast interrupts\n" +
  "IPI2:          0          1          0          0  Rescheduling interrupts\n" +
  "IPI3:          0          0          0          0  Function call interrupts\n" +
  "IPI4:          0          0          0          0  CPU stop interrupts\n" +
  "IPI5:          0          0          0          0  IRQ work interrupts\n" +
  "IPI6:          0          0          0          0  completion interrupts\n" +
  // "%*s: %10lu\n", prec, "Err", irq_err_count
  "Err:          0\n";

Deno.test("golden Pi 3 /proc/interrupts of the default run", async () => {
  const r = await runScenario("machines/rpi.yaml");
  assert.equal(r.interrupts, GOLDEN_PI3);
  // the 9 of each button: all falling edges more than the ~3 µs latency apart
  for (const name of ["button", "button2"]) {
    const e = fallingEdges(r.kernel.devices.get(name) as PushButton);
    assert.equal(e.length, 9);
    for (let i = 1; i < e.length; i++) assert.ok(e[i] - e[i - 1] > 50_000, `${name} edge ${i}`);
  }
});

Deno.test("default Pi run: the CLI prints dmesg, /proc/interrupts and /proc/softirqs with MY_SOFTIRQ before RCU", async () => {
  let out = "";
  const code = await main(["machines/rpi.yaml"], {
    write: (s) => (out += s),
    error: (s) => (out += s),
  });
  assert.equal(code, 0);
  assertLine(
    out,
    "# irqlab: machine rpi (arm, 4 CPUs, HZ=100), scenario button_experiment, seed 1",
  );
  assert.match(out, /\$ cat \/proc\/softirqs\n {20}CPU0 {7}CPU1 {7}CPU2 {7}CPU3 {7}\n/);
  // MY_SOFTIRQ inserted before RCU: right after HRTIMER, 9 runs on CPU 0
  assert.match(
    out,
    /\n {5}HRTIMER:[ \d]+\n {2}MY_SOFTIRQ: {10}9 {10}0 {10}0 {10}0\n {9}RCU:/,
  );
  assertLine(out, "[    0.000000] NR_IRQS: 16, nr_irqs: 16, preallocated irqs: 16");
  assert.match(out, /threaded irq:126\n/);
});

Deno.test("default Pi run is deterministic: same seed byte-identical, another seed differs", async () => {
  const run = async (seed: string) => {
    let out = "";
    await main(["machines/rpi.yaml", "--seed", seed], {
      write: (s) => (out += s),
      error: () => {},
    });
    return out;
  };
  const a = await run("7"), b = await run("7"), c = await run("8");
  assert.equal(a, b);
  assert.notEqual(a, c, "bounce instants come from the seeded PRNG");
});

Deno.test("smp_call_function_single on the Pi: IPI_CALL_FUNC through mailbox 0, run in hardirq on the target", async () => {
  const m = await load();
  const ran: { cpu: number; hardirq: boolean; info: number }[] = [];
  m.kernel.enter(() =>
    smp_call_function_single(
      2,
      (info: number) => ran.push({ cpu: smp_processor_id(), hardirq: in_hardirq(), info }),
      42,
      false,
    )
  );
  // IPI_CALL_FUNC = 3: bit 3 in core 2's mailbox 0
  assert.equal(m.readl(LOCAL + LOCAL_MAILBOX0_CLR0 + 16 * 2), 1 << 3);
  m.run(50_000);
  assert.deepEqual(ran, [{ cpu: 2, hardirq: true, info: 42 }]);
  assertLine(
    m.proc("/proc/interrupts")!,
    "IPI3:          0          0          1          0  Function call interrupts",
  );
});

Deno.test("level-high GPIO: a plain handler storms while the button is held, ONESHOT holds the line masked", async () => {
  // handle_level_irq masks (GPHEN bit and the latched event cleared), runs
  // the handler and unmasks: with the pad still high, GPHEN sets the event
  // again at once. The bank stays pending in ARMCTRL, so
  // bcm2836_chained_handle_irq() loops without leaving the exception. A
  // round: 2 ARMCTRL reads (300 ns), the bank mask and GPEDS read (300),
  // mask_ack's 4 accesses (600), the 1000 ns handler, unmask's 2 (300), the
  // bank unmask (150) = 2650 ns; the first handler starts 2620 ns after the
  // press and each unmask comes 1600 ns into its round, so rounds start
  // while the line is high for (100000 - 2620 - 1600) / 2650 + 1 = 37
  // rounds. The USB SOF at the press instant (1.000 ms = 8 x 125 µs) is
  // also served in that window (its shortcut wins in get_next_armctrl_hwirq);
  // its ~3.3 µs (ARMCTRL accesses, the three handlers' 2100 ns and 4
  // register accesses) take the place of one or two rounds: 35 to 37.
  const hold = async (threaded: boolean) => {
    const m = await load();
    const gi = m.kernel.bus.get(ArmKey).gi;
    m.kernel.enter(() => {
      gpio_request(15, "b");
      gpio_direction_input(15);
      const irq = gpio_to_irq(15);
      const plain = (_i: number, _d: unknown) => IRQ_HANDLED;
      function* slow(_i: number, _d: unknown) {
        yield udelay(200);
        return IRQ_HANDLED;
      }
      const r = threaded
        ? request_threaded_irq(irq, null, slow, IRQF_TRIGGER_HIGH | IRQF_ONESHOT, "lvl", null)
        : request_irq(irq, plain, IRQF_TRIGGER_HIGH, "lvl", null);
      assert.equal(r, 0);
    });
    m.run(1_000_000);
    m.setLine("button.out", true);
    m.run(100_000);
    m.setLine("button.out", false);
    m.run(1_000_000);
    return gi.irq_to_desc(126)!.kstat_irqs[0];
  };
  const storm = await hold(false);
  assert.ok(storm >= 35 && storm <= 37, `plain handler: ${storm} interrupts`);
  // ONESHOT: masked from the first interrupt until the 200 µs thread is
  // done; by then the button is released: one interrupt.
  assert.equal(await hold(true), 1);
});

Deno.test("button_led: bounce toggles the LED five times; a 50 ms software debounce keeps two", async () => {
  // Five falling edges (press: +100, +300 µs; release: 0, +200, +400 µs).
  // Undebounced: five toggles, the LED lit three times and left on.
  const r = await runScenario("machines/rpi.yaml", { scenario: "scenarios/button_led.yaml" });
  assert.deepEqual(r.failures, []);
  const led = r.kernel.devices.get("led") as Led;
  assert.equal(led.flashes, 3);
  assert.equal(led.lit, true);
  // debounce_ms 50 = 5 jiffies: the edge at 500.1 ms (jiffies 50) is taken,
  // 500.3 ms (still 50) dropped, 800.0 ms (80) taken, 800.2/800.4 dropped.
  const d = await runScenario("machines/rpi.yaml", {
    scenario: "tests/fixtures/rpi_button_led_debounced.yaml",
  });
  const dl = d.kernel.devices.get("led") as Led;
  assert.equal(dl.flashes, 1);
  assert.equal(dl.lit, false);
  assertLine(d.dmesg, "[    1.000015] button_led: 2 toggles, LED off");
  // every edge is still an interrupt
  assert.ok(row(d.interrupts, 126).startsWith("126:          5 "), row(d.interrupts, 126));
});
