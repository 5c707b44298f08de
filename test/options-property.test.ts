/**
 * Every public factory and function, given arbitrary and hostile values
 * (Proxies whose traps throw, cycles, BigInt, holes, NaN, symbols, getters
 * that throw) as arguments and option values: nothing throws or rejects with
 * anything but a GeoadmitError, and nothing ends the process (no uncaught
 * exception, no unhandled rejection while the properties run).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { types } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createGate,
  isGeoadmitError,
  MaxMindResolver,
  normalizeAddress,
  openDefaultResolver,
  OverlayResolver,
  redactAddress,
  StaticResolver,
  validateRestriction,
  validateRestrictions,
} from 'geoadmit';
import { createJsonlAuditSink, verifyAuditLog } from 'geoadmit/audit';
import { buildMmdb } from 'geoadmit/mmdb';
import { buildTransparencyReport } from 'geoadmit/report';
import { createConsole } from 'geoadmit/console';
import { admissionMiddleware, fastifyAdmission, fastifyAdmissionHook, honoAdmission, joinFromRequest } from 'geoadmit/http';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { janusRemover } from 'geoadmit/janus';
import { livekitRemover } from 'geoadmit/livekit';
import { addressIn, createTestGate, testResolver } from 'geoadmit/testing';
import { makeTempDir } from './helpers/cli.js';
import { soundMmdb } from '../bench/lib/crafted-mmdb.mjs';

const SEED = 28;
const RUNS = 40;
const tmp = makeTempDir('geoadmit-options-');

// Anything that ends the process would arrive here first.
const escaped: unknown[] = [];
const onEscape = (error: unknown): void => void escaped.push(error);
beforeAll(() => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
});
afterAll(async () => {
  // Let timers and microtasks queued by the calls run before looking.
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  tmp.cleanup();
  expect(escaped).toEqual([]);
});

// ---- hostile values ----------------------------------------------------------------------------

const boom = (): never => {
  throw new Error('hostile trap');
};
const throwingProxy = (): object =>
  new Proxy(
    {},
    {
      get: boom,
      has: boom,
      ownKeys: boom,
      getOwnPropertyDescriptor: boom,
      getPrototypeOf: boom,
      apply: boom,
      construct: boom,
      set: boom,
      defineProperty: boom,
    },
  );
const throwingFunctionProxy = (): object => new Proxy(() => undefined, { get: boom, apply: boom, getPrototypeOf: boom, ownKeys: boom });
const revoked = (): object => {
  const r = Proxy.revocable({}, {});
  r.revoke();
  return r.proxy;
};
const cyclicObject = (): object => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};
const cyclicArray = (): unknown[] => {
  const a: unknown[] = [1];
  a.push(a);
  return a;
};
const throwingGetter = (): object =>
  Object.defineProperty({}, 'x', {
    enumerable: true,
    get: boom,
  });
const throwingToString = (): object => ({ toString: boom, valueOf: boom, toJSON: boom, [Symbol.toPrimitive]: boom });
const holey = (): unknown[] => [1, , 3];

/**
 * Hostile values by name, built inside each property run: fast-check itself
 * inspects the values it generates (and would trip over a throwing Proxy),
 * so it generates names and plain values, and the test builds the rest.
 */
const HOSTILE: Record<string, () => unknown> = {
  nan: () => Number.NaN,
  infinity: () => Number.POSITIVE_INFINITY,
  minusInfinity: () => Number.NEGATIVE_INFINITY,
  minusZero: () => -0,
  bigint: () => 10n,
  hugeBigint: () => 2n ** 70n,
  symbol: () => Symbol('hostile'),
  null: () => null,
  undefined: () => undefined,
  empty: () => '',
  nul: () => '\u0000',
  long: () => 'x'.repeat(5000),
  throwingProxy,
  throwingFunctionProxy,
  revoked,
  cyclicObject,
  cyclicArray,
  throwingGetter,
  throwingToString,
  holey,
  sparse: () => new Array(3),
  nullPrototype: () => Object.create(null) as object,
  invalidDate: () => new Date(Number.NaN),
  nanClock: () => () => Number.NaN,
  throwingFunction: () => boom,
};

