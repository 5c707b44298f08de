import { checkIPv6Grammar, parseIPv6 } from './ipv6.js';
import { bytesOfWords, Ipv6Scan, scanIpv6 } from './ipv6-text.js';
import { explainIPv4, parseIPv4 } from './ipv4.js';
import type { IpValue } from './types.js';

/** Longest input accepted as one address (with brackets, zone and port). */
const MAX_ADDRESS_LENGTH = 100;
/** Most characters of hostile input ever echoed into an error detail. */
const MAX_ECHO = 64;

/**
 * A parsed address literal, before any embedded-IPv4 unwrapping. `text`,
 * when present, is the address already in canonical form (strict IPv4, or
 * RFC 5952 IPv6), so normalisation need not format it again.
 */
export type LiteralResult = { ok: true; ip: IpValue; text?: string } | { ok: false; detail: string };

const ZONE = /^[0-9A-Za-z._~-]{1,64}$/;
const PORT = /^[0-9]{1,5}$/;

/**
 * Quote input for an error detail. Callers only echo text that has passed
 * the printable-ASCII check, so this only needs to bound the length.
 */
export function echo(text: string): string {
  return JSON.stringify(text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO - 3)}...` : text);
}

function fail(detail: string): LiteralResult {
  return { ok: false, detail };
}

/** First character that is not printable ASCII, described without echoing it. */
function badCharacter(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x20 && c < 0x7f) continue;
    const hex = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    if (c <= 0x20 || c === 0x7f) return `address contains whitespace or a control character (${hex}) at index ${i}`;
    return `address contains a non-ASCII character (${hex}) at index ${i}; only ASCII digits are accepted`;
  }
  return undefined;
}

function portProblem(port: string, input: string): string | undefined {
  if (!PORT.test(port) || Number(port) > 65535) return `invalid port in ${echo(input)}`;
  return undefined;
}

const words = new Uint32Array(4);

function parseV6Host(host: string, input: string): LiteralResult {
  let addr = host;
  const pct = host.indexOf('%');
  if (pct >= 0) {
    // Zone IDs only scope link-local use on one machine; they carry no location.
    // (RFC 6874's bracketed `%25eth0` passes too: the zone is dropped either way.)
    if (!ZONE.test(host.slice(pct + 1))) {
      return fail(`invalid IPv6 zone ID in ${echo(input)}`);
    }
    addr = host.slice(0, pct);
  }
  // The strict parser accepts exactly the grammar checkIPv6Grammar enforces; that check
  // only runs to explain a refusal.
  const scan = scanIpv6(addr, words);
  if (scan !== Ipv6Scan.Invalid) {
    const bytes = bytesOfWords(words);
    // Canonical text (what sockets report) is its own normal form: no need to format it again.
    return scan === Ipv6Scan.Canonical ? { ok: true, ip: { family: 6, bytes }, text: addr } : { ok: true, ip: { family: 6, bytes } };
  }
  const problem = checkIPv6Grammar(addr);
  if (problem !== undefined) return fail(`${problem}: ${echo(input)}`);
  const bytes = parseIPv6(addr);
  if (bytes === undefined) return fail(`not a valid IPv6 address: ${echo(input)}`);
  return { ok: true, ip: { family: 6, bytes } };
}

function parseV4Host(host: string, input: string): LiteralResult {
  const v4 = parseIPv4(host);
  if (v4 < 0) return fail(`${explainIPv4(host)}: ${echo(input)}`);
  return { ok: true, ip: { family: 4, v4 }, text: host };
}

/**
 * Parse one address literal as it appears on a socket or in a forwarded
 * header: `1.2.4.8`, `1.2.4.8:5000`, `2001:db8::1`, `[2001:db8::1]`,
 * `[2001:db8::1]:443`, `fe80::1%eth0`. Zone IDs and ports are dropped. Only
 * unambiguous spellings are accepted; anything else is a failure with a
 * detail that never echoes more than 64 characters or any control character.
 */
export function parseLiteral(input: unknown): LiteralResult {
  if (typeof input !== 'string') return fail('address is not a string');
  // Fast path: the canonical IPv4 text a socket reports.
  const fast = parseIPv4(input);
  if (fast >= 0) return { ok: true, ip: { family: 4, v4: fast }, text: input };
  if (input.length === 0) return fail('address is empty');
  if (input.length > MAX_ADDRESS_LENGTH) return fail(`address is longer than ${MAX_ADDRESS_LENGTH} characters`);
  const bad = badCharacter(input);
  if (bad !== undefined) return fail(bad);

  if (input.startsWith('[')) {
    const close = input.indexOf(']');
    if (close < 0) return fail(`unterminated "[" in ${echo(input)}`);
    const rest = input.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return fail(`unexpected text after "]" in ${echo(input)}`);
      const problem = portProblem(rest.slice(1), input);
      if (problem !== undefined) return fail(problem);
    }
    return parseV6Host(input.slice(1, close), input);
  }
  const firstColon = input.indexOf(':');
  if (firstColon < 0) {
    if (input.includes('%')) return fail(`zone IDs are only valid on IPv6 addresses: ${echo(input)}`);
    return parseV4Host(input, input);
  }
  if (input.indexOf(':', firstColon + 1) < 0) {
    // Exactly one colon: host:port, which only IPv4 can be written as
    // unbracketed (a bare IPv6 address always has at least two colons).
    const problem = portProblem(input.slice(firstColon + 1), input);
    if (problem !== undefined) return fail(problem);
    return parseV4Host(input.slice(0, firstColon), input);
  }
  return parseV6Host(input, input);
}
