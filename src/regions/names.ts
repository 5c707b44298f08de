import { iso31662 } from 'iso-3166';
import { COUNTRIES } from './codes.js';
import { canonicalSubdivision } from './replaced.js';

/**
 * True when `code` is an alpha-2 code a database may put in
 * `Location.country`: ISO 3166-1 assigned codes plus `XK` (Kosovo,
 * user-assigned but used by every major database; dropping it would
 * misreport Kosovo as "no physical country"). Pseudo-codes such as `EU`,
 * `AP`, `A1`, `ZZ` or `--` do not name a country. One list with region
 * validation ({@link COUNTRIES}).
 */
export function isCountryCode(code: unknown): code is string {
  return typeof code === 'string' && COUNTRIES.has(code);
}

/** Two upper-case ASCII letters (the shape of an alpha-2 code, assigned or not). */
export function looksLikeAlpha2(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z]{2}$/.test(value);
}

/** Shape of the part after the hyphen in an ISO 3166-2 code. */
const SUBDIVISION_SUFFIX = /^[A-Z0-9]{1,3}$/;

/**
 * Full canonical ISO 3166-2 code from a country and the suffix a database
 * stores (`GB` + `ENG` → `GB-ENG`, `CN` + `22` → `CN-JL`). Also accepts a
 * suffix that already carries the country prefix. `undefined` for anything
 * that is not shaped like a subdivision code.
 */
export function subdivisionCode(country: string, suffix: unknown): string | undefined {
  if (typeof suffix !== 'string') return undefined;
  let s = suffix.trim().toUpperCase();
  if (s.startsWith(`${country}-`)) s = s.slice(country.length + 1);
  if (!SUBDIVISION_SUFFIX.test(s)) return undefined;
  return canonicalSubdivision(`${country}-${s}`);
}

/**
 * Comparable form of a subdivision name: compatibility-decomposed (NFKD) with
 * marks dropped ("Zürich"/"Zurich", "Telangāna"/"Telangana"), lower case,
 * apostrophes removed ("oblast'"), other punctuation as spaces
 * ("Sankt-Peterburg", "Puducherry (Pondicherry)").
 */
function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['\u2018\u2019\u02bc\u02b9`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/*
 * Administrative words that ISO names and database names add or leave out
 * ("Beijing Shi" / "Beijing", "Moskovskaya oblast'", "Krasnodar Krai",
 * "Adygeya, Respublika"). Stripped from the end (repeatedly) and, for the
 * phrases below, from the start. Kept to generic designations: a word that
 * is part of a proper name must not be here. Not `city`: "Mexico City" is
 * not the State of México (MX-MEX), "Kyiv City" not Kyiv Oblast.
 */
const TRAILING_WORDS = new Set([
  'sheng',
  'shi',
  'zizhiqu',
  'huizu',
  'zhuangzu',
  'uygur',
  'uyghur',
  'uighur',
  'weiwuer',
  'tebiexingzhengqu',
  'sar',
  'oblast',
  'oblasti',
  'oblys',
  'oblysy',
  'krai',
  'kray',
  'kraj',
  'okrug',
  'respublika',
  'republic',
  'autonomous',
  'avtonomna',
  'avtonomnyy',
  'avtonomnaya',
  'province',
  'provincia',
  'prefecture',
  'state',
  'region',
  'municipality',
  'county',
  'governorate',
  'department',
  'territory',
]);
const LEADING_PHRASES = [
  'autonomous republic of ',
  'avtonomna respublika ',
  'republic of ',
  'respublika ',
  'province of ',
  'state of ',
  'city of ',
  'region of ',
];

/** `name` (already {@link normaliseName}d) without administrative words; may be empty. */
function stripAdministrative(name: string): string {
  let s = name;
  for (const phrase of LEADING_PHRASES) if (s.startsWith(phrase)) s = s.slice(phrase.length);
  // Inverted ISO names ("madrid comunidad de" from "Madrid, Comunidad de") are handled by
  // the caller keying the part before the comma as well; here only trailing words go.
  const words = s.split(' ');
  while (words.length > 1 && TRAILING_WORDS.has(words[words.length - 1] as string)) words.pop();
  return words.join(' ');
}

/*
 * English exonyms databases ship (ip-location-db `state1`, DB-IP and GeoIP2
 * `names.en`) for subdivisions whose ISO 3166-2 name is in a local language
 * and differs beyond the administrative words stripped above. Keys are
 * normalised names; the table is deliberately small and reviewed by hand:
 * a name missing here leaves the subdivision unknown (and counts against
 * the database's subdivision capability), a wrong entry would misplace people.
 */
const EXONYMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  CN: {
    tibet: 'CN-XZ',
    'tibet autonomous region': 'CN-XZ',
    'inner mongolia': 'CN-NM',
    'inner mongolia autonomous region': 'CN-NM',
    xinjiang: 'CN-XJ',
    guangxi: 'CN-GX',
    ningxia: 'CN-NX',
    'hong kong': 'CN-HK',
    macau: 'CN-MO',
  },
  RU: {
    moscow: 'RU-MOW',
    'moscow oblast': 'RU-MOS',
    'st petersburg': 'RU-SPE',
    'saint petersburg': 'RU-SPE',
    'leningrad oblast': 'RU-LEN',
  },
  UA: { crimea: 'UA-43', 'kyiv city': 'UA-30', kiev: 'UA-30' },
  DE: {
    bavaria: 'DE-BY',
    hesse: 'DE-HE',
    'lower saxony': 'DE-NI',
    'north rhine westphalia': 'DE-NW',
    'rhineland palatinate': 'DE-RP',
    saxony: 'DE-SN',
    'saxony anhalt': 'DE-ST',
    thuringia: 'DE-TH',
  },
  ES: {
    catalonia: 'ES-CT',
    andalusia: 'ES-AN',
    'basque country': 'ES-PV',
    'balearic islands': 'ES-IB',
    'canary islands': 'ES-CN',
    'castille and leon': 'ES-CL',
    'castile and leon': 'ES-CL',
    'castille la mancha': 'ES-CM',
    'castile la mancha': 'ES-CM',
    navarre: 'ES-NC',
    valencia: 'ES-VC',
  },
  IN: { puducherry: 'IN-PY', pondicherry: 'IN-PY', orissa: 'IN-OD', uttaranchal: 'IN-UK' },
  CZ: { prague: 'CZ-10' },
  MX: { 'mexico city': 'MX-CMX' },
};

