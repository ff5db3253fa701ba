/**
 * genirq constants with the kernel's names and values
 * (include/linux/interrupt.h, include/linux/irq.h, include/linux/irqreturn.h,
 * kernel/irq/internals.h, include/uapi/asm-generic/errno*.h).
 *
 * @module
 */

// ---- irqreturn_t (include/linux/irqreturn.h) ----
/** Interrupt was not from this device or was not handled. */
export const IRQ_NONE = 0;
/** Interrupt was handled by this device. */
export const IRQ_HANDLED = 1;
/** Handler requests to wake the handler thread. */
export const IRQ_WAKE_THREAD = 2;
/** irqreturn_t: IRQ_NONE | IRQ_HANDLED | IRQ_WAKE_THREAD (a number, as in C). */
export type irqreturn_t = number;
/** IRQ_RETVAL(x): IRQ_HANDLED if x is non-zero, else IRQ_NONE. */
export function IRQ_RETVAL(x: unknown): irqreturn_t {
  return x ? IRQ_HANDLED : IRQ_NONE;
}

// ---- IRQF_* (include/linux/interrupt.h) ----
export const IRQF_TRIGGER_NONE = 0x00000000;
export const IRQF_TRIGGER_RISING = 0x00000001;
export const IRQF_TRIGGER_FALLING = 0x00000002;
export const IRQF_TRIGGER_HIGH = 0x00000004;
export const IRQF_TRIGGER_LOW = 0x00000008;
export const IRQF_TRIGGER_MASK = IRQF_TRIGGER_HIGH | IRQF_TRIGGER_LOW | IRQF_TRIGGER_RISING |
  IRQF_TRIGGER_FALLING;
export const IRQF_TRIGGER_PROBE = 0x00000010;
export const IRQF_SHARED = 0x00000080;
export const IRQF_PROBE_SHARED = 0x00000100;
export const __IRQF_TIMER = 0x00000200;
export const IRQF_PERCPU = 0x00000400;
export const IRQF_NOBALANCING = 0x00000800;
export const IRQF_IRQPOLL = 0x00001000;
export const IRQF_ONESHOT = 0x00002000;
export const IRQF_NO_SUSPEND = 0x00004000;
export const IRQF_FORCE_RESUME = 0x00008000;
export const IRQF_NO_THREAD = 0x00010000;
export const IRQF_EARLY_RESUME = 0x00020000;
export const IRQF_COND_SUSPEND = 0x00040000;
export const IRQF_NO_AUTOEN = 0x00080000;
export const IRQF_NO_DEBUG = 0x00100000;
export const IRQF_TIMER = __IRQF_TIMER | IRQF_NO_SUSPEND | IRQF_NO_THREAD;

// ---- IRQ_TYPE_* (include/linux/irq.h) ----
export const IRQ_TYPE_NONE = 0x00000000;
export const IRQ_TYPE_EDGE_RISING = 0x00000001;
export const IRQ_TYPE_EDGE_FALLING = 0x00000002;
export const IRQ_TYPE_EDGE_BOTH = IRQ_TYPE_EDGE_FALLING | IRQ_TYPE_EDGE_RISING;
export const IRQ_TYPE_LEVEL_HIGH = 0x00000004;
export const IRQ_TYPE_LEVEL_LOW = 0x00000008;
export const IRQ_TYPE_LEVEL_MASK = IRQ_TYPE_LEVEL_LOW | IRQ_TYPE_LEVEL_HIGH;
export const IRQ_TYPE_SENSE_MASK = 0x0000000f;
export const IRQ_TYPE_DEFAULT = IRQ_TYPE_SENSE_MASK;
export const IRQ_TYPE_PROBE = 0x00000010;

// ---- per-desc settings IRQ_* (include/linux/irq.h, from bit 8) ----
export const IRQ_LEVEL = 1 << 8;
export const IRQ_PER_CPU = 1 << 9;
export const IRQ_NOPROBE = 1 << 10;
export const IRQ_NOREQUEST = 1 << 11;
export const IRQ_NOAUTOEN = 1 << 12;
export const IRQ_NO_BALANCING = 1 << 13;
export const IRQ_MOVE_PCNTXT = 1 << 14;
export const IRQ_NESTED_THREAD = 1 << 15;
export const IRQ_NOTHREAD = 1 << 16;
export const IRQ_PER_CPU_DEVID = 1 << 17;
export const IRQ_IS_POLLED = 1 << 18;
export const IRQ_DISABLE_UNLAZY = 1 << 19;
export const IRQ_HIDDEN = 1 << 20;
export const IRQ_NO_DEBUG = 1 << 21;
/** Settings irq_modify_status() may change (include/linux/irq.h); not IRQ_NO_DEBUG. */
export const IRQF_MODIFY_MASK = IRQ_TYPE_SENSE_MASK | IRQ_NOPROBE | IRQ_NOREQUEST | IRQ_NOAUTOEN |
  IRQ_MOVE_PCNTXT | IRQ_LEVEL | IRQ_NO_BALANCING | IRQ_PER_CPU | IRQ_NESTED_THREAD |
  IRQ_NOTHREAD | IRQ_PER_CPU_DEVID | IRQ_IS_POLLED | IRQ_DISABLE_UNLAZY | IRQ_HIDDEN;

