import { EventEmitter } from 'eventemitter3';

/**
 * A typed emitter on eventemitter3 where one throwing listener never stops
 * the others: its failure is reported through `onListenerError` instead.
 * `on` returns an unsubscribe function.
 */
export class SafeEmitter<Events extends object> {
  readonly #emitter = new EventEmitter();
  readonly #onListenerError: (error: unknown, event: keyof Events) => void;

  constructor(onListenerError: (error: unknown, event: keyof Events) => void) {
    this.#onListenerError = onListenerError;
  }

  on<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): () => void {
    const wrapped = (payload: Events[E]): void => {
      try {
        listener(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    };
    this.#emitter.on(event, wrapped);
    return () => {
      this.#emitter.off(event, wrapped);
    };
  }

  once<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
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
  }
}
