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
/** No trigger type requested: keep the line's current type. */
export const IRQF_TRIGGER_NONE = 0x00000000;
/** Request a rising-edge trigger. */
export const IRQF_TRIGGER_RISING = 0x00000001;
/** Request a falling-edge trigger. */
export const IRQF_TRIGGER_FALLING = 0x00000002;
/** Request a level-high trigger. */
export const IRQF_TRIGGER_HIGH = 0x00000004;
/** Request a level-low trigger. */
export const IRQF_TRIGGER_LOW = 0x00000008;
/** All IRQF_TRIGGER_* type bits. */
export const IRQF_TRIGGER_MASK = IRQF_TRIGGER_HIGH | IRQF_TRIGGER_LOW | IRQF_TRIGGER_RISING |
  IRQF_TRIGGER_FALLING;
/** Probe the trigger type (autodetection). */
export const IRQF_TRIGGER_PROBE = 0x00000010;
/** Allow sharing the line among several devices. */
export const IRQF_SHARED = 0x00000080;
/** The caller expects sharing mismatches to occur (no warning). */
export const IRQF_PROBE_SHARED = 0x00000100;
/** Marks a timer interrupt (part of IRQF_TIMER). */
export const __IRQF_TIMER = 0x00000200;
/** The interrupt is per CPU. */
export const IRQF_PERCPU = 0x00000400;
/** Exclude the interrupt from IRQ balancing. */
export const IRQF_NOBALANCING = 0x00000800;
/** The interrupt is used for polling (irqpoll); only the first registration counts. */
export const IRQF_IRQPOLL = 0x00001000;
/** Keep the line masked until the threaded handler has run. */
export const IRQF_ONESHOT = 0x00002000;
/** Do not disable the interrupt during suspend. */
export const IRQF_NO_SUSPEND = 0x00004000;
/** Force-enable the interrupt on resume even with IRQF_NO_SUSPEND. */
export const IRQF_FORCE_RESUME = 0x00008000;
/** The interrupt cannot be threaded (not even by `threadirqs`). */
export const IRQF_NO_THREAD = 0x00010000;
/** Resume the interrupt early, in syscore instead of device resume. */
export const IRQF_EARLY_RESUME = 0x00020000;
/** Shared with a NO_SUSPEND user: the handler must cope with wakeup. */
export const IRQF_COND_SUSPEND = 0x00040000;
/** Do not enable the interrupt at request_irq(); the driver enables it. */
export const IRQF_NO_AUTOEN = 0x00080000;
/** Exclude from spurious-interrupt detection (runaway detection). */
export const IRQF_NO_DEBUG = 0x00100000;
/** Flags for timer interrupts: __IRQF_TIMER | IRQF_NO_SUSPEND | IRQF_NO_THREAD. */
export const IRQF_TIMER = __IRQF_TIMER | IRQF_NO_SUSPEND | IRQF_NO_THREAD;

// ---- IRQ_TYPE_* (include/linux/irq.h) ----
/** Default, unspecified type. */
export const IRQ_TYPE_NONE = 0x00000000;
/** Rising-edge triggered. */
export const IRQ_TYPE_EDGE_RISING = 0x00000001;
/** Falling-edge triggered. */
export const IRQ_TYPE_EDGE_FALLING = 0x00000002;
/** Both edges. */
export const IRQ_TYPE_EDGE_BOTH = IRQ_TYPE_EDGE_FALLING | IRQ_TYPE_EDGE_RISING;
/** Level-high triggered. */
export const IRQ_TYPE_LEVEL_HIGH = 0x00000004;
/** Level-low triggered. */
export const IRQ_TYPE_LEVEL_LOW = 0x00000008;
/** Both level types. */
export const IRQ_TYPE_LEVEL_MASK = IRQ_TYPE_LEVEL_LOW | IRQ_TYPE_LEVEL_HIGH;
/** All trigger sense bits. */
export const IRQ_TYPE_SENSE_MASK = 0x0000000f;
/** Use the default type (the sense mask). */
export const IRQ_TYPE_DEFAULT: number = IRQ_TYPE_SENSE_MASK;
/** Probing in progress. */
export const IRQ_TYPE_PROBE = 0x00000010;

