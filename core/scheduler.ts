/**
 * The virtual clock and event queue.
 *
 * Time is integer nanoseconds of simulated time. Events are ordered by
 * (time, insertion sequence), so two events at the same instant run in the
 * order they were scheduled. Nothing here reads the wall clock.
 *
 * The queue is a binary heap of slot indices over parallel typed arrays: a
 * scheduled event costs no allocation once the arrays have grown to the
 * working-set size, which keeps the event loop flat (STYLE rule 10).
 *
 * Two ways to schedule:
 * - {@linkcode EventQueue.schedule} / {@linkcode EventQueue.scheduleIn}
 *   return a handle for {@linkcode EventQueue.cancel}: generation * 2^22 +
 *   slot, exact (a stale handle never names a later event), but once a slot
 *   has been reused 512 times the handle passes 2^31, leaves V8's small
 *   integers and is boxed (a heap number per call that returns or stores it);
 * - a {@linkcode Timer} (the kernel's embedded `struct hrtimer`): one object
 *   per recurring event, armed and disarmed by identity, so the hot paths
 *   (a CPU's busy segments and pokes) allocate nothing however long the run.
 *
 * Both order the same way: by (time, insertion sequence), one sequence for
 * all. The relative forms (`scheduleIn`, `armIn`) take the delay and add
 * `now` themselves, so an absolute time past 2^31 ns (a float64 in V8) never
 * crosses a call boundary where it would have to be boxed.
 *
 * @example
 * ```ts
 * const q = new EventQueue();
 * const fired: number[] = [];
 * q.schedule(100, (arg) => fired.push(arg), 7);
 * q.runUntil(1_000);
 * // fired == [7], q.now == 1_000
 * ```
 * @module
 */

/** An event callback. `arg` is the number given when scheduling. */
export type EventFn = (arg: number) => void;

/** Opaque handle of a scheduled event; pass it to {@linkcode EventQueue.cancel}. */
export type EventHandle = number;

/** A handle that never names a live event (a safe "none" value). */
export const NO_EVENT: EventHandle = -1;

const SLOT_BITS = 2 ** 22; // handle = generation * SLOT_BITS + slot

/** Thrown when an event is scheduled in the past or at a non-integer time. */
export class ClockError extends Error {
  /** Error name. */
  override name = "ClockError";
}

/** Build the error for a bad event time (kept out of the hot methods). */
function clockError(at: number, now: number): ClockError {
  return new ClockError(
    `Cannot schedule an event at ${at} ns: time must be an integer not before now (${now} ns)`,
  );
}

/**
 * A reusable event owned by one object, like the kernel's `struct hrtimer`
 * embedded in its user: at most one expiry is queued at a time; arming,
 * disarming and firing allocate nothing and need no handle.
 *
 * A timer takes a queue slot the first time it is armed and keeps it for
 * life (no free-list traffic, no generation per expiry): make one timer per
 * recurring event of a long-lived object (a CPU's busy segment, a device's
 * period), not one per expiry. It belongs to the queue that first armed it.
 *
 * @example
 * ```ts
 * const q = new EventQueue();
 * const t = new Timer((arg) => console.log("expired", arg, q.now));
 * q.armIn(t, 500, 7);
 * t.pending; // true
 * q.runUntil(1_000); // expired 7 500
 * t.pending; // false
 * ```
 */
export class Timer {
  /** True while an expiry is queued (maintained by the queue). */
  pending = false;
  /** The queue slot this timer owns, -1 before it is first armed (maintained by the queue). */
  slot: number = -1;

  /** @param fn called with the arg given when arming */
  /** Create a Timer. */
  constructor(readonly fn: EventFn) {}
}

/** Deterministic event queue on a virtual nanosecond clock. */
export class EventQueue {
  /** Current simulated time in ns. */
  now = 0;
  /** Number of events dispatched so far. */
  dispatched = 0;

