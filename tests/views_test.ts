/**
 * Views by path on tests/fixtures/observe_pc.yaml after 5 ms: the IRQ 5
 * source fires at 1, 2, 3, 4 and 5 ms (the stimulus), the PIT ticks at HZ=250
 * (4 ms: boot, 4 ms — its first tick is pending at boot), each IRQ 5 handler
 * raises NET_RX once. Expected texts are written from the kernel's formats
 * (fs/proc/stat.c, fs/proc/array.c, kernel/resource.c, procps).
 *
 * @module
 */
import assert from "node:assert/strict";
import { loadMachine, runScenario } from "../runner/mod.ts";
import {
  cpumaskHex,
  cpumaskList,
  procPidStack,
  procStat,
  readView,
  viewPaths,
} from "../runner/views.ts";
import { psEf, psPidNiCmd, psSched } from "../runner/ps.ts";
import { testKernel } from "./helpers.ts";

async function at5ms() {
  const r = await runScenario("tests/fixtures/observe_pc.yaml", { durationMs: 5, unload: false });
  return { kernel: r.kernel, spec: r.machine };
}

Deno.test("procStat prints intr with one count per IRQ up to nr_irqs and softirq per vector", async () => {
  const m = await at5ms();
  const irq0 = m.kernel.procfs.read("/proc/interrupts")!.split("\n")
    .find((l) => l.startsWith("  0:"))!.split(/\s+/)[2];
  // IRQ 5: 4 interrupts handled by 5 ms (the 5 ms one enters 1.2 µs later);
  // IRQ 0: as /proc/interrupts says; nr_irqs on a 1-CPU PIC PC is
  // 0 + 16 + 8 + 8 = 32 (arch_probe_nr_irqs), so 32 columns after the sum.
  const t0 = Number(irq0);
  const cols = [t0, 0, 0, 0, 0, 4, ...new Array(26).fill(0)];
  assert.equal(
    procStat(m.kernel),
    `intr ${t0 + 4} ${cols.join(" ")}\n` +
      // NET_RX (vector 3) ran 4 times; the sum first, then HI..RCU
      "softirq 4 0 0 0 4 0 0 0 0 0 0\n",
  );
});

Deno.test("readView answers /proc/ioports with Linux's resource names, nested", async () => {
  const m = await at5ms();
  assert.equal(
    readView(m, "/proc/ioports"),
    [
      "0020-0021 : pic1",
      "0040-0043 : timer0",
      "0060-0060 : keyboard",
      "0061-0061 : pit.nmisc",
      "0064-0064 : keyboard",
      "00a0-00a1 : pic2",
      "0300-0300 : src",
      "04d0-04d0 : pic_master.elcr",
      "04d1-04d1 : pic_slave.elcr",
      "",
    ].join("\n"),
  );
});

Deno.test("readView answers /proc/ioports for IDE under its PCI function like r_show", async () => {
  const r = await runScenario("machines/pc.yaml", { durationMs: 1, unload: false });
  const text = readView({ kernel: r.kernel }, "/proc/ioports")!;
  assert.match(text, /\n01f0-01f7 : 0000:00:01\.1\n {2}01f0-01f7 : ata_piix\n/);
  assert.match(text, /\n0070-0071 : rtc0\n/, "index and data ports merge into one request");
  assert.match(text, /\n03f8-03ff : serial\n/);
});

Deno.test("readView answers /proc/cpuinfo from the machine file's model and MHz", async () => {
  const m = await at5ms();
  assert.equal(
    readView(m, "/proc/cpuinfo"),
    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel Pentium III (Coppermine)\n" +
      "cpu MHz\t\t: 800.000\nphysical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n" +
      "apicid\t\t: 0\ninitial apicid\t: 0\nfpu\t\t: yes\nfpu_exception\t: yes\nwp\t\t: yes\n" +
      // a Pentium III's CPUID.01h EDX features; no apic: this PC has no local APIC
      "flags\t\t: fpu vme de pse tsc msr pae mce cx8 sep mtrr pge mca cmov pat pse36 mmx fxsr sse\n" +
      "bogomips\t: 1600.00\n\n",
  );
});

