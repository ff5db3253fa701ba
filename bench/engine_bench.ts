/**
 * Event dispatch: the core {@linkcode EventQueue} against a bare binary heap
 * in the same run, so `deno bench` prints the ratio ("x times slower than")
 * next to the baseline of each group.
 *
 * Workload (both contenders): a steady-state heap of K pending events; each
 * dispatched event schedules one new event at now + a pseudo-random delay
 * from a fixed LCG (Numerical Recipes constants, not Math.random, so both
 * loops see the same delays); N = 200_000 dispatches per iteration. Building
 * the initial K events is outside the timed part.
 *
 * The baseline is the least a dispatch loop can do: parallel typed arrays
 * keyed by (time, seq), no slots, no generations, no cancellation, no
 * callback table; the "handler" is inlined in the loop. The gap to it is the
 * price of handles, cancellation and callbacks (STYLE rule 10: measure).
 * The third contender does the same with K {@linkcode Timer}s, each re-armed
 * from its own callback: the way the CPUs schedule their busy segments.
 *
 * Run: `deno bench --allow-read=. bench/engine_bench.ts`
 *
 * @module
 */
import { EventQueue, Timer } from "../core/scheduler.ts";

/** Dispatches per iteration. */
const N = 200_000;
/** Largest delay, ns (delays are 1..MAX_DELAY). */
const MAX_DELAY = 1_000;
const SEED = 0x2545f491;

/** One LCG step (x' = 1664525 x + 1013904223 mod 2^32). */
function lcg(x: number): number {
  return (Math.imul(x, 1664525) + 1013904223) >>> 0;
}

/** A delay in 1..MAX_DELAY from an LCG state (upper bits: the low ones are weak). */
function delayOf(x: number): number {
  return 1 + ((x >>> 8) % MAX_DELAY);
}

/** Minimal binary min-heap over parallel typed arrays, ordered by (time, seq). */
class BareHeap {
  time: Float64Array;
  seq: Float64Array;
  arg: Float64Array;
  size = 0;
  nextSeq = 0;

  constructor(capacity: number) {
    this.time = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.arg = new Float64Array(capacity);
  }

  push(t: number, a: number): void {
    const time = this.time, seq = this.seq, arg = this.arg;
    const s = this.nextSeq++;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const tp = time[p];
      if (tp < t || (tp === t && seq[p] < s)) break;
      time[i] = tp;
      seq[i] = seq[p];
      arg[i] = arg[p];
      i = p;
    }
    time[i] = t;
    seq[i] = s;
    arg[i] = a;
  }

  /** Remove the root (the caller has read time[0] / arg[0]). */
  pop(): void {
    const time = this.time, seq = this.seq, arg = this.arg;
    const n = --this.size;
    if (n === 0) return;
    const t = time[n], s = seq[n], a = arg[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (time[r] < time[l] || (time[r] === time[l] && seq[r] < seq[l]))) c = r;
      if (time[c] > t || (time[c] === t && seq[c] > s)) break;
      time[i] = time[c];
      seq[i] = seq[c];
      arg[i] = arg[c];
      i = c;
    }
    time[i] = t;
    seq[i] = s;
    arg[i] = a;
  }
}

/** A bare heap holding K initial events, and the LCG state after making them. */
function bareSetup(k: number): { heap: BareHeap; x: number } {
  const heap = new BareHeap(k + 1);
  let x = SEED;
  for (let i = 0; i < k; i++) {
    x = lcg(x);
    heap.push(delayOf(x), i);
  }
  return { heap, x };
}

/** Dispatch `n` events on the bare heap; returns the final time. */
function bareRun(heap: BareHeap, x: number, n: number): number {
  let now = 0;
  for (let d = 0; d < n; d++) {
    now = heap.time[0];
    const a = heap.arg[0];
    heap.pop();
    x = lcg(x);
    heap.push(now + delayOf(x), a);
  }
  return now;
}

/** An EventQueue holding K initial events whose handler reschedules itself. */
function queueSetup(k: number): EventQueue {
  const q = new EventQueue(k + 1);
  let x = SEED;
  const onEvent = (arg: number) => {
    x = lcg(x);
    q.schedule(q.now + delayOf(x), onEvent, arg);
  };
  for (let i = 0; i < k; i++) {
    x = lcg(x);
    q.schedule(delayOf(x), onEvent, i);
  }
  return q;
}

/** An EventQueue holding K timers, each re-arming itself (same delays as queueSetup). */
function timerSetup(k: number): EventQueue {
  const q = new EventQueue(k + 1);
  let x = SEED;
  const timers: Timer[] = [];
  const onEvent = (arg: number) => {
    x = lcg(x);
    q.armIn(timers[arg], delayOf(x), arg);
  };
  for (let i = 0; i < k; i++) {
    timers.push(new Timer(onEvent));
    x = lcg(x);
    q.arm(timers[i], delayOf(x), i);
  }
  return q;
}

/** Dispatch `n` events on the queue; returns the final time. */
function queueRun(q: EventQueue, n: number): number {
  for (let d = 0; d < n; d++) q.step();
  return q.now;
}

// Both contenders must do the same work: same dispatch times, same end time.
for (const k of [16, 1024]) {
  const b = bareSetup(k);
  const bare = bareRun(b.heap, b.x, 10_000);
  const queued = queueRun(queueSetup(k), 10_000);
  const timed = queueRun(timerSetup(k), 10_000);
  if (bare !== queued || bare !== timed) {
    throw new Error(
      `bench workloads differ for K=${k}: bare ends at ${bare}, queue at ${queued}, timers at ${timed}`,
    );
  }
}

for (const k of [1024, 16]) {
  const group = k === 1024 ? "dispatch" : "dispatch K=16";
  Deno.bench({
    name: `bare heap, K=${k}, N=${N}`,
    group,
    baseline: true,
    fn(b) {
      const { heap, x } = bareSetup(k);
      b.start();
      const end = bareRun(heap, x, N);
      b.end();
      if (!(end > 0)) throw new Error(`bare heap ended at ${end}`); // keeps the result live
    },
  });
  Deno.bench({
    name: `EventQueue, K=${k}, N=${N}`,
    group,
    fn(b) {
      const q = queueSetup(k);
      b.start();
      const end = queueRun(q, N);
      b.end();
      if (!(end > 0)) throw new Error(`EventQueue ended at ${end}`); // keeps the result live
      if (q.pending !== k) throw new Error(`steady state lost: ${q.pending} pending, want ${k}`);
    },
  });
  Deno.bench({
    name: `EventQueue timers, K=${k}, N=${N}`,
    group,
    fn(b) {
      const q = timerSetup(k);
      b.start();
      const end = queueRun(q, N);
      b.end();
      if (!(end > 0)) throw new Error(`EventQueue timers ended at ${end}`); // keeps the result live
      if (q.pending !== k) throw new Error(`steady state lost: ${q.pending} pending, want ${k}`);
    },
  });
}
