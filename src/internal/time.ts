/**
 * The one rule for instants written as text, everywhere (restriction
 * windows, `--at`, `report --from/--to`): ISO 8601, either a calendar date
 * (`2020-06-01`, meaning 00:00 UTC that day) or a date and time with a time
 * zone (`2020-06-01T08:00:00+08:00`, `2020-06-01T00:00:00.5Z`). A time
 * without a zone is refused: it would mean a different instant on every
 * machine. Impossible dates (`2020-02-30`) are refused, not rolled over.
 */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** What the rule accepts, in words, for error messages. */
export const INSTANT_RULE = 'an ISO 8601 date (2020-06-01, midnight UTC) or date and time with a time zone (2020-06-01T00:00:00Z)';

/** Epoch milliseconds of `text` under the rule above, or `undefined` when it does not follow it. */
export function parseInstant(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = INSTANT.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  // The calendar date itself must exist (Date.parse would roll 2020-02-30 over to March 1).
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const ms = Date.parse(m[4] === undefined ? `${text}T00:00:00Z` : text);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * A time source that always answers a finite number of epoch milliseconds:
 * the caller's clock while it does, `Date.now()` for any reading that is
 * not (NaN, Infinity, a string, a throw). For timestamps that must exist
 * (event and log times): a NaN there would throw from `toISOString()`
 * inside a timer and end the process.
 */
export function finiteClock(clock: (() => number) | undefined): () => number {
  if (clock === undefined) return Date.now;
  return () => {
    try {
      const now: unknown = clock();
      if (typeof now === 'number' && Number.isFinite(now)) return now;
    } catch {
      // fall through: a timestamp is still needed
    }
    return Date.now();
  };
}
