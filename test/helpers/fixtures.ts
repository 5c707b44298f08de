import { createRequire } from 'node:module';
import type { Gate, GateEventMap, Join } from 'geoadmit';
import { dirname, join as joinPath } from 'node:path';

const require = createRequire(import.meta.url);

/** The installed real GeoLite2 country database (IPv4 + IPv6). */
export const GEOLITE2_COUNTRY = joinPath(dirname(require.resolve('@ip-location-db/geolite2-country-mmdb/package.json')), 'geolite2-country.mmdb');

/** Real addresses used across tests (checked against GeoLite2 in the resolver tests). */
export const ADDR = {
  CN1: '1.2.4.8',
  CN2: '223.5.5.5',
  HK: '202.181.0.1',
  US: '8.8.8.8',
} as const;

/** A CIDR table for StaticResolver-based tests. */
export const STATIC_TABLE = {
  '1.2.4.0/24': 'CN',
  '223.5.5.0/24': { country: 'CN', subdivisions: ['CN-ZJ'] },
  '36.110.0.0/16': { country: 'CN', subdivisions: ['CN-XZ'] },
  '202.181.0.0/24': 'HK',
  '8.8.8.0/24': { country: 'US', subdivisions: ['US-CA'] },
  '9.9.9.0/24': 'US',
  '81.2.69.0/24': { country: 'GB', subdivisions: ['GB-ENG'], anonymizer: true },
  '2001:da8::/32': { country: 'CN', subdivisions: ['CN-BJ'] },
  '2001:4860::/32': 'US',
} as const;

/** A CN takedown on meeting m-1, with overrides. */
export function takedown(over: Record<string, unknown> = {}) {
  return {
    id: 'req-1',
    authority: { name: 'Example Authority', jurisdiction: 'CN' },
    regions: ['CN'],
    scope: { meetings: ['m-1'] },
    ...over,
  };
}

/** A join to meeting m-1 whose participant id names its address, with overrides. */
export function join(peerAddress: string, over: Partial<Join> = {}): Join {
  return { meetingId: 'm-1', participantId: `p-${peerAddress}`, peerAddress, ...over };
}

/** Every decision, removal, restriction and error event of `gate`, in order. */
export function recordEvents(gate: Gate): GateEventMap[keyof GateEventMap][] {
  const events: GateEventMap[keyof GateEventMap][] = [];
  for (const t of ['decision', 'removal', 'restriction.accepted', 'restriction.refused', 'restriction.lifted', 'error'] as const) {
    gate.on(t, (e) => events.push(e));
  }
  return events;
}
