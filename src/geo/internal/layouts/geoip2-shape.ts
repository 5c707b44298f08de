import type { GeoCapabilities } from '../../types.js';
import { isCountryCode, subdivisionByName, subdivisionCode } from '../../../regions/index.js';
import type { LayoutEvidence } from './evidence.js';
import { anonymizerFlag, freeze, isObject } from './record.js';
import type { MappedRecord } from './record.js';

/*
 * The GeoIP2 record shape, shared by the MaxMind and DB-IP layouts: the
 * descriptors differ only in how a database is told apart (the vendor from the
 * type name, city from subdivisions in the records or the name).
 */

/** A DB-IP type name (`DBIP-City-Lite`, `dbip-country`). */
export const DBIP_NAME = /db-?ip/;

/** A MaxMind type name (`GeoIP2-City`, `GeoLite2-Country`). */
export const MAXMIND_NAME = /geoip2|geolite2/;

/** GeoIP2 / DB-IP shape. Only `country` is physical; registered/represented never count. */
export function mapGeoIp2(rec: unknown): MappedRecord {
  if (!isObject(rec)) return freeze(undefined, [], undefined);
  const countryObj = rec['country'];
  const iso = isObject(countryObj) ? countryObj['iso_code'] : undefined;
  const country = isCountryCode(iso) ? iso : undefined;
  const subdivisions: string[] = [];
  const subs = rec['subdivisions'];
  if (country !== undefined && Array.isArray(subs)) {
    // Bounded: a hostile record cannot make one lookup do unbounded work.
    for (const sub of subs.slice(0, 8)) {
      if (!isObject(sub)) continue;
      let code = subdivisionCode(country, sub['iso_code']);
      if (code === undefined && isObject(sub['names'])) code = subdivisionByName(country, sub['names']['en']);
      if (code !== undefined && !subdivisions.includes(code)) subdivisions.push(code);
    }
  }
  return freeze(country, subdivisions, anonymizerFlag(rec['traits']));
}

/** A city database: its records carry subdivisions (coded or named), or its type name says city or enterprise. */
export function isCity(type: string, ev: LayoutEvidence): boolean {
  return ev.geoIp2Subdivisions > 0 || ev.names.size > 0 || /city|enterprise/.test(type);
}

/**
 * What a GeoIP2-shaped database answers: countries always; subdivisions when
 * records carry them and, for names rather than codes, at least
 * the evidence's threshold of distinct names map to ISO 3166-2
 * (over-claiming would silence the gate's warning while most places in a
 * restricted subdivision stay unknown); anonymizers when traits flag them.
 */
export function geoIp2Capabilities(ev: LayoutEvidence): GeoCapabilities {
  return {
    countries: true,
    subdivisions: ev.geoIp2Subdivisions > 0 && ev.namesHold,
    anonymizers: ev.geoIp2AnonTraits > 0,
  };
}
