import { geoIp2Capabilities, isCity, MAXMIND_NAME, mapGeoIp2 } from './geoip2-shape.js';
import { MaxMindLayout } from './layout.js';
import type { LayoutDescriptor } from './layout.js';

/** GeoIP2/GeoLite2 City and Enterprise, and any GeoIP2-shaped database with subdivisions not named DB-IP. */
export const geoIp2City: LayoutDescriptor = {
  id: MaxMindLayout.GeoIp2City,
  role: 'location',
  detect: (type, ev) => (ev.shape === 'geoip2' && isCity(type, ev) ? geoIp2Capabilities(ev) : undefined),
  named: (type) => MAXMIND_NAME.test(type) && /city|enterprise/.test(type),
  map: mapGeoIp2,
};
