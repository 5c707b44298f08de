import { isCountryCode } from '../../../regions/index.js';
import { MaxMindLayout } from './layout.js';
import type { LayoutDescriptor } from './layout.js';
import { freeze, isObject } from './record.js';
import type { MappedRecord } from './record.js';

function mapIpInfoLite(rec: unknown): MappedRecord {
  if (!isObject(rec)) return freeze(undefined, [], undefined);
  const code = rec['country_code'];
  return freeze(isCountryCode(code) ? code : undefined, [], undefined);
}

/** IPinfo Lite: `country_code` with IPinfo's network fields (`continent_code`, `asn`, `as_name`, `as_domain`) or an IPinfo name. */
export const ipInfoLite: LayoutDescriptor = {
  id: MaxMindLayout.IpInfoLite,
  role: 'location',
  detect: (type, ev) =>
    ev.shape === 'country-code' && (ev.ipInfoHints > 0 || /ipinfo/.test(type)) ? { countries: true, subdivisions: false, anonymizers: false } : undefined,
  named: (type) => /ipinfo/.test(type),
  map: mapIpInfoLite,
};
