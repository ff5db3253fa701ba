import assert from "node:assert/strict";
import { udelay } from "./api.ts";
import { callToken, GeneratorBody } from "./body.ts";
import { kthread_run } from "./kthread.ts";
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
