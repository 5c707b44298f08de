/**
 * Client addresses: strict normalisation, the trusted-proxy walk, CIDR
 * parsing and audit redaction (SPEC 3.1, 8).
 */
export { normalizeAddress, type AddressResult } from './normalize.js';
export {
  compileTrustedProxies,
  resolveClientAddress,
  type ClientAddressInput,
  type ClientAddressResult,
  type ClientAddressVia,
  type ForwardedHeader,
  type TrustedProxies,
  type TrustedProxyOptions,
} from './proxy.js';
export { parseCidr, type ParsedCidr } from './cidr.js';
export { redactAddress, type RedactionMode } from './redact.js';
