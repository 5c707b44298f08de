import { DBIP_NAME, geoIp2Capabilities, isCity, mapGeoIp2 } from './geoip2-shape.js';
import { MaxMindLayout } from './layout.js';
import type { LayoutDescriptor } from './layout.js';

/** DB-IP city databases: the GeoIP2 shape under a DB-IP name, subdivisions often by English name only. */
export const dbIpCity: LayoutDescriptor = {
  id: MaxMindLayout.DbIpCity,
  role: 'location',
  detect: (type, ev) => (ev.shape === 'geoip2' && DBIP_NAME.test(type) && isCity(type, ev) ? geoIp2Capabilities(ev) : undefined),
  named: (type) => DBIP_NAME.test(type) && /city/.test(type),
  map: mapGeoIp2,
};
