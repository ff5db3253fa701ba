/**
 * Concurrency-managed workqueues as Linux 6.1 runs them (kernel/workqueue.c,
 * Documentation/core-api/workqueue.rst): worker pools and their kworkers,
 * pool_workqueues with max_active and the inactive list, queueing, the
 * worker loop with concurrency management, flushing and cancelling, the
 * system workqueues, trace events and the sysfs interface.
 *
 * The model, in the kernel's terms:
 * - every CPU has two pools (nice 0 and HIGHPRI_NICE_LEVEL -20), pool ids
 *   0, 1 for CPU 0, 2, 3 for CPU 1...; unbound pools are shared by
 *   workqueues with the same attributes (nice, cpumask) and get the next ids;
 * - each pool starts with one idle worker; a worker that leaves idle with no
 *   idle worker left becomes the manager and creates one (create_worker);
 * - per-CPU pools are concurrency managed: `nr_running` counts the workers
 *   running work; a worker that blocks (the core's `onSleep` hook, the
 *   kernel's wq_worker_sleeping) lets an idle worker take the next item;
 *   unbound and CPU-intensive workers never count, so every active item
 *   can get a worker of its own;
 * - `max_active` limits active items per pool_workqueue (per CPU for bound
 *   workqueues, per workqueue for unbound ones on one NUMA node); the rest
 *   wait on `inactive_works` and are activated (and traced) as items end.
 *
 * Simplifications (each says where it differs from the kernel):
 * - worker creation never fails and takes `create_worker_ns` of the
 *   manager's CPU time (kthread_create + kthreadd's fork, as a busy wait), so
 *   the mayday timer and rescuers never have to step in: a rescuer thread
 *   exists for WQ_MEM_RECLAIM workqueues but stays asleep;
 * - flush barriers (wq_barrier) are not work items: a flusher waits until
 *   the instance it flushes ends; a cancelled instance counts as ended;
 * - one NUMA node: an unbound workqueue has one pool_workqueue;
 * - a replaced unbound pool_workqueue is released, and its pool put, as
 *   soon as it is empty (the kernel defers that to a work item).
 *
 * @module
 */

import {
  type BodyGenerator,
  BUSY,
  CallBody,
  type CallToken,
  callToken,
  GeneratorBody,
  RESCHED_POINT,
  type SleepToken,
  sleepToken,
} from "../../core/body.ts";
import { type ServiceKey, serviceKey } from "../../core/bus.ts";
import type { Cpu } from "../../core/cpu.ts";
import type { Kernel } from "../../core/kernel.ts";
import { kprintf } from "../../core/printk.ts";
import type { Task } from "../../core/sched.ts";
import { defineTraceEvent, type TraceEventType } from "../../core/trace.ts";
import { formatCpumask } from "../genirq/mod.ts";
import { TIMER_DEFERRABLE, timer_list, type Timers, TimersKey } from "../timers/mod.ts";
import {
  __WQ_DRAINING,
  __WQ_ORDERED,
  __WQ_ORDERED_EXPLICIT,
  HIGHPRI_NICE_LEVEL,
  IDLE_WORKER_TIMEOUT_S,
  MAX_IDLE_WORKERS_RATIO,
  RESCUER_NICE_LEVEL,
  WORK_CPU_UNBOUND,
  WORK_OFFQ_CANCELING,
  WORK_OFFQ_POOL_NONE,
  WORK_OFFQ_POOL_SHIFT,
  WORK_STRUCT_COLOR_SHIFT,
  WORK_STRUCT_INACTIVE,
  WORK_STRUCT_NO_POOL,
  WORK_STRUCT_PENDING,
  WORK_STRUCT_PWQ,
  WORKER_CPU_INTENSIVE,
  WORKER_DIE,
  WORKER_IDLE,
  WORKER_NOT_RUNNING,
  WORKER_PREP,
  WORKER_REBOUND,
  WORKER_UNBOUND,
  WQ_CPU_INTENSIVE,
  WQ_DFL_ACTIVE,
  WQ_FREEZABLE,
  WQ_HIGHPRI,
  WQ_MAX_ACTIVE,
  WQ_MEM_RECLAIM,
  WQ_NAME_LEN,
  WQ_POWER_EFFICIENT,
  WQ_SYSFS,
  WQ_UNBOUND,
  WQ_UNBOUND_MAX_ACTIVE_FOR,
} from "./constants.ts";
import type { work_func_t, work_struct } from "./work.ts";

// ---- tracepoints (include/trace/events/workqueue.h, 6.1) ----

/** Arguments of workqueue:workqueue_queue_work. */
export interface QueueWorkTraceArgs {
  /** %p of the work item (hashed-looking). */
  work: string;
  /** %ps of the work function. */
  function: string;
  /** Workqueue name. */
  workqueue: string;
  /** CPU asked for (WORK_CPU_UNBOUND: any). */
  req_cpu: number;
  /** pwq->pool->cpu: -1 for unbound pools. */
  cpu: number;
}
/** Arguments of the other workqueue tracepoints. */
export interface WorkTraceArgs {
  /** The work item, as `%p` prints it. */
  work: string;
  /** Its function's symbol. */
  function: string;
}
/** workqueue:workqueue_queue_work */
export const workqueue_queue_work: TraceEventType<QueueWorkTraceArgs> = defineTraceEvent<
  QueueWorkTraceArgs
>(
  "workqueue",
  "workqueue_queue_work",
  (a) =>
    `work struct=${a.work} function=${a.function} workqueue=${a.workqueue} req_cpu=${a.req_cpu} cpu=${a.cpu}`,
);
/** workqueue:workqueue_activate_work (6.1-6.6: the work pointer only). */
export const workqueue_activate_work: TraceEventType<WorkTraceArgs> = defineTraceEvent<
  WorkTraceArgs
>(
  "workqueue",
  "workqueue_activate_work",
  (a) => `work struct ${a.work}`,
);
/** workqueue:workqueue_execute_start */
export const workqueue_execute_start: TraceEventType<WorkTraceArgs> = defineTraceEvent<
  WorkTraceArgs
>(
  "workqueue",
  "workqueue_execute_start",
  (a) => `work struct ${a.work}: function ${a.function}`,
);
/** workqueue:workqueue_execute_end */
export const workqueue_execute_end: TraceEventType<WorkTraceArgs> = defineTraceEvent<WorkTraceArgs>(
  "workqueue",
  "workqueue_execute_end",
  (a) => `work struct ${a.work}: function ${a.function}`,
);

/** %ps of a function: its name, or 0x0 for an anonymous one. */
function symbolName(f: unknown): string {
  return typeof f === "function" && f.name ? f.name : "0x0";
}

