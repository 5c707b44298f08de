import type { NormalizedRestriction } from '../../restrictions/types.js';

/** A registered restriction and the store version that introduced it. */
export interface Registered {
  readonly restriction: NormalizedRestriction;
  readonly version: string;
  /** Whether it is in the scope index (between its start and its end). */
  indexed: boolean;
  cancelTimers: (() => void)[];
}

const EMPTY: readonly Registered[] = [];

/**
 * Registered restrictions, indexed by meeting id and host account id so a
 * join's cost does not grow with restrictions scoped elsewhere. `{ all: true }`
 * restrictions are kept in one list every join consults.
 */
export class RestrictionRegistry {
  readonly #byId = new Map<string, Registered>();
  readonly #byMeeting = new Map<string, Registered[]>();
  readonly #byHost = new Map<string, Registered[]>();
  #all: Registered[] = [];

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): Registered | undefined {
    return this.#byId.get(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  values(): IterableIterator<Registered> {
    return this.#byId.values();
  }

  add(entry: Registered): void {
    this.#byId.set(entry.restriction.id, entry);
  }

  /** Removes from the registry and the index. */
  delete(id: string): Registered | undefined {
    const entry = this.#byId.get(id);
    if (entry === undefined) return undefined;
    this.unindex(entry);
    this.#byId.delete(id);
    for (const cancel of entry.cancelTimers) cancel();
    return entry;
  }

  index(entry: Registered): void {
    if (entry.indexed) return;
    entry.indexed = true;
    const { scope } = entry.restriction;
    if (scope.all) {
      this.#all = [...this.#all, entry];
      return;
    }
    for (const m of scope.meetings) push(this.#byMeeting, m, entry);
    for (const h of scope.hostAccounts) push(this.#byHost, h, entry);
  }

  unindex(entry: Registered): void {
    if (!entry.indexed) return;
    entry.indexed = false;
    const { scope } = entry.restriction;
    if (scope.all) {
      this.#all = this.#all.filter((e) => e !== entry);
      return;
    }
    for (const m of scope.meetings) pull(this.#byMeeting, m, entry);
    for (const h of scope.hostAccounts) pull(this.#byHost, h, entry);
  }

  /** Indexed restrictions scoped to this meeting (by id). */
  forMeeting(meetingId: string): readonly Registered[] {
    return this.#byMeeting.get(meetingId) ?? EMPTY;
  }

  /** Indexed restrictions scoped to this host account. */
  forHost(hostAccountId: string | undefined): readonly Registered[] {
    return hostAccountId === undefined ? EMPTY : (this.#byHost.get(hostAccountId) ?? EMPTY);
  }

  /** Indexed `{ all: true }` restrictions. */
  forAll(): readonly Registered[] {
    return this.#all;
  }

  clear(): void {
    for (const entry of this.#byId.values()) for (const cancel of entry.cancelTimers) cancel();
    this.#byId.clear();
    this.#byMeeting.clear();
    this.#byHost.clear();
    this.#all = [];
  }
}

// Lists are replaced, not mutated, so a join iterating one never sees it change underneath.
function push(map: Map<string, Registered[]>, key: string, entry: Registered): void {
  const list = map.get(key);
  map.set(key, list === undefined ? [entry] : [...list, entry]);
}

function pull(map: Map<string, Registered[]>, key: string, entry: Registered): void {
  const list = map.get(key);
  if (list === undefined) return;
  const next = list.filter((e) => e !== entry);
  if (next.length === 0) map.delete(key);
  else map.set(key, next);
}
