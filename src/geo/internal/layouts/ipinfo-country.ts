import { isCountryCode, looksLikeAlpha2 } from '../../../regions/index.js';
import { MaxMindLayout } from './layout.js';
import type { LayoutDescriptor } from './layout.js';
import { freeze, isObject } from './record.js';
import type { MappedRecord } from './record.js';

function mapIpInfoCountry(rec: unknown): MappedRecord {
  if (!isObject(rec)) return freeze(undefined, [], undefined);
  // Some builds of this database carry `country_code` too; prefer it when it is a code.
  const code = looksLikeAlpha2(rec['country_code']) ? rec['country_code'] : rec['country'];
  return freeze(isCountryCode(code) ? code : undefined, [], undefined);
}

/** The older IPinfo free country database: the code in `country`. Only its records tell it apart (no name match). */
export const ipInfoCountry: LayoutDescriptor = {
  id: MaxMindLayout.IpInfoCountry,
  role: 'location',
  detect: (_type, ev) => (ev.shape === 'code-in-country' ? { countries: true, subdivisions: false, anonymizers: false } : undefined),
  map: mapIpInfoCountry,
};
