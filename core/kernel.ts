/**
 * The kernel runtime of one machine: clock, bus, CPUs, tasks, address
 * spaces, log and trace. Plugins receive it in `setup`/`start`; driver code
 * reaches it through the ambient {@linkcode kernel} while the machine runs.
 *
 * @module
 */

import { Bus, type EventKey, eventKey, type ServiceKey, serviceKey } from "./bus.ts";
import { ProcFs } from "./procfs.ts";
import type { Body, SleepToken } from "./body.ts";
import type { Task } from "./sched.ts";
import { notImplemented } from "./errors.ts";
import { Cpu } from "./cpu.ts";
import { IoSpace } from "./io.ts";
import { KernelLog, kprintf, type LogLevel } from "./printk.ts";
import { Random } from "./random.ts";
import { Scheduler } from "./sched.ts";
import { EventQueue } from "./scheduler.ts";
import { TraceBuffer, type TraceEventType } from "./trace.ts";
import type { Device } from "./plugin.ts";

/** Costs of kernel paths, in ns, from the machine file. */
export interface Costs {
  /** Hardware + entry code until the flow handler runs. */
  irq_entry_ns: number;
  /** irq_exit + return from interrupt. */
  irq_exit_ns: number;
  /** A context switch. */
  context_switch_ns: number;
  /** Default cost of a plain handler body with no declared cost. */
  handler_ns: number;
  /** One port I/O access (ISA bus: about 1 µs). */
  port_io_ns: number;
  /** One MMIO access. */
  mmio_ns: number;
  /** One printk call. */
  printk_ns: number;
}

/** Kernel settings from the machine file. */
export interface KernelConfig {
  /** Modelled kernel version (`kernel.version` in the machine file). */
  version: "6.1" | "6.6";
  /** CONFIG_HZ: ticks per second. */
  hz: number;
  /** The `threadirqs` boot option: force-thread every handler that allows it. */
  threadirqs: boolean;
  /** Preemption model: PREEMPT_NONE, PREEMPT_VOLUNTARY or PREEMPT (full). */
  preempt: "none" | "voluntary" | "full";
  /** Architecture, for arch-specific formats. */
  arch: "x86" | "arm" | "arm64";
  /** Extra boot parameters (`noirqdebug`, `irqpoll`...). */
  cmdline: string[];
}

/** Hooks the softirq plugin provides to irq_exit (the core knows no softirq). */
export interface SoftirqHooks {
  /** local_softirq_pending() != 0 */
  pending(cpu: Cpu): boolean;
  /** invoke_softirq(): the body to run at irq_exit (or undefined to defer to ksoftirqd). */
  onIrqExit(cpu: Cpu): Body | undefined;
}

/** Service key under which the softirq plugin provides {@linkcode SoftirqHooks}. */
export const SoftirqHooksKey: ServiceKey<SoftirqHooks> = serviceKey<SoftirqHooks>("softirq-hooks");

/**
 * Hooks a timers plugin provides so sleeps with a timeout end by a real
 * kernel timer (process_timeout on the timer wheel, hrtimer_wakeup), with
 * the kernel's granularity, instead of after exactly `tok.ns`.
 */
export interface SleepTimers {
  /** Arm the timer that wakes `task` for `tok.timeout`; false when not handled. Runs on `cpu`. */
  arm(task: Task, tok: SleepToken, cpu: Cpu): boolean;
  /** The task is being woken: cancel its sleep timer (schedule_timeout's del_timer_sync). */
  cancel(task: Task): void;
}

/** The periodic tick on a CPU (tick_periodic): timers and the scheduler listen. */
export const TickEvent: EventKey<Cpu> = eventKey<Cpu>("tick");

/** Raised to unwind a run stopped by a kernel BUG (without --keep-going). */
export class RunStopped extends Error {
  /** Error name. */
  override name = "RunStopped";
}