/** What fast-check generates: a hostile value's name, or a plain arbitrary value. */
type Spec = { readonly hostile: string } | { readonly plain: unknown };

const hostileSpec: fc.Arbitrary<Spec> = fc.constantFrom(...Object.keys(HOSTILE)).map((name) => ({ hostile: name }));

/** A hostile value or an arbitrary one (every JavaScript kind, BigInt and sparse arrays included). */
const value: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 3, arbitrary: hostileSpec },
  {
    weight: 2,
    arbitrary: fc
      .anything({
        withBigInt: true,
        withNullPrototype: true,
        withSparseArray: true,
        withBoxedValues: true,
        withMap: true,
        withSet: true,
        withDate: true,
        maxDepth: 2,
      })
      .map((plain) => ({ plain })),
  },
);

/** The value a spec names (hostile ones built fresh: some are stateful). */
function build(spec: Spec): unknown {
  return 'hostile' in spec ? (HOSTILE[spec.hostile] as () => unknown)() : spec.plain;
}

type OptionsSpec = { readonly entries: readonly (readonly [string, Spec])[] } | { readonly whole: Spec };

/** Options: known keys (and near misses) with arbitrary values; sometimes the options object itself is hostile. */
const options = (keys: readonly string[]): fc.Arbitrary<OptionsSpec> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }), value), {
          maxLength: 4,
        })
        .map((entries) => ({ entries })),
    },
    { weight: 1, arbitrary: hostileSpec.map((whole) => ({ whole })) },
  );

/** The options object a spec describes. */
function buildOptions(spec: OptionsSpec, base: Record<string, unknown> = {}): unknown {
  if ('whole' in spec) return build(spec.whole);
  const out: Record<string, unknown> = { ...base };
  for (const [key, v] of spec.entries) out[key] = build(v);
  return out;
}

// ---- the harness -------------------------------------------------------------------------------

/** Runs `call`; a throw or rejection must be a GeoadmitError; anything returned that holds resources is closed. */
async function attempt(name: string, call: () => unknown): Promise<void> {
  let result: unknown;
  try {
    result = await call();
  } catch (error) {
    if (!isGeoadmitError(error)) {
      throw new Error(`${name} threw something other than a GeoadmitError: ${error instanceof Error ? `${error.name}: ${error.message}` : typeof error}`, {
        cause: error,
      });
    }
    return;
  }
  await release(result);
}

async function release(result: unknown): Promise<void> {
  if (result === null || typeof result !== 'object') return;
  const r = result as { close?: () => unknown; gate?: { close?: () => unknown } };
  try {
    if (typeof r.close === 'function') await r.close();
    if (typeof r.gate?.close === 'function') await r.gate.close();
  } catch {
    // Closing is not what is tested here.
  }
}

const run = (property: fc.IAsyncProperty<never>, runs = RUNS) => fc.assert(property, { seed: SEED, numRuns: runs, endOnFailure: true });

const geo = new StaticResolver({ '1.2.4.0/24': 'CN' });

const GATE_KEYS = [
  'geo',
  'trustedProxies',
  'forwardedHeader',
  'restrictions',
  'lastKnownRestrictions',
  'rules',
  'locationSources',
  'onRuleError',
  'ruleTimeoutMs',
  'audit',
  'onRemove',
  'removalTimeoutMs',
  'cdn',
  'clock',
  'nodeId',
  'fleetTimeoutMs',
];

