import type { Decision, Location, ParticipantRef, Reason, RestrictResult } from '../../index.js';

/*
 * Plain-text descriptions of decisions and removals for matcher failure
 * messages: everything a reader needs to see why, without a debugger.
 */

/** True for an object shaped like a `Decision` (what `gate.admit` resolves to). */
export function isDecision(value: unknown): value is Decision {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<Decision>;
  return typeof v.admitted === 'boolean' && Array.isArray(v.reasons) && v.location !== null && typeof v.location === 'object';
}

/** True for an object shaped like a `RestrictResult` (what `gate.restrict` / `gate.preview` resolve to). */
export function isRestrictResult(value: unknown): value is RestrictResult {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<RestrictResult>;
  return Array.isArray(v.removed) && v.restriction !== null && typeof v.restriction === 'object';
}

/** True for a list of participant references (`createTestGate().removed`). */
export function isParticipantList(value: unknown): value is ParticipantRef[] {
  return Array.isArray(value) && value.every((p) => p !== null && typeof p === 'object' && typeof (p as ParticipantRef).participantId === 'string');
}

/** What was received, when it is not what a matcher takes: says "forgot await" for a promise. */
export function describeWrongInput(value: unknown, wanted: string): string {
  if (value instanceof Promise || (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function')) {
    return `expected ${wanted}, but received a Promise: did you forget \`await\`?`;
  }
  let shown: string;
  try {
    shown = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  return `expected ${wanted}, but received ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}`;
}

/** `CN (CN-BJ), source synthetic, network 20.65.1.0/24` — or `unknown (non-global), source unknown`. */
function describeLocation(location: Location): string {
  const parts: string[] = [];
  if (location.country === undefined) parts.push(`unknown (${location.unknown ?? 'no cause given'})`);
  else parts.push(location.subdivisions.length > 0 ? `${location.country} (${location.subdivisions.join(', ')})` : location.country);
  if (location.anonymizer === true) parts.push('anonymizer');
  parts.push(`source ${location.source}`);
  if (location.network !== undefined) parts.push(`network ${location.network}`);
  return parts.join(', ');
}

/** `region-restricted: restriction "req-1", region CN` / `rule: rule "vpn-check" — message`. */
function describeReason(reason: Reason): string {
  const details: string[] = [];
  if (reason.restrictionId !== undefined) details.push(`restriction ${JSON.stringify(reason.restrictionId)}`);
  if (reason.region !== undefined) details.push(`region ${reason.region}`);
  if (reason.rule !== undefined) details.push(`rule ${JSON.stringify(reason.rule)}`);
  const head = details.length > 0 ? `${reason.code}: ${details.join(', ')}` : reason.code;
  return reason.message === undefined ? head : `${head} — ${reason.message}`;
}

function reasonLines(title: string, reasons: readonly Reason[]): string[] {
  if (reasons.length === 0) return [`  ${title}: none`];
  return [`  ${title}:`, ...reasons.map((r) => `    - ${describeReason(r)}`)];
}

/** The decision's reasons, dry-run reasons, location, restriction ids and address, one per line. */
export function describeDecision(decision: Decision): string {
  const ids = [...new Set([...decision.reasons, ...(decision.dryRun ?? [])].flatMap((r) => (r.restrictionId === undefined ? [] : [r.restrictionId])))];
  const lines = [
    ...reasonLines('reasons', decision.reasons),
    ...reasonLines('dry run', decision.dryRun ?? []),
    `  location: ${describeLocation(decision.location)}`,
    `  restriction ids: ${ids.length > 0 ? ids.join(', ') : 'none'}`,
  ];
  if (decision.address !== undefined) lines.push(`  address: ${decision.address}`);
  return lines.join('\n');
}

/** `p-1 (m-1), p-2 (m-1)`, or `nobody`. */
export function describeParticipants(list: readonly ParticipantRef[]): string {
  return list.length === 0 ? 'nobody' : list.map((p) => `${p.participantId} (${p.meetingId})`).join(', ');
}

/** `[p1, p2]` for a list of ids. */
export function idList(ids: readonly string[]): string {
  return `[${ids.join(', ')}]`;
}

/** The rest of a restrict result: pending, matched, meetings reached and undisturbed, warnings. */
export function describeRestrictResult(result: RestrictResult): string {
  const lines = [
    `  pending (onRemove failed): ${describeParticipants(result.pending ?? [])}`,
    `  matched: ${describeParticipants(result.matched ?? [])}`,
    `  meetings reached: ${(result.meetingsReached ?? []).join(', ') || 'none'}; undisturbed: ${(result.meetingsUndisturbed ?? []).join(', ') || 'none'}`,
    `  active: ${String(result.active)}`,
  ];
  if (result.warnings !== undefined && result.warnings.length > 0) lines.push(`  warnings: ${result.warnings.join('; ')}`);
  return lines.join('\n');
}
