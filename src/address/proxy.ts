import { GeoadmitError } from '../errors/index.js';
import { compileCidr } from './internal/cidr.js';
import { mappedIPv4 } from './internal/embedded.js';
import { cutRight, forwardedHops, headerLines, MAX_HOPS, xffHops, type HopList } from './internal/forwarded.js';
import { formatIPv4 } from './internal/ipv4.js';
import { formatIPv6 } from './internal/ipv6.js';
import { parseLiteral, type LiteralResult } from './internal/literal.js';
import { normalizeLiteral } from './internal/normalize.js';
import { PrefixTable } from './internal/prefix-table.js';
import type { IpValue } from './internal/types.js';
import { toAddressResult, type AddressResult } from './normalize.js';

/** The forwarded header a deployment's proxies maintain. */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

/** What a client-address resolution needs from the connection. */
export interface ClientAddressInput {
  /** The socket's remote address (`req.socket.remoteAddress`). */
  peerAddress: string;
  /** Request headers; keys in any case, values a string or one string per field line. */
  headers?: Record<string, string | readonly string[] | undefined>;
}

/** Where the client address came from. */
export type ClientAddressVia = 'peer' | ForwardedHeader;

/** The client address, normalised, and where it came from. */
export type ClientAddressResult = AddressResult & { via: ClientAddressVia };

/** Options for {@link compileTrustedProxies}. */
export interface TrustedProxyOptions {
  /**
   * Which header the trusted proxies append to. Default `x-forwarded-for`
   * (what nginx, HAProxy, Envoy, cloud load balancers and express's
   * `proxy-addr` use). Only the chosen header is ever read: most proxies pass
   * the other one through from the client untouched, so reading it too would
   * let a client pick its own address.
   */
  header?: ForwardedHeader;
}

/**
 * A compiled trusted-proxy list. Build it once at configuration time with
 * {@link compileTrustedProxies}; lookups then cost a prefix-trie walk.
 */
export interface TrustedProxies {
  /** The trusted prefixes, canonical (`10.0.0.0/8`). */
  readonly cidrs: readonly string[];
  /** The forwarded header that is read. */
  readonly header: ForwardedHeader;
  /** True when `address` (any spelling `normalizeAddress` accepts) is a trusted proxy. */
  trusts(address: string): boolean;
}

/**
 * Trust is decided on the address as the socket reports it, with only the
 * IPv4-mapped form (`::ffff:10.0.0.1` on a dual-stack socket) read as IPv4.
 * Tunnel forms (NAT64, 6to4, Teredo) are not decoded here: a client must not
 * become a "trusted proxy" by using a tunnel address that embeds a trusted
 * IPv4 address.
 */
function trustKey(ip: IpValue): IpValue {
  if (ip.family === 4) return ip;
  const v4 = mappedIPv4(ip.bytes);
  return v4 >= 0 ? { family: 4, v4 } : ip;
}

class CompiledTrustedProxies implements TrustedProxies {
  readonly cidrs: readonly string[];
  readonly header: ForwardedHeader;
  readonly #table: PrefixTable<true>;

  constructor(cidrs: readonly string[], header: ForwardedHeader, table: PrefixTable<true>) {
    this.cidrs = Object.freeze([...cidrs]);
    this.header = header;
    this.#table = table;
    Object.freeze(this);
  }

  get empty(): boolean {
    return this.#table.size === 0;
  }

  trustsLiteral(literal: LiteralResult): boolean {
    return literal.ok && this.#table.lookup(trustKey(literal.ip)) !== undefined;
  }

  trusts(address: string): boolean {
    return this.trustsLiteral(parseLiteral(address));
  }
}

/**
 * Compile a trusted-proxy list (CIDRs or bare addresses). IPv4 and IPv6 are
 * separate families: list `0.0.0.0/0` and `::/0` separately if you mean both
 * (an IPv4-mapped prefix such as `::ffff:10.0.0.0/104` is read as
 * `10.0.0.0/8`).
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` naming `trustedProxies[i]` for an
 * invalid entry (including one with bits set beyond its prefix length).
 * @example
 * const trusted = compileTrustedProxies(['10.0.0.0/8', 'fd00::/8']);
 */
