/**
 * ISO 3166-2 subdivision codes that ISO has replaced but that databases still
 * emit, mapped to the current code. This is the single table the SDK uses:
 * the geo resolvers canonicalise what databases say, and restriction region
 * validation canonicalises what documents say, so both meet on the same code.
 *
 * China replaced its numeric province codes with letter codes in ISO 3166-2
 * Newsletter II-3 (2017-11-23); GeoIP2 and others still ship e.g. `22` (Jilin).
 * India recoded four states in 2017-2023 and merged Dadra and Nagar Haveli
 * with Daman and Diu (2020, `IN-DH`). Kazakhstan replaced its letter codes
 * with numbers (2020). Czechia replaced its region letter codes with numbers.
 *
 * Only one-to-one replacements (and a merge, where the old unit lies wholly
 * inside the new one) belong here. Not here: France's 2016 region merges
 * (`FR-A` → `FR-GES` would widen a restriction on Alsace to all of Grand Est)
 * and the Kazakh regions split after their recoding (`KZ-ALM`, `KZ-KAR`,
 * `KZ-VOS` lost Jetisu, Ulytau and Abai in 2022; `KZ-YUZ` lost Shymkent in
 * 2018), where the old code covers more than the new one.
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
  'IN-CT': 'IN-CG',
  'IN-OR': 'IN-OD',
  'IN-TG': 'IN-TS',
  'IN-UT': 'IN-UK',
  'IN-DD': 'IN-DH',
  'IN-DN': 'IN-DH',
  'KZ-AKM': 'KZ-11',
  'KZ-AKT': 'KZ-15',
  'KZ-ALA': 'KZ-75',
  'KZ-AST': 'KZ-71',
  'KZ-ATY': 'KZ-23',
  'KZ-KUS': 'KZ-39',
  'KZ-KZY': 'KZ-43',
  'KZ-MAN': 'KZ-47',
  'KZ-PAV': 'KZ-55',
  'KZ-SEV': 'KZ-59',
  'KZ-SHY': 'KZ-79',
  'KZ-ZAP': 'KZ-27',
  'KZ-ZHA': 'KZ-31',
  'CZ-PR': 'CZ-10',
  'CZ-ST': 'CZ-20',
  'CZ-JC': 'CZ-31',
  'CZ-PL': 'CZ-32',
  'CZ-KA': 'CZ-41',
  'CZ-US': 'CZ-42',
  'CZ-LI': 'CZ-51',
  'CZ-KR': 'CZ-52',
  'CZ-PA': 'CZ-53',
  'CZ-VY': 'CZ-63',
  'CZ-JM': 'CZ-64',
  'CZ-OL': 'CZ-71',
  'CZ-ZL': 'CZ-72',
  'CZ-MO': 'CZ-80',
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
  return Object.hasOwn(REPLACED, code) ? (REPLACED[code] as string) : code;
}

/** The replaced-code table itself (old code → current code), for documentation and validation. */
export const replacedSubdivisionCodes: Readonly<Record<string, string>> = REPLACED;
