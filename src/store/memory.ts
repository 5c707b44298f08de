import type { Restriction } from '../restrictions/types.js';
import type { RestrictionChange, RestrictionSnapshot, RestrictionStore, RestrictionSubscriber, StoredExemption } from './types.js';

/**
 * The default {@link RestrictionStore}: restrictions in this process's
 * memory. For one process, tests and demos; gates sharing one instance all
 * enforce a change made through any of them. Versions are decimal integers.
 */
export class InMemoryRestrictionStore implements RestrictionStore {
  /** Identifies the store as `memory` in store events and messages. */
  readonly metadata = { name: 'memory' } as const;
  readonly #current = new Map<string, Restriction>();
  readonly #exemptions = new Map<string, StoredExemption>();
  readonly #log: RestrictionChange[] = [];
  readonly #subscribers = new Set<{ last: number; subscriber: RestrictionSubscriber }>();
  #version = 0;

  /** @param initial documents to start with (assumed valid; the gate validates what it loads). */
  constructor(initial: readonly Restriction[] = []) {
    for (const r of initial) this.#current.set(r.id, structuredClone(r));
  }

  async snapshot(): Promise<RestrictionSnapshot> {
    const snapshot: RestrictionSnapshot = { version: String(this.#version), restrictions: [...this.#current.values()].map((r) => structuredClone(r)) };
    if (this.#exemptions.size > 0) snapshot.exemptions = [...this.#exemptions.values()].map((e) => structuredClone(e));
    return snapshot;
  }

  async put(restriction: Restriction): Promise<{ version: string; conflict?: false } | { conflict: true }> {
    if (this.#current.has(restriction.id)) return { conflict: true };
    const doc = structuredClone(restriction);
    this.#current.set(doc.id, doc);
    return { version: this.#append({ op: 'put', id: doc.id, restriction: doc }) };
  }

  async delete(id: string, options: { always?: boolean } = {}): Promise<{ version: string; existed: boolean }> {
    if (!this.#current.delete(id)) {
      // Recorded anyway on request: a follower may still enforce it from before it went missing.
      if (options?.always === true) return { version: this.#append({ op: 'delete', id }), existed: false };
      return { version: String(this.#version), existed: false };
    }
    return { version: this.#append({ op: 'delete', id }), existed: true };
  }

  async putExemption(exemption: StoredExemption): Promise<{ version: string; conflict?: false } | { conflict: true }> {
    if (this.#exemptions.has(exemption.id)) return { conflict: true };
    const doc = structuredClone(exemption);
    this.#exemptions.set(doc.id, doc);
    return { version: this.#append({ op: 'exempt', id: doc.id, exemption: doc }) };
  }

  async deleteExemption(id: string): Promise<{ version: string; existed: boolean }> {
    if (!this.#exemptions.delete(id)) return { version: String(this.#version), existed: false };
    return { version: this.#append({ op: 'revoke', id }), existed: true };
  }

  subscribe(fromVersion: string, subscriber: RestrictionSubscriber): () => void {
    const entry = { last: Number(fromVersion) || 0, subscriber };
    this.#subscribers.add(entry);
    // Deliver what the subscriber missed, asynchronously like a remote store would.
    queueMicrotask(() => this.#deliver(entry));
    return () => {
      this.#subscribers.delete(entry);
    };
  }

  compareVersions(a: string, b: string): number {
    return (Number(a) || 0) - (Number(b) || 0);
  }

  /** Drops every subscriber; the restrictions held are kept. */
  async close(): Promise<void> {
    this.#subscribers.clear();
  }

  #append(
    change:
      | { op: 'put'; id: string; restriction: Restriction }
      | { op: 'delete'; id: string }
      | { op: 'exempt'; id: string; exemption: StoredExemption }
      | { op: 'revoke'; id: string },
  ): string {
    this.#version += 1;
    const full = { ...change, version: String(this.#version), time: Date.now() } as RestrictionChange;
    this.#log.push(full);
    queueMicrotask(() => {
      for (const entry of this.#subscribers) this.#deliver(entry);
    });
    return full.version;
  }

  #deliver(entry: { last: number; subscriber: RestrictionSubscriber }): void {
    if (!this.#subscribers.has(entry)) return;
    // Version n is log entry n - 1, so delivery starts right after the last one seen.
    for (let i = Math.max(0, entry.last); i < this.#log.length; i++) {
      const change = this.#log[i]!;
      entry.last = i + 1;
      try {
        entry.subscriber.onChange(
          change.op === 'put'
            ? { ...change, restriction: structuredClone(change.restriction) }
            : change.op === 'exempt'
              ? { ...change, exemption: structuredClone(change.exemption) }
              : change,
        );
      } catch (error) {
        entry.subscriber.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}
