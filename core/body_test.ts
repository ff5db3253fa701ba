import assert from "node:assert/strict";
import { msleep, noteCall, udelay } from "../linux/api.ts";
import { type Body, CallBody, callToken, DONE, GeneratorBody } from "./body.ts";
import type { Cpu } from "./cpu.ts";
import type { Kernel } from "./kernel.ts";
import { kthread_run } from "../linux/kthread.ts";
import { testKernel } from "../tests/helpers.ts";

const US = 1_000;

Deno.test("a call token runs the sub-body to completion in place and sends its result back", () => {
  const k = testKernel();
  const log: string[] = [];
  function* inner() {
    log.push(`inner starts at ${k.now}`);
    yield udelay(5);
    log.push(`inner ends at ${k.now}`);
    return 41;
  }
  function* outer(_: unknown): Generator<unknown, number, unknown> {
    log.push(`outer starts at ${k.now}`);
    const r = yield callToken(new GeneratorBody(inner(), "inner"));
    log.push(`outer got ${r} at ${k.now}`);
    return 0;
  }
  k.enter(() => kthread_run(outer, null, "caller"));
  for (const c of k.cpus) c.start();
  k.runUntil(100 * US);
  assert.equal(log.length, 4);
  assert.match(log[2], /^inner ends at (\d+)$/);
  const started = Number(/at (\d+)$/.exec(log[1])![1]);
  const ended = Number(/at (\d+)$/.exec(log[2])![1]);
  assert.ok(ended - started >= 5 * US, "the sub-body's udelay(5) passed inside the call");
  assert.equal(log[3], `outer got 41 at ${ended}`);
});

/** A sub-body that stays busy `ns`, records when it ends, and leaves cpu.retval alone. */
class Busy implements Body {
  #done = false;
  endedAt = -1;
  steps = 0;
  constructor(readonly ns: number, readonly k: Kernel) {}
  step(_cpu: Cpu): number {
    this.steps++;
    if (this.#done) {
      this.endedAt = this.k.now;
      return DONE;
    }
    this.#done = true;
    return this.ns;
  }
}

Deno.test("noteCall from a plain function body runs the sub-body right after the step's busy time", () => {
  const k = testKernel();
  let sub: Busy | undefined;
  // a plain body: costs 3 µs, makes a 5 µs call it cannot yield, returns 41
  const plain = new CallBody(() => {
    sub = new Busy(5 * US, k);
    noteCall(sub);
    return 41;
  }, 3 * US);
  k.sched.create({ comm: "plain", body: plain });
  for (const c of k.cpus) c.start();
  k.runUntil(100 * US);
  // "plain" is picked first at t=0 after a 2 µs switch from idle (TEST_COSTS):
  // its 3 µs cost ends at 5 µs, then the 5 µs sub-body ends at 10 µs.
  assert.equal(sub!.endedAt, 10 * US);
  assert.equal(sub!.steps, 2, "run once: a busy step, then DONE");
  assert.equal(k.cpus[0].madeCall, undefined);
});

Deno.test("noteCall from a generator body that yields the token runs it once, in place", () => {
  const k = testKernel();
  const sub = new Busy(5 * US, k);
  let backAt = -1;
  k.sched.create({
    comm: "gen",
    body: (function* () {
      yield noteCall(sub);
      backAt = k.now;
      return 0;
    })(),
  });
  for (const c of k.cpus) c.start();
  k.runUntil(100 * US);
  assert.equal(sub.endedAt, backAt, "the generator resumed when the sub-body ended");
  assert.equal(sub.steps, 2, "run once: the executor did not run it again after the step");
  assert.equal(k.cpus[0].madeCall, undefined, "yielding the token consumed it");
});

Deno.test("noteCall left unyielded before a sleep runs when that task runs again, not in another task", () => {
  const k = testKernel();
  const sub = new Busy(5 * US, k);
  let otherRan = -1;
  let resumed = -1;
  k.sched.create({
    comm: "sleeper",
    body: (function* () {
      noteCall(sub); // not yielded
      yield msleep(1);
      resumed = k.now;
    })(),
  });
  k.sched.create({
    comm: "other",
    body: (function* () {
      otherRan = k.now;
      yield udelay(1);
    })(),
  });
  for (const c of k.cpus) c.start();
  k.runUntil(20 * 1_000_000);
  assert.ok(otherRan >= 0, "the other task ran while the sleeper slept");
  // msleep(1) sleeps at least 1 ms; "other" runs within microseconds of boot
  assert.ok(otherRan < 1_000_000);
  assert.ok(
    sub.endedAt > 1_000_000,
    `the call ran after the wake-up (${sub.endedAt}), not in "other"`,
  );
  assert.ok(resumed >= sub.endedAt, "the generator continued after the call");
  assert.equal(sub.steps, 2);
});
