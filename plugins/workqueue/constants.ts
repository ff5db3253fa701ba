/**
 * Workqueue constants as Linux 6.1 defines them (include/linux/workqueue.h,
 * kernel/workqueue.c).
 *
 * @module
 */

// ---- enum { WQ_* } (include/linux/workqueue.h) ----
/** Not bound to any CPU: served by unbound pools keyed by (nice, cpumask). */
export const WQ_UNBOUND = 1 << 1;
/** Frozen during suspend (accepted; no freezer is modelled). */
export const WQ_FREEZABLE = 1 << 2;
/** May be used in memory reclaim: the workqueue gets a rescuer thread. */
export const WQ_MEM_RECLAIM = 1 << 3;
/** Served by the nice -20 pools (`kworker/N:xH`). */
export const WQ_HIGHPRI = 1 << 4;
/** Work items do not take part in concurrency management. */
export const WQ_CPU_INTENSIVE = 1 << 5;
/** Visible under /sys/devices/virtual/workqueue/. */
export const WQ_SYSFS = 1 << 6;
/** Unbound when `workqueue.power_efficient` is set, else per-CPU. */
export const WQ_POWER_EFFICIENT = 1 << 7;
/** Internal: drain_workqueue() in progress. */
export const __WQ_DRAINING = 1 << 16;
/** Internal: ordered (at most one work item at a time, in queueing order). */
export const __WQ_ORDERED = 1 << 17;
/** Internal: created by create_workqueue() and friends. */
export const __WQ_LEGACY = 1 << 18;
/** Internal: ordered by alloc_ordered_workqueue() (not implicitly). */
export const __WQ_ORDERED_EXPLICIT = 1 << 19;

/** "I like 512, better ideas?" (include/linux/workqueue.h). */
export const WQ_MAX_ACTIVE = 512;
/** 4 × #cpus for unbound workqueues. */
export const WQ_MAX_UNBOUND_PER_CPU = 4;
/** max_active 0 means this. */
export const WQ_DFL_ACTIVE = WQ_MAX_ACTIVE / 2;
/** WQ_NAME_LEN (kernel/workqueue.c): names keep 23 characters. */
export const WQ_NAME_LEN = 24;

/** WQ_UNBOUND_MAX_ACTIVE = max(WQ_MAX_ACTIVE, num_possible_cpus() * WQ_MAX_UNBOUND_PER_CPU). */
export function WQ_UNBOUND_MAX_ACTIVE_FOR(nrCpus: number): number {
  return Math.max(WQ_MAX_ACTIVE, nrCpus * WQ_MAX_UNBOUND_PER_CPU);
}

// ---- work->data bits (include/linux/workqueue.h, 6.1) ----
/** A work item is pending execution (queued, or its delayed-work timer armed). */
export const WORK_STRUCT_PENDING_BIT = 0;
/** On pwq->inactive_works (max_active reached). */
export const WORK_STRUCT_INACTIVE_BIT = 1;
/** data points to a pool_workqueue. */
export const WORK_STRUCT_PWQ_BIT = 2;
/** The next work is linked to this one (flush barriers). */
export const WORK_STRUCT_LINKED_BIT = 3;
/** Flush color (4 bits) starts here (without CONFIG_DEBUG_OBJECTS_WORK). */
export const WORK_STRUCT_COLOR_SHIFT = 4;
/** Bits of the flush color in work->data. */
export const WORK_STRUCT_COLOR_BITS = 4;
/** work->data: the work is pending (queued or on a timer). */
export const WORK_STRUCT_PENDING = 1 << WORK_STRUCT_PENDING_BIT;
/** work->data: queued but inactive (past max_active). */
export const WORK_STRUCT_INACTIVE = 1 << WORK_STRUCT_INACTIVE_BIT;
/** work->data: the data points to a pool_workqueue. */
export const WORK_STRUCT_PWQ = 1 << WORK_STRUCT_PWQ_BIT;
/** work->data: linked to the next work (barriers). */
export const WORK_STRUCT_LINKED = 1 << WORK_STRUCT_LINKED_BIT;
/** WORK_STRUCT_FLAG_BITS = COLOR_SHIFT + COLOR_BITS. */
export const WORK_STRUCT_FLAG_BITS: number = WORK_STRUCT_COLOR_SHIFT + WORK_STRUCT_COLOR_BITS;
/** Off-queue: bit 4 is CANCELING, the pool id sits above WORK_OFFQ_POOL_SHIFT. */
export const WORK_OFFQ_FLAG_BASE: number = WORK_STRUCT_COLOR_SHIFT;
/** work->data off queue: a cancel is in progress. */
export const WORK_OFFQ_CANCELING = 1 << WORK_OFFQ_FLAG_BASE;
/** work->data off queue: shift of the last pool id. */
export const WORK_OFFQ_POOL_SHIFT: number = WORK_OFFQ_FLAG_BASE + 1;
/** WORK_OFFQ_POOL_NONE: no pool recorded (31 bits of ones on 64-bit; here 2^26 - 1). */
export const WORK_OFFQ_POOL_NONE = (1 << 26) - 1;
/** WORK_STRUCT_NO_POOL: the data of an initialised, never-queued work item. */
export const WORK_STRUCT_NO_POOL = WORK_OFFQ_POOL_NONE * (1 << WORK_OFFQ_POOL_SHIFT);

// ---- kernel/workqueue.c ----
/** Per-CPU pools: [0] nice 0, [1] highpri. */
export const NR_STD_WORKER_POOLS = 2;
/** HIGHPRI_NICE_LEVEL = MIN_NICE. */
export const HIGHPRI_NICE_LEVEL: number = -20;
/** RESCUER_NICE_LEVEL = MIN_NICE. */
export const RESCUER_NICE_LEVEL: number = -20;
/** Keep at least 2 idle workers... */
export const MAX_IDLE_WORKERS_RATIO = 4;
/** ...and reap the others after IDLE_WORKER_TIMEOUT = 300 * HZ. */
export const IDLE_WORKER_TIMEOUT_S = 300;

// worker flags (kernel/workqueue.c)
/** Worker flag: the worker should exit. */
export const WORKER_DIE = 1 << 1;
/** Worker flag: idle. */
export const WORKER_IDLE = 1 << 2;
/** Worker flag: preparing to run works (not counted as running). */
export const WORKER_PREP = 1 << 3;
/** Worker flag: runs a CPU-intensive work (not counted). */
export const WORKER_CPU_INTENSIVE = 1 << 6;
/** Worker flag: in an unbound pool. */
export const WORKER_UNBOUND = 1 << 7;
/** Worker flag: rebound to its CPU. */
export const WORKER_REBOUND = 1 << 8;
/** Workers with one of these do not count in pool->nr_running. */
export const WORKER_NOT_RUNNING = WORKER_PREP | WORKER_CPU_INTENSIVE | WORKER_UNBOUND |
  WORKER_REBOUND;

/** NR_CPUS of the modelled kernel (x86_64_defconfig: CONFIG_NR_CPUS=64). */
export const NR_CPUS = 64;
/** WORK_CPU_UNBOUND = NR_CPUS: "any CPU" for queue_work_on(); traces print it as req_cpu. */
export const WORK_CPU_UNBOUND: number = NR_CPUS;
