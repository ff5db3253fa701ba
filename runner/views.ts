/**
 * Views by path: what `cat PATH` (or a command) shows on the simulated
 * machine, as plain functions of the kernel and the path, for the CLI
 * (`irqlab cat`, `irqlab watch`) and the status endpoint.
 *
 * Paths: every file a plugin registered in the machine's procfs
 * (`/proc/interrupts`, `/proc/softirqs`, `/proc/irq/N/...`), and here:
 * - `/proc/stat`: the `intr` and `softirq` lines as fs/proc/stat.c prints
 *   them (the cpu time, ctxt, btime and process lines are not modelled);
 * - `/proc/ioports`: the port space's regions, named as Linux requests them
 *   and nested like kernel/resource.c's r_show();
 * - `/proc/cpuinfo`: per arch, from the machine file's cpus model and MHz;
 * - `/proc/PID/status` (the identity, state and affinity lines) and
 *   `/proc/PID/stack` (modelled: see {@linkcode procPidStack});
 * - `dmesg`, `ps -ef`, `ps ax -o pid,ni,cmd`, `ps -eLo pid,cls,rtprio,ni,psr,comm`;
 * - tracefs (`/sys/kernel/tracing/` or `/sys/kernel/debug/tracing/`):
 *   `trace`, `available_events`, `set_event`, `tracing_on`.
 *
 * @example
 * ```ts
 * const { kernel, spec } = await loadMachine("machines/pc.yaml");
 * readView(kernel, "/proc/stat", spec); // "intr 0 0 0 ...\nsoftirq 0 ...\n"
 * ```
 * @module
 */

import type { Kernel } from "../core/kernel.ts";
import type { Task } from "../core/sched.ts";
import type { MachineSpec } from "../config/machine.ts";
import { GenIrqKey } from "../plugins/genirq/mod.ts";
import { SoftirqKey } from "../plugins/softirq/mod.ts";
import { X86Key } from "../plugins/x86/mod.ts";
import { PS_VIEWS } from "./ps.ts";
import { traceEvents } from "../core/trace.ts";

/** What a view needs: the kernel, and the machine file for `/proc/cpuinfo`. */
export interface ViewMachine {
  /** The kernel to read from. */
  kernel: Kernel;
  /** The machine spec, for the CPU model. */
  spec?: Pick<MachineSpec, "cpus">;
}

/** The text at `path`, or undefined when there is no such file or command. */
export function readView(m: ViewMachine, path: string): string | undefined {
  const k = m.kernel;
  const own = k.procfs.read(path);
  if (own !== undefined) return own;
  switch (path) {
    case "/proc/stat":
      return procStat(k);
    case "/proc/ioports":
      return procIoports(k);
    case "/proc/cpuinfo":
      return procCpuinfo(m);
    case "dmesg":
      return k.log.dmesg();
  }
  const ps = PS_VIEWS[path];
  if (ps) return ps(k);
  const tracefs = TRACEFS.find((d) => path.startsWith(d + "/"));
  if (tracefs) return readTracefs(k, path.slice(tracefs.length + 1));
  const pid = /^\/proc\/(\d+)\/(status|stack)$/.exec(path);
  if (pid) {
    const t = k.sched.byPid(Number(pid[1]));
    if (!t || t.state === "X") return undefined;
    return pid[2] === "status" ? procPidStatus(k, t) : procPidStack(k, t);
  }
  return undefined;
}

/** Where tracefs is mounted: its own mount point and the old debugfs one. */
const TRACEFS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/**
 * tracefs files: `trace` (the ring as the nop tracer prints it; header only
 * when nothing was traced), `available_events` and `set_event`
 * (`system:event` lines), `tracing_on`.
 */
function readTracefs(k: Kernel, file: string): string | undefined {
  const events = traceEvents(k.config.version);
  switch (file) {
    case "trace":
      return k.trace.format(k.cpus.filter((c) => c.online).length);
    case "available_events":
      return events.map((t) => `${t.system}:${t.name}\n`).join("");
    case "set_event":
      return events.filter((t) => k.trace.recording(t)).map((t) => `${t.system}:${t.name}\n`)
        .join("");
    case "tracing_on":
      return k.trace.enabled ? "1\n" : "0\n";
  }
  return undefined;
}