/** The kernel of one simulated machine. */
export class Kernel {
  /** The virtual clock and event queue (ns of simulated time). */
  readonly clock = new EventQueue();
  /** Services and events of the plugins. */
  readonly bus = new Bus();
  /** The printk ring (dmesg). */
  readonly log = new KernelLog();
  /** The ftrace ring buffer and its sinks. */
  readonly trace: TraceBuffer;
  /** The run's seeded PRNG (never Math.random). */
  readonly random: Random;
  /** The CPUs, by id. */
  readonly cpus: Cpu[] = [];
  /** Tasks and the task scheduler. */
  readonly sched: Scheduler;
  /** x86 I/O port space (64 KiB). */
  readonly ports = new IoSpace("port", 0x10000);
  /** Physical MMIO space. */
  readonly mmio = new IoSpace("mmio", 2 ** 40);
  /** Devices by name, as the machine file declares them. */
  readonly devices = new Map<string, Device>();
  /** /proc and /sys files registered by plugins. */
  readonly procfs = new ProcFs();
  /** Role name -> device name (from the machine file). */
  readonly roles = new Map<string, string>();
  /** The CPU whose code is executing, or undefined outside any step. */
  currentCpu: Cpu | undefined;
  /** jiffies (starts at 0 here; the kernel's INITIAL_JIFFIES offset is not modelled). */
  jiffies = 0;
  /** Kernel BUGs seen (scheduling while atomic...). */
  bugs = 0;
  /** Keep running after a BUG (CLI `--keep-going`). */
  keepGoing = false;
  /** Set when a BUG stopped the run. */
  halted = false;
  /** Softirq hooks, once the softirq plugin provided them. */
  softirqHooks: SoftirqHooks | undefined;
  /** Sleep timers, once a timers plugin provided them. */
  sleepTimers: SleepTimers | undefined;

  /** Create a Kernel. */
  constructor(
    readonly config: KernelConfig,
    readonly costs: Costs,
    nrCpus: number,
    seed: number,
    traceCapacity = 65536,
  ) {
    this.random = new Random(seed);
    this.trace = new TraceBuffer(traceCapacity);
    this.sched = new Scheduler(this);
    for (let i = 0; i < nrCpus; i++) this.cpus.push(new Cpu(i, this));
    this.sched.initCpus(this.cpus);
    this.ports.onUnmapped = (a, w) =>
      this.printk(7, `irqlab: ${w ? "write to" : "read from"} unmapped port 0x${a.toString(16)}`);
    this.mmio.onUnmapped = (a, w) =>
      this.printk(
        3,
        `irqlab: ${w ? "write to" : "read from"} unmapped physical address 0x${a.toString(16)}`,
      );
  }

  /** Current simulated time, ns. */
  get now(): number {
    return this.clock.now;
  }

  /** The CPU running code now (CPU 0 outside any step, e.g. headless API calls). */
  thisCpu(): Cpu {
    return this.currentCpu ?? this.cpus[0];
  }

  /** printk at a level; `fmt` uses the kernel's printf subset. Charges printk cost. */
  printk(level: LogLevel, fmt: string, ...args: unknown[]): void {
    const cpu = this.thisCpu();
    const text = args.length ? kprintf(fmt, args) : fmt;
    this.log.log(this.clock.now, level, cpu.id, text);
    if (this.currentCpu) this.currentCpu.accum += this.costs.printk_ns;
  }

  /**
   * WARN() / WARN_ON(): the kernel's warning block. `message` is the WARN()
   * text (undefined for WARN_ON, which prints none); `fn` and `file` name the
   * kernel function and file that warn (e.g. `__enable_irq`,
   * kernel/irq/manage.c).
   */
  warn(message: string | undefined, fn: string, file: string): void {
    const cpu = this.thisCpu();
    const t = cpu.current;
    this.printk(4, "------------[ cut here ]------------");
    if (message !== undefined) this.printk(4, message);
    this.printk(4, `WARNING: CPU: ${cpu.id} PID: ${t.pid} at ${file} ${fn}`);
    this.printk(
      4,
      `CPU: ${cpu.id} PID: ${t.pid} Comm: ${t.comm} Not tainted ${this.config.version}.0 #1`,
    );
    this.printk(4, "---[ end trace 0000000000000000 ]---");
  }

  /** Report a feature that is not modelled, once per machine (tier 3). */
  notImplemented(feature: string): void {
    notImplemented(feature, this.#notImplemented, (t) => this.printk(4, t));
  }
  #notImplemented = new Set<string>();

  /**
   * The need-resched flags a trace entry records when TIF_NEED_RESCHED is
   * set (tracing_gen_ctx_irq_test, kernel/trace/trace.c): x86 and arm64 fold
   * it into preempt_count (PREEMPT_NEED_RESCHED, set with it by
   * resched_curr() and scheduler_ipi()), so both bits show (`N`); 32-bit ARM
   * uses asm-generic/preempt.h, whose test_preempt_need_resched() is false
   * (`n`).
   */
  get #reschedFlags(): number {
    return this.config.arch === "arm" ? 1 : 3;
  }

