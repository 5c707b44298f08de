/**
 * The fleet protocol over a store other than Redis: an in-process channel
 * (what another store would provide as `RestrictionStore.fleet`) shared by
 * gates on one in-memory store. Also pins down an ordering: answers that
 * arrive before the live members were read must not end the wait early.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createGate, InMemoryRestrictionStore, type Restriction, StaticResolver } from 'geoadmit';
import type { FleetAnnouncement, FleetChannel, FleetMessage } from 'geoadmit/store';
import { STATIC_TABLE } from './helpers/fixtures.js';

/** Membership and messages in this process; `membersDelayMs` makes reading the members slower than an answer. */
class LocalFleet implements FleetChannel {
  readonly #members = new Map<string, FleetAnnouncement>();
  readonly #listeners = new Map<string, (m: FleetMessage) => void>();
  membersDelayMs = 0;
  /** Members that stop answering (a hung node): messages to them are dropped. */
  readonly silent = new Set<string>();
  /** Members slow to receive (a busy node): delivery delay in ms. */
  readonly slow = new Map<string, number>();

  async announce(member: { nodeId: string; participants: number; version: string }): Promise<void> {
    this.#members.set(member.nodeId, { ...member, lastSeen: Date.now() });
  }
  async members(): Promise<{ now: number; members: FleetAnnouncement[] }> {
    if (this.membersDelayMs > 0) await new Promise((r) => setTimeout(r, this.membersDelayMs));
    return { now: Date.now(), members: [...this.#members.values()] };
  }
  async leave(nodeId: string): Promise<void> {
    this.#members.delete(nodeId);
  }
  /** How long a subscription takes to come up (a Redis Cluster connection finding its nodes); nothing is heard before. */
  listenDelayMs = 0;
  listen(nodeId: string, onMessage: (message: FleetMessage) => void) {
    if (this.listenDelayMs === 0) {
      this.#listeners.set(nodeId, onMessage);
      return { ready: Promise.resolve(), stop: () => void this.#listeners.delete(nodeId) };
    }
    let stopped = false;
    const ready = new Promise<void>((resolve) =>
      setTimeout(() => {
        if (!stopped) this.#listeners.set(nodeId, onMessage);
        resolve();
      }, this.listenDelayMs),
    );
    return {
      ready,
      stop: () => {
        stopped = true;
        this.#listeners.delete(nodeId);
      },
    };
  }
  async send(message: FleetMessage): Promise<void> {
    // Through JSON, as any transport would carry it.
    const copy = JSON.parse(JSON.stringify(message)) as FleetMessage;
    for (const [nodeId, deliver] of this.#listeners) {
      if (this.silent.has(nodeId)) continue;
      if (message.kind === 'question' || message.to === nodeId) setTimeout(() => deliver(copy), this.slow.get(nodeId) ?? 1);
    }
  }
}

class FleetMemoryStore extends InMemoryRestrictionStore {
  readonly fleet = new LocalFleet();
}

function cnTakedown(id: string, meetings: string[]): Restriction {
  return { id, authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings } };
}

describe('the fleet protocol over any store that carries messages', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  function fleetOf(store: FleetMemoryStore, ids: string[]) {
    return ids.map((nodeId) => {
      const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), restrictions: store, nodeId, fleetTimeoutMs: 500 });
      cleanup.push(() => gate.close());
      return gate;
    });
  }

  test('a member is announced only once it can hear questions: right after ready(), the fleet counts every node', async () => {
    const store = new FleetMemoryStore();
    store.fleet.listenDelayMs = 150;
    const [a, b] = fleetOf(store, ['a', 'b']);
    await Promise.all([a!.ready(), b!.ready()]);
    expect((await a!.nodes()).map((n) => n.nodeId)).toEqual(['a', 'b']);
    await b!.admit({ meetingId: 'm-1', participantId: 'pb', peerAddress: '1.2.4.9' });
    const result = await a!.restrict(cnTakedown('r-1', ['m-1']));
    expect(result.coverage).toEqual({ nodes: ['a', 'b'], missing: [], complete: true });
    expect(result.removed.map((p) => `${p.nodeId}/${p.participantId}`)).toEqual(['b/pb']);
  });

  test('a store unreachable at start: ready() resolves on the last-known restrictions without waiting for the fleet', async () => {
    const store = new FleetMemoryStore();
    store.snapshot = () => Promise.reject(new Error('connection refused'));
    // Its subscription would never come up.
    store.fleet.listenDelayMs = 600_000;
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      restrictions: store,
      nodeId: 'cold',
      fleetTimeoutMs: 600_000,
      lastKnownRestrictions: [cnTakedown('known', ['m-1'])],
    });
    gate.on('error', () => undefined);
    cleanup.push(() => gate.close());
    const outcome = await Promise.race([gate.ready().then(() => 'ready'), new Promise((r) => setTimeout(() => r('still waiting'), 5_000))]);
    expect(outcome).toBe('ready');
    expect(gate.restrictions().map((r) => r.id)).toEqual(['known']);
  });

  test('answers that arrive before the live members are read still wait for every live member', async () => {
    const store = new FleetMemoryStore();
    const [a, b, c] = fleetOf(store, ['a', 'b', 'c']);
    await Promise.all([a!.ready(), b!.ready(), c!.ready()]);
    await a!.admit({ meetingId: 'm-1', participantId: 'pa', peerAddress: '1.2.4.8' });
    await b!.admit({ meetingId: 'm-1', participantId: 'pb', peerAddress: '1.2.4.9' });
    await c!.admit({ meetingId: 'm-1', participantId: 'pc', peerAddress: '1.2.4.10' });
    // b answers before the members are read, c after: the wait must not end with b's answer.
    store.fleet.membersDelayMs = 30;
    store.fleet.slow.set('c', 80);
    const preview = await a!.preview(cnTakedown('r-1', ['m-1']));
    expect(preview.coverage).toEqual({ nodes: ['a', 'b', 'c'], missing: [], complete: true });
    expect(preview.matched.map((p) => `${p.nodeId}/${p.participantId}`).sort()).toEqual(['a/pa', 'b/pb', 'c/pc']);
  });

  test('a silent member is missing; restrict, preview and the overview still answer for the rest', async () => {
    const store = new FleetMemoryStore();
    const [a, b, c] = fleetOf(store, ['a', 'b', 'c']);
    await Promise.all([a!.ready(), b!.ready(), c!.ready()]);
    await b!.admit({ meetingId: 'm-1', participantId: 'pb', peerAddress: '1.2.4.9' });
    await c!.admit({ meetingId: 'm-1', participantId: 'pc', peerAddress: '1.2.4.10' });
    store.fleet.silent.add('c');
    const overview = await a!.fleetOverview();
    expect(overview.coverage).toEqual({ nodes: ['a', 'b'], missing: ['c'], complete: false });
    const result = await a!.restrict(cnTakedown('r-2', ['m-1']));
    expect(result.coverage).toEqual({ nodes: ['a', 'b'], missing: ['c'], complete: false });
    expect(result.removed.map((p) => `${p.nodeId}/${p.participantId}`)).toEqual(['b/pb']);
    // The silent member still enforces: the store's feed reached it.
    expect(c!.participants('m-1')).toEqual([]);
  });

  test('an answer that is not a part (hostile or from another version) is not counted: the node is missing', async () => {
    const store = new FleetMemoryStore();
    const [a] = fleetOf(store, ['a']);
    await a!.ready();
    await store.fleet.announce({ nodeId: 'liar', participants: 1, version: '0' });
    store.fleet.listen('liar', (m) => {
      if (m.kind === 'question')
        void store.fleet.send({ kind: 'answer', id: m.id, from: 'liar', to: m.from, body: { ok: true, part: { removed: 'everyone' } } });
    });
    const preview = await a!.preview(cnTakedown('r-3', ['m-1']));
    expect(preview.coverage).toEqual({ nodes: ['a'], missing: ['liar'], complete: false });
    const overview = await a!.fleetOverview();
    expect(overview.coverage.missing).toEqual(['liar']);
  });
});