describe('hostile values never escape as anything but a GeoadmitError', () => {
  test('createGate options (with a working geo, and without)', async () => {
    await run(
      fc.asyncProperty(options(GATE_KEYS), fc.boolean(), async (spec, withGeo) => {
        await attempt('createGate', () => createGate(buildOptions(spec, withGeo ? { geo } : {}) as never));
      }) as never,
      150,
    );
  });

  test('a gate given hostile joins, documents, ids and listeners', async () => {
    const gate = createGate({ geo });
    try {
      await run(
        fc.asyncProperty(value, value, value, async (x, y, z) => {
          const [a, b, c] = [build(x), build(y), build(z)];
          await attempt('gate.admit', () => gate.admit(a as never));
          await attempt('gate.admit (fields)', () => gate.admit({ meetingId: a, participantId: b, peerAddress: c, headers: a } as never));
          await attempt('gate.restrict', () => gate.restrict(a as never));
          await attempt('gate.preview', () => gate.preview(b as never));
          await attempt('gate.lift', () => gate.lift(a as never));
          await attempt('gate.leave', () => gate.leave(a as never, b as never));
          await attempt('gate.endMeeting', () => gate.endMeeting(c as never));
        }) as never,
        120,
      );
    } finally {
      gate.close();
    }
  });

  test('StaticResolver, StaticResolver.fromGeofeed and OverlayResolver', async () => {
    await run(
      fc.asyncProperty(value, options(['name']), async (x, spec) => {
        await attempt('new StaticResolver', () => new StaticResolver(build(x) as never, buildOptions(spec) as never));
        await attempt('new StaticResolver (table entries)', () => new StaticResolver({ '1.2.4.0/24': build(x) } as never));
        await attempt('StaticResolver.fromGeofeed', () => StaticResolver.fromGeofeed(build(x) as never, buildOptions(spec) as never));
        await attempt('new OverlayResolver', () => new OverlayResolver(build(x) as never));
        await attempt('new OverlayResolver (layers)', () => new OverlayResolver([geo, build(x)] as never));
      }) as never,
    );
  });

  test('MaxMindResolver.open, fromBuffers and openDefaultResolver', async () => {
    const keys = ['watch', 'watchDebounceMs', 'fs', 'clock', 'cacheSize', 'verify'];
    const buffer = soundMmdb();
    await run(
      fc.asyncProperty(value, options(keys), async (x, spec) => {
        await attempt('MaxMindResolver.open (paths)', () => MaxMindResolver.open(build(x) as never));
        await attempt('MaxMindResolver.open (options)', () => MaxMindResolver.open(join(tmp.dir, 'missing.mmdb'), buildOptions(spec) as never));
        await attempt('MaxMindResolver.fromBuffers', () => MaxMindResolver.fromBuffers(build(x) as never));
        await attempt('MaxMindResolver.fromBuffers (options)', () => MaxMindResolver.fromBuffers([{ name: 'sound', buffer }], buildOptions(spec) as never));
        await attempt('MaxMindResolver.fromBuffers (entries)', () => MaxMindResolver.fromBuffers([{ name: build(x), buffer: build(x) }] as never));
      }) as never,
    );
    // Fewer runs: an accepted set of options opens the real default database.
    await run(
      fc.asyncProperty(options([...keys, 'cwd', 'resolvePackage']), async (spec) => {
        await attempt('openDefaultResolver', () => openDefaultResolver(buildOptions(spec) as never));
      }) as never,
      12,
    );
  });

  test('address, restriction, database-building and report functions', async () => {
    await run(
      fc.asyncProperty(value, value, async (x, y) => {
        const [a, b] = [build(x), build(y)];
        await attempt('normalizeAddress', () => normalizeAddress(a as never));
        await attempt('redactAddress', () => redactAddress(a as never, b as never));
        await attempt('validateRestriction', () => validateRestriction(a, b as never));
        await attempt('validateRestrictions', () => validateRestrictions(a));
        await attempt('buildMmdb', () => buildMmdb(a as never, b as never));
        await attempt('buildTransparencyReport', () => buildTransparencyReport(a as never, b as never));
      }) as never,
      80,
    );
  });

  test('audit sink and log verification', async () => {
    const log = join(tmp.dir, 'audit.jsonl');
    const keys = ['fsync', 'fsyncIntervalMs', 'whenUnwritable', 'maxBufferedEvents', 'clock', 'rotate', 'checkpoint', 'signingKey', 'hmacKey', 'onError'];
    await run(
      fc.asyncProperty(options(keys), value, async (spec, x) => {
        await attempt('createJsonlAuditSink', () => createJsonlAuditSink(log, buildOptions(spec) as never));
        await attempt('createJsonlAuditSink (path)', () => createJsonlAuditSink(build(x) as never));
        await attempt('verifyAuditLog', () => verifyAuditLog(log, buildOptions(spec) as never));
        await attempt('verifyAuditLog (path)', () => verifyAuditLog(build(x) as never));
      }) as never,
    );
  });

  test('the Redis restriction store (never contacting anything but a closed loopback port)', async () => {
    const keys = ['client', 'url', 'prefix', 'connectTimeoutMs', 'blockMs', 'maxStreamLength', 'onError'];
    await run(
      fc.asyncProperty(options(keys), async (spec) => {
        const opts = buildOptions(spec, { url: 'redis://127.0.0.1:1' });
        // A string url could name a real host: only the closed loopback port is ever dialled.
        if (opts !== null && typeof opts === 'object' && !types.isProxy(opts) && typeof (opts as { url?: unknown }).url === 'string') {
          (opts as { url: string }).url = 'redis://127.0.0.1:1';
        }
        await attempt('createRedisRestrictionStore', () => createRedisRestrictionStore(opts as never));
      }) as never,
      30,
    );
  });

  test('integrations: console, http adapters, Janus and LiveKit removers', async () => {
    const gate = createGate({ geo });
    const consoleKeys = ['token', 'authorize', 'basePath', 'auditLog', 'cors', 'maxBodyBytes', 'heartbeatMs', 'overviewIntervalMs'];
    const adapterKeys = ['gate', 'join', 'onError', 'onDenied', 'hook', 'peerAddress'];
    const removerKeys = ['url', 'secret', 'adminKey', 'apiSecret', 'token', 'room', 'participant', 'identity', 'absent', 'timeoutMs'];
    try {
      await run(
        fc.asyncProperty(options([...consoleKeys, ...adapterKeys, ...removerKeys]), value, async (spec, x) => {
          const opts = (): never => buildOptions(spec) as never;
          await attempt('createConsole', () => createConsole(gate, opts()));
          await attempt('createConsole (gate)', () => createConsole(build(x) as never, { token: 'x'.repeat(32) }));
          await attempt('admissionMiddleware', () => admissionMiddleware(gate, opts()));
          await attempt('admissionMiddleware (gate)', () => admissionMiddleware(build(x) as never, { join: () => ({ meetingId: 'm', participantId: 'p' }) }));
          await attempt('honoAdmission', () => honoAdmission(gate, opts()));
          await attempt('fastifyAdmissionHook', () => fastifyAdmissionHook(gate, opts()));
          await attempt('joinFromRequest', () => joinFromRequest(build(x) as never, opts()));
          await attempt('janusRemover', () => janusRemover(opts()));
          await attempt('livekitRemover', () => livekitRemover(build(x) as never, opts()));
          await attempt('livekitRemover (options)', () => livekitRemover({ removeParticipant: async () => undefined }, opts()));
        }) as never,
      );
    } finally {
      gate.close();
    }
  });

  test('the testing kit', async () => {
    await run(
      fc.asyncProperty(value, options(['ipv6', 'index']), async (x, spec) => {
        await attempt('addressIn', () => addressIn(build(x) as never, buildOptions(spec) as never));
        await attempt('testResolver', () => testResolver(build(x) as never));
        await attempt('createTestGate', () => createTestGate(buildOptions(spec) as never));
      }) as never,
    );
  });
});

