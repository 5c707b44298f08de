import { countryOfRegion } from '../../regions/index.js';
import type { NormalizedRestriction } from '../../restrictions/types.js';
import { ExemptionSet } from './exemptions.js';

/** A registered restriction and the store version that introduced it. */
export interface Registered {
  readonly restriction: NormalizedRestriction;
  version: string;
  /** Digest of the document (see `RestrictionAcceptedEvent.digest`). */
  readonly digest: string;
  /** Its window has ended: still listed (and liftable), never enforced. */
  expired: boolean;
  /** Whether it is in the scope index (between its start and its end). */
  indexed: boolean;
  /** Cancels the expiry timer (set while one is armed). */
  cancelExpiry: (() => void) | undefined;
  /**
   * Cancels the activation timer (set while one is armed). One is armed at
   * registration when the window lies ahead, and again whenever a join finds
   * the window not yet started (the clock stepped back): every start enforces.
   */
  cancelActivation: (() => void) | undefined;
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
  // `{ all: true }` restrictions that can match only inside their regions' countries, by that country;
  // every join consults just its own country's list and `#allAlways`.
  readonly #allByCountry = new Map<string, Registered[]>();
  #allAlways: Registered[] = [];
  /** Exemptions narrowing registered restrictions: the matcher asks them about a restriction that matched. */
  readonly exemptions = new ExemptionSet();
  #allScoped: Registered[] = [];
  #version = 0;

  /**
   * Changes with every registration, lift, start and end of a window: a join
   * decided across an await compares it to see whether what it assessed still holds.
   */
  get version(): number {
    return this.#version;
  }

  /** Records a change that is not a registration or index change (a window starting). */
  touch(): void {
    this.#version += 1;
  }

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
    this.#version += 1;
    this.#byId.set(entry.restriction.id, entry);
  }

  /** Removes from the registry and the index. */
  delete(id: string): Registered | undefined {
    const entry = this.#byId.get(id);
    if (entry === undefined) return undefined;
    this.#version += 1;
    this.unindex(entry);
    this.#byId.delete(id);
    cancelTimers(entry);
    return entry;
  }

  index(entry: Registered): void {
    if (entry.indexed) return;
    this.#version += 1;
    entry.indexed = true;
    const { scope } = entry.restriction;
    if (scope.all) {
      this.#allScoped = [...this.#allScoped, entry];
      const countries = countriesOnly(entry.restriction);
      if (countries === undefined) this.#allAlways = [...this.#allAlways, entry];
      else for (const c of countries) push(this.#allByCountry, c, entry);
      return;
    }
    for (const m of scope.meetings) push(this.#byMeeting, m, entry);
    for (const h of scope.hostAccounts) push(this.#byHost, h, entry);
  }

  unindex(entry: Registered): void {
    if (!entry.indexed) return;
    this.#version += 1;
    entry.indexed = false;
    const { scope } = entry.restriction;
    if (scope.all) {
      this.#allScoped = this.#allScoped.filter((e) => e !== entry);
      const countries = countriesOnly(entry.restriction);
      if (countries === undefined) this.#allAlways = this.#allAlways.filter((e) => e !== entry);
      else for (const c of countries) pull(this.#allByCountry, c, entry);
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

  /** Every indexed `{ all: true }` restriction. */
  forAllScoped(): readonly Registered[] {
    return this.#allScoped;
  }

  /** Indexed `{ all: true }` restrictions that must be checked for every join. */
  forAllAlways(): readonly Registered[] {
    return this.#allAlways;
  }

  /** Whether any `{ all: true }` restriction is indexed by country (else a join need not work out its country). */
  get hasCountryBound(): boolean {
    return this.#allByCountry.size > 0;
  }

  /**
   * Indexed `{ all: true }` restrictions that can only match a location in
   * `country` (the location's effective country, see `effectiveCountry`).
   */
  forAllInCountry(country: string | undefined): readonly Registered[] {
    return country === undefined ? EMPTY : (this.#allByCountry.get(country) ?? EMPTY);
  }

  clear(): void {
    this.#version += 1;
    for (const entry of this.#byId.values()) cancelTimers(entry);
    this.#byId.clear();
    this.#byMeeting.clear();
    this.#byHost.clear();
    this.#allByCountry.clear();
    this.#allAlways = [];
    this.#allScoped = [];
    this.exemptions.clear();
  }
}

function cancelTimers(entry: Registered): void {
  entry.cancelExpiry?.();
  entry.cancelActivation?.();
  entry.cancelExpiry = undefined;
  entry.cancelActivation = undefined;
}

/**
 * The countries a deny-list restriction can match in, or `undefined` when it
 * can match anywhere: an allow list, or one that denies unknown locations or
 * anonymisers, matches participants outside its regions' countries too.
 */
export function countriesOnly(r: NormalizedRestriction): string[] | undefined {
  if (r.allowRegions !== undefined || r.unknownLocation !== 'admit' || r.anonymizers !== 'admit') return undefined;
  const countries = new Set<string>();
  for (const region of r.regions) {
    const country = countryOfRegion(region);
    if (country === undefined) return undefined;
    countries.add(country);
  }
  return [...countries];
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