  /**
   * Record a tracepoint hit from the current CPU (callers check
   * `trace.enabled`). `extraPreempt` is added to the recorded preempt depth
   * for code the model does not count itself (the rq lock in __schedule).
   * The idle task runs with preemption disabled (init_idle_preempt_count():
   * PREEMPT_DISABLED, with CONFIG_PREEMPT_COUNT as on distribution 6.1
   * kernels), which the model does not keep in its count: hits while the
   * idle task is current record one more level (`..s1.` for a softirq served
   * from idle).
   */
  traceEvent<A>(
    type: TraceEventType<A>,
    args: A,
    cpu: Cpu = this.thisCpu(),
    extraPreempt = 0,
    irqsOff = cpu.irqsDisabled,
  ): void {
    const t = cpu.current;
    this.trace.record(
      type,
      args,
      this.clock.now,
      cpu.id,
      t.pid,
      t.comm,
      cpu.preemptCount + extraPreempt + (t === cpu.idleTask ? 1 : 0),
      irqsOff,
      cpu.needResched ? this.#reschedFlags : 0,
    );
  }

  /**
   * Publish a counter (pending softirqs, a workqueue's depth) to the trace
   * sinks: the timeline draws it. Callers check `trace.enabled`.
   */
  traceCounter(name: string, value: number, cpu: number = this.thisCpu().id): void {
    this.trace.counter(name, cpu, value, this.clock.now);
  }

  /**
   * Publish one end of a flow arrow to the trace sinks (`start` where work is
   * handed over, `end` where it starts to run; `key` pairs them). Callers
   * check `trace.enabled`.
   */
  traceFlow(
    kind: string,
    key: string | number,
    phase: "start" | "end",
    cpu: Cpu = this.thisCpu(),
  ): void {
    this.trace.flow({
      kind,
      key,
      phase,
      ts: this.clock.now,
      cpu: cpu.id,
      pid: cpu.current.pid,
      preempt: cpu.preemptCount,
    });
  }

  /**
   * __schedule_bug() (kernel/sched/core.c): `BUG: scheduling while atomic:
   * comm/pid/0x%08x`. The count printed includes schedule()'s own
   * preempt_disable(), as in_atomic_preempt_off() sees it.
   */
  schedulingWhileAtomic(cpu: Cpu, tok: SleepToken): void {
    const t = cpu.current;
    const count = (cpu.preemptCount + 1) >>> 0;
    this.printk(
      3,
      `BUG: scheduling while atomic: ${t.comm}/${t.pid}/0x${count.toString(16).padStart(8, "0")}`,
    );
    this.printk(4, `irqlab: ${tok.caller}() called in atomic context on CPU ${cpu.id}`);
    this.bugs++;
    if (!this.keepGoing) {
      this.halted = true;
      this.clock.stop();
    }
  }

  /**
   * The periodic tick (tick_periodic, kernel/time/tick-common.c): the tick
   * CPU advances jiffies; every CPU runs the scheduler tick and the tick
   * listeners. Runs in interrupt context.
   */
  tick(cpu: Cpu, doTimer = cpu.id === 0): void {
    if (doTimer) this.jiffies++;
    this.sched.tick(cpu);
    this.bus.emit(TickEvent, cpu);
  }

  /** Run until simulated time `until` (ns) or a BUG stops the run. */
  runUntil(until: number): void {
    const prev = activeKernel;
    activeKernel = this;
    try {
      this.clock.runUntil(until);
    } finally {
      activeKernel = prev;
    }
  }

  /** Run `fn` with this kernel ambient (for module init/exit and headless calls). */
  enter<R>(fn: () => R): R {
    const prev = activeKernel;
    activeKernel = this;
    try {
      return fn();
    } finally {
      activeKernel = prev;
    }
  }

  /** The device bound to a role, if any. */
  roleDevice(role: string): Device | undefined {
    const name = this.roles.get(role);
    return name === undefined ? undefined : this.devices.get(name);
  }
}

let activeKernel: Kernel | undefined;

/** Raised when kernel API is called with no machine running. */
export class NoKernelError extends Error {
  /** Error name. */
  override name = "NoKernelError";
}

/** The kernel whose code is running (driver API entry point). */
export function kernel(): Kernel {
  if (!activeKernel) {
    throw new NoKernelError(
      "Kernel API called outside a running machine: call it from a module's init/exit or a handler",
    );
  }
  return activeKernel;
}

/** The kernel whose code is running, or undefined. */
export function kernelOrUndefined(): Kernel | undefined {
  return activeKernel;
}