describe('every public factory refuses option keys it does not know, naming them', () => {
  const joinIds = () => ({ meetingId: 'm', participantId: 'p' });
  const extra = { bogusOption: 1 };
  const cases: [string, () => unknown][] = [
    ['createGate', () => createGate({ geo, ...extra } as never)],
    ['StaticResolver', () => new StaticResolver({}, extra as never)],
    ['MaxMindResolver.fromBuffers', () => MaxMindResolver.fromBuffers([{ name: 'sound', buffer: soundMmdb() }], extra as never)],
    ['MaxMindResolver.open', () => MaxMindResolver.open(join(tmp.dir, 'x.mmdb'), extra as never)],
    ['openDefaultResolver', () => openDefaultResolver(extra as never)],
    ['createJsonlAuditSink', () => createJsonlAuditSink(join(tmp.dir, 'keys.jsonl'), extra as never)],
    ['verifyAuditLog', () => verifyAuditLog(join(tmp.dir, 'keys.jsonl'), extra as never)],
    ['createRedisRestrictionStore', () => createRedisRestrictionStore({ url: 'redis://127.0.0.1:1', ...extra } as never)],
    ['createConsole', () => createConsole(createGate({ geo }), { token: 'x'.repeat(32), ...extra } as never)],
    ['janusRemover', () => janusRemover({ url: 'http://127.0.0.1:1/janus', ...extra } as never)],
    ['livekitRemover', () => livekitRemover({ removeParticipant: async () => undefined }, extra as never)],
    ['admissionMiddleware', () => admissionMiddleware(createGate({ geo }), { join: joinIds, ...extra } as never)],
    ['honoAdmission', () => honoAdmission(createGate({ geo }), { join: joinIds, ...extra } as never)],
    ['fastifyAdmissionHook', () => fastifyAdmissionHook(createGate({ geo }), { join: joinIds, ...extra } as never)],
    [
      'fastifyAdmission',
      () =>
        new Promise((resolve, reject) => {
          const fastify = { addHook: () => undefined, decorateRequest: () => undefined };
          (fastifyAdmission as unknown as (f: unknown, o: unknown, done: (e?: Error) => void) => void)(
            fastify,
            { gate: createGate({ geo }), join: joinIds, ...extra },
            (e) => (e ? reject(e) : resolve(undefined)),
          );
        }),
    ],
    ['addressIn', () => addressIn('CN', extra as never)],
    ['createTestGate', () => createTestGate(extra as never)],
  ];

  test.each(cases)('%s', async (_name, call) => {
    let thrown: unknown;
    try {
      await release(await call());
    } catch (error) {
      thrown = error;
    }
    expect(isGeoadmitError(thrown, 'E_INVALID_CONFIG')).toBe(true);
    expect((thrown as Error).message).toContain('bogusOption');
  });
});