export function compileTrustedProxies(cidrs: readonly string[], options: TrustedProxyOptions = {}): TrustedProxies {
  if (!Array.isArray(cidrs)) {
    throw new GeoadmitError('E_INVALID_CONFIG', 'trustedProxies must be an array of CIDR strings', { argument: 'trustedProxies' });
  }
  const header = options.header ?? 'x-forwarded-for';
  if (header !== 'x-forwarded-for' && header !== 'forwarded') {
    throw new GeoadmitError('E_INVALID_CONFIG', 'header must be "x-forwarded-for" or "forwarded"', { argument: 'header' });
  }
  const table = new PrefixTable<true>();
  const canonical: string[] = [];
  cidrs.forEach((cidr: unknown, i) => {
    const argument = `trustedProxies[${i}]`;
    try {
      const parsed = compileCidr(cidr as string);
      table.insert(parsed.ip, parsed.prefixLength, true);
      canonical.push(parsed.network);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new GeoadmitError('E_INVALID_CONFIG', `${argument}: ${why}`, { argument, cause: error });
    }
  });
  return new CompiledTrustedProxies(canonical, header, table);
}

function result(literal: LiteralResult, via: ClientAddressVia): ClientAddressResult {
  // toAddressResult returns a fresh object, so adding `via` to it is safe.
  const r = toAddressResult(normalizeLiteral(literal)) as ClientAddressResult;
  r.via = via;
  return r;
}

function invalid(detail: string, via: ClientAddressVia): ClientAddressResult {
  return { ok: false, cause: 'invalid-address', detail, via };
}

function hopsOf(header: ForwardedHeader, text: string): HopList | { problem: string } {
  return header === 'forwarded' ? forwardedHops(text) : xffHops(text);
}

/**
 * Work out the participant's address from the socket peer and, only when the
 * peer is a trusted proxy, the forwarded header (SPEC 3.1). Never throws.
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
 * Without `trusted` (or with an empty list) headers are ignored entirely.
 *
 * @example
 * const trusted = compileTrustedProxies(['10.0.0.0/8']);
 * resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '1.2.4.8' } }, trusted)
 * // { ok: true, address: '1.2.4.8', family: 4, global: true, via: 'x-forwarded-for' }
 */
export function resolveClientAddress(input: ClientAddressInput, trusted?: TrustedProxies): ClientAddressResult {
  if (input === null || typeof input !== 'object') return invalid('client address input is not an object', 'peer');
  const peer = parseLiteral(input.peerAddress);
  if (trusted === undefined) return result(peer, 'peer');
  const trusts =
    trusted instanceof CompiledTrustedProxies
      ? (l: LiteralResult) => trusted.trustsLiteral(l)
      : (l: LiteralResult) => l.ok && trusted.trusts(l.ip.family === 4 ? formatIPv4(l.ip.v4) : formatIPv6(l.ip.bytes));
  if (trusted instanceof CompiledTrustedProxies && trusted.empty) return result(peer, 'peer');
  if (!trusts(peer)) return result(peer, 'peer');

  const header = trusted.header;
  const cut = cutRight(headerLines(input.headers, header));
  if (/^[ \t]*$/.test(cut.text) && !cut.truncated) return result(peer, 'peer');
  const list = hopsOf(header, cut.text);
  if ('problem' in list) return invalid(`${header} header ${list.problem}`, header);

  let current = peer;
  let via: ClientAddressVia = 'peer';
  for (let i = 0; i < list.hops.length; i++) {
    if (!trusts(current)) return result(current, via);
    const hop = list.hops[i]!;
    const where = `${header} hop ${i + 1} from the right`;
    via = header;
    if (hop.problem !== undefined) return invalid(`${where} ${hop.problem}`, via);
    current = parseLiteral(hop.value);
    if (!current.ok) return invalid(`${where}: ${current.detail}`, via);
  }
  if ((cut.truncated || list.truncated) && trusts(current)) {
    return invalid(`${header} chain is longer than the ${MAX_HOPS} hops or 8 KiB considered and every hop considered is a trusted proxy`, via);
  }
  return result(current, via);
}
