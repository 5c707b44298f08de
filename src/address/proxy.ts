import { cutRight, forwardedHops, hasHeaderValue, headerLines, isBlank, MAX_HOPS, trimOws, xffHops, type HopList } from './internal/forwarded.js';
import { formatIPv4, parseIPv4 } from './internal/ipv4.js';
import { formatIPv6 } from './internal/ipv6.js';
import { parseLiteral, type LiteralResult } from './internal/literal.js';
import { nonGlobalRange } from './internal/non-global.js';
import { normalizeLiteral } from './internal/normalize.js';
import type { IpValue } from './internal/types.js';
import type { AddressResult } from './normalize.js';
import { CompiledTrustedProxies, type compileTrustedProxies, type ForwardedHeader, type TrustedProxies, type TrustedProxyOptions } from './trusted-proxies.js';

/** What a client-address resolution needs from the connection. */
export interface ClientAddressInput {
  /** The socket's remote address (`req.socket.remoteAddress`). */
  peerAddress: string;
  /** Request headers; keys in any case, values a string or one string per field line. */
  headers?: Record<string, string | readonly string[] | undefined>;
}

/**
 * Where the client address came from: the socket peer, the forwarded header
 * (after a trusted-proxy walk), or the CDN's client header.
 */
export type ClientAddressVia = 'peer' | ForwardedHeader | 'cdn';

/**
 * The client address, normalised, and where it came from.
 *
 * `untrustedForwarded: true` flags the classic misconfiguration that turns
 * enforcement off without a sound (the warning
 * `forwarded-header-untrusted`): the request carries the forwarded header
 * (or the CDN's client header), but the walk ended at a non-global address
 * (private, loopback, CGNAT, ULA, ...) that is not a trusted proxy while the
 * header had more to say: the socket peer when no proxy is trusted (a load
 * balancer missing from `trustedProxies`), or a hop inside the chain (an
 * inner proxy missing from it). `address` is that non-global hop.
 */
export type ClientAddressResult = AddressResult & { via: ClientAddressVia; untrustedForwarded?: true };

/**
 * A client-address resolution that keeps the parsed address (`ip`: the
 * address to geolocate, embedded IPv4 decoded) next to the public fields,
 * so the gate hands its resolver the parsed value instead of text to parse
 * again. `resolveClientAddress` returns the same without `ip`.
 *
 * `proxyHeader` flags a trusted proxy whose forwarded header did not name
 * the client: `missing` (absent or blank, so the address is the proxy's
 * own) or `unusable` (no usable address in it). Everyone behind such a proxy
 * gets the wrong location, so the gate warns (`forwarded-header-missing`).
 * @internal
 */
export type ClientResolution = ClientAddressResult & { ip?: IpValue; proxyHeader?: 'missing' | 'unusable' };

function result(literal: LiteralResult, via: ClientAddressVia): ClientResolution {
  // Built here in one step (not toAddressResult plus a field): one object per join on the admission path.
  const n = normalizeLiteral(literal);
  if (!n.ok) return { ok: false, cause: 'invalid-address', detail: n.detail, via };
  return n.global
    ? { ok: true, address: n.address, family: n.ip.family, global: true, via, ip: n.ip }
    : { ok: true, address: n.address, family: n.ip.family, global: false, cause: 'non-global', via, ip: n.ip };
}

function invalid(detail: string, via: ClientAddressVia): ClientResolution {
  return { ok: false, cause: 'invalid-address', detail, via };
}

function hopsOf(header: ForwardedHeader, text: string): HopList | { problem: string } {
  return header === 'forwarded' ? forwardedHops(text) : xffHops(text);
}

/** What the walk needs from a trust list, for compiled lists and hand-made `TrustedProxies` objects alike. */
interface Trust {
  readonly header: ForwardedHeader;
  readonly empty: boolean;
  trustsLiteral(literal: LiteralResult, hop: number): boolean;
  cdnSent(literal: LiteralResult): boolean;
  readonly cdnHeader: string | undefined;
}

const NO_TRUST: Trust = {
  header: 'x-forwarded-for',
  empty: true,
  trustsLiteral: () => false,
  cdnSent: () => false,
  cdnHeader: undefined,
};

