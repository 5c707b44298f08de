/**
 * ISO 3166 region data, in one place below geo and restrictions: which codes
 * are countries and subdivisions, their canonical forms (case, replaced codes,
 * territories with their own alpha-2 code), containment, what a user probably
 * meant by a code that is not one, and the subdivision names databases use.
 * Internal: the package root exports none of it; users see regions only
 * through restriction validation and locations.
 *
 * @module
 */
export {
  canonicalLocationCode,
  canonicalRegion,
  containsCanonical,
  COUNTRIES,
  countryOfRegion,
  countryOfSubdivision,
  isCountryRegion,
  parentOfRegion,
  regionContains,
  subdivisionsWithSuffix,
  territoryAliases,
  territoryParents,
} from './codes.js';
export { isCountryCode, looksLikeAlpha2, subdivisionByName, subdivisionCode, subdivisionExonyms } from './names.js';
export { canonicalSubdivision, replacedSubdivisionCodes } from './replaced.js';
export { regionSuggestion } from './suggestions.js';
