import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { assertKnownKeys } from '../internal/options.js';
import { cidrResult, type CompiledCidr } from './internal/cidr.js';
import { CLOUDFLARE_EDGE_RANGES, CLOUDFLARE_RANGES_SOURCE, CLOUDFLARE_RANGES_TAKEN } from './internal/cloudflare-ranges.js';
import { mappedIPv4 } from './internal/embedded.js';
import { formatIPv4 } from './internal/ipv4.js';
import { formatIPv6 } from './internal/ipv6.js';
import { parseLiteral, type LiteralResult } from './internal/literal.js';
import { PrefixTable } from './internal/prefix-table.js';
import type { IpValue } from './internal/types.js';

/** The forwarded header a deployment's proxies maintain. */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

/**
 * Which proxies to trust (docs/integrating.md), in the forms express's `proxy-addr`
 * takes:
 * - a list of CIDRs, bare addresses and the names `'loopback'`
 *   (`127.0.0.0/8`, `::1/128`), `'linklocal'` (`169.254.0.0/16`,
 *   `fe80::/10`) and `'uniquelocal'` (`10.0.0.0/8`, `172.16.0.0/12`,
 *   `192.168.0.0/16`, `fc00::/7`), mixed freely;
 * - the same as one comma-separated string (`'loopback, 10.0.0.0/8'`);
 * - a function `(address, hop) => boolean`, asked about each hop of the walk:
 *   `address` is the hop's canonical address (IPv4-mapped read as IPv4, port
 *   and zone stripped) and `hop` its index, 0 for the socket peer, 1 for the
 *   rightmost forwarded entry, and so on. Only a return of exactly `true`
 *   trusts; a function that throws trusts nothing (and never breaks a join).
 */
export type TrustedProxiesInput = string | readonly string[] | ((address: string, hop: number) => boolean);

/** The names a trusted-proxy list may use for well-known ranges (as `proxy-addr`). */
type TrustedProxyName = 'loopback' | 'linklocal' | 'uniquelocal';

const NAMED_RANGES: Readonly<Record<TrustedProxyName, readonly string[]>> = Object.freeze({
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
});

/**
 * A CDN whose client header is honoured: `'cloudflare'` (the
 * `CF-Connecting-IP` header from {@link CLOUDFLARE_RANGES}), or the CDN's
 * header and its published edge ranges. Pass fresher Cloudflare ranges as
 * `{ header: 'cf-connecting-ip', ranges: fresher }`.
 */
export type CdnOption = 'cloudflare' | { readonly header: string; readonly ranges: readonly string[] };

/**
 * Cloudflare's published edge ranges as shipped in this package, with the
 * date they were taken (`taken`, here the year: as published in 2026) and
 * where to get the current list. It is itself a valid {@link CdnOption};
 * `cdn: 'cloudflare'` uses it.
 *
 * @example
 * // Fresher ranges, fetched by the operator from https://www.cloudflare.com/ips/
 * createGate({ geo, cdn: { header: CLOUDFLARE_RANGES.header, ranges: fresher } })
 */
export const CLOUDFLARE_RANGES: {
  /** The client header Cloudflare sets, lower case. */
  readonly header: 'cf-connecting-ip';
  /** The edge ranges, IPv4 then IPv6. */
  readonly ranges: readonly string[];
  /** When the list was taken (ISO 8601, as precise as known). */
  readonly taken: string;
  /** Where Cloudflare publishes the current list. */
  readonly source: string;
} = Object.freeze({
  header: 'cf-connecting-ip',
  ranges: CLOUDFLARE_EDGE_RANGES,
  taken: CLOUDFLARE_RANGES_TAKEN,
  source: CLOUDFLARE_RANGES_SOURCE,
});

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
  /**
   * A CDN in front of the deployment whose client header is honoured, only
   * when the hop that sent it (where the trusted-proxy walk ends) is inside
   * the CDN's ranges.
   */
  cdn?: CdnOption;
}

/** A compiled CDN: its client header (lower case) and canonical ranges. */
interface TrustedCdn {
  readonly header: string;
  readonly ranges: readonly string[];
}

/**
 * A compiled trusted-proxy list. Build it once at configuration time with
 * {@link compileTrustedProxies}; lookups then cost a prefix-trie walk.
 */
export interface TrustedProxies {
  /** The trusted prefixes, canonical (`10.0.0.0/8`), names expanded; empty for a function. */
  readonly cidrs: readonly string[];
  /** The forwarded header that is read. */
  readonly header: ForwardedHeader;
  /**
   * True when the list covers `0.0.0.0/0` or `::/0`: every peer can set the
   * client's address (the gate warns `trust-all-proxies`). Always false for a
   * function, whose answers cannot be known in advance.
   */
  readonly trustsEverything: boolean;
  /** The CDN whose client header is honoured, if any. */
  readonly cdn?: TrustedCdn;
  /**
   * True when `address` (any spelling `normalizeAddress` accepts) is a
   * trusted proxy at walk position `hop` (0, the socket peer, by default;
   * only a function list looks at it).
   */
  trusts(address: string, hop?: number): boolean;
}

