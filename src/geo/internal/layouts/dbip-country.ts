import { DBIP_NAME, geoIp2Capabilities, mapGeoIp2 } from './geoip2-shape.js';
import { MaxMindLayout } from './layout.js';
import type { LayoutDescriptor } from './layout.js';

/** DB-IP country databases: the GeoIP2 shape under a DB-IP name. */
export const dbIpCountry: LayoutDescriptor = {
  id: MaxMindLayout.DbIpCountry,
  role: 'location',
  detect: (type, ev) => (ev.shape === 'geoip2' && DBIP_NAME.test(type) ? geoIp2Capabilities(ev) : undefined),
  named: (type) => DBIP_NAME.test(type),
  map: mapGeoIp2,
};
