import { geoIp2Capabilities, MAXMIND_NAME, mapGeoIp2 } from './geoip2-shape.js';
import { MaxMindLayout } from './layout.js';
import type { LayoutDescriptor } from './layout.js';

/** GeoIP2/GeoLite2 Country: any GeoIP2-shaped database the DB-IP and city descriptors did not claim. */
export const geoIp2Country: LayoutDescriptor = {
  id: MaxMindLayout.GeoIp2Country,
  role: 'location',
  detect: (_type, ev) => (ev.shape === 'geoip2' ? geoIp2Capabilities(ev) : undefined),
  named: (type) => MAXMIND_NAME.test(type),
  map: mapGeoIp2,
};