/**
 * Trust is decided on the address as the socket or header reports it, with
 * only the IPv4-mapped form (`::ffff:10.0.0.1` on a dual-stack socket) read
 * as IPv4. Tunnel forms (NAT64, 6to4, Teredo) are not decoded here: a client
 * must not become a "trusted proxy" (or a CDN edge) by using a tunnel address
 * that embeds a trusted IPv4 address.
 */
function trustKey(ip: IpValue): IpValue {
  if (ip.family === 4) return ip;
  const v4 = mappedIPv4(ip.bytes);
  return v4 >= 0 ? { family: 4, v4 } : ip;
}

function keyText(ip: IpValue): string {
  return ip.family === 4 ? formatIPv4(ip.v4) : formatIPv6(ip.bytes);
}

type TrustFunction = (address: string, hop: number) => boolean;

/**
 * The compiled form: a prefix table or a function, the forwarded header, and
 * the CDN's ranges. `resolveClientAddress` calls `trustsLiteral` on parsed
 * hops, so a hop is parsed once.
 * @internal
 */
export class CompiledTrustedProxies implements TrustedProxies {
  readonly cidrs: readonly string[];
  readonly header: ForwardedHeader;
  readonly trustsEverything: boolean;
  readonly cdn?: TrustedCdn;
  readonly #table: PrefixTable<true>;
  readonly #fn: TrustFunction | undefined;
  readonly #cdnTable: PrefixTable<true> | undefined;

