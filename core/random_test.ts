/**
 * The seeded generator: reproducible streams, distinct seeds, ranges and
 * independent forks. The stream is also checked against a reference written
 * here from the published algorithms (splitmix32 seeding, xoshiro128**) in
 * BigInt arithmetic, so a change of the stream — which would change every
 * golden trace — fails here first.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Random } from "./random.ts";

const M32 = 0xffffffffn;

/** xoshiro128** (Blackman & Vigna), state seeded by splitmix32 from a 32-bit seed. */
function* reference(seed: number): Generator<number, never> {
  const s: bigint[] = [];
  let x = BigInt(seed >>> 0);
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9n) & M32;
    let z = x;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M32;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M32;
    s.push(z ^ (z >> 16n));
  }
  const rotl = (v: bigint, k: bigint) => ((v << k) | (v >> (32n - k))) & M32;
  for (;;) {
    const result = (rotl((s[1] * 5n) & M32, 7n) * 9n) & M32;
    const t = (s[1] << 9n) & M32;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    yield Number(result);
  }
}

function take(r: Random, n: number): number[] {
  return Array.from({ length: n }, () => r.nextU32());
}

Deno.test("Random.nextU32 follows splitmix32-seeded xoshiro128**", () => {
  for (const seed of [0, 1, 42, 0xdeadbeef, -1]) {
    const ref = reference(seed);
    const want = Array.from({ length: 16 }, () => ref.next().value);
    assert.deepEqual(take(new Random(seed), 16), want, `seed ${seed}`);
  }
});

Deno.test("Random gives the same sequence for the same seed", () => {
  const a = new Random(12345), b = new Random(12345);
  assert.deepEqual(take(a, 1000), take(b, 1000));
  assert.equal(a.seed, 12345);
});

Deno.test("Random gives different sequences for different seeds", () => {
  const seqs = [1, 2, 3, 1000, 0xffffffff].map((s) => take(new Random(s), 8).join(","));
  assert.equal(new Set(seqs).size, seqs.length);
});

Deno.test("Random.nextU32 returns unsigned 32-bit integers", () => {
  const r = new Random(9);
  let high = false;
  for (let i = 0; i < 10_000; i++) {
    const v = r.nextU32();
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `value ${v}`);
    if (v >= 0x80000000) high = true;
  }
  assert.ok(high, "the top bit is set in some values (no sign bit confusion)");
});

Deno.test("Random.float stays in [0, 1)", () => {
  const r = new Random(3);
  for (let i = 0; i < 10_000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1, `value ${f}`);
  }
});

Deno.test("Random.int(n) stays in [0, n) and reaches every value", () => {
  const r = new Random(77);
  for (const n of [1, 2, 7, 100]) {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(n);
      assert.ok(Number.isInteger(v) && v >= 0 && v < n, `int(${n}) gave ${v}`);
      seen.add(v);
    }
    assert.equal(seen.size, n, `int(${n}) hit every value`);
  }
});

Deno.test("Random.int(n) is roughly uniform", () => {
  const r = new Random(2024);
  const counts = new Array(10).fill(0);
  const draws = 100_000;
  for (let i = 0; i < draws; i++) counts[r.int(10)]++;
  // expected 10_000 per bucket; sigma = sqrt(100000 * 0.1 * 0.9) ~ 95, allow 5 sigma
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 475, `bucket count ${c}`);
});

Deno.test("Random.range(lo, hi) is inclusive at both ends", () => {
  const r = new Random(5);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const v = r.range(-2, 2);
    assert.ok(v >= -2 && v <= 2, `value ${v}`);
    seen.add(v);
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [-2, -1, 0, 1, 2]);
});

Deno.test("Random.fork gives a stream independent of its parent", () => {
  const parent = new Random(99);
  const twin = new Random(99);
  const child = parent.fork();
  twin.nextU32(); // fork consumed exactly one value of the parent
  const childSeq = take(child, 100);
  // drawing from the child does not move the parent
  assert.deepEqual(take(parent, 100), take(twin, 100));
  // and the child is not a copy of the parent's stream
  assert.notDeepEqual(childSeq, take(new Random(99), 100));
  assert.notDeepEqual(childSeq.slice(0, 8), take(new Random(99), 9).slice(1));
});

Deno.test("Random.fork is itself deterministic", () => {
  const a = new Random(4).fork(), b = new Random(4).fork();
  assert.deepEqual(take(a, 50), take(b, 50));
  const p = new Random(4);
  const first = p.fork(), second = p.fork();
  assert.notDeepEqual(take(first, 8), take(second, 8));
});