describe('clocks that answer NaN never end the process', () => {
  test('an audit sink whose clock answers NaN still writes a log that verifies', async () => {
    const log = join(tmp.dir, 'nan-clock.jsonl');
    const sink = createJsonlAuditSink(log, { fsync: 'never', clock: () => Number.NaN });
    const gate = createGate({ geo, clock: () => Date.parse('2024-06-04T12:00:00Z') });
    const detach = sink.attach(gate);
    await gate.admit({ meetingId: 'm', participantId: 'p', peerAddress: '1.2.4.8' });
    detach();
    await sink.close();
    gate.close();
    expect((await verifyAuditLog(log)).ok).toBe(true);
  });

  test('a resolver whose clock answers NaN stamps its events with real time', async () => {
    const file = join(tmp.dir, 'nan-clock.mmdb');
    writeFileSync(file, soundMmdb());
    const resolver = await MaxMindResolver.open(file, { clock: () => Number.NaN });
    const times: number[] = [];
    resolver.on('error', (e) => times.push(e.time));
    resolver.on('geo.reloaded', (e) => times.push(e.time));
    await resolver.reload();
    writeFileSync(file, 'not a database');
    await resolver.reload();
    await resolver.close();
    expect(times).toHaveLength(2);
    expect(times.every(Number.isFinite)).toBe(true);
  });
});
