/**
 * The `RestrictionStore` contract: what a gate relies on from any store. The project runs it
 * against the in-memory and the Redis store, so the in-memory twin is held to the behaviour of the
 * store it stands in for; authors of another store run it against theirs.
 */
import { isGeoadmitError, type Restriction, type RestrictionStore } from '../../index.js';
import type { RestrictionChange, RestrictionSubscriber } from '../../store/index.js';
import type { ContractRunner } from './runner.js';

/** One store under test, plus a second handle on the same data (another node of a fleet). */
export interface RestrictionStoreUnderTest {
  /** The store the clauses write to and read from: fresh and empty. */
  store: RestrictionStore;
  /** Another store object over the same data: memory returns the same instance, Redis a new client. */
  peer(): RestrictionStore;
}

/** Makes a fresh, empty store for one test; everything it returns is closed by the caller's hooks. */
export type RestrictionStoreFactory = () => Promise<RestrictionStoreUnderTest>;

/** Contract clauses an implementation is known to break, each with the reason (shown in the test name). */
export type RestrictionStoreKnownDifferences = Partial<Record<'closed' | 'malformed-versions', string>>;

/** A valid takedown document (what the gate hands a store after validation). */
function doc(id: string, meeting = 'm-1'): Restriction {
  return { id, authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: [meeting] } };
}

function recorder() {
  const changes: RestrictionChange[] = [];
  const errors: Error[] = [];
  const subscriber: RestrictionSubscriber = { onChange: (c) => changes.push(c), onError: (e) => errors.push(e) };
  return { subscriber, changes, errors };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets a store deliver anything it was going to (microtasks, a stream read round trip). */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 150));
}

function version(result: { version: string; conflict?: false } | { conflict: true }): string {
  if (result.conflict === true) throw new Error('unexpected conflict');
  return result.version;
}