function trustOf(trusted: TrustedProxies | undefined): Trust {
  if (trusted === undefined || trusted === null) return NO_TRUST;
  if (trusted instanceof CompiledTrustedProxies) return trusted;
  // A TrustedProxies made by hand (a test double, another copy of the package): ask it by text.
  return {
    header: trusted.header === 'forwarded' ? 'forwarded' : 'x-forwarded-for',
    empty: false,
    trustsLiteral: (l, hop) => l.ok && trusted.trusts(l.ip.family === 4 ? formatIPv4(l.ip.v4) : formatIPv6(l.ip.bytes), hop) === true,
    cdnSent: () => false,
    cdnHeader: undefined,
  };
}

/** Where the walk ended: the address, how it was reached, and whether the header went on past it while it is not trusted. */
interface WalkEnd {
  readonly end: LiteralResult;
  readonly via: ClientAddressVia;
  readonly more: boolean;
}

/** The trusted-proxy walk of `proxy-addr`, from a trusted peer; a result when it cannot give an address. */
function walk(input: ClientAddressInput, peer: LiteralResult, trust: Trust): WalkEnd | ClientResolution {
  const header = trust.header;
  const cut = cutRight(headerLines(input.headers, header));
  if (!cut.truncated && isBlank(cut.text)) return { end: peer, via: 'peer', more: false };
  const list = hopsOf(header, cut.text);
  if ('problem' in list) return invalid(`${header} header ${list.problem}`, header);
  const beyond = cut.truncated || list.truncated;
  let current = peer;
  for (let i = 0; i < list.hops.length; i++) {
    const hop = list.hops[i]!;
    const where = `${header} hop ${i + 1} from the right`;
    if (hop.problem !== undefined) return invalid(`${where} ${hop.problem}`, header);
    current = parseLiteral(hop.value);
    if (!current.ok) return invalid(`${where}: ${current.detail}`, header);
    // Hop numbers as proxy-addr counts them: 0 is the socket peer, 1 the rightmost entry.
    if (!trust.trustsLiteral(current, i + 1)) return { end: current, via: header, more: i < list.hops.length - 1 || beyond };
  }
  if (beyond) {
    return invalid(`${header} chain is longer than the ${MAX_HOPS} hops or 8 KiB considered and every hop considered is a trusted proxy`, header);
  }
  // Every hop is trusted: the leftmost one is the client.
  return { end: current, via: header, more: false };
}

/** The CDN's client header as the client address; undefined when the header is absent. */
function cdnClient(input: ClientAddressInput, name: string): ClientResolution | undefined {
  const lines = headerLines(input.headers, name);
  if (lines.length === 0) return undefined;
  if (lines.length > 1) return invalid(`${name} header appears ${lines.length} times; a CDN sets it once`, 'cdn');
  const value = trimOws(lines[0]!);
  if (value === '') return invalid(`${name} header is empty`, 'cdn');
  if (value.includes(',')) return invalid(`${name} header is a list; a CDN client header carries one address`, 'cdn');
  const literal = parseLiteral(value);
  if (!literal.ok) return invalid(`${name} header: ${literal.detail}`, 'cdn');
  return result(literal, 'cdn');
}

function resolve(input: ClientAddressInput, trusted: TrustedProxies | undefined): ClientResolution {
  const trust = trustOf(trusted);
  const peerAddress = input.peerAddress;
  if (trust.empty && trust.cdnHeader === undefined && typeof peerAddress === 'string') {
    // The common join: no proxy trusted and a socket's dotted quad. A global peer is the answer as it
    // stands (what parseLiteral, normalizeLiteral and finish would give, without their three objects).
    const v4 = parseIPv4(peerAddress);
    if (v4 >= 0) {
      const ip: IpValue = { family: 4, v4 };
      if (nonGlobalRange(ip) === undefined) return { ok: true, address: peerAddress, family: 4, global: true, via: 'peer', ip };
    }
  }
  const peer = parseLiteral(peerAddress);
  if (trust.empty || !trust.trustsLiteral(peer, 0)) return finish(input, trust, peer, 'peer', undefined);
  const w = walk(input, peer, trust);
  if (!('end' in w)) {
    // The walk starts only at a trusted peer: a header it cannot read is that proxy's.
    if (w.via === trust.header) w.proxyHeader = 'unusable';
    return w;
  }
  const r = finish(input, trust, w.end, w.via, w.more);
  // A trusted peer whose header was blank, unless the CDN's client header answered instead.
  if (w.via === 'peer' && r.via === 'peer') r.proxyHeader = 'missing';
  return r;
}

