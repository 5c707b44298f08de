// The strict IPv6 text parser and formatter live with address normalisation; lookups reuse them.
export { ipv6NetworkTextFromWords, parseIpv6Words } from '../../address/internal/ipv6-text.js';