  constructor(
    list: { cidrs: readonly CompiledCidr[] } | { fn: TrustFunction },
    header: ForwardedHeader,
    cdn: { header: string; ranges: readonly CompiledCidr[] } | undefined,
  ) {
    this.#table = new PrefixTable<true>();
    if ('fn' in list) {
      this.#fn = list.fn;
      this.cidrs = Object.freeze([]);
      this.trustsEverything = false;
    } else {
      this.#fn = undefined;
      const cidrs: string[] = [];
      for (const c of list.cidrs) {
        // Duplicates (a name and a CIDR it contains, say) are listed once.
        if (this.#table.insert(c.ip, c.prefixLength, true) === undefined) cidrs.push(c.network);
      }
      this.cidrs = Object.freeze(cidrs);
      this.trustsEverything = list.cidrs.some((c) => c.prefixLength === 0);
    }
    this.header = header;
    if (cdn !== undefined) {
      const table = new PrefixTable<true>();
      const ranges: string[] = [];
      for (const c of cdn.ranges) if (table.insert(c.ip, c.prefixLength, true) === undefined) ranges.push(c.network);
      this.#cdnTable = table;
      this.cdn = Object.freeze({ header: cdn.header, ranges: Object.freeze(ranges) });
    } else {
      this.#cdnTable = undefined;
    }
    Object.freeze(this);
  }

  /** Nothing can be trusted: headers are never read for the walk. */
  get empty(): boolean {
    return this.#fn === undefined && this.#table.size === 0;
  }

  trustsLiteral(literal: LiteralResult, hop: number): boolean {
    if (!literal.ok) return false;
    const key = trustKey(literal.ip);
    if (this.#fn === undefined) return this.#table.lookup(key) !== undefined;
    try {
      return this.#fn(keyText(key), hop) === true;
    } catch {
      // A throwing trust function trusts nothing; a join must never fail because of it.
      return false;
    }
  }

  /** The CDN's client header, lower case, if a CDN is configured. */
  get cdnHeader(): string | undefined {
    return this.cdn?.header;
  }

  /** True when `literal` is inside the CDN's ranges. */
  cdnSent(literal: LiteralResult): boolean {
    return this.#cdnTable !== undefined && literal.ok && this.#cdnTable.lookup(trustKey(literal.ip)) !== undefined;
  }

  trusts(address: string, hop = 0): boolean {
    return this.trustsLiteral(parseLiteral(address), hop);
  }
}

function configError(argument: string, message: string, cause?: unknown): GeoadmitError {
  return new GeoadmitError(ErrorCode.InvalidConfig, `${argument}: ${message}`, cause === undefined ? { argument } : { argument, cause });
}

const NAMES = Object.keys(NAMED_RANGES)
  .map((n) => `'${n}'`)
  .join(', ');

function compileEntry(entry: unknown, argument: string, out: CompiledCidr[]): void {
  const named = typeof entry === 'string' && Object.hasOwn(NAMED_RANGES, entry) ? NAMED_RANGES[entry as TrustedProxyName] : undefined;
  if (named !== undefined) {
    for (const cidr of named) out.push((cidrResult(cidr) as { ok: true; cidr: CompiledCidr }).cidr);
    return;
  }
  if (typeof entry !== 'string') throw configError(argument, `expected a CIDR, an address or one of ${NAMES}, got ${entry === null ? 'null' : typeof entry}`);
  if (entry === '') throw configError(argument, `is empty; expected a CIDR, an address or one of ${NAMES}`);
  const r = cidrResult(entry);
  if (!r.ok) throw configError(argument, /[a-z]{4}/i.test(entry) && !entry.includes(':') ? `${r.problem} (names are ${NAMES}, lower case)` : r.problem);
  out.push(r.cidr);
}

function compileCdn(cdn: unknown): { header: string; ranges: readonly CompiledCidr[] } {
  if (cdn === 'cloudflare') return compileCdn(CLOUDFLARE_RANGES);
  if (cdn === null || typeof cdn !== 'object' || Array.isArray(cdn)) {
    throw configError(
      'cdn',
      `expected 'cloudflare' or { header, ranges }, got ${typeof cdn === 'string' ? JSON.stringify(cdn.slice(0, 40)) : cdn === null ? 'null' : typeof cdn}`,
    );
  }
  // `taken` and `source` are allowed so that CLOUDFLARE_RANGES (or a spread of it) can be passed as is.
  assertKnownKeys(cdn, ['header', 'ranges', 'taken', 'source'], 'cdn', 'cdn.');
  const { header, ranges } = cdn as { header?: unknown; ranges?: unknown };
  if (typeof header !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(header)) {
    throw configError('cdn.header', 'must be an HTTP header name such as "cf-connecting-ip"');
  }
  const lower = header.toLowerCase();
  if (lower === 'x-forwarded-for' || lower === 'forwarded') {
    throw configError('cdn.header', `"${lower}" is a list that clients can write into; name the CDN's own client header (for example "cf-connecting-ip")`);
  }
  if (!Array.isArray(ranges) || ranges.length === 0) throw configError('cdn.ranges', "must be a non-empty array of the CDN's published CIDRs");
  const compiled: CompiledCidr[] = [];
  ranges.forEach((range: unknown, i) => {
    const argument = `cdn.ranges[${i}]`;
    if (typeof range !== 'string') throw configError(argument, `expected a CIDR, got ${range === null ? 'null' : typeof range}`);
    const r = cidrResult(range);
    if (!r.ok) throw configError(argument, r.problem);
    compiled.push(r.cidr);
  });
  return { header: lower, ranges: compiled };
}

/**
 * Compile a trusted-proxy list ({@link TrustedProxiesInput}) and, optionally,
 * a CDN whose client header is honoured. IPv4 and IPv6 are separate
 * families: list `0.0.0.0/0` and `::/0` separately if you mean both (an
 * IPv4-mapped prefix such as `::ffff:10.0.0.0/104` is read as `10.0.0.0/8`).
 * Nothing is half-applied: any invalid entry refuses the whole list.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` naming the entry at fault
 * (`trustedProxies[i]`, counted after splitting a comma-separated string;
 * `header`; `cdn`, `cdn.header`, `cdn.ranges[i]`), including a CIDR with
 * bits set beyond its prefix length and an unknown option key.
 * @example
 * const trusted = compileTrustedProxies(['loopback', '10.0.0.0/8', 'fd00::/8']);
 * const behindCloudflare = compileTrustedProxies('uniquelocal', { cdn: 'cloudflare' });
 * const custom = compileTrustedProxies((address, hop) => hop === 0 && address === '10.0.0.2');
 */
export function compileTrustedProxies(input: TrustedProxiesInput, options: TrustedProxyOptions = {}): TrustedProxies {
  if (options === null || typeof options !== 'object') throw configError('options', 'must be an object');
  assertKnownKeys(options, ['header', 'cdn'], 'compileTrustedProxies');
  const header = options.header ?? 'x-forwarded-for';
  if (header !== 'x-forwarded-for' && header !== 'forwarded') {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'header must be "x-forwarded-for" or "forwarded"', { argument: 'header' });
  }
  const cdn = options.cdn === undefined ? undefined : compileCdn(options.cdn);
  if (typeof input === 'function') return new CompiledTrustedProxies({ fn: input }, header, cdn);

  let entries: readonly unknown[];
  if (typeof input === 'string') {
    // proxy-addr's string form; a blank string (an empty environment variable) trusts nothing.
    entries = /^[ \t]*$/.test(input) ? [] : input.split(',').map((s) => s.trim());
  } else if (Array.isArray(input)) {
    entries = input;
  } else {
    throw new GeoadmitError(
      ErrorCode.InvalidConfig,
      `trustedProxies must be an array of CIDRs, addresses and names (${NAMES}), a comma-separated string of them, or a function (address, hop) => boolean`,
      { argument: 'trustedProxies' },
    );
  }
  const cidrs: CompiledCidr[] = [];
  entries.forEach((entry, i) => {
    compileEntry(entry, `trustedProxies[${i}]`, cidrs);
  });
  return new CompiledTrustedProxies({ cidrs }, header, cdn);
}