/** The paths {@linkcode readView} answers (directories as patterns), for messages. */
export function viewPaths(m: ViewMachine): string[] {
  const k = m.kernel;
  const files = k.procfs.files();
  const extra = ["/proc/stat", "/proc/ioports", "/proc/cpuinfo"];
  const dirs = files.some((f) => f.startsWith("/proc/irq/")) ? ["/proc/irq/N/..."] : [];
  return [
    ...new Set([...files, ...extra]),
  ].sort().concat(dirs, [
    "/proc/PID/status",
    "/proc/PID/stack",
    "dmesg",
    ...Object.keys(PS_VIEWS),
    ...["trace", "available_events", "set_event", "tracing_on"].map((f) =>
      `/sys/kernel/tracing/${f}`
    ),
  ]);
}

// ---- /proc/stat (fs/proc/stat.c show_stat) ----

/**
 * `intr <sum>` then one count per IRQ 0..nr_irqs-1 (show_all_irqs: gaps print
 * 0), where the sum adds the per-CPU arch counters (x86 arch_irq_stat_cpu:
 * NMI, LOC, SPU, PMI, IWI, RTR, RES, CAL, TRM, THR, MCE, MCP — not TLB) and
 * arch_irq_stat() (ERR + MIS); then `softirq <sum>` and one sum per vector.
 */
export function procStat(k: Kernel): string {
  const gi = k.bus.tryGet(GenIrqKey);
  const x86 = k.bus.tryGet(X86Key);
  const si = k.bus.tryGet(SoftirqKey);
  const per: number[] = [];
  let sum = 0;
  const nr = gi?.nr_irqs ?? 0;
  for (let irq = 0; irq < nr; irq++) {
    const n = gi?.descs[irq]?.totalCount() ?? 0;
    per.push(n);
    sum += n;
  }
  if (x86) {
    for (const s of x86.irqStat) {
      sum += s.__nmi_count + s.apic_timer_irqs + s.irq_spurious_count + s.apic_perf_irqs +
        s.apic_irq_work_irqs + s.icr_read_retry_count + s.irq_resched_count + s.irq_call_count +
        s.irq_thermal_count + s.irq_threshold_count + s.mce_exception_count + s.mce_poll_count;
    }
    sum += x86.irqErrCount + x86.irqMisCount;
  }
  let out = `intr ${sum}${per.map((n) => ` ${n}`).join("")}\n`;
  const vecs = si ? si.names.length : 10;
  const sums = new Array(vecs).fill(0);
  if (si) { for (const c of si.counts) c.forEach((n, v) => (sums[v] += n)); }
  out += `softirq ${sums.reduce((a, b) => a + b, 0)}${sums.map((n) => ` ${n}`).join("")}\n`;
  return out;
}

// ---- /proc/ioports (kernel/resource.c r_show) ----

interface Res {
  start: number;
  end: number;
  name: string;
  children: Res[];
}

/**
 * The Linux name of a port region from the device that maps it: what its
 * driver passes to request_region() (arch/x86/kernel/setup.c
 * standard_io_resources for pic1/pic2/timer0/keyboard, rtc0, serial,
 * ata_piix under its PCI function), else the model's owner name.
 */
function linuxPortNames(k: Kernel, owner: string, base: number): string[] {
  const dev = k.devices.get(owner.split(".")[0]);
  const part = owner.includes(".") ? owner.slice(owner.indexOf(".") + 1) : "";
  switch (dev?.kind) {
    case "i8259":
      if (part) return [owner];
      return [base === 0x20 ? "pic1" : base === 0xa0 ? "pic2" : owner];
    case "i8254":
      return part ? [owner] : ["timer0"];
    case "i8042":
      return ["keyboard"];
    case "mc146818":
      return ["rtc0"];
    case "uart16550":
      return ["serial"];
    case "ata":
      return ["0000:00:01.1", "ata_piix"];
  }
  return [owner];
}

