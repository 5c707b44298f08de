import { canonicalRegion } from './codes.js';

/**
 * Codes people write that are not ISO 3166 regions, and what they mean.
 * Mostly ISO 3166-1's exceptionally and transitionally reserved codes
 * (`UK` is reserved for the United Kingdom, whose code is `GB`; the EU
 * writes Greece `EL`; `FX` was "France, Metropolitan"), plus codes of states
 * that split or were renamed, and England & co. written as countries.
 * Without this, `UK` would be read as a subdivision written without its
 * country and suggest `CF-UK` or `IN-UK`.
 */
const MEANT: Readonly<Record<string, readonly string[]>> = {
  UK: ['GB'],
  EL: ['GR'],
  FX: ['FR'],
  AC: ['SH-AC'],
  TA: ['SH-TA'],
  DG: ['IO'],
  IC: ['ES-CN'],
  EA: ['ES-CE', 'ES-ML'],
  CP: ['FR-CP'],
  CQ: ['GG'],
  AN: ['CW', 'SX', 'BQ'],
  BU: ['MM'],
  TP: ['TL'],
  ZR: ['CD'],
  DD: ['DE'],
  CS: ['RS', 'ME'],
  YU: ['RS', 'ME'],
  SU: ['RU'],
  KV: ['XK'],
  KS: ['XK'],
  EN: ['GB-ENG'],
  UAE: ['AE'],
  USA: ['US'],
};

/**
 * What a user probably meant by `code`, which is not a region: canonical
 * region codes (`UK` → `['GB']`, `EL` → `['GR']`), or an empty list. Only
 * suggestions that are regions in the ISO data in use are returned.
 *
 * @example regionSuggestion('uk') // ['GB']
 */
export function regionSuggestion(code: string): readonly string[] {
  const meant = MEANT[code.toUpperCase()];
  if (meant === undefined || canonicalRegion(code) !== undefined) return [];
  return meant.filter((c) => canonicalRegion(c) === c);
}
