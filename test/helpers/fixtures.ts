import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The installed real GeoLite2 country database (IPv4 + IPv6). */
export const GEOLITE2_COUNTRY = join(
  dirname(require.resolve('@ip-location-db/geolite2-country-mmdb/package.json')),
  'geolite2-country.mmdb',
);

/** Real addresses used across tests (checked against GeoLite2 in the resolver tests). */
export const ADDR = {
  CN1: '1.2.4.8',
  CN2: '223.5.5.5',
  HK: '202.181.0.1',
  US: '8.8.8.8',
} as const;

/** A CIDR table for StaticResolver-based tests. */
export const STATIC_TABLE = {
  '1.2.4.0/24': 'CN',
  '223.5.5.0/24': { country: 'CN', subdivisions: ['CN-ZJ'] },
  '36.110.0.0/16': { country: 'CN', subdivisions: ['CN-XZ'] },
  '202.181.0.0/24': 'HK',
  '8.8.8.0/24': { country: 'US', subdivisions: ['US-CA'] },
  '9.9.9.0/24': 'US',
  '81.2.69.0/24': { country: 'GB', subdivisions: ['GB-ENG'], anonymizer: true },
  '2001:da8::/32': { country: 'CN', subdivisions: ['CN-BJ'] },
  '2001:4860::/32': 'US',
} as const;
