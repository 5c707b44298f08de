import type { IpValue } from '../address/ip.js';
import { member } from '../internal/objects.js';
import { readList, wrongValue } from '../internal/options.js';
import { locateParsed, resolveParsed } from './parsed.js';
import type { GeoCapabilities, GeoResolver, GeoResolverEvents, GeoResolverMetadata, Location } from './types.js';

/**
 * Layers resolvers: the first layer that knows an address answers. Put an
 * operator's own corrections (an RFC 8805 geofeed via
 * `StaticResolver.fromGeofeed`, or a `StaticResolver`) before the database.
 *
 * A layer "knows" an address when its location has a `country`, or has any
 * unknown cause other than `not-in-database` — so `invalid-address`,
 * `non-global`, `no-physical-country` and `lookup-error` from an earlier layer
 * are reported as they are, never papered over by a later layer. If no layer
 * knows the address, the last layer's answer is returned. Answers are not
 * merged: the answering layer's location (and `source`) is returned whole.
 * (To combine a country database with an anonymous-IP database, layer them
 * inside `MaxMindResolver`.)
 *
 * `capabilities` is the AND of the layers': a capability holds only when
 * every layer has it. Each answer comes from one layer, so an address that
 * a correction line covers gets only what that line can say; a capability
 * warning is advisory, and suppressing it (one subdivision line in a
 * geofeed hiding that the database below has no subdivisions) is the
 * dangerous failure, while an extra warning is harmless. `on` subscribes
 * to every layer that emits events; `close` closes every layer.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` when `layers` is empty or holds
 * something that is not a resolver.
 * @example
 * const geo = new OverlayResolver([
 *   StaticResolver.fromGeofeed(await readFile('corrections.csv', 'utf8')),
 *   await MaxMindResolver.open(['GeoLite2-Country.mmdb']),
 * ]);
 */
export class OverlayResolver implements GeoResolver {
  /** Named `overlay(<layer names>)`, listing the layers in order. */
  readonly metadata: GeoResolverMetadata;
  /** What every layer can tell: a capability is present only when all layers have it. */
  readonly capabilities: GeoCapabilities;
  /** The layers, first consulted first. */
  readonly layers: readonly GeoResolver[];

  constructor(layers: readonly GeoResolver[]) {
    const list = readList(layers, 'OverlayResolver', 'layers', 'a non-empty list of GeoResolvers');
    if (list.length === 0) throw wrongValue('OverlayResolver', 'layers', 'a non-empty list of GeoResolvers', layers);
    // Each layer read once, here: its name and capabilities are fixed for the overlay's life.
    const names: string[] = [];
    const caps = { countries: true, subdivisions: true, anonymizers: true };
    list.forEach((layer, i) => {
      if (layer === null || typeof layer !== 'object' || typeof member(layer, 'resolve') !== 'function') {
        throw wrongValue('OverlayResolver', `layers[${i}]`, 'a GeoResolver (an object with resolve(address))', layer);
      }
      const name = member(member(layer, 'metadata'), 'name');
      names.push(typeof name === 'string' ? name : 'unnamed');
      const capabilities = member(layer, 'capabilities');
      for (const key of ['countries', 'subdivisions', 'anonymizers'] as const) caps[key] &&= member(capabilities, key) === true;
    });
    this.layers = Object.freeze(list as GeoResolver[]);
    this.metadata = Object.freeze({ name: `overlay(${names.join(',')})` });
    this.capabilities = Object.freeze(caps);
  }

  /** The first layer's answer that knows `address` (see the class description). Never throws. */
  resolve(address: string): Location {
    const layers = this.layers;
    let location!: Location;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!;
      try {
        location = layer.resolve(address);
      } catch {
        // The GeoResolver contract forbids throwing; a layer that does anyway is a failed lookup.
        return lookupError(layer);
      }
      if (location.country !== undefined || location.unknown !== 'not-in-database') return location;
    }
    return location;
  }

  /** The gate's lookup of an address it parsed (see `resolveParsed`): each layer as `resolve(address)` would ask it. @internal */
  [resolveParsed](ip: IpValue, address: string): Location {
    const layers = this.layers;
    let location!: Location;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!;
      try {
        location = locateParsed(layer, ip, address);
      } catch {
        return lookupError(layer);
      }
      if (location.country !== undefined || location.unknown !== 'not-in-database') return location;
    }
    return location;
  }

  /** Subscribe to every layer's events. Returns one function that unsubscribes from all. */
  on<E extends keyof GeoResolverEvents>(event: E, listener: (payload: GeoResolverEvents[E]) => void): () => void {
    const offs = this.layers.map((l) => l.on?.(event, listener));
    return () => {
      for (const off of offs) off?.();
    };
  }

  /** Close every layer (all are attempted; the first failure is rethrown afterwards). */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.layers.map(async (l) => l.close?.()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}

/** A layer that threw (the GeoResolver contract forbids it): a failed lookup, named after the layer. */
function lookupError(layer: GeoResolver): Location {
  const name = member(member(layer, 'metadata'), 'name');
  return Object.freeze({
    subdivisions: Object.freeze([]) as readonly string[],
    source: typeof name === 'string' ? name : 'unnamed',
    unknown: 'lookup-error' as const,
  });
}
