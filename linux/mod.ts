/**
 * The kernel API for modules, in the kernel's own names: port I/O and MMIO,
 * delays and sleeps, printk, context predicates, irqflags, kmalloc
 * (`api.ts`), kthreads (`kthread.ts`), module_init/exit and parameters
 * (`module.ts`) and dump_stack (`dump_stack.ts`) — what `<linux/...>`
 * headers give a C module. Subsystem APIs (request_irq, tasklets,
 * workqueues...) live with their plugins.
 *
 * @module
 */
export * from "./api.ts";
export * from "./kthread.ts";
export * from "./module.ts";
export * from "./dump_stack.ts";
