import { ErrorCode, GeoadmitError } from '../errors/index.js';

/**
 * Refuses option keys the callee does not know, naming the closest known one:
 * a misspelt option (`trustedProxy`) silently ignored can turn enforcement off.
 *
 * @param options the options object as the caller passed it
 * @param known every key the callee accepts
 * @param where the function or option object, e.g. `createGate` or `createGate: audit`
 * @param prefix prefix for the argument name in the error (`audit.`)
 */
export function assertKnownKeys(options: object, known: readonly string[], where: string, prefix = ''): void {
  if (options === null || typeof options !== 'object') {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `${where}: ${prefix === '' ? 'options' : prefix.slice(0, -1)} must be an object`, {
      argument: prefix === '' ? 'options' : prefix.slice(0, -1),
    });
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const suggestion = closestName(key, known);
    throw new GeoadmitError(
      ErrorCode.InvalidConfig,
      `${where}: unknown option ${JSON.stringify(prefix + key)}${suggestion !== undefined ? ` (did you mean ${JSON.stringify(prefix + suggestion)}?)` : ''}`,
      { argument: prefix + key },
    );
  }
}

/**
 * The candidate nearest to `name` by edit distance (case-insensitive), when it
 * is near enough to be a plausible typo: at most a third of the longer name's
 * length, or a prefix relation (`trustedProxy` → `trustedProxies`).
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const distance = c.startsWith(lower) || lower.startsWith(c) ? Math.min(1, editDistance(lower, c)) : editDistance(lower, c);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.ceil(Math.max(name.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance, two rows. Names are short, so this stays cheap. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
