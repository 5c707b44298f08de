import { MaxMindLayout } from './layout.js';
import type { LayoutDescriptor } from './layout.js';
import { anonymizerFlag, freeze } from './record.js';
import type { MappedRecord } from './record.js';

function mapAnonymousIp(rec: unknown): MappedRecord {
  // A record in an Anonymous-IP database exists only for anonymising networks;
  // a record without any true flag says "not anonymous" for that network.
  return freeze(undefined, [], anonymizerFlag(rec) ?? false);
}

/** GeoIP2 Anonymous IP: top-level anonymity flags and nothing about places, so a layer over a location database. */
export const geoIp2AnonymousIp: LayoutDescriptor = {
  id: MaxMindLayout.GeoIp2AnonymousIp,
  role: 'anonymizer',
  detect: (type, ev) =>
    // An empty anonymous-IP layer is still an anonymous-IP layer (nothing flagged).
    ev.shape === 'anonymity-flags' || (ev.records === 0 && /anonymous/.test(type)) ? { countries: false, subdivisions: false, anonymizers: true } : undefined,
  named: (type) => /anonymous/.test(type),
  map: mapAnonymousIp,
};