/** A hashed-looking %p (16 hex digits) for the n-th object of a kind, stable per machine. */
function hashedPtr(kind: string, n: number): string {
  let h = 0x811c9dc5;
  const s = `${kind}:${n}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return "00000000" + h.toString(16).padStart(8, "0");
}

// ---- structures ----

/** `struct workqueue_attrs`: what an unbound pool is keyed by. */
export interface WorkqueueAttrs {
  /** Nice level of the pool's workers. */
  nice: number;
  /** Allowed CPUs, sorted. */
  cpumask: number[];
  /** 6.1 `no_numa` (shown inverted as the sysfs `numa` file). */
  no_numa: boolean;
}

/** `struct worker_pool`. */
export class WorkerPool {
  /** Bound CPU, or -1 for an unbound pool. */
  readonly cpu: number;
  /** Pending work items of the pool. */
  readonly worklist: work_struct[] = [];
  /** Workers of the pool. */
  nr_workers = 0;
  /** Idle workers. */
  nr_idle = 0;
  /** Workers running work and counted for concurrency management. */
  nr_running = 0;
  /** LIFO: the most recently idle worker first. */
  readonly idle_list: Worker[] = [];
  /** All workers of the pool. */
  readonly workers: Worker[] = [];
  /** POOL_MANAGER_ACTIVE */
  managerActive = false;
  /** busy_hash: the worker executing each work item. */
  readonly busy = new Map<work_struct, Worker>();
  /** Worker ids in use (worker_ida). */
  readonly ids = new Set<number>();
  /** pool->idle_timer: TIMER_DEFERRABLE, calls idle_worker_timeout(). */
  readonly idleTimer: timer_list = new timer_list(this);
  /** pwqs using this (unbound) pool. */
  refcnt = 1;
  /** put_unbound_pool() freed it: its workers exit as they go idle. */
  dead = false;

  /** Create a WorkerPool. */
  constructor(readonly id: number, cpu: number, readonly attrs: WorkqueueAttrs) {
    this.cpu = cpu;
  }

  /** POOL_DISASSOCIATED: unbound pools (and offline CPUs', not modelled). */
  get disassociated(): boolean {
    return this.cpu < 0;
  }
}

/** `struct worker`. */
export class Worker {
  /** WORKER_* or WQ_* flags. */
  flags: number = WORKER_PREP;
  /** Work item being run. */
  current_work: work_struct | undefined;
  /** Its function. */
  current_func: work_func_t | undefined;
  /** Its pool_workqueue. */
  current_pwq: PoolWorkqueue | undefined;
  /** Serial of the instance being executed (for flush_workqueue). */
  currentSerial = 0;
  /** Works moved here because this worker executes the same work item (non-reentrancy). */
  readonly scheduled: work_struct[] = [];
  /** wq_worker_sleeping() saw it block. */
  sleeping = false;
  /** worker->last_active: jiffies when it last went idle. */
  lastActive = 0;
  /** worker->desc: the last workqueue it ran work for. */
  desc = "";
  /** Function of the last work run (wq_worker_last_func). */
  last_func: work_func_t | undefined;
  /** The kworker task. */
  task!: Task;
  /** The token it sleeps on while idle (TASK_IDLE). */
  readonly idleSleep: SleepToken = sleepToken(Infinity, "I", "worker_thread");

  /** Create a Worker. */
  constructor(readonly id: number, readonly pool: WorkerPool) {}
}

/** `struct pool_workqueue`: a workqueue's link to one pool. */
export class PoolWorkqueue {
  /** Active work items (counted against max_active). */
  nr_active = 0;
  /** Limit of active work items. */
  max_active: number;
  /** Work items waiting for max_active. */
  readonly inactive_works: work_struct[] = [];
  /** Items queued and not yet finished (nr_in_flight over all colors). */
  nr_in_flight = 0;
  /** Create a PoolWorkqueue. */
  constructor(readonly wq: workqueue_struct, readonly pool: WorkerPool) {
    this.max_active = wq.saved_max_active;
  }
}

/** `struct workqueue_struct`. */
export class workqueue_struct {
  /** WORKER_* or WQ_* flags. */
  flags: number;
  /** max_active as requested. */
  saved_max_active: number;
  /** Per-CPU pwqs (bound workqueues), indexed by CPU. */
  readonly cpuPwqs: PoolWorkqueue[] = [];
  /** The unbound pwq (dfl_pwq; one NUMA node). */
  dflPwq: PoolWorkqueue | undefined;
  /** Every pwq still linked (an old unbound pwq stays until it is empty). */
  readonly pwqs: PoolWorkqueue[] = [];
  /** wq->unbound_attrs (as the user configured them). */
  unboundAttrs: WorkqueueAttrs | undefined;
  /** The rescuer thread (WQ_MEM_RECLAIM). */
  rescuer: Task | undefined;
  /** drain_workqueue() callers in progress. */
  nr_drainers = 0;
  /** destroy_workqueue() ran. */
  destroyed = false;
  /** Leaked by destroy_workqueue() with busy pwqs. */
  leaked = false;
  /** Serials of the queued instances not yet finished (flush_workqueue colors, in small). */
  readonly inflight = new Set<number>();

  /** Create a workqueue_struct. */
  constructor(readonly name: string, flags: number, maxActive: number) {
    this.flags = flags;
    this.saved_max_active = maxActive;
  }
}

/** A system workqueue named in driver code before any machine exists (`system_wq`...). */
export class SystemWorkqueue {
  /** Create a SystemWorkqueue. */
  constructor(readonly name: string) {}
}

/** What the workqueue API accepts: a workqueue or a system workqueue variable. */
export type wq_ref = workqueue_struct | SystemWorkqueue;

/** Per work item bookkeeping the C struct keeps in `data` and the lists. */
interface WorkState {
  /** The pwq it is queued on (WORK_STRUCT_PWQ), if any. */
  pwq: PoolWorkqueue | undefined;
  /** Which list holds it: a pool worklist, a pwq's inactive_works or a worker's scheduled. */
  list: work_struct[] | undefined;
  /** Last pool id (off-queue data). */
  poolId: number;
  /** %p of this work item. */
  ptr: string;
  /** Instances queued / finished (executed or stolen), for flush_work. */
  queued: number;
  finished: number;
  /** Serial of the queued instance (flush_workqueue). */
  serial: number;
}

/** A task waiting for something in the workqueue layer (flush, cancel, drain). */
interface Waiter {
  task: Task;
  done: () => boolean;
}

/**
 * A wait that may sleep, as a call token: `yield flush_work(w)` runs it and
 * gets 1 (true) or 0 (false) back; `.ret` is the same answer, known at the
 * call (the non-sleeping part has been done by then).
 */
export type WorkWait = CallToken & { readonly ret: boolean };

/** Options of the workqueue layer. */
export interface WorkqueueOptions {
  /** CPU time a manager spends creating a worker (kthread_create), ns. */
  create_worker_ns: number;
  /** `workqueue.power_efficient`: WQ_POWER_EFFICIENT workqueues become unbound. */
  power_efficient: boolean;
}

/** Defaults: creating a kworker costs 50 µs; power_efficient off (x86 defconfig). */
export const workqueueDefaults = {
  create_worker_ns: 50_000,
  power_efficient: false,
} satisfies WorkqueueOptions;

/** Service key of the workqueue layer. */
export const WorkqueueKey: ServiceKey<Workqueues> = serviceKey<Workqueues>("workqueue");

const WORKER = Symbol("worker");

/** The worker a task is (`kthread_data()` of a PF_WQ_WORKER task), if any. */
export function taskWorker(t: Task): Worker | undefined {
  return t.local.get(WORKER) as Worker | undefined;
}

/** sysfs directory of WQ_SYSFS workqueues. */
export const WQ_SYSFS_DIR = "/sys/devices/virtual/workqueue/";

const EINVAL = 22;
const EOVERFLOW = 75;

/** The workqueue layer of one machine. */
export class Workqueues {
  /** Plugin options. */
  readonly opts: WorkqueueOptions;
  /** All pools by id (worker_pool_idr; a freed unbound pool leaves a hole). */
  readonly pools: (WorkerPool | undefined)[] = [];
  /** cpu_worker_pools[cpu][0 normal, 1 highpri]. */
  readonly cpuPools: WorkerPool[][] = [];
  /** unbound_pool_hash, by attrs key. */
  readonly unboundPools = new Map<string, WorkerPool>();
  /** Every workqueue (the `workqueues` list). */
  readonly workqueues: workqueue_struct[] = [];
  /** The system workqueues by name. */
  readonly system = new Map<string, workqueue_struct>();
  /** wq_unbound_cpumask */
  unboundCpumask: number[];
  /** wq_online: workers exist (workqueue_init ran). */
  online = false;
  #state = new WeakMap<work_struct, WorkState>();
  #nextPtr = 0;
  #nextSerial = 0;
  #waiters: Waiter[] = [];
  #warnedDraining = false;

  /** The timers plugin (pool idle timers, delayed work). */
  readonly timers: Timers;

  /** Create a Workqueues. */
  constructor(readonly kernel: Kernel, options: Partial<WorkqueueOptions> = {}) {
    this.opts = { ...workqueueDefaults, ...options };
    this.timers = kernel.bus.get(TimersKey);
    this.unboundCpumask = kernel.cpus.map((c) => c.id);
    kernel.sched.onSleep.push((t) => {
      const w = taskWorker(t);
      if (w) this.wq_worker_sleeping(w);
    });
    kernel.sched.onSwitch.push(({ next }) => {
      const w = taskWorker(next);
      if (w) this.wq_worker_running(w);
    });
  }

  /** Number of possible CPUs. */
  get nrCpus(): number {
    return this.kernel.cpus.length;
  }

  // ---- boot (workqueue_init_early, workqueue_init) ----

  /**
   * workqueue_init_early(): the per-CPU pools and the system workqueues
   * (§5.2 of the reference; kernel/workqueue.c).
   */
  initEarly(): void {
    for (const cpu of this.kernel.cpus) {
      const pools: WorkerPool[] = [];
      for (const nice of [0, HIGHPRI_NICE_LEVEL]) {
        const pool = this.#newPool(cpu.id, { nice, cpumask: [cpu.id], no_numa: false });
        pools.push(pool);
      }
      this.cpuPools.push(pools);
    }
    const n = this.nrCpus;
    const sys: [string, number, number][] = [
      ["events", 0, 0],
      ["events_highpri", WQ_HIGHPRI, 0],
      ["events_long", 0, 0],
      ["events_unbound", WQ_UNBOUND, WQ_UNBOUND_MAX_ACTIVE_FOR(n)],
      ["events_freezable", WQ_FREEZABLE, 0],
      ["events_power_efficient", WQ_POWER_EFFICIENT, 0],
      ["events_freezable_power_efficient", WQ_FREEZABLE | WQ_POWER_EFFICIENT, 0],
    ];
    for (const [name, flags, max] of sys) {
      const wq = this.alloc_workqueue(name, flags, max)!;
      this.system.set(name, wq);
    }
  }

  /**
   * workqueue_init(): the rescuers of the workqueues allocated so far, then
   * the first worker of every pool (per-CPU pools CPU by CPU, normal then
   * highpri; then the unbound pools).
   */
  init(): void {
    // the early workqueues' rescuers first, then the first worker of every pool
    for (const wq of this.workqueues) {
      if (wq.flags & WQ_MEM_RECLAIM && !wq.rescuer) this.#initRescuer(wq);
    }
    for (const pools of this.cpuPools) for (const p of pools) this.create_worker(p);
    for (const p of this.unboundPools.values()) this.create_worker(p);
    this.online = true;
  }

  #newPool(cpu: number, attrs: WorkqueueAttrs): WorkerPool {
    // worker_pool_assign_id(): idr_alloc from 0, lowest free id
    let id = 0;
    while (this.pools[id]) id++;
    const pool = new WorkerPool(id, cpu, attrs);
    // timer_setup(&pool->idle_timer, idle_worker_timeout, TIMER_DEFERRABLE)
    const idle_worker_timeout = () => this.idle_worker_timeout(pool);
    this.timers.timerSetup(pool.idleTimer, idle_worker_timeout, TIMER_DEFERRABLE);
    this.pools[id] = pool;
    return pool;
  }

  /** get_unbound_pool(attrs): the shared pool with these attributes, created on demand. */
  get_unbound_pool(attrs: WorkqueueAttrs): WorkerPool {
    const key = `${attrs.nice}:${attrs.cpumask.join(",")}`;
    const have = this.unboundPools.get(key);
    if (have) {
      have.refcnt++;
      return have;
    }
    const pool = this.#newPool(-1, { ...attrs, cpumask: [...attrs.cpumask] });
    this.unboundPools.set(key, pool);
    if (this.online) this.create_worker(pool);
    return pool;
  }

  // ---- workers ----

  /**
   * create_worker(): a new kworker, attached to `pool`, entered idle and
   * woken. Named `kworker/%d:%d` (+`H` for a negative nice) for a per-CPU
   * pool, `kworker/u%d:%d` with the pool id for an unbound one; the worker
   * id is the lowest free one in the pool.
   */
  create_worker(pool: WorkerPool): Worker {
    let id = 0;
    while (pool.ids.has(id)) id++;
    pool.ids.add(id);
    const worker = new Worker(id, pool);
    const name = pool.cpu >= 0
      ? `kworker/${pool.cpu}:${id}${pool.attrs.nice < 0 ? "H" : ""}`
      : `kworker/u${pool.id}:${id}`;
    const k = this.kernel;
    const here = k.currentCpu?.id ?? 0;
    const mask = pool.attrs.cpumask;
    const task = k.sched.create({
      comm: name,
      body: new GeneratorBody(this.#workerThread(worker), name),
      nice: pool.attrs.nice,
      cpu: mask.includes(here) ? here : mask[0],
      cpusAllowed: mask,
      kthread: true,
      start: "sleeping",
    });
    task.local.set(WORKER, worker);
    worker.task = task;
    // worker_attach_to_pool(): a disassociated (unbound) pool's workers are WORKER_UNBOUND
    if (pool.disassociated) worker.flags |= WORKER_UNBOUND;
    pool.workers.push(worker);
    pool.nr_workers++;
    this.#enterIdle(worker);
    k.sched.wakeUp(task);
    return worker;
  }

  #initRescuer(wq: workqueue_struct): void {
    // init_rescuer(): kthread_create(rescuer_thread, rescuer, "%s", wq->name); the
    // thread sets RESCUER_NICE_LEVEL and sleeps in TASK_IDLE until a mayday
    const idle = sleepToken(Infinity, "I", "rescuer_thread");
    wq.rescuer = this.kernel.sched.create({
      comm: wq.name,
      body: (function* () {
        for (;;) yield idle;
      })(),
      nice: RESCUER_NICE_LEVEL,
      cpusAllowed: [],
      kthread: true,
    });
  }

  #setFlags(w: Worker, flags: number): void {
    // worker_set_flags(): entering NOT_RUNNING leaves nr_running
    if (flags & WORKER_NOT_RUNNING && !(w.flags & WORKER_NOT_RUNNING)) w.pool.nr_running--;
    w.flags |= flags;
  }

  #clrFlags(w: Worker, flags: number): void {
    // worker_clr_flags(): leaving NOT_RUNNING altogether joins nr_running
    const old = w.flags;
    w.flags &= ~flags;
    if (flags & WORKER_NOT_RUNNING && old & WORKER_NOT_RUNNING) {
      if (!(w.flags & WORKER_NOT_RUNNING)) w.pool.nr_running++;
    }
  }

  /** too_many_workers(): more than 2 idle and (idle - 2) * 4 >= busy (the manager counts as idle). */
  too_many_workers(pool: WorkerPool): boolean {
    const nrIdle = pool.nr_idle + (pool.managerActive ? 1 : 0);
    const nrBusy = pool.nr_workers - nrIdle;
    return nrIdle > 2 && (nrIdle - 2) * MAX_IDLE_WORKERS_RATIO >= nrBusy;
  }

  #enterIdle(w: Worker): void {
    // worker_enter_idle()
    const pool = w.pool;
    w.flags |= WORKER_IDLE;
    pool.nr_idle++;
    const k = this.kernel;
    w.lastActive = k.jiffies;
    pool.idle_list.unshift(w);
    if (pool.dead) {
      this.destroy_worker(w);
      return;
    }
    if (this.too_many_workers(pool) && pool.idleTimer._bucket === undefined) {
      this.timers.modTimer(pool.idleTimer, k.jiffies + IDLE_WORKER_TIMEOUT_S * k.config.hz);
    }
  }

  #leaveIdle(w: Worker): void {
    // worker_leave_idle()
    const pool = w.pool;
    if (!(w.flags & WORKER_IDLE)) return;
    w.flags &= ~WORKER_IDLE;
    pool.nr_idle--;
    const i = pool.idle_list.indexOf(w);
    if (i >= 0) pool.idle_list.splice(i, 1);
  }

  /**
   * idle_worker_timeout(): while there are too many idle workers, destroy
   * the one idle the longest once it has been idle IDLE_WORKER_TIMEOUT
   * (300 s), else re-arm for when it will have been.
   */
  idle_worker_timeout(pool: WorkerPool): void {
    const k = this.kernel;
    while (this.too_many_workers(pool)) {
      const w = pool.idle_list[pool.idle_list.length - 1];
      const expires = w.lastActive + IDLE_WORKER_TIMEOUT_S * k.config.hz;
      if (k.jiffies - expires < 0) { // time_before(jiffies, expires)
        this.timers.modTimer(pool.idleTimer, expires);
        break;
      }
      this.destroy_worker(w);
    }
  }

  /** destroy_worker(): an idle worker leaves the pool and is woken to exit. */
  destroy_worker(w: Worker): void {
    const pool = w.pool;
    pool.nr_workers--;
    pool.nr_idle--;
    const i = pool.idle_list.indexOf(w);
    if (i >= 0) pool.idle_list.splice(i, 1);
    w.flags |= WORKER_DIE;
    this.kernel.sched.wakeUp(w.task);
  }

  /** need_more_worker(): work is pending and nobody is running it. */
  need_more_worker(pool: WorkerPool): boolean {
    return pool.worklist.length > 0 && pool.nr_running === 0;
  }

  /** wake_up_worker(): wake the first (most recently) idle worker. */
  wake_up_worker(pool: WorkerPool): void {
    const w = pool.idle_list[0];
    if (w) this.kernel.sched.wakeUp(w.task);
  }

  /** wq_worker_sleeping(): a running worker blocks (core onSleep hook). */
  wq_worker_sleeping(w: Worker): void {
    if (w.flags & WORKER_NOT_RUNNING) return;
    if (w.sleeping) return;
    w.sleeping = true;
    w.pool.nr_running--;
    if (this.need_more_worker(w.pool)) this.wake_up_worker(w.pool);
  }

  /** wq_worker_running(): a worker that blocked is back on its CPU (core onSwitch hook). */
  wq_worker_running(w: Worker): void {
    if (!w.sleeping) return;
    if (!(w.flags & WORKER_NOT_RUNNING)) w.pool.nr_running++;
    w.sleeping = false;
  }

  /** worker_thread() (kernel/workqueue.c) as a generator. */
  *#workerThread(w: Worker): BodyGenerator<number> {
    const pool = w.pool;
    for (;;) {
      // woke_up:
      if (w.flags & WORKER_DIE) {
        w.task.comm = "kworker/dying";
        pool.ids.delete(w.id);
        const i = pool.workers.indexOf(w);
        if (i >= 0) pool.workers.splice(i, 1);
        w.task.local.delete(WORKER);
        return 0;
      }
      this.#leaveIdle(w);
      for (;;) {
        // recheck:
        if (!this.need_more_worker(pool)) break;
        // may_start_working() is nr_idle != 0; else become the manager
        if (pool.nr_idle === 0 && !pool.managerActive) {
          pool.managerActive = true;
          this.create_worker(pool);
          const cost = this.opts.create_worker_ns;
          if (cost > 0) {
            this.kernel.thisCpu().accum += cost;
            yield BUSY;
          }
          pool.managerActive = false;
          continue;
        }
        this.#clrFlags(w, WORKER_PREP | WORKER_REBOUND);
        do {
          const work = pool.worklist[0];
          yield* this.#processOneWork(w, work);
          while (w.scheduled.length > 0) yield* this.#processOneWork(w, w.scheduled[0]);
        } while (pool.worklist.length > 0 && pool.nr_running <= 1); // keep_working()
        this.#setFlags(w, WORKER_PREP);
        break;
      }
      // sleep:
      this.#enterIdle(w);
      yield w.idleSleep;
    }
  }

  /** find_worker_executing_work(): the worker of `pool` running `work` with the same function. */
  find_worker_executing_work(pool: WorkerPool, work: work_struct): Worker | undefined {
    const w = pool.busy.get(work);
    return w && w.current_func === work.func ? w : undefined;
  }

  /** process_one_work() as a generator. Runs in process context in worker `w`. */
  *#processOneWork(w: Worker, work: work_struct): BodyGenerator<void> {
    const k = this.kernel;
    const st = this.#st(work);
    const pwq = st.pwq!;
    const pool = w.pool;
    const cpuIntensive = (pwq.wq.flags & WQ_CPU_INTENSIVE) !== 0;
    const collision = this.find_worker_executing_work(pool, work);
    if (collision) {
      // non-reentrant within a pool: hand it to the worker running it
      this.#unlink(work);
      collision.scheduled.push(work);
      st.list = collision.scheduled;
      return;
    }
    pool.busy.set(work, w);
    w.current_work = work;
    w.current_func = work.func;
    w.current_pwq = pwq;
    w.currentSerial = st.serial;
    w.desc = pwq.wq.name;
    this.#unlink(work);
    if (cpuIntensive) this.#setFlags(w, WORKER_CPU_INTENSIVE);
    // chain execution for NOT_RUNNING workers (unbound, CPU intensive)
    if (this.need_more_worker(pool)) this.wake_up_worker(pool);
    const workData = work.data;
    // set_work_pool_and_clear_pending(): PENDING cleared before the function runs
    this.#setOffq(work, pool.id, 0);
    const fn = w.current_func;
    if (!fn) {
      // worker->current_func(work) through NULL: the kernel oopses in the kworker
      k.printk(
        1,
        `irqlab: work item ${st.ptr} on ${pwq.wq.name} has no function (INIT_WORK missing): ` +
          `the kernel would oops in ${w.task.comm} here; skipped`,
      );
      pool.busy.delete(work);
      w.current_work = undefined;
      w.current_pwq = undefined;
      st.finished++;
      pwq.wq.inflight.delete(w.currentSerial);
      this.#decNrInFlight(pwq, workData);
      this.#wakeWaiters();
      return;
    }
    const trace = k.trace.enabled;
    if (trace) {
      k.traceEvent(workqueue_execute_start, { work: st.ptr, function: symbolName(fn) });
      k.traceFlow("work", st.ptr, "end"); // timeline: queue_work -> execute_start
    }
    const r = fn(work);
    if (r && typeof (r as BodyGenerator).next === "function") {
      yield* r as BodyGenerator<unknown>;
    } else {
      k.thisCpu().accum += (fn as { cost_ns?: number }).cost_ns ?? k.costs.handler_ns;
      yield BUSY;
    }
    if (k.trace.enabled) {
      k.traceEvent(workqueue_execute_end, { work: st.ptr, function: symbolName(fn) });
    }
    const cpu = k.thisCpu();
    if (cpu.preemptCount !== 0) {
      k.printk(
        3,
        `BUG: workqueue leaked lock or atomic: ${w.task.comm}/0x${
          (cpu.preemptCount >>> 0).toString(16).padStart(8, "0")
        }/${w.task.pid}\n     last function: ${symbolName(fn)}`,
      );
    }
    yield RESCHED_POINT; // cond_resched()
    if (cpuIntensive) this.#clrFlags(w, WORKER_CPU_INTENSIVE);
    w.last_func = fn;
    pool.busy.delete(work);
    w.current_work = undefined;
    w.current_func = undefined;
    w.current_pwq = undefined;
    st.finished++;
    pwq.wq.inflight.delete(w.currentSerial);
    this.#decNrInFlight(pwq, workData);
    this.#wakeWaiters();
  }

  // ---- work item state ----

  #st(work: work_struct): WorkState {
    let s = this.#state.get(work);
    if (!s) {
      s = {
        pwq: undefined,
        list: undefined,
        poolId: WORK_OFFQ_POOL_NONE,
        ptr: hashedPtr("work", this.#nextPtr++),
        queued: 0,
        finished: 0,
        serial: 0,
      };
      this.#state.set(work, s);
    }
    return s;
  }

  /** %p of a work item on this machine (as traces print it). */
  workPtr(work: work_struct): string {
    return this.#st(work).ptr;
  }

  /** The pool id recorded in an off-queue work item, or WORK_OFFQ_POOL_NONE. */
  #lastPool(work: work_struct): WorkerPool | undefined {
    const st = this.#st(work);
    if (st.pwq) return st.pwq.pool;
    return st.poolId === WORK_OFFQ_POOL_NONE ? undefined : this.pools[st.poolId];
  }

  /** Off-queue data: pool id and PENDING/CANCELING flags, no pwq. */
  #setOffq(work: work_struct, poolId: number, flags: number): void {
    const st = this.#st(work);
    st.pwq = undefined;
    st.poolId = poolId;
    work.data = poolId * (1 << WORK_OFFQ_POOL_SHIFT) + flags;
  }

  #unlink(work: work_struct): void {
    const st = this.#st(work);
    if (!st.list) return;
    const i = st.list.indexOf(work);
    if (i >= 0) st.list.splice(i, 1);
    st.list = undefined;
  }

  // ---- workqueues ----

  /** Resolve a system workqueue variable to this machine's workqueue. */
  resolve(wq: wq_ref): workqueue_struct {
    if (wq instanceof workqueue_struct) return wq;
    const real = this.system.get(wq.name);
    if (!real) throw new Error(`no system workqueue ${wq.name} on this machine`);
    return real;
  }

  /** wq_clamp_max_active() with its warning. */
  #clampMaxActive(max: number, flags: number, name: string): number {
    const lim = flags & WQ_UNBOUND ? WQ_UNBOUND_MAX_ACTIVE_FOR(this.nrCpus) : WQ_MAX_ACTIVE;
    if (max < 1 || max > lim) {
      this.kernel.printk(
        4,
        `workqueue: max_active ${max} requested for ${name} is out of range, clamping between 1 and ${lim}`,
      );
    }
    return Math.max(1, Math.min(lim, max));
  }

  /**
   * alloc_workqueue(fmt, flags, max_active, ...args). Returns null when the
   * kernel's would (WQ_SYSFS on an explicitly ordered workqueue).
   */
  alloc_workqueue(
    fmt: string,
    flags: number,
    maxActive: number,
    ...args: unknown[]
  ): workqueue_struct | null {
    const k = this.kernel;
    // 6.1: an unbound workqueue with max_active 1 is implicitly ordered (checked before
    // WQ_POWER_EFFICIENT may make it unbound, as in the kernel)
    if (flags & WQ_UNBOUND && maxActive === 1) flags |= __WQ_ORDERED;
    if (flags & WQ_POWER_EFFICIENT && this.opts.power_efficient) flags |= WQ_UNBOUND;
    const name = kprintf(fmt, args).slice(0, WQ_NAME_LEN - 1);
    maxActive = maxActive || WQ_DFL_ACTIVE;
    maxActive = this.#clampMaxActive(maxActive, flags, name);
    const wq = new workqueue_struct(name, flags, maxActive);
    // alloc_and_link_pwqs()
    if (flags & WQ_UNBOUND) {
      wq.unboundAttrs = {
        nice: flags & WQ_HIGHPRI ? HIGHPRI_NICE_LEVEL : 0,
        cpumask: [...this.unboundCpumask],
        no_numa: (flags & __WQ_ORDERED) !== 0, // ordered_wq_attrs
      };
      this.#applyAttrs(wq, wq.unboundAttrs);
    } else {
      const hi = flags & WQ_HIGHPRI ? 1 : 0;
      for (const pools of this.cpuPools) {
        const pwq = new PoolWorkqueue(wq, pools[hi]);
        wq.cpuPwqs.push(pwq);
        wq.pwqs.push(pwq);
      }
    }
    if (flags & WQ_MEM_RECLAIM && this.online) this.#initRescuer(wq);
    if (flags & WQ_SYSFS) {
      // workqueue_sysfs_register(): ordered workqueues can't change attributes
      if (flags & __WQ_ORDERED_EXPLICIT) {
        k.warn(undefined, "workqueue_sysfs_register", "kernel/workqueue.c");
        this.#destroyNow(wq);
        return null;
      }
    }
    this.workqueues.push(wq);
    return wq;
  }

  /** Link `wq` to the unbound pool for `attrs` (apply_wqattrs_prepare/commit, one node). */
  #applyAttrs(wq: workqueue_struct, attrs: WorkqueueAttrs): void {
    let mask = attrs.cpumask.filter((c) => this.unboundCpumask.includes(c));
    if (mask.length === 0) mask = [...this.unboundCpumask];
    const pool = this.get_unbound_pool({ nice: attrs.nice, cpumask: mask, no_numa: false });
    const pwq = new PoolWorkqueue(wq, pool);
    const old = wq.dflPwq;
    wq.dflPwq = pwq;
    wq.pwqs.push(pwq);
    if (old) this.#maybeReleasePwq(old);
  }

  /** A replaced pwq goes away once it has nothing in flight (pwq_unbound_release_workfn). */
  #maybeReleasePwq(pwq: PoolWorkqueue): void {
    const wq = pwq.wq;
    if (pwq === wq.dflPwq || wq.cpuPwqs.includes(pwq)) return;
    if (pwq.nr_in_flight > 0 || pwq.nr_active > 0 || pwq.inactive_works.length > 0) return;
    const i = wq.pwqs.indexOf(pwq);
    if (i >= 0) {
      wq.pwqs.splice(i, 1);
      this.put_unbound_pool(pwq.pool);
    }
  }

  /**
   * put_unbound_pool(): drop a reference; the last one frees the pool: its
   * id returns to the idr, it leaves the attrs hash (the same attributes
   * later get a new pool) and its workers are destroyed (here: the idle
   * ones now, the others as they go idle).
   */
  put_unbound_pool(pool: WorkerPool): void {
    if (--pool.refcnt > 0 || pool.cpu >= 0 || pool.worklist.length > 0) return;
    pool.dead = true;
    this.pools[pool.id] = undefined;
    for (const [key, p] of this.unboundPools) if (p === pool) this.unboundPools.delete(key);
    for (const w of [...pool.idle_list]) this.destroy_worker(w);
    this.timers.delTimer(pool.idleTimer);
  }

  #destroyNow(wq: workqueue_struct): void {
    wq.destroyed = true;
    for (const pwq of wq.pwqs) if (pwq.pool.cpu < 0) this.put_unbound_pool(pwq.pool);
    if (wq.rescuer) {
      wq.rescuer.shouldStop = true;
      wq.rescuer.state = "X";
    }
  }

  /** workqueue_set_max_active(wq, max_active). */
  workqueue_set_max_active(wqr: wq_ref, maxActive: number): void {
    const wq = this.resolve(wqr);
    if (wq.flags & __WQ_ORDERED_EXPLICIT) {
      this.kernel.warn(undefined, "workqueue_set_max_active", "kernel/workqueue.c");
      return;
    }
    maxActive = this.#clampMaxActive(maxActive, wq.flags, wq.name);
    wq.saved_max_active = maxActive;
    wq.flags &= ~__WQ_ORDERED;
    for (const pwq of wq.pwqs) this.#adjustMaxActive(pwq);
  }

  /** pwq_adjust_max_active(): take the new limit and activate what now fits. */
  #adjustMaxActive(pwq: PoolWorkqueue): void {
    pwq.max_active = pwq.wq.saved_max_active;
    let activated = false;
    while (pwq.inactive_works.length > 0 && pwq.nr_active < pwq.max_active) {
      this.#activateFirstInactive(pwq);
      activated = true;
    }
    if (activated) this.wake_up_worker(pwq.pool);
  }

  // ---- queueing ----

  /** Is the current task a worker running an item of `wq`? (is_chained_work) */
  #isChained(wq: workqueue_struct): boolean {
    const c = this.kernel.currentCpu;
    if (!c || c.irqDepth > 0 || c.inServingSoftirq()) return false;
    const w = taskWorker(c.current);
    return w !== undefined && w.current_pwq?.wq === wq;
  }

  /**
   * queue_work_on(cpu, wq, work): test-and-set PENDING; false when it was
   * already set, else __queue_work() and true. May run in interrupt context.
   */
  queue_work_on(cpu: number, wqr: wq_ref, work: work_struct): boolean {
    const wq = this.resolve(wqr);
    if (cpu !== WORK_CPU_UNBOUND && (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.nrCpus)) {
      this.kernel.printk(
        3,
        `irqlab: queue_work_on(${cpu}, ${wq.name}): no CPU ${cpu} on this machine (the kernel would ` +
          `index past its per-CPU data); not queued`,
      );
      return false;
    }
    if (work.data & WORK_STRUCT_PENDING) return false;
    work.data |= WORK_STRUCT_PENDING;
    this.__queue_work(cpu, wq, work);
    return true;
  }

  /** __queue_work(): pick the pwq, trace, activate or park as inactive. May run in interrupt context. */
  __queue_work(reqCpu: number, wq: workqueue_struct, work: work_struct): void {
    const k = this.kernel;
    if (wq.destroyed) {
      k.warn(undefined, "__queue_work", "kernel/workqueue.c");
      return;
    }
    // a draining workqueue accepts only chained work (WARN_ON_ONCE, and the work stays PENDING)
    if (wq.flags & __WQ_DRAINING && !this.#isChained(wq)) {
      if (!this.#warnedDraining) {
        this.#warnedDraining = true;
        k.warn(undefined, "__queue_work", "kernel/workqueue.c");
      }
      return;
    }
    const here = k.thisCpu().id;
    let pwq: PoolWorkqueue;
    if (wq.flags & WQ_UNBOUND) {
      pwq = wq.dflPwq!; // one NUMA node: the node's pwq is the default one
    } else {
      const cpu = reqCpu === WORK_CPU_UNBOUND ? here : reqCpu;
      pwq = wq.cpuPwqs[cpu];
    }
    // non-reentrancy: still running on its last pool for this wq? queue there
    const last = this.#lastPool(work);
    if (last && last !== pwq.pool) {
      const w = this.find_worker_executing_work(last, work);
      if (w && w.current_pwq?.wq === wq) pwq = w.current_pwq;
    }
    const st = this.#st(work);
    if (k.trace.enabled) {
      k.traceEvent(workqueue_queue_work, {
        work: st.ptr,
        function: symbolName(work.func),
        workqueue: wq.name,
        req_cpu: reqCpu,
        cpu: pwq.pool.cpu,
      });
      k.traceFlow("work", st.ptr, "start");
    }
    if (st.list) {
      k.warn(undefined, "__queue_work", "kernel/workqueue.c"); // WARN_ON(!list_empty(&work->entry))
      return;
    }
    pwq.nr_in_flight++;
    this.#publishDepth(pwq.wq);
    let flags = 0;
    let list: work_struct[];
    if (pwq.nr_active < pwq.max_active) {
      if (k.trace.enabled) k.traceEvent(workqueue_activate_work, { work: st.ptr, function: "" });
      pwq.nr_active++;
      list = pwq.pool.worklist;
    } else {
      flags |= WORK_STRUCT_INACTIVE;
      list = pwq.inactive_works;
    }
    // insert_work(): set_work_pwq(), link, wake a worker if none is running
    st.pwq = pwq;
    st.list = list;
    st.queued++;
    st.serial = ++this.#nextSerial;
    wq.inflight.add(st.serial);
    work.data = WORK_STRUCT_PENDING | WORK_STRUCT_PWQ | flags | (0 << WORK_STRUCT_COLOR_SHIFT);
    list.push(work);
    if (pwq.pool.nr_running === 0) this.wake_up_worker(pwq.pool);
  }

  /** pwq_activate_inactive_work(): move one item to the pool's worklist and trace it. */
  #activate(work: work_struct): void {
    const k = this.kernel;
    const st = this.#st(work);
    const pwq = st.pwq!;
    if (k.trace.enabled) k.traceEvent(workqueue_activate_work, { work: st.ptr, function: "" });
    this.#unlink(work);
    pwq.pool.worklist.push(work);
    st.list = pwq.pool.worklist;
    work.data &= ~WORK_STRUCT_INACTIVE;
    pwq.nr_active++;
  }

  #activateFirstInactive(pwq: PoolWorkqueue): void {
    this.#activate(pwq.inactive_works[0]);
  }

  /** pwq_dec_nr_in_flight(): an item ended or was stolen. */
  #decNrInFlight(pwq: PoolWorkqueue, data: number): void {
    if (!(data & WORK_STRUCT_INACTIVE)) {
      pwq.nr_active--;
      if (pwq.inactive_works.length > 0 && pwq.nr_active < pwq.max_active) {
        this.#activateFirstInactive(pwq);
      }
    }
    pwq.nr_in_flight--;
    this.#publishDepth(pwq.wq);
    this.#maybeReleasePwq(pwq);
  }

  /** Timeline counter `workqueue <name>`: its work items in flight (queued or running). */
  #publishDepth(wq: workqueue_struct): void {
    const k = this.kernel;
    if (!k.trace.enabled) return;
    let n = 0;
    for (const p of wq.pwqs) n += p.nr_in_flight;
    k.traceCounter(`workqueue ${wq.name}`, n);
  }

  // ---- cancel ----

  /**
   * try_to_grab_pending() without the timer part: 1 when the work was
   * queued and is now stolen (PENDING kept, owned by the caller), 0 when it
   * was idle and PENDING is now set, -ENOENT while another task cancels it.
   */
  tryToGrabPending(work: work_struct): number {
    if (!(work.data & WORK_STRUCT_PENDING)) {
      work.data |= WORK_STRUCT_PENDING;
      return 0;
    }
    const st = this.#st(work);
    if (st.pwq) {
      const pwq = st.pwq;
      // an inactive item is activated first so nr_active stays right
      if (work.data & WORK_STRUCT_INACTIVE) this.#activate(work);
      this.#unlink(work);
      const data = work.data;
      st.finished++;
      pwq.wq.inflight.delete(st.serial);
      this.#decNrInFlight(pwq, data);
      // set_work_pool_and_keep_pending()
      this.#setOffq(work, pwq.pool.id, WORK_STRUCT_PENDING);
      this.#wakeWaiters();
      return 1;
    }
    if (work.data & WORK_OFFQ_CANCELING) return -2; // -ENOENT
    return -11; // -EAGAIN: pending elsewhere (a delayed-work timer, handled by the caller)
  }

  /** __cancel_work(): steal a pending item without waiting; true if it was pending. */
  cancel_work(work: work_struct): boolean {
    const ret = this.tryToGrabPending(work);
    if (ret < 0) return false;
    this.cancel_work_clear(work);
    return ret === 1;
  }

  /** set_work_pool_and_clear_pending(work, get_work_pool_id(work)) after a grab. */
  cancel_work_clear(work: work_struct): void {
    const st = this.#st(work);
    this.#setOffq(work, st.poolId, 0);
  }

  /**
   * __cancel_work_timer(): steal the pending instance, mark CANCELING (so
   * queueing fails meanwhile: PENDING stays set), wait for a running
   * instance, then clear the work's data. Returns whether it was pending.
   */
  cancel_work_sync(
    work: work_struct,
    grab = (w: work_struct) => this.tryToGrabPending(w),
  ): WorkWait {
    const ret = grab(work);
    if (ret === -2) {
      // another task is cancelling it: wait for that one, then cancel again (our answer is false)
      const gen = this.#cancelAfterOther(work, grab);
      return Object.assign(callToken(new GeneratorBody(gen, "cancel_work_sync")), { ret: false });
    }
    return this.#cancelGrabbed(work, ret === 1);
  }

  *#cancelAfterOther(work: work_struct, grab: (w: work_struct) => number): BodyGenerator<number> {
    yield* this.#waitFor(() => !(work.data & WORK_OFFQ_CANCELING), "cancel_work_sync");
    const again = this.cancel_work_sync(work, grab);
    yield again;
    return again.ret ? 1 : 0;
  }

  #cancelGrabbed(work: work_struct, was: boolean): WorkWait {
    const st = this.#st(work);
    // mark_work_canceling()
    this.#setOffq(work, st.poolId, WORK_STRUCT_PENDING | WORK_OFFQ_CANCELING);
    const pool = this.#lastPool(work);
    const running = pool ? this.find_worker_executing_work(pool, work) : undefined;
    const finish = () => {
      // clear_work_data(): WORK_STRUCT_NO_POOL, PENDING cleared
      work.data = WORK_STRUCT_NO_POOL;
      st.poolId = WORK_OFFQ_POOL_NONE;
      this.#wakeWaiters();
    };
    if (!running) {
      finish();
      return this.#done(was, "cancel_work_sync");
    }
    const target = st.queued;
    const gen = this.#waitThen(() => st.finished >= target, "cancel_work_sync", () => {
      finish();
      return was ? 1 : 0;
    });
    return Object.assign(callToken(new GeneratorBody(gen, "cancel_work_sync")), { ret: was });
  }

  /** Wait until `done()`, then return `after()`. */
  *#waitThen(done: () => boolean, caller: string, after: () => number): BodyGenerator<number> {
    yield* this.#waitFor(done, caller);
    return after();
  }

  // ---- flush ----

  /** A wait that is already over. */
  #done(ret: boolean, label: string): WorkWait {
    const v = ret ? 1 : 0;
    return Object.assign(callToken(new CallBody(() => v, 0, label)), { ret });
  }

  /**
   * flush_work(): wait for the last queued instance (or the running one) to
   * finish; true if it had to wait, false if the work was idle.
   */
  flush_work(work: work_struct): WorkWait {
    if (!work.func) {
      this.kernel.warn(undefined, "__flush_work", "kernel/workqueue.c"); // WARN_ON(!work->func)
      return this.#done(false, "flush_work");
    }
    const st = this.#st(work);
    const pool = this.#lastPool(work);
    if (!pool) return this.#done(false, "flush_work");
    if (!st.pwq && !this.find_worker_executing_work(pool, work)) {
      return this.#done(false, "flush_work");
    }
    const target = st.queued;
    const gen = this.#waitFor(() => st.finished >= target, "flush_work");
    const body = (function* () {
      yield* gen;
      return 1;
    })();
    return Object.assign(callToken(new GeneratorBody(body, "flush_work")), { ret: true });
  }

  /** __flush_workqueue(): wait for every item queued before the call. */
  flush_workqueue(wqr: wq_ref): WorkWait {
    const wq = this.resolve(wqr);
    const snap = this.#nextSerial;
    const done = () => {
      for (const s of wq.inflight) if (s <= snap) return false;
      return true;
    };
    if (done()) return this.#done(true, "flush_workqueue");
    const gen = this.#waitFor(done, "flush_workqueue");
    const body = (function* () {
      yield* gen;
      return 1;
    })();
    return Object.assign(callToken(new GeneratorBody(body, "flush_workqueue")), { ret: true });
  }

  #drained(wq: workqueue_struct): boolean {
    return wq.pwqs.every((p) => p.nr_active === 0 && p.inactive_works.length === 0);
  }

  /**
   * drain_workqueue(): refuse new (non-chained) work and flush until no
   * pwq has active or inactive items, warning at 10 tries and every 100 up
   * to 1000.
   */
  *drain(wq: workqueue_struct): BodyGenerator<number> {
    if (wq.nr_drainers++ === 0) wq.flags |= __WQ_DRAINING;
    let flushCnt = 0;
    for (;;) {
      yield this.flush_workqueue(wq);
      if (this.#drained(wq)) break;
      if (++flushCnt === 10 || (flushCnt % 100 === 0 && flushCnt <= 1000)) {
        this.kernel.printk(
          4,
          `workqueue ${wq.name}: drain_workqueue() isn't complete after ${flushCnt} tries`,
        );
      }
    }
    if (--wq.nr_drainers === 0) wq.flags &= ~__WQ_DRAINING;
    return 0;
  }

  /** drain_workqueue(wq) as a wait token. */
  drain_workqueue(wqr: wq_ref): WorkWait {
    const wq = this.resolve(wqr);
    return Object.assign(
      callToken(new GeneratorBody(this.drain(wq), "drain_workqueue")),
      { ret: true },
    );
  }

  /** destroy_workqueue(): unregister sysfs, drain, stop the rescuer, check, free (or leak). */
  destroy_workqueue(wqr: wq_ref): WorkWait {
    const wq = this.resolve(wqr);
    return Object.assign(
      callToken(new GeneratorBody(this.#destroy(wq), "destroy_workqueue")),
      { ret: true },
    );
  }

  *#destroy(wq: workqueue_struct): BodyGenerator<number> {
    yield* this.drain(wq);
    const busy = wq.pwqs.find((p) => p.nr_in_flight > 0 || p.nr_active > 0);
    if (busy) {
      this.kernel.warn(undefined, "destroy_workqueue", "kernel/workqueue.c");
      this.kernel.printk(
        4,
        `destroy_workqueue: ${wq.name} has the following busy pwq\n  pwq ${busy.pool.id}:` +
          ` cpus=${busy.pool.attrs.cpumask.join(",")} active=${busy.nr_active}/${busy.max_active}`,
      );
      wq.leaked = true;
      return 0;
    }
    this.#destroyNow(wq);
    const i = this.workqueues.indexOf(wq);
    if (i >= 0) this.workqueues.splice(i, 1);
    return 0;
  }

  /** Sleep (TASK_UNINTERRUPTIBLE) until `done()`; in atomic context the sleep is the kernel's BUG. */
  *#waitFor(done: () => boolean, caller: string): BodyGenerator<void> {
    const k = this.kernel;
    while (!done()) {
      const cpu = k.thisCpu();
      const tok = sleepToken(Infinity, "D", caller);
      if (cpu.inAtomic() || cpu.irqsDisabled || cpu.irqDepth > 0) {
        yield tok; // reported as scheduling while atomic; cannot wait here
        return;
      }
      this.#waiters.push({ task: cpu.current, done });
      yield tok;
    }
  }

  #wakeWaiters(): void {
    if (this.#waiters.length === 0) return;
    const keep: Waiter[] = [];
    const wake: Task[] = [];
    for (const w of this.#waiters) {
      if (w.done()) wake.push(w.task);
      else keep.push(w);
    }
    this.#waiters = keep;
    for (const t of wake) this.kernel.sched.wakeUp(t);
  }

  /** current_work(): the work item the current worker executes, or null. */
  current_work(cpu: Cpu = this.kernel.thisCpu()): work_struct | null {
    const w = taskWorker(cpu.current);
    return w?.current_work ?? null;
  }

  /**
   * work_busy(work): WORK_BUSY_PENDING (1) if it is pending, | WORK_BUSY_RUNNING
   * (2) if it runs in its last pool. Advisory, as in the kernel.
   */
  work_busy(work: work_struct): number {
    let ret = work.data & WORK_STRUCT_PENDING ? 1 : 0;
    const pool = this.#lastPool(work);
    if (pool && this.find_worker_executing_work(pool, work)) ret |= 2;
    return ret;
  }

  /**
   * wq_worker_comm(): the name ps shows: the comm plus `+desc` while the
   * worker runs a work item, `-desc` when it ran one before.
   */
  wq_worker_comm(t: Task): string {
    const w = taskWorker(t);
    if (!w || !w.desc) return t.comm;
    return `${t.comm}${w.current_work ? "+" : "-"}${w.desc}`;
  }

  // ---- sysfs (kernel/workqueue.c wq_sysfs_*) ----

  /** Read a file under /sys/devices/virtual/workqueue/. */
  sysfsRead(rest: string): string | undefined {
    if (rest === "cpumask") return formatCpumask(this.unboundCpumask, this.nrCpus) + "\n";
    const [name, file, more] = rest.split("/");
    if (more !== undefined) return undefined;
    const wq = this.#sysfsWq(name);
    if (!wq) return undefined;
    if (file === "per_cpu") return `${wq.flags & WQ_UNBOUND ? 0 : 1}\n`;
    if (file === "max_active") return `${wq.saved_max_active}\n`;
    const a = wq.unboundAttrs;
    if (!a) return undefined;
    switch (file) {
      case "pool_ids":
        return `0:${wq.dflPwq!.pool.id}\n`;
      case "nice":
        return `${a.nice}\n`;
      case "cpumask":
        return formatCpumask(a.cpumask, this.nrCpus) + "\n";
      case "numa":
        return `${a.no_numa ? 0 : 1}\n`;
    }
    return undefined;
  }

  #sysfsWq(name: string): workqueue_struct | undefined {
    return this.workqueues.find((w) => w.name === name && w.flags & WQ_SYSFS && !w.destroyed);
  }

  /** Write a file under /sys/devices/virtual/workqueue/: bytes accepted or -errno. */
  sysfsWrite(rest: string, data: string): number | undefined {
    if (rest === "cpumask") {
      // wq_unbound_cpumask_store()
      const m = cpumask_parse(data, this.nrCpus);
      if (typeof m === "number") return m;
      const r = this.workqueue_set_unbound_cpumask(m);
      return r < 0 ? r : data.length;
    }
    const [name, file] = rest.split("/");
    const wq = this.#sysfsWq(name);
    if (!wq) return undefined;
    const int = /^\s*([+-]?\d+)/.exec(data); // sscanf(buf, "%d", ...)
    if (file === "max_active") {
      const v = int ? Number(int[1]) : NaN;
      if (!(v > 0)) return -EINVAL;
      this.workqueue_set_max_active(wq, v);
      return data.length;
    }
    const a = wq.unboundAttrs;
    if (!a) return undefined;
    const next: WorkqueueAttrs = { ...a, cpumask: [...a.cpumask] };
    switch (file) {
      case "nice": {
        const v = int ? Number(int[1]) : NaN;
        if (!(v >= -20 && v <= 19)) return -EINVAL;
        next.nice = v;
        break;
      }
      case "cpumask": {
        const m = cpumask_parse(data, this.nrCpus);
        if (typeof m === "number") return m;
        next.cpumask = m;
        break;
      }
      case "numa": {
        if (!int) return -EINVAL;
        next.no_numa = Number(int[1]) === 0;
        break;
      }
      default:
        return undefined;
    }
    const r = this.apply_workqueue_attrs(wq, next);
    return r < 0 ? r : data.length;
  }

  /**
   * workqueue_set_unbound_cpumask(): the CPUs unbound work may use. -EINVAL
   * for an empty mask; every unbound workqueue that is not ordered gets a
   * pool for its own cpumask within the new one (ordered ones keep theirs:
   * a second pwq would break the ordering).
   */
  workqueue_set_unbound_cpumask(mask: number[]): number {
    const m = mask.filter((c) => c < this.nrCpus);
    if (m.length === 0) return -EINVAL;
    if (m.join() === this.unboundCpumask.join()) return 0;
    this.unboundCpumask = m;
    for (const wq of this.workqueues) {
      if (!(wq.flags & WQ_UNBOUND) || wq.flags & __WQ_ORDERED || wq.destroyed) continue;
      this.#applyAttrs(wq, wq.unboundAttrs!);
    }
    return 0;
  }

  /** apply_workqueue_attrs_locked(): 0 or -EINVAL. */
  apply_workqueue_attrs(wq: workqueue_struct, attrs: WorkqueueAttrs): number {
    if (!(wq.flags & WQ_UNBOUND)) {
      this.kernel.warn(undefined, "apply_workqueue_attrs_locked", "kernel/workqueue.c");
      return -EINVAL;
    }
    if (wq.flags & __WQ_ORDERED_EXPLICIT) {
      this.kernel.warn(undefined, "apply_workqueue_attrs_locked", "kernel/workqueue.c");
      return -EINVAL;
    }
    wq.flags &= ~__WQ_ORDERED; // creating multiple pwqs breaks ordering
    wq.unboundAttrs = { ...attrs, cpumask: [...attrs.cpumask] };
    this.#applyAttrs(wq, attrs);
    return 0;
  }
}