  #time: Float64Array;
  #seq: Float64Array;
  #arg: Float64Array;
  #gen: Uint32Array;
  #pos: Int32Array; // position of a slot in the heap, -1 when free
  #fn: (EventFn | undefined)[];
  #timer: (Timer | undefined)[]; // the timer that owns a slot, if any
  #heap: Int32Array;
  #size = 0;
  #free: Int32Array;
  #freeTop = 0;
  #nextSeq = 0;
  #stopped = false;
  /** Limit of the {@linkcode runUntil} in progress; -Infinity outside one (see {@linkcode advanceIn}). */
  #until = -Infinity;

  /** Create a EventQueue. */
  constructor(capacity = 1024) {
    this.#time = new Float64Array(capacity);
    this.#seq = new Float64Array(capacity);
    this.#arg = new Float64Array(capacity);
    this.#gen = new Uint32Array(capacity);
    this.#pos = new Int32Array(capacity).fill(-1);
    this.#fn = new Array(capacity).fill(undefined);
    this.#timer = new Array(capacity).fill(undefined);
    this.#heap = new Int32Array(capacity);
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#freeTop = capacity;
  }

  /** Number of events waiting. */
  get pending(): number {
    return this.#size;
  }

  /** Time of the next event, or `Infinity` when none is queued. */
  get nextTime(): number {
    return this.#size === 0 ? Infinity : this.#time[this.#heap[0]];
  }

  /**
   * Schedule `fn(arg)` at absolute time `at` (integer ns, not before `now`).
   * Returns a handle for {@linkcode cancel}.
   */
  schedule(at: number, fn: EventFn, arg = 0): EventHandle {
    if (at < this.now || !Number.isInteger(at)) throw clockError(at, this.now);
    const slot = this.#take(fn, arg);
    this.#time[slot] = at;
    this.#siftUp(slot);
    return this.#gen[slot] * SLOT_BITS + slot;
  }

  /**
   * Schedule `fn(arg)` `delay` ns from now. Written out rather than calling
   * {@linkcode schedule}: an absolute time past 2^30 ns passed as an argument
   * is a heap number in V8, which would allocate on every hot-path event.
   */
  scheduleIn(delay: number, fn: EventFn, arg = 0): EventHandle {
    const at = this.now + delay;
    if (at < this.now || !Number.isInteger(at)) throw clockError(at, this.now);
    const slot = this.#take(fn, arg);
    this.#time[slot] = at;
    this.#siftUp(slot);
    return this.#gen[slot] * SLOT_BITS + slot;
  }

  /**
   * Arm `timer` to call its function with `arg` at absolute time `at`
   * (integer ns, not before `now`). A timer already armed is moved: its
   * queued expiry is dropped and the new one takes a new place in sequence.
   */
  arm(timer: Timer, at: number, arg = 0): void {
    if (at < this.now || !Number.isInteger(at)) throw clockError(at, this.now);
    const slot = this.#timerSlot(timer);
    this.#time[slot] = at;
    this.#seq[slot] = this.#nextSeq++;
    this.#arg[slot] = arg;
    timer.pending = true;
    this.#siftUp(slot);
  }

  /** Arm `timer` `delay` ns from now (see {@linkcode arm}; written out for the same reason as {@linkcode scheduleIn}). */
  armIn(timer: Timer, delay: number, arg = 0): void {
    const at = this.now + delay;
    if (at < this.now || !Number.isInteger(at)) throw clockError(at, this.now);
    const slot = this.#timerSlot(timer);
    this.#time[slot] = at;
    this.#seq[slot] = this.#nextSeq++;
    this.#arg[slot] = arg;
    timer.pending = true;
    this.#siftUp(slot);
  }

  /**
   * ns until `timer` expires, or -1 when it is not armed. Relative, so the
   * answer stays a small integer however late the run.
   */
  timeLeft(timer: Timer): number {
    return timer.pending ? this.#time[timer.slot] - this.now : -1;
  }

