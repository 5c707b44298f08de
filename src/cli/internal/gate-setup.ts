import { createGate, type Gate, type Reason } from '../../gate/index.js';
import type { GeoResolver } from '../../geo/index.js';
import { describeCapabilityGaps, isActive, type NormalizedRestriction } from '../../restrictions/index.js';
import { CliUsageError } from './context.js';
import { INSTANT_RULE, parseInstant } from '../../internal/time.js';

/** Parse `--at`: an ISO 8601 instant (or anything `Date` reads unambiguously as one), default now. */
export function parseAt(value: string | undefined): number {
  if (value === undefined) return Date.now();
  // The one date rule of restriction windows too: a date (midnight UTC) or a date-time with a zone.
  const ms = parseInstant(value);
  if (ms === undefined) throw new CliUsageError(`--at: ${JSON.stringify(value)} is not ${INSTANT_RULE}`);
  return ms;
}

/**
 * A gate over the given restrictions with a fixed clock (`--at`), so
 * time-windowed restrictions can be previewed for the moment they will apply.
 * Nothing listens to its events: the CLI writes no audit log.
 */
export function setupGate(geo: GeoResolver, restrictions: readonly NormalizedRestriction[], at: number, trustedProxies: readonly string[] = []): Gate {
  try {
    return createGate({ geo, restrictions: restrictions.map((r) => r.source), trustedProxies, clock: () => at });
  } catch (error) {
    throw new CliUsageError((error as Error).message, [], { cause: error });
  }
}

/** Warnings for restrictions the database cannot fully answer (never silently ineffective). */
export function capabilityWarnings(geo: GeoResolver, restrictions: readonly NormalizedRestriction[]): string[] {
  return restrictions.flatMap((r) => describeCapabilityGaps(r, geo.capabilities));
}

/** `region-restricted (req-1, region CN)` */
export function formatReason(reason: Reason): string {
  const facts = [reason.restrictionId, reason.region === undefined ? undefined : `region ${reason.region}`, reason.rule, reason.message].filter(
    (f) => f !== undefined,
  );
  return facts.length === 0 ? reason.code : `${reason.code} (${facts.join(', ')})`;
}

/**
 * `restriction X is not active at T (its window starts at ...)` for each
 * restriction whose window does not contain `at`: without it, `check` says
 * ADMITTED with no hint that the order has expired or not yet begun.
 */
export function inactiveNotes(restrictions: readonly NormalizedRestriction[], at: number): string[] {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const notes: string[] = [];
  for (const r of restrictions) {
    if (isActive(r, at)) continue;
    const why =
      r.validFrom !== undefined && at < r.validFrom ? `its window starts at ${iso(r.validFrom)}` : `its window ended at ${iso(r.validUntil as number)}`;
    notes.push(`restriction ${r.id} is not active at ${iso(at)} (${why}; use --at to evaluate another instant)`);
  }
  return notes;
}