// ---- per-desc settings IRQ_* (include/linux/irq.h, from bit 8) ----
/** Setting: the interrupt is level triggered. */
export const IRQ_LEVEL = 1 << 8;
/** Setting: the interrupt is per CPU. */
export const IRQ_PER_CPU = 1 << 9;
/** Setting: exclude from autoprobing. */
export const IRQ_NOPROBE = 1 << 10;
/** Setting: request_irq() refuses it (-EINVAL). */
export const IRQ_NOREQUEST = 1 << 11;
/** Setting: request_irq() does not enable it. */
export const IRQ_NOAUTOEN = 1 << 12;
/** Setting: exclude from IRQ balancing. */
export const IRQ_NO_BALANCING = 1 << 13;
/** Setting: affinity can be changed from process context. */
export const IRQ_MOVE_PCNTXT = 1 << 14;
/** Setting: the handler runs nested in a parent's thread. */
export const IRQ_NESTED_THREAD = 1 << 15;
/** Setting: the interrupt cannot be threaded. */
export const IRQ_NOTHREAD = 1 << 16;
/** Setting: per-CPU dev_id (request_percpu_irq). */
export const IRQ_PER_CPU_DEVID = 1 << 17;
/** Setting: polled by another interrupt (no spurious detection). */
export const IRQ_IS_POLLED = 1 << 18;
/** Setting: disable_irq() masks at once instead of lazily. */
export const IRQ_DISABLE_UNLAZY = 1 << 19;
/** Setting: hidden from /proc/interrupts. */
export const IRQ_HIDDEN = 1 << 20;
/** Setting: excluded from spurious detection. */
export const IRQ_NO_DEBUG = 1 << 21;
/** Settings irq_modify_status() may change (include/linux/irq.h); not IRQ_NO_DEBUG. */
export const IRQF_MODIFY_MASK = IRQ_TYPE_SENSE_MASK | IRQ_NOPROBE | IRQ_NOREQUEST | IRQ_NOAUTOEN |
  IRQ_MOVE_PCNTXT | IRQ_LEVEL | IRQ_NO_BALANCING | IRQ_PER_CPU | IRQ_NESTED_THREAD |
  IRQ_NOTHREAD | IRQ_PER_CPU_DEVID | IRQ_IS_POLLED | IRQ_DISABLE_UNLAZY | IRQ_HIDDEN;

// ---- IRQD_* (include/linux/irq.h) ----
/** The trigger type bits of irq_data state. */
export const IRQD_TRIGGER_MASK = 0xf;
/** An affinity change is pending. */
export const IRQD_SETAFFINITY_PENDING = 1 << 8;
/** The interrupt is activated in its domain. */
export const IRQD_ACTIVATED = 1 << 9;
/** Excluded from balancing (mirrors IRQ_NO_BALANCING). */
export const IRQD_NO_BALANCING = 1 << 10;
/** Per CPU (mirrors IRQ_PER_CPU). */
export const IRQD_PER_CPU = 1 << 11;
/** Affinity was set explicitly. */
export const IRQD_AFFINITY_SET = 1 << 12;
/** Level triggered (mirrors IRQ_LEVEL). */
export const IRQD_LEVEL = 1 << 13;
/** Configured as a wakeup source. */
export const IRQD_WAKEUP_STATE = 1 << 14;
/** Affinity can be set from process context. */
export const IRQD_MOVE_PCNTXT = 1 << 15;
/** Disabled (disable_irq depth > 0 or not started). */
export const IRQD_IRQ_DISABLED = 1 << 16;
/** Masked at the chip. */
export const IRQD_IRQ_MASKED = 1 << 17;
/** A handler is running. */
export const IRQD_IRQ_INPROGRESS = 1 << 18;
/** Armed as a wakeup source while suspended. */
export const IRQD_WAKEUP_ARMED = 1 << 19;
/** Forwarded to a virtual CPU. */
export const IRQD_FORWARDED_TO_VCPU = 1 << 20;
/** Affinity managed by the kernel (not writable from /proc). */
export const IRQD_AFFINITY_MANAGED = 1 << 21;
/** Started up (irq_startup ran). */
export const IRQD_IRQ_STARTED = 1 << 22;
/** Shut down because its managed affinity went offline. */
export const IRQD_MANAGED_SHUTDOWN = 1 << 23;
/** Can target a single CPU only. */
export const IRQD_SINGLE_TARGET = 1 << 24;
/**
 * The trigger type was recorded by irqd_set_trigger_type() (irq domain
 * mapping with a type, or the first sharer of a line nobody configured).
 * __irq_set_trigger() does not set it (include/linux/irq.h).
 */
