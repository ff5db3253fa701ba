/**
 * `struct work_struct` and `struct delayed_work` (include/linux/workqueue.h)
 * in TypeScript, with the C idioms they are used with.
 *
 * A work item embedded in a larger object finds its container with
 * {@linkcode container_of}, as in C. TypeScript has no pointer arithmetic,
 * so the embedding object hands itself to the work item when it creates it
 * (`new work_struct(this)`); `container_of(work, type, member)` then checks
 * that the container has that type and that `member` really is this work
 * item, and returns it.
 *
 * @example
 * ```ts
 * class my_device {
 *   readonly work = new work_struct(this); // embedded, like `struct work_struct work;`
 *   count = 0;
 * }
 * function my_work_fn(w: work_struct) {
 *   const dev = container_of(w, my_device, "work");
 *   dev.count++;
 * }
 * const dev = new my_device();
 * INIT_WORK(dev.work, my_work_fn);
 * schedule_work(dev.work);
 * ```
 * @module
 */

import type { BodyGenerator } from "../../core/body.ts";
import { timer_list } from "../timers/mod.ts";
import { WORK_STRUCT_NO_POOL, WORK_STRUCT_PENDING } from "./constants.ts";

/**
 * A work function: `void (*work_func_t)(struct work_struct *work)`. Runs in
 * process context in a kworker. A plain function costs its `cost_ns` (see
 * `withCost`) or the machine's `handler_ns`, plus its kernel calls; a
 * generator function lets time pass and sleeps where it yields
 * (`yield msleep(10)`, `yield mdelay(1)`, `yield flush_work(other)`).
 */
export type work_func_t = (work: work_struct) => void | BodyGenerator<unknown>;

/** `struct work_struct`. */
export class work_struct {
  /**
   * `work->data`: WORK_STRUCT_PENDING (bit 0), INACTIVE (1), PWQ (2), LINKED
   * (3) and the flush color; off-queue, the last pool id above
   * WORK_OFFQ_POOL_SHIFT and WORK_OFFQ_CANCELING.
   */
  data: number = WORK_STRUCT_NO_POOL;
  /** The work function (INIT_WORK sets it). */
  func: work_func_t | undefined;
  /** The object this work item is embedded in, for {@linkcode container_of}. */
  readonly container: object | undefined;

  /** @param container the object that embeds this work item (pass `this` in a field initializer) */
  /** Create a work_struct. */
  constructor(container?: object, func?: work_func_t) {
    this.container = container;
    this.func = func;
  }
}

/** `struct delayed_work`: a work item and the timer that queues it. */
export class delayed_work {
  /** The embedded work item (`dwork->work`); container_of(work, delayed_work, "work") finds this. */
  readonly work: work_struct;
  /** `dwork->timer`: TIMER_IRQSAFE, its callback is delayed_work_timer_fn (from_timer finds us). */
  readonly timer: timer_list = new timer_list(this);
  /** The CPU the timer queues on (`dwork->cpu`). */
  cpu = 0;
  /** The workqueue the timer queues on (`dwork->wq`). */
  wq: unknown;
  /** The object this delayed work item is embedded in. */
  readonly container: object | undefined;

  /** Create a delayed_work. */
  constructor(container?: object, func?: work_func_t) {
    this.container = container;
    this.work = new work_struct(this, func);
  }
}

/** INIT_WORK(work, func): initialise a work item (data = WORK_STRUCT_NO_POOL, func set). */
export function INIT_WORK(work: work_struct, func: work_func_t): void {
  work.data = WORK_STRUCT_NO_POOL;
  work.func = func;
}

/** INIT_WORK_ONSTACK(work, func): INIT_WORK for a work item on the stack (no debugobjects here). */
export const INIT_WORK_ONSTACK: (work: work_struct, func: work_func_t) => void = INIT_WORK;

/** destroy_work_on_stack(work): nothing to do without CONFIG_DEBUG_OBJECTS_WORK. */
export function destroy_work_on_stack(_work: work_struct): void {}

/**
 * DECLARE_WORK(n, f): `struct work_struct n = __WORK_INITIALIZER(n, f)`.
 * In TypeScript the variable is the caller's: `const my_work = DECLARE_WORK(my_fn)`.
 */
export function DECLARE_WORK(func: work_func_t): work_struct {
  return new work_struct(undefined, func);
}

/** work_pending(work): test_bit(WORK_STRUCT_PENDING_BIT). */
export function work_pending(work: work_struct): boolean {
  return (work.data & WORK_STRUCT_PENDING) !== 0;
}

/** delayed_work_pending(dwork): work_pending(&dwork->work). */
export function delayed_work_pending(dwork: delayed_work): boolean {
  return work_pending(dwork.work);
}

/** Raised when container_of() is given a member that is not embedded in that type. */
export class ContainerOfError extends Error {
  /** Error name. */
  override name = "ContainerOfError";
}

/**
 * container_of(ptr, type, member): the object of class `type` whose field
 * `member` is `ptr`. The member must have been created with its container
 * (`new work_struct(this)`, `new delayed_work(this)`).
 */
export function container_of<T extends object, K extends keyof T>(
  ptr: { readonly container?: object },
  type: abstract new (...args: never[]) => T,
  member: K,
): T {
  const c = ptr.container;
  if (!(c instanceof type) || (c as T)[member] !== (ptr as unknown)) {
    throw new ContainerOfError(
      `Cannot container_of(ptr, ${type.name}, ${String(member)}): ${
        c === undefined
          ? "the member was created without its container (create it with new work_struct(this))"
          : `its container is a ${(c as object).constructor?.name ?? typeof c}` +
            ` whose ${String(member)} is not this member`
      }`,
    );
  }
  return c as T;
}

/** to_delayed_work(work): container_of(work, struct delayed_work, work). */
export function to_delayed_work(work: work_struct): delayed_work {
  return container_of(work, delayed_work, "work");
}