/**
 * cpumask_parse() = bitmap_parse(buf, UINT_MAX, mask, nr_cpu_ids)
 * (lib/bitmap.c): the text up to the first newline, hex chunks of 32 bits
 * separated by commas or spaces, parsed from the end. A non-hex character is
 * -EINVAL; a chunk of more than 8 digits, more chunks than the mask has
 * words, or a bit at or above `nbits` is -EOVERFLOW. No chunk at all gives
 * an empty mask.
 */
export function cpumask_parse(text: string, nbits: number): number[] | number {
  const nl = text.indexOf("\n");
  const line = nl >= 0 ? text.slice(0, nl) : text;
  const chunks = line.split(/[\s,]+/).filter((c) => c !== "");
  let words = Math.ceil(nbits / 32);
  const cpus: number[] = [];
  for (let n = 0; n < chunks.length; n++) {
    const c = chunks[chunks.length - 1 - n];
    if (words-- === 0) return -EOVERFLOW;
    const low = c.slice(-8);
    if (!/^[0-9a-fA-F]+$/.test(low)) return -EINVAL;
    if (c.length > 8) return /[0-9a-fA-F]/.test(c[c.length - 9]) ? -EOVERFLOW : -EINVAL;
    const v = parseInt(low, 16);
    for (let b = 0; b < 32; b++) if (v & (1 << b)) cpus.push(n * 32 + b);
  }
  if (cpus.some((c) => c >= nbits)) return -EOVERFLOW;
  return cpus.sort((a, b) => a - b);
}