  /** Drop `timer`'s queued expiry. Returns false when it was not armed. */
  disarm(timer: Timer): boolean {
    if (!timer.pending) return false;
    const slot = this.#timerSlot(timer); // checks ownership, unqueues
    this.#pos[slot] = -1;
    timer.pending = false;
    return true;
  }

  /**
   * The slot `timer` owns in this queue, taken on first use, and out of the
   * heap (a pending expiry is removed) so the caller can queue it again.
   */
  #timerSlot(timer: Timer): number {
    let slot = timer.slot;
    if (slot < 0) {
      if (this.#freeTop === 0) this.#grow();
      slot = this.#free[--this.#freeTop];
      this.#fn[slot] = timer.fn;
      this.#timer[slot] = timer;
      timer.slot = slot;
    } else if (this.#timer[slot] !== timer) {
      throw new ClockError(
        `Cannot use a timer with another queue than the one that first armed it (slot ${slot})`,
      );
    } else if (timer.pending) {
      this.#removeAt(this.#pos[slot]);
    }
    return slot;
  }

  /** Cancel a scheduled event. Returns false when it already ran or was cancelled. */
  cancel(handle: EventHandle): boolean {
    if (handle < 0) return false;
    const slot = handle % SLOT_BITS;
    const gen = (handle - slot) / SLOT_BITS;
    if (slot >= this.#gen.length || this.#gen[slot] !== gen || this.#pos[slot] < 0) return false;
    this.#removeAt(this.#pos[slot]);
    this.#release(slot);
    return true;
  }

  /** True while the event behind `handle` is still queued. */
  isPending(handle: EventHandle): boolean {
    if (handle < 0) return false;
    const slot = handle % SLOT_BITS;
    const gen = (handle - slot) / SLOT_BITS;
    return slot < this.#gen.length && this.#gen[slot] === gen && this.#pos[slot] >= 0;
  }

  /** Absolute time of a queued event, or -1 when it is not queued. */
  timeOf(handle: EventHandle): number {
    return this.isPending(handle) ? this.#time[handle % SLOT_BITS] : -1;
  }

  /** Run the earliest event. Returns false when the queue is empty. */
  step(): boolean {
    if (this.#size === 0) return false;
    this.#dispatch();
    return true;
  }

  /**
   * Run every event with time <= `until`, then set `now` to `until`.
   * Stops early (leaving `now` at the last event) when {@linkcode stop} is called.
   * Returns the number of events run.
   */
  runUntil(until: number): number {
    this.#stopped = false;
    const outer = this.#until;
    this.#until = until;
    try {
      let n = 0;
      while (this.#size > 0 && this.#time[this.#heap[0]] <= until) {
        this.#dispatch();
        n++;
        if (this.#stopped) return n;
      }
      if (until > this.now && until !== Infinity) this.now = until;
      return n;
    } finally {
      this.#until = outer;
    }
  }

  /**
   * Fast-forward for an event `delay` ns from now whose callback would be
   * the caller itself (a CPU ending its own busy segment): when the
   * {@linkcode runUntil} in progress would dispatch that event next, the
   * clock moves to it and it counts as dispatched, without queueing, and
   * the caller goes on with the callback's work inline. "Next" means
   * strictly before every queued event (an event queued earlier at the same
   * instant has a lower sequence and runs first), within the run's limit,
   * and the run not stopped. The sequence number is still consumed, so later
   * events are numbered as if it had been queued. Returns false (arm it as
   * usual) otherwise, and outside {@linkcode runUntil} (a {@linkcode step}
   * runs one event only), and for a bad delay (arming then reports it).
   *
   * Nothing can tell the difference: no other event runs in between, which
   * is all the queue would have done. It spares the heap insert, the removal
   * and the callback's re-entry on the hot path (STYLE rule 10).
   */
  advanceIn(delay: number): boolean {
    const at = this.now + delay;
    if (!(at <= this.#until) || this.#stopped || !(at >= this.now) || !Number.isInteger(at)) {
      return false;
    }
    if (this.#size > 0 && this.#time[this.#heap[0]] <= at) return false;
    this.#nextSeq++;
    this.now = at;
    this.dispatched++;
    return true;
  }

  /** Pop the root, free its slot (a timer keeps it, no longer pending), then call it. */
  #dispatch(): void {
    const slot = this.#heap[0];
    this.now = this.#time[slot];
    const fn = this.#fn[slot]!;
    const arg = this.#arg[slot];
    this.#removeAt(0);
    const timer = this.#timer[slot];
    if (timer === undefined) this.#release(slot);
    else {
      this.#pos[slot] = -1;
      timer.pending = false;
    }
    this.dispatched++;
    fn(arg);
  }

  /** Ask a running {@linkcode runUntil} to return after the current event. */
  stop(): void {
    this.#stopped = true;
  }

  /** True when the last run was stopped by {@linkcode stop}. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Take a free slot for `fn(arg)` with the next sequence number. */
  #take(fn: EventFn, arg: number): number {
    if (this.#freeTop === 0) this.#grow();
    const slot = this.#free[--this.#freeTop];
    this.#seq[slot] = this.#nextSeq++;
    this.#arg[slot] = arg;
    this.#fn[slot] = fn;
    return slot;
  }

  /** Insert `slot` (its time and sequence set) at the bottom of the heap and sift it up. */
  #siftUp(slot: number): void {
    let i = this.#size++;
    const heap = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (!this.#less(slot, p)) break;
      heap[i] = p;
      this.#pos[p] = i;
      i = parent;
    }
    heap[i] = slot;
    this.#pos[slot] = i;
  }

  #less(a: number, b: number): boolean {
    const ta = this.#time[a], tb = this.#time[b];
    return ta < tb || (ta === tb && this.#seq[a] < this.#seq[b]);
  }

  #release(slot: number): void {
    this.#pos[slot] = -1;
    this.#fn[slot] = undefined;
    const gen = this.#gen[slot] + 1; // wraps at 2^31 - 1 (no float modulo here)
    this.#gen[slot] = gen === 0x7fffffff ? 0 : gen;
    this.#free[this.#freeTop++] = slot;
  }

  #removeAt(i: number): void {
    const heap = this.#heap;
    const last = heap[--this.#size];
    if (i === this.#size) return;
    heap[i] = last;
    this.#pos[last] = i;
    // sift up or down
    if (i > 0 && this.#less(last, heap[(i - 1) >> 1])) {
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const p = heap[parent];
        if (!this.#less(last, p)) break;
        heap[i] = p;
        this.#pos[p] = i;
        i = parent;
      }
    } else {
      const n = this.#size;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && this.#less(heap[r], heap[l])) c = r;
        if (!this.#less(heap[c], last)) break;
        heap[i] = heap[c];
        this.#pos[heap[c]] = i;
        i = c;
      }
    }
    heap[i] = last;
    this.#pos[last] = i;
  }

  #grow(): void {
    const old = this.#time.length;
    const cap = old * 2;
    const grow64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.#time = grow64(this.#time);
    this.#seq = grow64(this.#seq);
    this.#arg = grow64(this.#arg);
    const gen = new Uint32Array(cap);
    gen.set(this.#gen);
    this.#gen = gen;
    const pos = new Int32Array(cap).fill(-1);
    pos.set(this.#pos);
    this.#pos = pos;
    const heap = new Int32Array(cap);
    heap.set(this.#heap);
    this.#heap = heap;
    this.#fn.length = cap;
    this.#fn.fill(undefined, old);
    this.#timer.length = cap;
    this.#timer.fill(undefined, old);
    const free = new Int32Array(cap);
    for (let i = 0; i < cap - old; i++) free[i] = cap - 1 - i;
    this.#free = free;
    this.#freeTop = cap - old;
  }
}