export const IRQD_DEFAULT_TRIGGER_SET = 1 << 25;
/** Can use vector reservation. */
export const IRQD_CAN_RESERVE = 1 << 26;
/** generic_handle_irq() must be called from interrupt context. */
export const IRQD_HANDLE_ENFORCE_IRQCTX = 1 << 28;
/** Affinity is applied on activation. */
export const IRQD_AFFINITY_ON_ACTIVATE = 1 << 29;

// ---- IRQS_* (desc->istate, kernel/irq/internals.h) ----
/** Autodetection in progress. */
export const IRQS_AUTODETECT = 0x00000001;
/** Disabled as spurious ("nobody cared"). */
export const IRQS_SPURIOUS_DISABLED = 0x00000002;
/** Being polled by irqpoll. */
export const IRQS_POLL_INPROGRESS = 0x00000008;
/** Oneshot: masked until the threads have run. */
export const IRQS_ONESHOT = 0x00000020;
/** A replay (resend) is in progress. */
export const IRQS_REPLAY = 0x00000040;
/** Autoprobe waiting for an interrupt. */
export const IRQS_WAITING = 0x00000080;
/** An interrupt arrived while disabled or in progress: resend it. */
export const IRQS_PENDING = 0x00000200;
/** Suspended. */
export const IRQS_SUSPENDED = 0x00000800;
/** Interrupt timings are recorded. */
export const IRQS_TIMINGS = 0x00001000;
/** Used as an NMI. */
export const IRQS_NMI = 0x00002000;
/** Has sysfs entries. */
export const IRQS_SYSFS = 0x00004000;

// ---- IRQTF_* (action->thread_flags bits, kernel/irq/internals.h) ----
/** The thread has work to do. */
export const IRQTF_RUNTHREAD = 1 << 0;
/** The thread warned about a missing thread_fn. */
export const IRQTF_WARNED = 1 << 1;
/** The thread must update its affinity. */
export const IRQTF_AFFINITY = 1 << 2;
/** The action was threaded by `threadirqs`. */
export const IRQTF_FORCED_THREAD = 1 << 3;
/** The thread is ready (6.1 wait for the thread to start). */
export const IRQTF_READY = 1 << 4;

// ---- IRQCHIP_* flags (include/linux/irq.h) ----
/** Mask the line before calling irq_set_type. */
export const IRQCHIP_SET_TYPE_MASKED = 1 << 0;
/** Send EOI only when the interrupt was handled. */
export const IRQCHIP_EOI_IF_HANDLED = 1 << 1;
/** Mask non-wakeup interrupts on suspend. */
export const IRQCHIP_MASK_ON_SUSPEND = 1 << 2;
/** Call on/offline callbacks only for enabled interrupts. */
export const IRQCHIP_ONOFFLINE_ENABLED = 1 << 3;
/** Skip irq_set_wake (the chip needs none). */
export const IRQCHIP_SKIP_SET_WAKE = 1 << 4;
/** Oneshot does not need masking with this chip. */
export const IRQCHIP_ONESHOT_SAFE = 1 << 5;
/** EOI after the thread has run (threaded oneshot). */
export const IRQCHIP_EOI_THREADED = 1 << 6;
/** The chip can deliver level MSIs. */
export const IRQCHIP_SUPPORTS_LEVEL_MSI = 1 << 7;
/** The chip can deliver NMIs. */
export const IRQCHIP_SUPPORTS_NMI = 1 << 8;
/** Enable wakeup interrupts on suspend. */
export const IRQCHIP_ENABLE_WAKEUP_ON_SUSPEND = 1 << 9;
/** Set the affinity before startup. */
export const IRQCHIP_AFFINITY_PRE_STARTUP = 1 << 10;
/** The chip structure is never modified (const irq_chip). */
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
/** Operation not permitted. */
export const EPERM = 1;
/** No such file or directory. */
export const ENOENT = 2;
/** I/O error. */
export const EIO = 5;
/** No such device. */
export const ENODEV = 19;
/** No such device or address (platform_get_irq() without the resource). */
export const ENXIO = 6;
/** Device or resource busy. */
export const EBUSY = 16;
/** Invalid argument. */
export const EINVAL = 22;
/** Function not implemented (no chip). */
export const ENOSYS = 38;
/** Out of memory. */
export const ENOMEM = 12;
/** Not connected (irq_set_irqchip_state without a chip that can). */
export const ENOTCONN = 107;
/** Kernel-internal errno (include/linux/errno.h). */
export const ENOTSUPP = 524;