/** `%0*llx-%0*llx : name`, children indented two spaces per level. */
export function procIoports(k: Kernel): string {
  // adjacent regions of one device with one name merge (rtc0 at 0x70-0x71)
  const flat: { start: number; end: number; names: string[]; dev: string }[] = [];
  for (const r of k.ports.regions) {
    const names = linuxPortNames(k, r.owner, r.base);
    const dev = r.owner.split(".")[0];
    const last = flat[flat.length - 1];
    if (
      last && last.dev === dev && last.end + 1 === r.base && last.names.join() === names.join()
    ) {
      last.end = r.base + r.size - 1;
    } else flat.push({ start: r.base, end: r.base + r.size - 1, names, dev });
  }
  const roots: Res[] = [];
  for (const f of flat) {
    // a driver's request inside its bus resource: a child with the same range
    let parent: Res | undefined;
    for (const name of f.names) {
      const r: Res = { start: f.start, end: f.end, name, children: [] };
      (parent ? parent.children : roots).push(r);
      parent = r;
    }
  }
  const width = k.ports.limit <= 0x10000 ? 4 : 8;
  const hex = (n: number) => n.toString(16).padStart(width, "0");
  let out = "";
  const show = (rs: Res[], depth: number) => {
    for (const r of rs) {
      out += `${" ".repeat(depth * 2)}${hex(r.start)}-${hex(r.end)} : ${r.name}\n`;
      show(r.children, depth + 1);
    }
  };
  show(roots, 0);
  return out;
}

// ---- /proc/cpuinfo ----

/**
 * x86: arch/x86/kernel/cpu/proc.c show_cpuinfo() for the fields the machine
 * file gives (model name, MHz) and the topology (one core per package);
 * bogomips is 2 x MHz as calibrate_delay() finds on these CPUs; flags from
 * {@linkcode x86Flags}. Family, model and stepping are not modelled and not printed. arm64:
 * arch/arm64/kernel/cpuinfo.c c_show() (BogoMIPS from the 19.2 MHz arch timer
 * of the BCM283x); 32-bit ARM: arch/arm/kernel/setup.c c_show().
 */
export function procCpuinfo(m: ViewMachine): string {
  const k = m.kernel;
  const model = m.spec?.cpus.model;
  const mhz = m.spec?.cpus.mhz;
  const n = k.cpus.length;
  const hasLapic = [...k.devices.values()].some((d) => d.kind === "lapic");
  let out = "";
  for (const cpu of k.cpus) {
    if (k.config.arch === "x86") {
      const vendor = /amd/i.test(model ?? "") ? "AuthenticAMD" : "GenuineIntel";
      out += `processor\t: ${cpu.id}\n`;
      out += `vendor_id\t: ${vendor}\n`;
      if (model) out += `model name\t: ${model}\n`;
      if (mhz) out += `cpu MHz\t\t: ${mhz.toFixed(3)}\n`;
      out += `physical id\t: 0\nsiblings\t: ${n}\ncore id\t\t: ${cpu.id}\ncpu cores\t: ${n}\n`;
      out += `apicid\t\t: ${cpu.id}\ninitial apicid\t: ${cpu.id}\n`;
      out += "fpu\t\t: yes\nfpu_exception\t: yes\nwp\t\t: yes\n";
      out += `flags\t\t: ${x86Flags(model, hasLapic).join(" ")}\n`;
      if (mhz) out += `bogomips\t: ${(2 * mhz).toFixed(2)}\n`;
      out += "\n";
    } else if (k.config.arch === "arm64") {
      out += `processor\t: ${cpu.id}\nBogoMIPS\t: 38.40\n`;
      if (model) out += `model name\t: ${model}\n`;
      out += "\n";
    } else {
      out += `processor\t: ${cpu.id}\n`;
      out += `model name\t: ${model ?? "ARMv7 Processor rev 4 (v7l)"}\nBogoMIPS\t: 38.40\n\n`;
    }
  }
  return out;
}

/**
 * The `flags` line: the CPUID.01h EDX features of the model's family (x86_cap_flags
 * names, in bit order; a subset of what a real CPU lists — the ECX and extended
 * leaves are not modelled). `apic` (EDX bit 9) only when the machine has a local
 * APIC: without one the kernel clears X86_FEATURE_APIC (arch/x86/kernel/apic/apic.c).
 */
const P3_EDX =
  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 mmx fxsr sse";
const MODERN_EDX =
  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush " +
  "dts acpi mmx fxsr sse sse2 ss ht tm pbe";

function x86Flags(model: string | undefined, hasLapic: boolean): string[] {
  const p3 = /pentium iii/i.test(model ?? "");
  const edx = (p3 ? P3_EDX : MODERN_EDX).split(" ");
  return edx.filter((f) => f !== "apic" || hasLapic);
}

