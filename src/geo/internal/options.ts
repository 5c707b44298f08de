/**
 * The MaxMind resolver's options, checked once (every value against its
 * type) and copied: nothing is read from the caller's object again.
 */
import { member } from '../../internal/objects.js';
import { keysOf, optionValues } from '../../internal/options.js';
import type { MaxMindFs, MaxMindResolverOptions } from '../maxmind.js';

/** Every key `MaxMindResolver.open` accepts (`fromBuffers` takes the same minus `watch` and `fs`). */
export const OPEN_OPTION_KEYS = keysOf<MaxMindResolverOptions>({ watch: true, watchDebounceMs: true, fs: true, clock: true, cacheSize: true, verify: true });

/** What `MaxMindResolver.fromBuffers` accepts. */
export const FROM_BUFFERS_OPTION_KEYS = OPEN_OPTION_KEYS.filter((k) => k !== 'watch' && k !== 'fs');

/** The resolver options checked once (every value against its type) and copied: nothing is read from the caller's object again. */
export function readResolverOptions(options: unknown, where: string, known: readonly (keyof MaxMindResolverOptions & string)[]): MaxMindResolverOptions {
  const o = optionValues<MaxMindResolverOptions>(options, where, known);
  const fs = o.raw('fs');
  if (fs !== undefined && typeof member(fs, 'readFile') !== 'function') throw o.wrong('fs', 'an object with readFile(path)');
  const clock = o.func<() => number>('clock', 'a function returning epoch milliseconds');
  const out: MaxMindResolverOptions = {
    watch: o.boolean('watch', false),
    watchDebounceMs: o.duration('watchDebounceMs', 200),
    verify: o.boolean('verify', true),
  };
  if (fs !== undefined) out.fs = fs as MaxMindFs;
  if (clock !== undefined) out.clock = clock;
  if (o.raw('cacheSize') !== undefined) out.cacheSize = o.number('cacheSize', 20_000, { min: 1, max: 10_000_000, integer: true });
  return out;
}
