/**
 * ISO 3166-2 subdivision codes that ISO has replaced but that databases still
 * emit, mapped to the current code. This is the single table the SDK uses:
 * the geo resolvers canonicalise what databases say, and restriction region
 * validation canonicalises what documents say, so both meet on the same code.
 *
 * China replaced its numeric province codes with letter codes in ISO 3166-2
 * Newsletter II-3 (2017-11-23); GeoIP2 and others still ship e.g. `22` (Jilin).
 */
const REPLACED: Readonly<Record<string, string>> = Object.freeze({
  'CN-11': 'CN-BJ',
  'CN-12': 'CN-TJ',
  'CN-13': 'CN-HE',
  'CN-14': 'CN-SX',
  'CN-15': 'CN-NM',
  'CN-21': 'CN-LN',
  'CN-22': 'CN-JL',
  'CN-23': 'CN-HL',
  'CN-31': 'CN-SH',
  'CN-32': 'CN-JS',
  'CN-33': 'CN-ZJ',
  'CN-34': 'CN-AH',
  'CN-35': 'CN-FJ',
  'CN-36': 'CN-JX',
  'CN-37': 'CN-SD',
  'CN-41': 'CN-HA',
  'CN-42': 'CN-HB',
  'CN-43': 'CN-HN',
  'CN-44': 'CN-GD',
  'CN-45': 'CN-GX',
  'CN-46': 'CN-HI',
  'CN-50': 'CN-CQ',
  'CN-51': 'CN-SC',
  'CN-52': 'CN-GZ',
  'CN-53': 'CN-YN',
  'CN-54': 'CN-XZ',
  'CN-61': 'CN-SN',
  'CN-62': 'CN-GS',
  'CN-63': 'CN-QH',
  'CN-64': 'CN-NX',
  'CN-65': 'CN-XJ',
  'CN-71': 'CN-TW',
  'CN-91': 'CN-HK',
  'CN-92': 'CN-MO',
});

/**
 * The current ISO 3166-2 code for `code` (a full `CC-XX` code, upper case):
 * replaced codes map to their successor (`CN-22` → `CN-JL`), every other code
 * is returned unchanged. Does not validate the code.
 *
 * @example canonicalSubdivision('CN-22') // 'CN-JL'
 */
export function canonicalSubdivision(code: string): string {
  // Own-property check: a code such as `__proto__` must never hit Object.prototype.
  return Object.prototype.hasOwnProperty.call(REPLACED, code) ? (REPLACED[code] as string) : code;
}

/** The replaced-code table itself (old code → current code), for documentation and validation. */
export const replacedSubdivisionCodes: Readonly<Record<string, string>> = REPLACED;
