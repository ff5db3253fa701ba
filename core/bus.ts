/**
 * The typed bus: service keys with exactly one provider, and typed events
 * with ordered listeners. No string-keyed bags: a key carries its type.
 *
 * @example
 * ```ts
 * const Clock = serviceKey<{ now(): number }>("clock");
 * const Tick = eventKey<{ cpu: number }>("tick");
 * const bus = new Bus();
 * bus.provide(Clock, { now: () => 0 }, "core");
 * bus.on(Tick, (e) => console.log(e.cpu));
 * bus.emit(Tick, { cpu: 0 });
 * ```
 * @module
 */

/** A typed service name. Create once with {@linkcode serviceKey} and export it. */
export interface ServiceKey<T> {
  /** Unique identity of the key. */
  readonly id: symbol;
  /** Name used in error messages. */
  readonly name: string;
  /** Phantom field carrying the service type; never set. */
  readonly _type?: T;
}

/** Make a service key. `name` is used in error messages. */
export function serviceKey<T>(name: string): ServiceKey<T> {
  return { id: Symbol(name), name };
}

/** Listener ordering, as in Rollup's `order`: pre listeners run first, then normal, then post. */
export type ListenerOrder = "pre" | "normal" | "post";

/** A typed event name with its payload type. */
export interface EventKey<T> {
  /** Unique identity of the key. */
  readonly id: symbol;
  /** Name used in error messages. */
  readonly name: string;
  /** Phantom field carrying the payload type (never set). */
  readonly _type?: T;
}

/** Make an event key. */
export function eventKey<T>(name: string): EventKey<T> {
  return { id: Symbol(name), name };
}

/** Raised for a service provided twice or used without a provider. */
export class BusError extends Error {
  /** Name used in error messages. */
  override name = "BusError";
}

/** One event's listeners, sorted by order then registration. */
export class Channel<T> {
  /** Listeners in call order. Empty array when nobody listens (cheap check on hot paths). */
  listeners: ((payload: T) => void)[] = [];
  #orders: ListenerOrder[] = [];

  /** Add a listener in the given order group. */
  add(fn: (payload: T) => void, order: ListenerOrder): void {
    const rank = (o: ListenerOrder) => (o === "pre" ? 0 : o === "normal" ? 1 : 2);
    let i = this.listeners.length;
    while (i > 0 && rank(this.#orders[i - 1]) > rank(order)) i--;
    this.listeners = [...this.listeners.slice(0, i), fn, ...this.listeners.slice(i)];
    this.#orders.splice(i, 0, order);
  }

  /** Remove a listener. */
  remove(fn: (payload: T) => void): void {
    const i = this.listeners.indexOf(fn);
    if (i < 0) return;
    this.listeners = this.listeners.filter((_, j) => j !== i);
    this.#orders.splice(i, 1);
  }

  /** Call every listener with `payload`, pre listeners first, post last. */
  emit(payload: T): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i](payload);
  }
}

/** Services and events of one machine. */
export class Bus {
  #services = new Map<symbol, { impl: unknown; provider: string; name: string }>();
  #channels = new Map<symbol, Channel<unknown>>();

  /** Register the one provider of `key`. A second provider is an error naming both. */
  provide<T>(key: ServiceKey<T>, impl: T, provider: string): void {
    const have = this.#services.get(key.id);
    if (have) {
      throw new BusError(
        `Cannot provide service "${key.name}" from "${provider}": "${have.provider}" already provides it`,
      );
    }
    this.#services.set(key.id, { impl, provider, name: key.name });
  }

  /** The provider of `key`; an error naming the service when none is registered. */
  get<T>(key: ServiceKey<T>): T {
    const have = this.#services.get(key.id);
    if (!have) {
      throw new BusError(
        `No provider for service "${key.name}": load the plugin that provides it`,
      );
    }
    return have.impl as T;
  }

  /** The provider of `key`, or undefined. */
  tryGet<T>(key: ServiceKey<T>): T | undefined {
    return this.#services.get(key.id)?.impl as T | undefined;
  }

  /** Name of the plugin that provides `key`, if any. */
  providerOf<T>(key: ServiceKey<T>): string | undefined {
    return this.#services.get(key.id)?.provider;
  }

  /** The channel of an event (hot paths keep it and test `listeners.length`). */
  channel<T>(key: EventKey<T>): Channel<T> {
    let ch = this.#channels.get(key.id);
    if (!ch) {
      ch = new Channel<unknown>();
      this.#channels.set(key.id, ch);
    }
    return ch as Channel<T>;
  }

  /** Listen to an event. Returns a function that removes the listener. */
  on<T>(key: EventKey<T>, fn: (payload: T) => void, order: ListenerOrder = "normal"): () => void {
    const ch = this.channel(key);
    ch.add(fn, order);
    return () => ch.remove(fn);
  }

  /** Call every listener of `key` in order. */
  emit<T>(key: EventKey<T>, payload: T): void {
    this.#channels.get(key.id)?.emit(payload);
  }
}