// ---- /proc/PID/status (fs/proc/array.c) ----

// task_state_array[]
const STATE_NAMES: Record<string, string> = {
  R: "R (running)",
  S: "S (sleeping)",
  D: "D (disk sleep)",
  I: "I (idle)",
  X: "X (dead)",
};

/** `%*pb`: the mask in hex, 32-bit groups separated by commas, nr_cpu_ids bits. */
export function cpumaskHex(cpus: number[], nbits: number): string {
  const groups: string[] = [];
  for (let base = 0; base < nbits; base += 32) {
    let v = 0;
    for (const c of cpus) if (c >= base && c < base + 32) v |= 1 << (c - base);
    const bits = Math.min(32, nbits - base);
    groups.unshift((v >>> 0).toString(16).padStart(Math.ceil(bits / 4), "0"));
  }
  return groups.join(",");
}

/** `%*pbl`: the mask as ranges, `0-3,5`. */
export function cpumaskList(cpus: number[]): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    out.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

/**
 * proc_pid_status() in part: Name, State, Tgid, Ngid, Pid, PPid, TracerPid,
 * Uid, Gid, Threads, Cpus_allowed, Cpus_allowed_list — what `taskset -p`
 * reads. PPid is 0: parents are not modelled (see runner/ps.ts). Memory,
 * signal and capability lines are not modelled.
 */
export function procPidStatus(k: Kernel, t: Task): string {
  const all = k.cpus.map((c) => c.id);
  const allowed = t.cpusAllowed.length ? t.cpusAllowed : all;
  return [
    `Name:\t${t.comm}`,
    `State:\t${STATE_NAMES[t.state] ?? t.state}`,
    `Tgid:\t${t.pid}`,
    "Ngid:\t0",
    `Pid:\t${t.pid}`,
    "PPid:\t0",
    "TracerPid:\t0",
    "Uid:\t0\t0\t0\t0",
    "Gid:\t0\t0\t0\t0",
    "Threads:\t1",
    `Cpus_allowed:\t${cpumaskHex(allowed, k.cpus.length)}`,
    `Cpus_allowed_list:\t${cpumaskList(allowed)}`,
    "",
  ].join("\n");
}

// ---- /proc/PID/stack ----

/** A deterministic `+0xoff/0xsize` for a symbol (modelled, not a real address). */
function symOffset(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  const size = 0x40 + (h % 0x1c0);
  const off = 0x10 + ((h >>> 9) % (size - 0x18));
  return `+0x${off.toString(16)}/0x${size.toString(16)}`;
}

/**
 * /proc/PID/stack (proc_pid_stack: `[<0>] %pB` per frame, addresses hidden)
 * as a **modelled** stack: the frames a task of this kind shows on Linux 6.1
 * while it sleeps, from its comm and kind (irq threads in irq_thread,
 * ksoftirqd in smpboot_thread_fn, kworkers in worker_thread, other kernel
 * threads in kthread, user tasks in the syscall entry); the scheduler's own
 * `__sched` frames are skipped as stack_trace_save_tsk() skips them. The
 * offsets are made up (deterministic per symbol), not from a kernel image.
 * A task running on a CPU shows no frames.
 */
export function procPidStack(k: Kernel, t: Task): string {
  if (k.cpus[t.cpu]?.current === t) return "";
  const frames: string[] = [];
  if (t.kthread) {
    if (t.comm.startsWith("irq/")) frames.push("irq_thread");
    else if (t.comm.startsWith("ksoftirqd/")) frames.push("smpboot_thread_fn");
    else if (t.comm.startsWith("kworker/")) frames.push("worker_thread");
    frames.push("kthread", "ret_from_fork");
  } else {
    if (t.comm === "insmod") frames.push("do_init_module", "load_module", "__do_sys_finit_module");
    if (t.comm === "rmmod") frames.push("__do_sys_delete_module");
    if (k.config.arch === "arm64") {
      frames.push("invoke_syscall", "el0_svc_common.constprop.0", "do_el0_svc", "el0_svc");
    } else if (k.config.arch === "x86") {
      frames.push("do_syscall_64", "entry_SYSCALL_64_after_hwframe");
    } else frames.push("ret_fast_syscall");
  }
  return frames.map((f) => `[<0>] ${f}${symOffset(f)}\n`).join("");
}