const byId = (list: readonly Restriction[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/**
 * Registers the contract's tests for one `RestrictionStore` implementation (call inside a
 * `describe`). Stores are never closed here: close what `make` opened in your own `afterEach`.
 *
 * @param runner the runner's `test` and `expect` (vitest's)
 * @param make a fresh empty store per test, and a second handle on the same data
 * @param known clauses your store is known to break, each with the reason: they run as expected failures
 *
 * @example
 * import { describe, expect, test } from 'vitest';
 * import { InMemoryRestrictionStore } from 'geoadmit';
 * import { restrictionStoreContract } from 'geoadmit/testing';
 *
 * describe('my store', () => {
 *   restrictionStoreContract({ test, expect }, async () => {
 *     const store = new InMemoryRestrictionStore();
 *     return { store, peer: () => store };
 *   });
 * });
 */
export function restrictionStoreContract(runner: ContractRunner, make: RestrictionStoreFactory, known: RestrictionStoreKnownDifferences = {}): void {
  const { test, expect } = runner;
  // A known difference runs as `test.fails`: visible in every run, and it turns red the day the
  // implementation is fixed, so the note cannot outlive the difference.
  const clause = (key: keyof RestrictionStoreKnownDifferences, name: string, body: () => Promise<void>) =>
    known[key] === undefined ? test(name, body) : test.fails(`${name} [known difference: ${known[key]}]`, body);

  test('an empty store: no restrictions, a version equal to itself, a name', async () => {
    const { store } = await make();
    const snap = await store.snapshot();
    expect(snap.restrictions).toEqual([]);
    expect(typeof snap.version).toBe('string');
    expect(store.compareVersions(snap.version, snap.version)).toBe(0);
    expect(store.metadata.name).toMatch(/\S/);
  });

  test('put answers strictly increasing versions; the snapshot holds every document at the last one', async () => {
    const { store } = await make();
    const start = (await store.snapshot()).version;
    const versions = [start];
    for (const id of ['a', 'b', 'c']) versions.push(version(await store.put(doc(id, `m-${id}`))));
    for (let i = 1; i < versions.length; i++) {
      expect(store.compareVersions(versions[i - 1]!, versions[i]!)).toBeLessThan(0);
      expect(store.compareVersions(versions[i]!, versions[i - 1]!)).toBeGreaterThan(0);
    }
    const snap = await store.snapshot();
    expect(snap.version).toBe(versions[3]);
    expect(byId(snap.restrictions)).toEqual([doc('a', 'm-a'), doc('b', 'm-b'), doc('c', 'm-c')]);
  });

  test('a second put of an id is a conflict that writes nothing and notifies nobody', async () => {
    const { store } = await make();
    const v1 = version(await store.put(doc('a')));
    const rec = recorder();
    const off = store.subscribe(v1, rec.subscriber);
    expect(await store.put({ ...doc('a', 'm-other'), reference: 'second copy' })).toEqual({ conflict: true });
    await settle();
    off();
    expect(rec.changes).toEqual([]);
    expect(await store.snapshot()).toEqual({ version: v1, restrictions: [doc('a')] });
  });

  test('delete removes with a new version; deleting what is not there answers the current version and writes nothing', async () => {
    const { store } = await make();
    const v1 = version(await store.put(doc('a')));
    const removed = await store.delete('a');
    expect(removed.existed).toBe(true);
    expect(store.compareVersions(removed.version, v1)).toBeGreaterThan(0);
    expect(await store.delete('a')).toEqual({ version: removed.version, existed: false });
    expect(await store.delete('never-was')).toEqual({ version: removed.version, existed: false });
    expect(await store.snapshot()).toEqual({ version: removed.version, restrictions: [] });
  });

  test('a subscriber from the snapshot version receives every later change once, in order, with the versions the writes answered', async () => {
    const { store } = await make();
    const from = (await store.snapshot()).version;
    const rec = recorder();
    const off = store.subscribe(from, rec.subscriber);
    const va = version(await store.put(doc('a')));
    const vb = version(await store.put(doc('b', 'm-2')));
    const vd = (await store.delete('a')).version;
    await until(() => rec.changes.length >= 3, 'three changes');
    await settle();
    off();
    expect(rec.changes.map((c) => [c.op, c.id, c.version])).toEqual([
      ['put', 'a', va],
      ['put', 'b', vb],
      ['delete', 'a', vd],
    ]);
    const [putA] = rec.changes;
    expect(putA?.op === 'put' && putA.restriction).toEqual(doc('a'));
    for (const c of rec.changes) expect(Number.isFinite(c.time)).toBe(true);
    expect(rec.errors).toEqual([]);
  });

  test('a subscriber from an older version catches up on what it missed, then follows', async () => {
    const { store } = await make();
    const start = (await store.snapshot()).version;
    const v1 = version(await store.put(doc('a')));
    const v2 = version(await store.put(doc('b', 'm-2')));
    const rec = recorder();
    const off = store.subscribe(start, rec.subscriber);
    await until(() => rec.changes.length >= 2, 'catch-up');
    const v3 = version(await store.put(doc('c', 'm-3')));
    await until(() => rec.changes.length >= 3, 'the change after catch-up');
    off();
    expect(rec.changes.map((c) => c.version)).toEqual([v1, v2, v3]);

    // From the middle: only what came after it.
    const late = recorder();
    const offLate = store.subscribe(v2, late.subscriber);
    await until(() => late.changes.length >= 1, 'catch-up from v2');
    await settle();
    offLate();
    expect(late.changes.map((c) => c.version)).toEqual([v3]);
  });

  test('a change made through another handle reaches every subscriber, in the same order', async () => {
    const { store, peer } = await make();
    const other = peer();
    const from = (await store.snapshot()).version;
    const first = recorder();
    const second = recorder();
    const offs = [store.subscribe(from, first.subscriber), other.subscribe(from, second.subscriber)];
    await other.put(doc('x'));
    await store.put(doc('y', 'm-2'));
    await other.delete('x');
    await until(() => first.changes.length >= 3 && second.changes.length >= 3, 'both subscribers');
    for (const off of offs) off();
    expect(first.changes).toEqual(second.changes);
    expect(first.changes.map((c) => `${c.op}:${c.id}`)).toEqual(['put:x', 'put:y', 'delete:x']);
    expect(byId((await other.snapshot()).restrictions)).toEqual([doc('y', 'm-2')]);
  });

  test('unsubscribing stops delivery', async () => {
    const { store } = await make();
    const rec = recorder();
    const off = store.subscribe((await store.snapshot()).version, rec.subscriber);
    await store.put(doc('a'));
    await until(() => rec.changes.length >= 1, 'the first change');
    off();
    await store.put(doc('b', 'm-2'));
    await settle();
    expect(rec.changes.map((c) => c.id)).toEqual(['a']);
  });

  test('documents are copies: changing what was put, a snapshot or a delivered change changes nothing stored', async () => {
    const { store } = await make();
    const rec = recorder();
    const off = store.subscribe((await store.snapshot()).version, rec.subscriber);
    const mine = doc('a');
    await store.put(mine);
    (mine.regions as string[]).push('HK');
    await until(() => rec.changes.length >= 1, 'the change');
    off();
    const delivered = rec.changes[0];
    if (delivered?.op === 'put') (delivered.restriction.regions as string[]).push('TW');
    const snap = await store.snapshot();
    (snap.restrictions[0]!.regions as string[]).push('US');
    expect((await store.snapshot()).restrictions).toEqual([doc('a')]);
  });

  test('ids such as __proto__ and constructor are ordinary ids', async () => {
    const { store } = await make();
    await store.put(doc('__proto__'));
    await store.put(doc('constructor', 'm-2'));
    expect(byId((await store.snapshot()).restrictions).map((r) => r.id)).toEqual(['__proto__', 'constructor']);
    expect((await store.delete('__proto__')).existed).toBe(true);
    expect(({} as Record<string, unknown>).id).toBeUndefined();
  });

  test('a subscriber whose onChange throws is told through onError and still receives later changes', async () => {
    const { store } = await make();
    const seen: string[] = [];
    const errors: Error[] = [];
    const off = store.subscribe((await store.snapshot()).version, {
      onChange: (c) => {
        seen.push(c.id);
        if (c.id === 'a') throw new Error('listener failed');
      },
      onError: (e) => errors.push(e),
    });
    await store.put(doc('a'));
    await store.put(doc('b', 'm-2'));
    await until(() => seen.length >= 2, 'both changes');
    off();
    expect(seen).toEqual(['a', 'b']);
    expect(errors.map((e) => e.message).join(' ')).toMatch(/listener failed/);
  });

  test('exemptions: one more kind of change in the same history, their own id namespace, in the snapshot and the feed of every peer', async () => {
    const { store, peer } = await make();
    if (typeof store.putExemption !== 'function' || typeof store.deleteExemption !== 'function') throw new Error('this store cannot hold exemptions');
    const other = peer();
    const from = (await other.snapshot()).version;
    const seen = recorder();
    const off = other.subscribe(from, seen.subscriber);
    const put = version(await store.put(doc('a')));
    const exemption = { id: 'a', restrictionId: 'a', participants: ['p-1'], reason: 'appeal', restrictionDigest: '0123456789abcdef' };
    const granted = version(await store.putExemption(exemption));
    expect(store.compareVersions(put, granted)).toBeLessThan(0);
    // The same id as a restriction is no conflict; the same exemption id is, and writes nothing.
    expect(await store.putExemption({ ...exemption, reason: 'again' })).toEqual({ conflict: true });
    const snap = await other.snapshot();
    expect(snap.version).toBe(granted);
    expect(snap.restrictions.map((r) => r.id)).toEqual(['a']);
    expect(snap.exemptions).toEqual([exemption]);
    const revoked = await store.deleteExemption('a');
    expect(revoked.existed).toBe(true);
    expect(store.compareVersions(granted, revoked.version)).toBeLessThan(0);
    const missing = await store.deleteExemption('a');
    expect(missing).toEqual({ version: revoked.version, existed: false });
    await until(() => seen.changes.length >= 3, 'the put, the grant and the revocation');
    await settle();
    off();
    expect(seen.changes.map((c) => [c.op, c.id])).toEqual([
      ['put', 'a'],
      ['exempt', 'a'],
      ['revoke', 'a'],
    ]);
    expect(seen.changes[1]).toMatchObject({ op: 'exempt', exemption, version: granted });
    expect((await other.snapshot()).exemptions ?? []).toEqual([]);
    expect((await other.snapshot()).restrictions.map((r) => r.id)).toEqual(['a']);
  });

  clause('closed', 'after close, reads, writes and subscriptions are refused with E_CLOSED', async () => {
    const { store } = await make();
    await store.close?.();
    const refused = async (what: string, call: () => Promise<unknown>) => {
      const outcome = await call().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      expect('error' in outcome && isGeoadmitError(outcome.error, 'E_CLOSED'), `${what} after close`).toBe(true);
    };
    await refused('put', () => store.put(doc('late')));
    await refused('delete', () => store.delete('late'));
    await refused('snapshot', () => store.snapshot());
    await refused('subscribe', async () => store.subscribe('0', recorder().subscriber));
  });

  clause('malformed-versions', 'compareVersions refuses a version it never issued (E_INVALID_CONFIG) instead of guessing', async () => {
    const { store } = await make();
    const v = (await store.snapshot()).version;
    for (const bad of ['', 'x', '1.5', '-1', ' 1']) {
      expect(() => store.compareVersions(bad, v), JSON.stringify(bad)).toThrowError(expect.objectContaining({ code: 'E_INVALID_CONFIG' }));
    }
  });
}
