/**
 * Warnings: configuration that quietly weakens enforcement, said once at
 * creation or at most once a minute per proxy (network).
 */
import { type ForwardedHeader, normalizeAddress } from '../../address/index.js';
import type { ClientResolution } from '../../address/ip.js';
import { truncateCanonical } from '../../address/redact.js';
import type { WarningEvent } from '../../events/types.js';
import { iso } from './events.js';

const INTERVAL_MS = 60_000;
// Bounded: a flood from many networks cannot grow the maps without limit.
const MAX_KEYS = 10_000;

/** The `trust-all-proxies` warning. */
export function trustAllWarning(now: number): WarningEvent {
  return {
    type: 'warning',
    time: iso(now),
    code: 'trust-all-proxies',
    message: 'trustedProxies covers every address (0.0.0.0/0 or ::/0): any client can choose its own location with a forwarded header; list only your proxies',
  };
}

/** At most once a minute per key, by the gate's clock. */
class OncePerMinute {
  readonly #last = new Map<string, number>();

  due(key: string, now: number): boolean {
    const last = this.#last.get(key);
    // A clock that stepped back counts as a new minute rather than silencing warnings until it catches up.
    if (last !== undefined && now >= last && now - last < INTERVAL_MS) return false;
    if (this.#last.size >= MAX_KEYS) this.#last.clear();
    this.#last.set(key, now);
    return true;
  }
}

/**
 * Decides when a join's client resolution is worth a warning about forwarded
 * headers, at most once a minute each:
 * - `forwarded-header-untrusted`: the header came from a non-global peer no
 *   trusted proxy covers (per peer /24 or /48);
 * - `forwarded-header-missing`: a trusted proxy sent no forwarded header, or
 *   one with no usable address (per proxy address).
 */
export class ForwardedWarnings {
  readonly #header: ForwardedHeader;
  readonly #redact: (address: string) => string | undefined;
  readonly #untrusted = new OncePerMinute();
  readonly #missing = new OncePerMinute();

  constructor(header: ForwardedHeader, redact: (address: string) => string | undefined) {
    this.#header = header;
    this.#redact = redact;
  }

  /** True when `client` may be worth a warning: the gate asks {@link check} only then. */
  static concerns(client: ClientResolution | undefined): client is ClientResolution {
    return client !== undefined && (client.untrustedForwarded === true || client.proxyHeader !== undefined);
  }

  /** The warning for this join's client resolution, or `undefined` (nothing to say, or said within the minute). */
  check(client: ClientResolution, peerAddress: string, now: number): WarningEvent | undefined {
    if (client.proxyHeader !== undefined) return this.#missingHeader(client.proxyHeader, peerAddress, now);
    if (!client.ok || client.untrustedForwarded !== true) return undefined;
    const network = truncateCanonical(client.address) ?? client.address;
    if (!this.#untrusted.due(network, now)) return undefined;
    const header = this.#header;
    return this.#event(
      'forwarded-header-untrusted',
      now,
      `a join carried the ${header} header from a non-global peer that no trusted proxy covers, so the header was ignored and the participant's location is unknown; ` +
        `if that peer is one of your own proxies or load balancers (its address is in your infrastructure, and every join through it carries ${header}), add it to trustedProxies, since enforcement is off for everyone behind it until then; ` +
        `if it is not yours, a client is sending ${header} itself to choose its location: keep it untrusted and let clients reach the server only through your proxy`,
      client.address,
    );
  }

  #missingHeader(problem: 'missing' | 'unusable', peerAddress: string, now: number): WarningEvent | undefined {
    // The socket peer: the trusted proxy the join came from (canonical, so one proxy is one key).
    const peer = normalizeAddress(peerAddress);
    const proxy = peer.ok ? peer.address : String(peerAddress).slice(0, 64);
    if (!this.#missing.due(proxy, now)) return undefined;
    const header = this.#header;
    const what =
      problem === 'missing'
        ? `a join came from a trusted proxy without the ${header} header, so the participant was located by the proxy's own address`
        : `a join came from a trusted proxy whose ${header} header holds no usable address, so the participant's location is unknown`;
    return this.#event(
      'forwarded-header-missing',
      now,
      `${what}: everyone behind that proxy is located the same way and enforcement is off for them; ` +
        `make the proxy set ${header} to the client's address (or set forwardedHeader to the header it does send), or remove the address from trustedProxies if it is not a proxy`,
      peer.ok ? peer.address : undefined,
    );
  }

  #event(code: WarningEvent['code'], now: number, message: string, address: string | undefined): WarningEvent {
    const event: WarningEvent = { type: 'warning', time: iso(now), code, message };
    const peer = address === undefined ? undefined : this.#redact(address);
    if (peer !== undefined) event.peer = peer;
    return event;
  }
}
