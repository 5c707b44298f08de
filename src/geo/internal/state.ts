/**
 * What a MaxMind resolver looks up in: its database layers and what is
 * derived from them, built as one frozen value so a reload swaps it whole.
 */
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import type { MaxMindDatabaseInfo } from '../maxmind.js';
import type { GeoCapabilities, Location } from '../types.js';
import type { LoadedDatabase } from './load.js';
import { DirectAnswerMemo, DirectAnswerMemo6 } from './memo.js';

/**
 * Bound on memoised IPv4 answers per database generation. An answer is one
 * database network; hot addresses stay hot, and memory stays near 3 MB.
 */
const ANSWER_MEMO_SIZE = 32_768;
/** The same for IPv6 answers (fewer: most joins are IPv4). */
const ANSWER_MEMO_SIZE_6 = 8_192;

/** Everything a lookup needs, swapped as one reference so a lookup never sees half a reload. */
export interface ResolverState {
  readonly layers: readonly LoadedDatabase[];
  readonly locationLayers: readonly LoadedDatabase[];
  readonly anonymizerLayers: readonly LoadedDatabase[];
  readonly name: string;
  readonly capabilities: GeoCapabilities;
  readonly databases: readonly MaxMindDatabaseInfo[];
  /**
   * IPv4 answers per tree record slot, when one location database is all there
   * is (with more layers an answer depends on all of them). New per
   * generation, so a reload never serves an old answer.
   */
  readonly answers: DirectAnswerMemo<Location> | undefined;
  /** The same for IPv6, when that one database holds IPv6. */
  readonly answers6: DirectAnswerMemo6<Location> | undefined;
}

/** The state over `layers` (in layering order). */
export function buildState(layers: readonly LoadedDatabase[]): ResolverState {
  const locationLayers = layers.filter((l) => l.role === 'location');
  const anonymizerLayers = layers.filter((l) => l.role === 'anonymizer');
  return Object.freeze({
    layers,
    locationLayers,
    anonymizerLayers,
    // Location databases first (they name the source), then the layers that only flag.
    name: `mmdb:${[...locationLayers, ...anonymizerLayers].map((l) => l.databaseType).join('+')}`,
    capabilities: Object.freeze({
      countries: locationLayers.some((l) => l.capabilities.countries),
      subdivisions: locationLayers.some((l) => l.capabilities.subdivisions),
      anonymizers: layers.some((l) => l.capabilities.anonymizers),
    }),
    databases: Object.freeze(
      layers.map((l) => Object.freeze({ file: l.file, databaseType: l.databaseType, layout: l.layout, buildDate: l.buildDate, ipVersion: l.ipVersion })),
    ),
    answers: layers.length === 1 && locationLayers.length === 1 ? new DirectAnswerMemo<Location>(ANSWER_MEMO_SIZE) : undefined,
    answers6:
      layers.length === 1 && locationLayers.length === 1 && locationLayers[0]?.ipVersion === 6
        ? new DirectAnswerMemo6<Location>(ANSWER_MEMO_SIZE_6)
        : undefined,
  });
}

/** A resolver must have something that locates: an Anonymous-IP database only flags. */
export function requireLocationLayer(layers: readonly LoadedDatabase[], culprit: string): void {
  if (!layers.some((l) => l.role === 'location')) {
    throw new GeoadmitError(
      ErrorCode.DatabaseWrongKind,
      `Database file ${culprit} is an Anonymous-IP database; it can only be layered with a location database (City, Country, DB-IP, IPinfo or ip-location-db)`,
      { file: culprit },
    );
  }
}
