/** createGate's options: unknown keys refused with the closest known name, values checked. */
import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver, type GateOptions } from 'geoadmit';
import { join, STATIC_TABLE } from './helpers/fixtures.js';

const geo = new StaticResolver(STATIC_TABLE as never);
const make = (options: Record<string, unknown>) => () => createGate({ geo, ...options } as GateOptions);

describe('createGate options', () => {
  it.each([
    ['trustedProxy', 'trustedProxies'],
    ['restriction', 'restrictions'],
    ['removalTimeout', 'removalTimeoutMs'],
    ['onremove', 'onRemove'],
    ['cdnn', 'cdn'],
  ])('refuses %s, naming %s', (key, known) => {
    expect(make({ [key]: 1 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: key, message: expect.stringContaining(`did you mean "${known}"`) }),
    );
  });

  it('refuses unknown audit keys with the audit. prefix', () => {
    expect(make({ audit: { ipp: 'omit' } })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'audit.ipp', message: expect.stringContaining('did you mean "audit.ip"') }),
    );
  });

  it('names a key with no close match without guessing', () => {
    expect(make({ zzzzzzzz: true })).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', message: 'createGate: unknown option "zzzzzzzz"' }));
  });

  it.each([
    [{ removalTimeoutMs: 0 }, 'removalTimeoutMs'],
    [{ removalTimeoutMs: Number.NaN }, 'removalTimeoutMs'],
    [{ ruleTimeoutMs: -1 }, 'ruleTimeoutMs'],
    [{ onRuleError: 'ignore' }, 'onRuleError'],
    [{ forwardedHeader: 'x-real-ip' }, 'forwardedHeader'],
    [{ audit: { ip: 'full' } }, 'audit.ip'],
    [{ audit: { ip: 'hmac' } }, 'audit.hmacKey'],
    [{ onRemove: 'kick' }, 'onRemove'],
    [{ rules: [{ name: 'x' }] }, 'rules[0]'],
  ])('refuses %j naming %s', (options, argument) => {
    expect(make(options)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument }));
  });

  it('accepts every documented option', async () => {
    const gate = createGate({
      geo,
      trustedProxies: 'loopback, 10.0.0.0/8',
      forwardedHeader: 'x-forwarded-for',
      cdn: 'cloudflare',
      restrictions: [],
      rules: [],
      locationSources: [],
      onRuleError: 'admit',
      ruleTimeoutMs: 500,
      audit: { ip: 'omit', onFailure: 'admit' },
      onRemove: () => undefined,
      removalTimeoutMs: 2_000,
      clock: () => 0,
    });
    expect((await gate.admit(join('10.1.2.3', { headers: { 'x-forwarded-for': '1.2.4.8' } }))).location.country).toBe('CN');
  });
});

describe('trusted proxies in every form', () => {
  const viaProxy = join('10.1.2.3', { headers: { 'x-forwarded-for': '1.2.4.8' } });
  it.each([
    ['a list', ['10.0.0.0/8']],
    ['a name', ['uniquelocal']],
    ['a comma-separated string', 'loopback, 10.0.0.0/8'],
    ['a function', (address: string, hop: number) => hop === 0 && address.startsWith('10.')],
  ])('%s', async (_, trustedProxies) => {
    const gate = createGate({ geo, trustedProxies: trustedProxies as GateOptions['trustedProxies'] });
    const d = await gate.admit(viaProxy);
    expect(d.address).toBe('1.2.4.8');
    expect(d.location.country).toBe('CN');
  });

  it('a CDN alone: its client header counts only from inside its ranges', async () => {
    const gate = createGate({ geo, cdn: { header: 'x-cdn-client', ranges: ['203.0.113.0/24'] } });
    expect((await gate.admit(join('203.0.113.7', { headers: { 'x-cdn-client': '1.2.4.8' } }))).address).toBe('1.2.4.8');
    expect((await gate.admit(join('9.9.9.9', { participantId: 'p-2', headers: { 'x-cdn-client': '1.2.4.8' } }))).address).toBe('9.9.9.9');
  });
});

