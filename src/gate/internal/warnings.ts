/**
 * Warnings: configuration that quietly weakens enforcement (SPEC 12), said
 * once at creation or at most once a minute per proxy network.
 */
import type { ClientAddressResult, ForwardedHeader } from '../../address/index.js';
import { truncateCanonical } from '../../address/redact.js';
import type { WarningEvent } from '../../events/types.js';
import { iso } from './events.js';

const INTERVAL_MS = 60_000;
// Bounded: a flood from many networks cannot grow the map without limit.
const MAX_NETWORKS = 10_000;

/** The `trust-all-proxies` warning. */
export function trustAllWarning(now: number): WarningEvent {
  return {
    type: 'warning',
    time: iso(now),
    code: 'trust-all-proxies',
    message: 'trustedProxies covers every address (0.0.0.0/0 or ::/0): any client can choose its own location with a forwarded header; list only your proxies',
  };
}

/**
 * Decides when a join that carried the forwarded header from a non-global
 * peer no trusted proxy covers is worth a `forwarded-header-untrusted`
 * warning: at most once a minute per peer /24 (IPv4) or /48 (IPv6), by the
 * gate's clock.
 */
export class ForwardedWarnings {
  readonly #header: ForwardedHeader;
  readonly #redact: (address: string) => string | undefined;
  readonly #last = new Map<string, number>();

  constructor(header: ForwardedHeader, redact: (address: string) => string | undefined) {
    this.#header = header;
    this.#redact = redact;
  }

  /** The warning for this join's client address, or `undefined` (nothing to say, or said within the minute). */
  check(client: ClientAddressResult, now: number): WarningEvent | undefined {
    if (!client.ok || client.untrustedForwarded !== true) return undefined;
    const network = truncateCanonical(client.address) ?? client.address;
    const last = this.#last.get(network);
    // A clock that stepped back counts as a new minute rather than silencing warnings until it catches up.
    if (last !== undefined && now >= last && now - last < INTERVAL_MS) return undefined;
    if (this.#last.size >= MAX_NETWORKS) this.#last.clear();
    this.#last.set(network, now);
    const event: WarningEvent = {
      type: 'warning',
      time: iso(now),
      code: 'forwarded-header-untrusted',
      message: `a join carried the ${this.#header} header from a non-global peer that no trusted proxy covers, so its participant has an unknown location: enforcement is off for everyone behind that proxy; add it to trustedProxies`,
    };
    const peer = this.#redact(client.address);
    if (peer !== undefined) event.peer = peer;
    return event;
  }
}
