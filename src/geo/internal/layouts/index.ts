import type { GeoCapabilities } from '../../types.js';
import { dbIpCity } from './dbip-city.js';
import { dbIpCountry } from './dbip-country.js';
import { otherKind } from './evidence.js';
import type { LayoutEvidence } from './evidence.js';
import { geoIp2AnonymousIp } from './geoip2-anonymous-ip.js';
import { geoIp2City } from './geoip2-city.js';
import { geoIp2Country } from './geoip2-country.js';
import { ipLocationDb } from './ip-location-db.js';
import { ipInfoCountry } from './ipinfo-country.js';
import { ipInfoLite } from './ipinfo-lite.js';
import type { LayoutDescriptor, LayoutRole, MaxMindLayout } from './layout.js';
import type { MappedRecord } from './record.js';

export { LayoutEvidence } from './evidence.js';
export { MaxMindLayout } from './layout.js';
export type { MappedRecord } from './record.js';

/**
 * Every vendor layout, one descriptor each, in the order they are asked: the
 * first to claim a database has it. Records decide first (a file's record
 * shape is exclusive, see `LayoutEvidence.shape`), so the order matters only
 * between layouts of one shape and between type names: a more specific
 * descriptor comes before the one it narrows (the anonymous-IP name before
 * MaxMind's, DB-IP before GeoIP2, city before country, IPinfo Lite before
 * ip-location-db), and the catch-all ip-location-db last of those with names.
 * Adding a vendor: a descriptor file beside these, one line here, its id in
 * `MaxMindLayout`.
 */
export const LAYOUTS: readonly LayoutDescriptor[] = Object.freeze([
  geoIp2AnonymousIp,
  dbIpCity,
  dbIpCountry,
  geoIp2City,
  geoIp2Country,
  ipInfoLite,
  ipLocationDb,
  ipInfoCountry,
]);

/** Outcome of layout detection. */
export type LayoutDetection = { ok: true; layout: MaxMindLayout; capabilities: GeoCapabilities } | { ok: false; kind: string };

function descriptorOf(layout: MaxMindLayout): LayoutDescriptor {
  for (const d of LAYOUTS) if (d.id === layout) return d;
  throw new Error(`no descriptor for layout ${JSON.stringify(layout)}`);
}

/** The record mapper for a layout. */
export function mapperFor(layout: MaxMindLayout): (rec: unknown) => MappedRecord {
  return descriptorOf(layout).map;
}

/** Whether a layout's databases locate addresses or only flag anonymising ones. */
export function roleOf(layout: MaxMindLayout): LayoutRole {
  return descriptorOf(layout).role;
}

/**
 * Decide a database's layout from its `database_type` and the evidence of its
 * records. Record evidence wins over the type name (types are free text and
 * third-party builders reuse MaxMind's); the name only breaks ties.
 *
 * `subdivisions` is claimed only when it holds up: for databases that name
 * subdivisions rather than code them (ip-location-db `state1`, DB-IP
 * `names.en`), enough of the distinct names seen must map to ISO 3166-2 codes
 * (`NAME_COVERAGE_THRESHOLD`). Over-claiming would silence the gate's warning
 * while most places in a restricted subdivision stay unknown.
 */
export function detectLayout(databaseType: string, ev: LayoutEvidence): LayoutDetection {
  const type = databaseType.toLowerCase();
  for (const d of LAYOUTS) {
    const capabilities = d.detect(type, ev);
    if (capabilities !== undefined) return { ok: true, layout: d.id, capabilities };
  }
  return { ok: false, kind: otherKind(type, ev) };
}

/**
 * A layout from the database type name alone, for databases whose records
 * could not be inspected (only used when the full check is turned off). With
 * no records to go by, only what the layout's role guarantees is claimed.
 */
export function guessFromTypeName(databaseType: string): LayoutDetection {
  const type = databaseType.toLowerCase();
  for (const d of LAYOUTS) {
    if (d.named?.(type) !== true) continue;
    const capabilities =
      d.role === 'anonymizer' ? { countries: false, subdivisions: false, anonymizers: true } : { countries: true, subdivisions: false, anonymizers: false };
    return { ok: true, layout: d.id, capabilities };
  }
  return { ok: false, kind: 'unrecognised' };
}