/** The English exonyms (country → normalised name → code), for tests and the test database builders. */
export const subdivisionExonyms: Readonly<Record<string, Readonly<Record<string, string>>>> = EXONYMS;

interface NameIndex {
  /** Normalised full ISO name → code (null: two subdivisions share it). */
  readonly exact: Map<string, string | null>;
  /** Name without administrative words (and the part before a comma) → code (null: ambiguous). */
  readonly loose: Map<string, string | null>;
}

let byName: Map<string, NameIndex> | undefined;

function addKey(map: Map<string, string | null>, key: string, code: string): void {
  if (key.length === 0) return;
  const had = map.get(key);
  // null marks an ambiguous name: two subdivisions of one country share it.
  if (had === undefined) map.set(key, code);
  else if (had !== code) map.set(key, null);
}

function nameIndex(country: string): NameIndex | undefined {
  if (byName === undefined) {
    // Built lazily: only name-based layouts (ip-location-db, DB-IP) need it.
    byName = new Map();
    for (const entry of iso31662) {
      let index = byName.get(entry.parent);
      if (index === undefined) byName.set(entry.parent, (index = { exact: new Map(), loose: new Map() }));
      const full = normaliseName(entry.name);
      addKey(index.exact, full, entry.code);
      const loose = new Set([stripAdministrative(full)]);
      const comma = entry.name.indexOf(',');
      if (comma > 0) loose.add(stripAdministrative(normaliseName(entry.name.slice(0, comma))));
      for (const key of loose) addKey(index.loose, key, entry.code);
    }
  }
  return byName.get(country);
}

/**
 * ISO 3166-2 code of the subdivision of `country` that a database names
 * `name` (e.g. `US` + `California` → `US-CA`, `CN` + `Guangdong` → `CN-GD`,
 * `CN` + `Tibet` → `CN-XZ`). Tried in order: the exact ISO name, an English
 * exonym, then the name without administrative words ("Sheng", "Oblast",
 * "Province", ...). Case, diacritics and punctuation are ignored.
 * `undefined` when no name matches or the match is ambiguous within the
 * country — never a guess.
 */
export function subdivisionByName(country: string, name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) return undefined;
  const index = nameIndex(country);
  if (index === undefined) return undefined;
  const full = normaliseName(name);
  const stripped = stripAdministrative(full);
  const exonyms = EXONYMS[country];
  for (const key of stripped === full ? [full] : [full, stripped]) {
    const exact = index.exact.get(key);
    if (exact === null) return undefined;
    if (exact !== undefined) return canonicalSubdivision(exact);
    const exonym = exonyms !== undefined && Object.hasOwn(exonyms, key) ? exonyms[key] : undefined;
    if (exonym !== undefined) return exonym;
  }
  const loose = index.loose.get(stripped);
  return loose === null || loose === undefined ? undefined : canonicalSubdivision(loose);
}