/**
 * The result for the address the walk ended at: the CDN's client header when
 * that address is the CDN's, else the address itself, flagged when it is a
 * non-global hop nobody trusts that the request went on past (`more`;
 * `undefined` for an untrusted peer, whose headers are only read if it is
 * non-global).
 */
function finish(input: ClientAddressInput, trust: Trust, end: LiteralResult, via: ClientAddressVia, more: boolean | undefined): ClientResolution {
  if (trust.cdnHeader !== undefined && trust.cdnSent(end)) {
    const fromCdn = cdnClient(input, trust.cdnHeader);
    if (fromCdn !== undefined) return fromCdn;
  }
  const r = result(end, via);
  if (r.ok && !r.global) {
    const forwarded =
      more ?? (hasHeaderValue(input.headers, trust.header) || (trust.cdnHeader !== undefined && hasHeaderValue(input.headers, trust.cdnHeader)));
    if (forwarded) r.untrustedForwarded = true;
  }
  return r;
}

/**
 * Work out the participant's address from the socket peer and, only when the
 * peer is a trusted proxy, the forwarded header. Never throws
 * (headers whose getters throw give `invalid-address`).
 *
 * The walk is express's `proxy-addr`: start at the peer; while the current
 * address is a trusted proxy, step to the next hop to the left in the
 * header; the first address that is not trusted is the client, and if every
 * hop is trusted the leftmost one is. Only the header chosen in
 * {@link TrustedProxyOptions.header} is read (`x-forwarded-for` by default;
 * several field lines are joined in order). At most the rightmost 8 KiB of
 * the header and 32 hops are considered; if the walk would have to go past
 * what was considered, the result is `invalid-address` rather than a guess.
 * Reaching a hop with no usable address (`for=unknown`, `_obfuscated`,
 * malformed) also gives `invalid-address` with a detail.
 *
 * With a CDN (`cdn` option of {@link compileTrustedProxies}): when the address
 * the walk ends at (the peer when no proxy is trusted, else the first
 * untrusted hop) is inside the CDN's ranges and the request has the CDN's
 * client header, the client is that header's single address (`via: 'cdn'`;
 * strictly validated, a list or junk is `invalid-address`). A client that
 * sends the header itself, from outside the CDN's ranges, is ignored.
 *
 * Without `trusted` (or with an empty list) the forwarded header is ignored,
 * but its presence on a request from a non-global peer sets
 * `untrustedForwarded` (see {@link ClientAddressResult}).
 *
 * @example
 * const trusted = compileTrustedProxies(['10.0.0.0/8']);
 * resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '1.2.4.8' } }, trusted)
 * // { ok: true, address: '1.2.4.8', family: 4, global: true, via: 'x-forwarded-for' }
 */
export function resolveClientAddress(input: ClientAddressInput, trusted?: TrustedProxies): ClientAddressResult {
  const r = resolveClient(input, trusted);
  if (r.ip === undefined && r.proxyHeader === undefined) return r;
  const { ip: _parsed, proxyHeader: _header, ...rest } = r;
  return rest;
}

/**
 * {@link resolveClientAddress} keeping the parsed address (see
 * {@link ClientResolution}): the gate's admission path.
 * @internal
 */
export function resolveClient(input: ClientAddressInput, trusted?: TrustedProxies): ClientResolution {
  if (input === null || typeof input !== 'object') return invalid('client address input is not an object', 'peer');
  try {
    return resolve(input, trusted);
  } catch {
    // Only hostile header objects (throwing getters, Proxy traps) get here.
    return invalid('request headers could not be read', 'peer');
  }
}