Deno.test("readView /proc/cpuinfo on x86.yaml lists the apic flag (CPUID.01h:EDX bit 9) and the APIC ids", async () => {
  const { kernel, spec } = await loadMachine("machines/x86.yaml");
  const text = readView({ kernel, spec }, "/proc/cpuinfo")!;
  const cpus = text.split("\n\n").filter((b) => b);
  assert.equal(cpus.length, 4);
  cpus.forEach((b, i) => {
    assert.match(b, new RegExp(`^apicid\\t\\t: ${i}$`, "m"));
    assert.match(b, new RegExp(`^initial apicid\\t: ${i}$`, "m"));
    assert.match(b, /^flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep /m);
  });
});

Deno.test("readView answers /proc/PID/status with the state and Cpus_allowed lines", async () => {
  const m = await at5ms();
  const irqThread = m.kernel.sched.tasks.find((t) => t.comm === "irq/5-observe_s")!;
  assert.equal(
    readView(m, `/proc/${irqThread.pid}/status`),
    `Name:\tirq/5-observe_s\nState:\tS (sleeping)\nTgid:\t${irqThread.pid}\nNgid:\t0\n` +
      `Pid:\t${irqThread.pid}\nPPid:\t0\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n` +
      "Threads:\t1\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n",
  );
  assert.equal(readView(m, "/proc/999/status"), undefined);
});

Deno.test("procPidStack models an irq thread's sleeping stack without __sched frames", async () => {
  const m = await at5ms();
  const t = m.kernel.sched.tasks.find((x) => x.comm === "irq/5-observe_s")!;
  const lines = procPidStack(m.kernel, t).split("\n");
  assert.deepEqual(lines.map((l) => l.replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+$/, "")), [
    "[<0>] irq_thread",
    "[<0>] kthread",
    "[<0>] ret_from_fork",
    "",
  ]);
  assert.match(lines[0], /^\[<0>\] irq_thread\+0x[0-9a-f]+\/0x[0-9a-f]+$/);
});

Deno.test("cpumaskHex and cpumaskList print %*pb and %*pbl", () => {
  assert.equal(cpumaskHex([0], 1), "1");
  assert.equal(cpumaskHex([0, 1, 2, 3], 4), "f");
  assert.equal(cpumaskHex([0], 8), "01", "the leading group is padded to its width");
  assert.equal(cpumaskHex([0, 33], 64), "00000002,00000001");
  assert.equal(cpumaskHex([32], 40), "01,00000000");
  assert.equal(cpumaskList([0, 1, 2, 3, 5, 7, 8]), "0-3,5,7-8");
  assert.equal(cpumaskList([2]), "2");
});

Deno.test("ps views print procps's columns for kernel threads and RT tasks", () => {
  const k = testKernel(2);
  k.sched.create({ comm: "ksoftirqd/1", body: (function* () {})(), cpu: 1, start: "sleeping" });
  k.sched.create({
    comm: "irq/19-eth0",
    body: (function* () {})(),
    policy: "fifo",
    rtPriority: 50,
    start: "sleeping",
  });
  k.sched.create({
    comm: "bash",
    body: (function* () {})(),
    kthread: false,
    nice: 5,
    start: "sleeping",
  });
  assert.equal(
    psEf(k),
    "UID          PID    PPID  C STIME TTY          TIME CMD\n" +
      "root           2       0  0 00:00 ?        00:00:00 [ksoftirqd/1]\n" +
      "root           3       0  0 00:00 ?        00:00:00 [irq/19-eth0]\n" +
      "root           4       0  0 00:00 ?        00:00:00 bash\n",
  );
  assert.equal(
    psPidNiCmd(k),
    "    PID  NI CMD\n" +
      "      2   0 [ksoftirqd/1]\n" +
      "      3   - [irq/19-eth0]\n" +
      "      4   5 bash\n",
  );
  assert.equal(
    psSched(k),
    "    PID CLS RTPRIO  NI PSR COMMAND\n" +
      "      2  TS      -   0   1 ksoftirqd/1\n" +
      "      3  FF     50   -   0 irq/19-eth0\n" +
      "      4  TS      -   5   0 bash\n",
  );
});

Deno.test("viewPaths lists the procfs files, the computed views and the commands", async () => {
  const m = await at5ms();
  const paths = viewPaths(m);
  for (
    const p of [
      "/proc/interrupts",
      "/proc/softirqs",
      "/proc/stat",
      "/proc/ioports",
      "dmesg",
      "ps -ef",
    ]
  ) {
    assert.ok(paths.includes(p), p);
    assert.notEqual(readView(m, p.replace("PID", "1")), undefined, p);
  }
});