// ---- IRQD_* (include/linux/irq.h) ----
export const IRQD_TRIGGER_MASK = 0xf;
export const IRQD_SETAFFINITY_PENDING = 1 << 8;
export const IRQD_ACTIVATED = 1 << 9;
export const IRQD_NO_BALANCING = 1 << 10;
export const IRQD_PER_CPU = 1 << 11;
export const IRQD_AFFINITY_SET = 1 << 12;
export const IRQD_LEVEL = 1 << 13;
export const IRQD_WAKEUP_STATE = 1 << 14;
export const IRQD_MOVE_PCNTXT = 1 << 15;
export const IRQD_IRQ_DISABLED = 1 << 16;
export const IRQD_IRQ_MASKED = 1 << 17;
export const IRQD_IRQ_INPROGRESS = 1 << 18;
export const IRQD_WAKEUP_ARMED = 1 << 19;
export const IRQD_FORWARDED_TO_VCPU = 1 << 20;
export const IRQD_AFFINITY_MANAGED = 1 << 21;
export const IRQD_IRQ_STARTED = 1 << 22;
export const IRQD_MANAGED_SHUTDOWN = 1 << 23;
export const IRQD_SINGLE_TARGET = 1 << 24;
/**
 * The trigger type was recorded by irqd_set_trigger_type() (irq domain
 * mapping with a type, or the first sharer of a line nobody configured).
 * __irq_set_trigger() does not set it (include/linux/irq.h).
 */
export const IRQD_DEFAULT_TRIGGER_SET = 1 << 25;
export const IRQD_CAN_RESERVE = 1 << 26;
export const IRQD_HANDLE_ENFORCE_IRQCTX = 1 << 28;
export const IRQD_AFFINITY_ON_ACTIVATE = 1 << 29;

// ---- IRQS_* (desc->istate, kernel/irq/internals.h) ----
export const IRQS_AUTODETECT = 0x00000001;
export const IRQS_SPURIOUS_DISABLED = 0x00000002;
export const IRQS_POLL_INPROGRESS = 0x00000008;
export const IRQS_ONESHOT = 0x00000020;
export const IRQS_REPLAY = 0x00000040;
export const IRQS_WAITING = 0x00000080;
export const IRQS_PENDING = 0x00000200;
export const IRQS_SUSPENDED = 0x00000800;
export const IRQS_TIMINGS = 0x00001000;
export const IRQS_NMI = 0x00002000;
export const IRQS_SYSFS = 0x00004000;

// ---- IRQTF_* (action->thread_flags bits, kernel/irq/internals.h) ----
export const IRQTF_RUNTHREAD = 1 << 0;
export const IRQTF_WARNED = 1 << 1;
export const IRQTF_AFFINITY = 1 << 2;
export const IRQTF_FORCED_THREAD = 1 << 3;
export const IRQTF_READY = 1 << 4;

// ---- IRQCHIP_* flags (include/linux/irq.h) ----
export const IRQCHIP_SET_TYPE_MASKED = 1 << 0;
export const IRQCHIP_EOI_IF_HANDLED = 1 << 1;
export const IRQCHIP_MASK_ON_SUSPEND = 1 << 2;
export const IRQCHIP_ONOFFLINE_ENABLED = 1 << 3;
export const IRQCHIP_SKIP_SET_WAKE = 1 << 4;
export const IRQCHIP_ONESHOT_SAFE = 1 << 5;
export const IRQCHIP_EOI_THREADED = 1 << 6;
export const IRQCHIP_SUPPORTS_LEVEL_MSI = 1 << 7;
export const IRQCHIP_SUPPORTS_NMI = 1 << 8;
export const IRQCHIP_ENABLE_WAKEUP_ON_SUSPEND = 1 << 9;
export const IRQCHIP_AFFINITY_PRE_STARTUP = 1 << 10;
export const IRQCHIP_IMMUTABLE = 1 << 11;

// ---- enum irq_set_mask (include/linux/irq.h): irq_set_type/irq_set_affinity results ----
/** Success; the core copies the new setting into irq_data. */
export const IRQ_SET_MASK_OK = 0;
/** Success; the chip already updated irq_data itself. */
export const IRQ_SET_MASK_OK_NOCOPY = 1;
/** Success; stacked chips need not be called. */
export const IRQ_SET_MASK_OK_DONE = 2;

/** IRQ_NOTCONNECTED (include/linux/interrupt.h): a request for it fails with -ENOTCONN. */
export const IRQ_NOTCONNECTED = 0x80000000;

// ---- errno values (include/uapi/asm-generic/errno-base.h, errno.h, linux/errno.h) ----
export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const ENODEV = 19;
/** No such device or address (platform_get_irq() without the resource). */
export const ENXIO = 6;
export const EBUSY = 16;
export const EINVAL = 22;
export const ENOSYS = 38;
export const ENOMEM = 12;
export const ENOTCONN = 107;
/** Kernel-internal errno (include/linux/errno.h). */
export const ENOTSUPP = 524;
