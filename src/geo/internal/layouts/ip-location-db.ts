import { isCountryCode, subdivisionByName } from '../../../regions/index.js';
import { MaxMindLayout } from './layout.js';
import type { LayoutDescriptor } from './layout.js';
import { freeze, isObject } from './record.js';
import type { MappedRecord } from './record.js';

function mapIpLocationDb(rec: unknown): MappedRecord {
  if (!isObject(rec)) return freeze(undefined, [], undefined);
  const code = rec['country_code'];
  if (!isCountryCode(code)) return freeze(undefined, [], undefined);
  // state1 is a NAME ("California"); only an unambiguous ISO name match counts.
  const sub = subdivisionByName(code, rec['state1']);
  return freeze(code, sub === undefined ? [] : [sub], undefined);
}

/**
 * ip-location-db (sapics): `country_code`, optional `state1` (a subdivision
 * name). The catch-all: any `country_code` database IPinfo Lite did not claim,
 * and any type name no other descriptor claimed.
 */
export const ipLocationDb: LayoutDescriptor = {
  id: MaxMindLayout.IpLocationDb,
  role: 'location',
  detect: (_type, ev) =>
    ev.shape === 'country-code' ? { countries: true, subdivisions: ev.countryCodeState > 0 && ev.namesHold, anonymizers: false } : undefined,
  named: () => true,
  map: mapIpLocationDb,
};