describe('every option value is checked once, in one message style', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const throwingGetter = Object.defineProperty({ geo }, 'rules', {
    enumerable: true,
    get() {
      throw new Error('getter boom');
    },
  });
  const hostileProxy = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('ownKeys boom');
      },
    },
  );

  it('restrictions that is neither a list nor a store (a file name) is refused at createGate', () => {
    expect(make({ restrictions: 'restrictions.json' })).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_CONFIG',
        argument: 'restrictions',
        message:
          'createGate: restrictions must be a list of restriction documents or a RestrictionStore (an object with snapshot, put, delete, subscribe, compareVersions), not "restrictions.json"',
      }),
    );
    expect(make({ restrictions: { snapshot: async () => ({}) } })).toThrow(
      expect.objectContaining({ argument: 'restrictions', message: expect.stringContaining('no put() method') }),
    );
    expect(make({ restrictions: 42 })).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'restrictions' }));
  });

  it.each([
    ['rules', { rules: [, { name: 'x', evaluate: () => undefined }] }, 'rules[0]'],
    ['restrictions', { restrictions: [undefined, , undefined] }, 'restrictions[1]'],
    ['lastKnownRestrictions', { lastKnownRestrictions: new Array(3) }, 'lastKnownRestrictions[0]'],
    ['locationSources', { locationSources: [,] }, 'locationSources[0]'],
  ])('a list with holes (%s) is refused cleanly, naming the hole', (_name, options, argument) => {
    expect(make(options)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument, message: expect.stringMatching(/hole at index/) }));
  });

  it.each([
    ['a BigInt duration', { removalTimeoutMs: 10n }, 'removalTimeoutMs', /not 10n/],
    ['a BigInt node id', { nodeId: 1n }, 'nodeId', /not 1n/],
    ['a cyclic onRuleError', { onRuleError: cyclic }, 'onRuleError', /not an object/],
    ['a cyclic audit.ip', { audit: { ip: cyclic } }, 'audit.ip', /not an object/],
    ['a symbol forwardedHeader', { forwardedHeader: Symbol('x') }, 'forwardedHeader', /not a symbol/],
    ['a cyclic geo', { geo: cyclic }, 'geo', /not an object/],
    [
      'a Proxy rule',
      {
        rules: [
          new Proxy(
            {},
            {
              get: () => {
                throw new Error('trap');
              },
            },
          ),
        ],
      },
      'rules[0]',
      /not a Proxy/,
    ],
    ['a getter that throws', throwingGetter, 'rules', /could not be read/],
    ['a Proxy as options', hostileProxy, 'options', /could not be read/],
    ['an infinite duration', { ruleTimeoutMs: Number.POSITIVE_INFINITY }, 'ruleTimeoutMs', /not Infinity/],
  ])('%s is refused with E_INVALID_CONFIG, the message built without throwing', (_what, options, argument, message) => {
    let thrown: unknown;
    try {
      // Passed as built: spreading would run the getter (or the Proxy's traps) here, in the test.
      createGate(options === hostileProxy || options === throwingGetter ? (options as GateOptions) : ({ geo, ...options } as GateOptions));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'GeoadmitError', code: 'E_INVALID_CONFIG', argument });
    expect((thrown as Error).message).toMatch(message);
  });

  it.each([
    ['NaN', () => Number.NaN],
    ['Infinity', () => Number.POSITIVE_INFINITY],
    ['a string', () => '2024-01-01'],
    ['a BigInt', () => 1n],
    [
      'a throw',
      () => {
        throw new RangeError('clock broke');
      },
    ],
  ])('a clock that answers %s at creation is refused with E_INVALID_CONFIG', (_what, clock) => {
    expect(make({ clock })).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'clock' }));
  });

  it('a clock that goes bad later: one error event (context clock), decisions and timers go on with its last good reading', async () => {
    let now: unknown = Date.parse('2024-06-04T12:00:00Z');
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    try {
      const gate = createGate({ geo, clock: () => now as number });
      const errors: { context: string; message: string }[] = [];
      gate.on('error', (e) => errors.push({ context: e.context, message: e.message }));
      const decisions: string[] = [];
      gate.on('decision', (e) => decisions.push(e.time));
      // A restriction that takes effect a little later: its timer reads the clock when it fires.
      await gate.restrict({ ...takedownDoc(), validFrom: new Date(Date.parse('2024-06-04T12:00:00Z') + 20).toISOString() });
      now = Number.NaN;
      const d1 = await gate.admit(join('1.2.4.8', { participantId: 'p-1' }));
      now = 'soon';
      const d2 = await gate.admit(join('1.2.4.8', { participantId: 'p-2' }));
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(d1.location.country).toBe('CN');
      expect(d2.location.country).toBe('CN');
      expect(decisions).toEqual(['2024-06-04T12:00:00.000Z', '2024-06-04T12:00:00.000Z']);
      // One event per run of bad readings, naming what the clock said.
      expect(errors).toEqual([{ context: 'clock', message: expect.stringContaining('the clock returned NaN') }]);
      now = Date.parse('2024-06-04T12:00:01Z');
      await gate.admit(join('1.2.4.8', { participantId: 'p-3' }));
      now = Number.POSITIVE_INFINITY;
      await gate.admit(join('1.2.4.8', { participantId: 'p-4' }));
      expect(errors.map((e) => e.context)).toEqual(['clock', 'clock']);
      gate.close();
    } finally {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});

function takedownDoc() {
  return {
    id: 'req-clock',
    kind: 'sanctions' as const,
    authority: { name: 'Example Authority', jurisdiction: 'CN' },
    regions: ['CN'],
    scope: { meetings: ['m-1'] },
  };
}
