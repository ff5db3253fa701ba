/**
 * The typed bus: one provider per service, errors that name what was wrong,
 * and listeners called pre, normal, post, then in registration order.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Bus, BusError, Channel, eventKey, serviceKey } from "./bus.ts";

interface Clock {
  now(): number;
}

Deno.test("Bus.provide makes the service available from get", () => {
  const Clock = serviceKey<Clock>("clock");
  const bus = new Bus();
  const impl = { now: () => 5 };
  bus.provide(Clock, impl, "core");
  assert.equal(bus.get(Clock), impl);
  assert.equal(bus.tryGet(Clock), impl);
  assert.equal(bus.providerOf(Clock), "core");
});

Deno.test("Bus.provide twice throws BusError naming the service and both providers", () => {
  const Clock = serviceKey<Clock>("clock");
  const bus = new Bus();
  bus.provide(Clock, { now: () => 1 }, "pit");
  assert.throws(() => bus.provide(Clock, { now: () => 2 }, "hpet"), (e: unknown) => {
    assert.ok(e instanceof BusError);
    assert.equal(e.name, "BusError");
    assert.match(e.message, /"clock"/);
    assert.match(e.message, /"hpet"/);
    assert.match(e.message, /"pit"/);
    return true;
  });
  assert.equal(bus.get(Clock).now(), 1, "the first provider stays");
  assert.equal(bus.providerOf(Clock), "pit");
});

Deno.test("Bus.get without a provider throws BusError naming the service", () => {
  const Softirq = serviceKey<object>("softirq-hooks");
  const bus = new Bus();
  assert.throws(() => bus.get(Softirq), (e: unknown) => {
    assert.ok(e instanceof BusError);
    assert.match(e.message, /"softirq-hooks"/);
    return true;
  });
  assert.equal(bus.tryGet(Softirq), undefined);
  assert.equal(bus.providerOf(Softirq), undefined);
});

Deno.test("Bus keys with the same name are distinct services", () => {
  const a = serviceKey<number>("x"), b = serviceKey<number>("x");
  const bus = new Bus();
  bus.provide(a, 1, "one");
  bus.provide(b, 2, "two");
  assert.equal(bus.get(a), 1);
  assert.equal(bus.get(b), 2);
});

Deno.test("Bus.emit calls pre, then normal, then post listeners, each in registration order", () => {
  const Tick = eventKey<number>("tick");
  const bus = new Bus();
  const calls: string[] = [];
  const add = (name: string, order?: "pre" | "normal" | "post") =>
    bus.on(Tick, (n) => calls.push(`${name}:${n}`), order);
  add("post1", "post");
  add("normal1");
  add("pre1", "pre");
  add("normal2", "normal");
  add("post2", "post");
  add("pre2", "pre");
  bus.emit(Tick, 7);
  assert.deepEqual(calls, [
    "pre1:7",
    "pre2:7",
    "normal1:7",
    "normal2:7",
    "post1:7",
    "post2:7",
  ]);
});

Deno.test("Bus.on returns an off function that removes only that listener", () => {
  const Tick = eventKey<number>("tick");
  const bus = new Bus();
  const calls: string[] = [];
  bus.on(Tick, () => calls.push("a"), "pre");
  const offB = bus.on(Tick, () => calls.push("b"));
  bus.on(Tick, () => calls.push("c"), "post");
  bus.emit(Tick, 0);
  offB();
  bus.emit(Tick, 0);
  offB(); // a second call is harmless
  bus.emit(Tick, 0);
  assert.deepEqual(calls, ["a", "b", "c", "a", "c", "a", "c"]);
});

Deno.test("Bus.on keeps order for listeners added after a removal", () => {
  const Tick = eventKey<number>("tick");
  const bus = new Bus();
  const calls: string[] = [];
  const offPre = bus.on(Tick, () => calls.push("pre1"), "pre");
  bus.on(Tick, () => calls.push("post1"), "post");
  offPre();
  bus.on(Tick, () => calls.push("normal1"));
  bus.on(Tick, () => calls.push("pre2"), "pre");
  bus.emit(Tick, 0);
  assert.deepEqual(calls, ["pre2", "normal1", "post1"]);
});

Deno.test("Bus.emit finishes the current round when a listener removes another", () => {
  const Tick = eventKey<number>("tick");
  const bus = new Bus();
  const calls: string[] = [];
  let offSecond = () => {};
  bus.on(Tick, () => {
    calls.push("first");
    offSecond();
  });
  offSecond = bus.on(Tick, () => calls.push("second"));
  bus.emit(Tick, 0);
  bus.emit(Tick, 0);
  assert.deepEqual(calls, ["first", "second", "first"]);
});

Deno.test("Bus.emit with no listeners does nothing", () => {
  const bus = new Bus();
  bus.emit(eventKey<number>("nobody"), 1);
  assert.equal(bus.channel(eventKey<number>("nobody")).listeners.length, 0);
});

Deno.test("Bus.channel returns the same channel as on/emit use", () => {
  const Tick = eventKey<string>("tick");
  const bus = new Bus();
  const ch = bus.channel(Tick);
  assert.ok(ch instanceof Channel);
  assert.equal(bus.channel(Tick), ch);
  const seen: string[] = [];
  bus.on(Tick, (s) => seen.push(s));
  assert.equal(ch.listeners.length, 1);
  ch.emit("direct");
  bus.emit(Tick, "bus");
  assert.deepEqual(seen, ["direct", "bus"]);
});
