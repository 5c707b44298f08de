import { EventEmitter } from 'eventemitter3';

type Listener = (payload: never) => void;

/**
 * A typed emitter on eventemitter3 where one throwing listener never stops
 * the others: its failure is reported through `onListenerError` instead.
 * `on` and `once` return an unsubscribe function; `off` removes by listener.
 */
export class SafeEmitter<Events extends object> {
  readonly #emitter = new EventEmitter();
  readonly #onListenerError: (error: unknown, event: keyof Events) => void;
  // event -> listener as given -> the unsubscribe functions of its registrations, oldest first
  readonly #registrations = new Map<string, Map<Listener, (() => void)[]>>();

  constructor(onListenerError: (error: unknown, event: keyof Events) => void) {
    this.#onListenerError = onListenerError;
  }

  on<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): () => void {
    return this.#add(event, listener, false);
  }

  once<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): () => void {
    return this.#add(event, listener, true);
  }

  /** Remove one registration of `listener` (the oldest), as EventEmitter's `off` does. */
  off<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): void {
    this.#registrations
      .get(event)
      ?.get(listener as Listener)?.[0]?.();
  }

  /** True when anyone listens: lets callers skip building an event nobody reads. */
  has(event: keyof Events & string): boolean {
    return this.#emitter.listenerCount(event) > 0;
  }

  emit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    this.#emitter.emit(event, payload);
  }

  removeAll(): void {
    this.#emitter.removeAllListeners();
    this.#registrations.clear();
  }

  #add<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void, once: boolean): () => void {
    let active = true;
    const unsubscribe = (): void => {
      if (!active) return;
      active = false;
      this.#emitter.off(event, wrapped);
      const byListener = this.#registrations.get(event);
      const list = byListener?.get(listener as Listener);
      if (byListener === undefined || list === undefined) return;
      list.splice(list.indexOf(unsubscribe), 1);
      if (list.length === 0) byListener.delete(listener as Listener);
    };
    const wrapped = (payload: Events[E]): void => {
      if (once) unsubscribe();
      try {
        listener(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    };
    this.#emitter.on(event, wrapped);
    let byListener = this.#registrations.get(event);
    if (byListener === undefined) this.#registrations.set(event, (byListener = new Map()));
    const list = byListener.get(listener as Listener);
    if (list === undefined) byListener.set(listener as Listener, [unsubscribe]);
    else list.push(unsubscribe);
    return unsubscribe;
  }
}
