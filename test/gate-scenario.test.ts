/**
 * The founding story, end to end, with real addresses and the real GeoLite2
 * database package: four public commemoration meetings, demands from an
 * authority whose jurisdiction is CN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGate, GeoadmitError, MaxMindResolver, type Gate, type GateEventMap } from 'geoadmit';
import { buildGeoIp2Mmdb } from 'geoadmit/testing';
import { ADDR, GEOLITE2_COUNTRY } from './helpers/fixtures.js';

const AUTHORITY = { name: 'Example Authority', jurisdiction: 'CN' };
let geo: MaxMindResolver;

beforeAll(async () => {
  geo = await MaxMindResolver.open([GEOLITE2_COUNTRY]);
});
afterAll(async () => {
  await geo.close();
});

function recordingGate(options: Partial<Parameters<typeof createGate>[0]> = {}) {
  const events: GateEventMap[keyof GateEventMap][] = [];
  const gate = createGate({ geo, ...options });
  for (const t of ['decision', 'removal', 'restriction.accepted', 'restriction.refused'] as const) gate.on(t, (e) => events.push(e));
  return { gate, events };
}

async function join(gate: Gate, meetingId: string, participantId: string, peerAddress: string, hostAccountId?: string) {
  return gate.admit({ meetingId, participantId, peerAddress, ...(hostAccountId ? { hostAccountId } : {}) });
}

describe('the founding scenario (real GeoLite2 data)', () => {
  it('locates the reference addresses as the story needs', () => {
    expect(geo.resolve(ADDR.CN1).country).toBe('CN');
    expect(geo.resolve(ADDR.CN2).country).toBe('CN');
    expect(geo.resolve(ADDR.HK).country).toBe('HK');
    expect(geo.resolve(ADDR.US).country).toBe('US');
  });

  it('1. meeting A (US and HK only): the takedown is accepted and everyone is admitted', async () => {
    const { gate, events } = recordingGate();
    const r = await gate.restrict({ id: 'demand-a', authority: AUTHORITY, regions: ['CN'], scope: { meetings: ['A'] } });
    expect(r.removed).toEqual([]);
    expect((await join(gate, 'A', 'host-us', ADDR.US)).admitted).toBe(true);
    expect((await join(gate, 'A', 'guest-hk', ADDR.HK)).admitted).toBe(true);
    expect(events.filter((e) => e.type === 'decision').every((e) => e.type === 'decision' && e.outcome === 'admitted')).toBe(true);
  });

  it('2. meetings B and C: exactly the mainland participants are denied; US and HK hosts are admitted', async () => {
    const { gate } = recordingGate();
    await gate.restrict({ id: 'demand-b', authority: AUTHORITY, regions: ['CN'], scope: { meetings: ['B'] } });
    await gate.restrict({ id: 'demand-c', authority: AUTHORITY, regions: ['CN'], scope: { meetings: ['C'] } });
    for (const m of ['B', 'C']) {
      expect((await join(gate, m, 'host', m === 'B' ? ADDR.US : ADDR.HK)).admitted).toBe(true);
      expect((await join(gate, m, 'us', ADDR.US)).admitted).toBe(true);
      expect((await join(gate, m, 'hk', ADDR.HK)).admitted).toBe(true);
      const cn1 = await join(gate, m, 'cn1', ADDR.CN1);
      const cn2 = await join(gate, m, 'cn2', ADDR.CN2);
      expect(cn1.admitted).toBe(false);
      expect(cn2.admitted).toBe(false);
      expect(cn1.reasons).toEqual([{ code: 'region-restricted', restrictionId: `demand-${m.toLowerCase()}`, region: 'CN' }]);
      // IPv4-mapped spelling of a mainland address is not a way around it.
      expect((await join(gate, m, 'cn-mapped', `::ffff:${ADDR.CN1}`)).admitted).toBe(false);
    }
    expect(
      gate
        .participants('B')
        .map((p) => p.participantId)
        .sort(),
    ).toEqual(['hk', 'host', 'us']);
  });

  it('3. meeting D under acct-d: an account-scoped takedown denies mainland participants of any of its meetings', async () => {
    const { gate } = recordingGate();
    await gate.restrict({ id: 'demand-d', authority: AUTHORITY, regions: ['CN'], scope: { hostAccounts: ['acct-d'] } });
    expect((await join(gate, 'D', 'cn', ADDR.CN1, 'acct-d')).admitted).toBe(false);
    expect((await join(gate, 'D-followup', 'cn', ADDR.CN2, 'acct-d')).admitted).toBe(false);
    expect((await join(gate, 'D', 'us', ADDR.US, 'acct-d')).admitted).toBe(true);
    expect((await join(gate, 'D', 'hk', ADDR.HK, 'acct-d')).admitted).toBe(true);
    expect((await join(gate, 'other', 'cn', ADDR.CN1, 'acct-other')).admitted).toBe(true);
  });

  it('4. a demand that targets HK or US participants is refused and recorded', async () => {
    const { gate, events } = recordingGate();
    for (const [id, regions] of [
      ['demand-hk', ['HK']],
      ['demand-us', ['US']],
      ['demand-mixed', ['CN', 'HK']],
      ['demand-cn-hk', ['CN-HK']],
    ] as const) {
      const error = await gate.restrict({ id, authority: AUTHORITY, regions, scope: { meetings: ['A', 'B'] } }).catch((e: unknown) => e);
      expect(error, id).toBeInstanceOf(GeoadmitError);
      expect((error as GeoadmitError).code).toBe('E_OUT_OF_JURISDICTION');
    }
    const refused = events.filter((e) => e.type === 'restriction.refused');
    expect(refused.map((e) => e.type === 'restriction.refused' && e.restrictionId)).toEqual(['demand-hk', 'demand-us', 'demand-mixed', 'demand-cn-hk']);
    expect(gate.restrictions()).toEqual([]);
    expect((await join(gate, 'A', 'hk', ADDR.HK)).admitted).toBe(true);
  });

  it('no operation ends a meeting or suspends an account', () => {
    const { gate } = recordingGate();
    const surface = Object.getOwnPropertyNames(Object.getPrototypeOf(gate));
    for (const name of surface) expect(name).not.toMatch(/suspend|ban|terminate|disclose|export/i);
  });
});

describe('subdivision restrictions (built city database) and capability warnings', () => {
  it('country-only data: a subdivision takedown is accepted with a warning', async () => {
    const { gate, events } = recordingGate();
    const r = await gate.restrict({ id: 'xz', authority: AUTHORITY, regions: ['CN-XZ'], scope: { meetings: ['m'] } });
    expect(r.warnings.length).toBeGreaterThan(0);
    expect(events.find((e) => e.type === 'restriction.accepted')).toMatchObject({ warnings: r.warnings });
    // Mainland participant known only to country level: unknown for this restriction, admitted by default.
    expect((await join(gate, 'm', 'cn', ADDR.CN1)).admitted).toBe(true);
  });

  it('city data: CN-XZ and US-CA rules match exactly their subdivisions', async () => {
    const city = MaxMindResolver.fromBuffers([
      {
        name: 'city.mmdb',
        buffer: buildGeoIp2Mmdb({
          '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-XZ'] },
          '223.5.5.0/24': { country: 'CN', subdivisions: ['CN-ZJ'] },
          '8.8.8.0/24': { country: 'US', subdivisions: ['US-CA'] },
          '9.9.9.0/24': { country: 'US', subdivisions: ['US-NY'] },
        }),
      },
    ]);
    const { gate } = recordingGate({ geo: city });
    const r1 = await gate.restrict({ id: 'xz', authority: AUTHORITY, regions: ['CN-XZ'], scope: { meetings: ['m'] } });
    expect(r1.warnings).toEqual([]);
    await gate.restrict({ id: 'ca', authority: { name: 'California', jurisdiction: 'US-CA' }, regions: ['US-CA'], scope: { meetings: ['m'] } });
    expect((await join(gate, 'm', 'xz', '1.2.4.8')).reasons).toEqual([{ code: 'region-restricted', restrictionId: 'xz', region: 'CN-XZ' }]);
    expect((await join(gate, 'm', 'zj', '223.5.5.5')).admitted).toBe(true);
    expect((await join(gate, 'm', 'ca', '8.8.8.8')).reasons).toEqual([{ code: 'region-restricted', restrictionId: 'ca', region: 'US-CA' }]);
    expect((await join(gate, 'm', 'ny', '9.9.9.9')).admitted).toBe(true);
    await expect(
      gate.restrict({ id: 'ca-2', authority: { name: 'California', jurisdiction: 'US-CA' }, regions: ['US'], scope: { meetings: ['m'] } }),
    ).rejects.toMatchObject({ code: 'E_OUT_OF_JURISDICTION' });
  });
});
