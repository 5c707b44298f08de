/**
 * Client addresses: strict normalisation, the trusted-proxy walk (with
 * `proxy-addr`'s names and function form, and CDN client headers), CIDR
 * parsing and audit redaction (docs/integrating.md, docs/threat-model.md). Other folders that need
 * IP primitives import `./ip.js`, never `./internal/*`.
 */
export { normalizeAddress, type AddressResult } from './normalize.js';
export {
  CLOUDFLARE_RANGES,
  compileTrustedProxies,
  type CdnOption,
  type ForwardedHeader,
  type TrustedProxies,
  type TrustedProxiesInput,
} from './trusted-proxies.js';
export { resolveClientAddress, type ClientAddressInput, type ClientAddressResult, type ClientAddressVia } from './proxy.js';
export { parseCidr } from './cidr.js';
export { redactAddress, type RedactionMode } from './redact.js';
