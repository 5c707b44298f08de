/**
 * `geoadmit/vitest`: matchers for decisions and removals. Importing this
 * module registers them with vitest's `expect` (vitest is an optional peer
 * dependency, needed only by code that imports this entry) and declares
 * their types:
 *
 * ```ts
 * import 'geoadmit/vitest';
 * expect(await gate.admit(join)).toBeAdmitted();
 * expect(await t.join('m-1', 'p-1', 'CN')).toBeDenied('region-restricted');
 * expect(await gate.restrict(doc)).toHaveRemoved(['p-1', 'p-2']);
 * ```
 *
 * A failure message shows the decision's reasons, dry-run reasons, location
 * (country, subdivisions or the unknown cause, source, network) and the
 * restriction ids involved, or what a restriction removed, matched and left
 * pending — readable without a debugger.
 *
 * vitest itself is ESM only, so import this entry from ES module test files
 * (as vitest runs them); `require('geoadmit/vitest')` gets vitest's own error.
 *
 * @module
 */
import { expect } from 'vitest';
import { ReasonCode } from '../index.js';
import {
  describeDecision,
  describeParticipants,
  describeRestrictResult,
  describeWrongInput,
  idList,
  isDecision,
  isParticipantList,
  isRestrictResult,
} from './internal/describe.js';

/** The matchers this entry adds, as both assertions and asymmetric matchers. */
export interface GeoadmitMatchers<R = unknown> {
  /** The received `Decision` admitted the join. The failure message lists its reasons and location. */
  toBeAdmitted(): R;
  /**
   * The received `Decision` denied the join — with at least one reason of
   * `code` when given (`'region-restricted'`, `'rule'`, …).
   */
  toBeDenied(code?: ReasonCode): R;
  /**
   * The received `RestrictResult` (from `gate.restrict`), or a list of
   * participants (`createTestGate().removed`), removed exactly these
   * participant ids, in any order.
   */
  toHaveRemoved(participantIds: readonly string[]): R;
}

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: the declaration must repeat vitest's own type parameter.
  interface Assertion<T = any> extends GeoadmitMatchers<void> {}
  interface AsymmetricMatchersContaining extends GeoadmitMatchers {}
}

const REASON_CODES: readonly string[] = Object.values(ReasonCode);

interface MatcherContext {
  isNot: boolean;
}

function toBeAdmitted(this: MatcherContext, received: unknown) {
  if (!isDecision(received)) return { pass: false, message: () => describeWrongInput(received, 'a Decision (from gate.admit)') };
  const pass = received.admitted;
  return {
    pass,
    message: () =>
      pass
        ? `expected the join not to be admitted, but it was admitted\n${describeDecision(received)}`
        : `expected the join to be admitted, but it was denied\n${describeDecision(received)}`,
  };
}

function toBeDenied(this: MatcherContext, received: unknown, code?: ReasonCode) {
  if (code !== undefined && !REASON_CODES.includes(code)) {
    throw new TypeError(`toBeDenied: ${JSON.stringify(code)} is not a reason code (one of ${REASON_CODES.join(', ')})`);
  }
  if (!isDecision(received)) return { pass: false, message: () => describeWrongInput(received, 'a Decision (from gate.admit)') };
  const withCode = code === undefined ? '' : ` with a reason of code ${JSON.stringify(code)}`;
  const pass = !received.admitted && (code === undefined || received.reasons.some((r) => r.code === code));
  return {
    pass,
    message: () => {
      if (pass) return `expected the join not to be denied${withCode}, but it was\n${describeDecision(received)}`;
      if (received.admitted) return `expected the join to be denied${withCode}, but it was admitted\n${describeDecision(received)}`;
      return `expected the join to be denied${withCode}, but its reasons were ${received.reasons.map((r) => r.code).join(', ')}\n${describeDecision(received)}`;
    },
  };
}

/** Participant ids in `actual` but not in `expected`, counting repeats. */
function without(actual: readonly string[], expected: readonly string[]): string[] {
  const left = [...expected];
  return actual.filter((id) => {
    const i = left.indexOf(id);
    if (i === -1) return true;
    left.splice(i, 1);
    return false;
  });
}

function toHaveRemoved(this: MatcherContext, received: unknown, participantIds: readonly string[]) {
  if (!Array.isArray(participantIds) || !participantIds.every((id) => typeof id === 'string')) {
    throw new TypeError('toHaveRemoved: expected an array of participant ids, e.g. toHaveRemoved(["p-1", "p-2"])');
  }
  const result = isRestrictResult(received) ? received : undefined;
  const list = result?.removed ?? (isParticipantList(received) ? received : undefined);
  if (list === undefined) {
    return { pass: false, message: () => describeWrongInput(received, 'a RestrictResult (from gate.restrict) or a list of participants') };
  }
  const actual = list.map((p) => p.participantId);
  const missing = without(participantIds, actual);
  const unexpected = without(actual, participantIds);
  const pass = missing.length === 0 && unexpected.length === 0;
  const details = [
    `  removed: ${describeParticipants(list)}`,
    `  missing: ${missing.length > 0 ? missing.join(', ') : 'none'}`,
    `  unexpected: ${unexpected.length > 0 ? unexpected.join(', ') : 'none'}`,
    ...(result === undefined ? [] : [describeRestrictResult(result)]),
  ].join('\n');
  const restriction = result === undefined ? undefined : `restriction ${JSON.stringify(result.restriction.id)}`;
  return {
    pass,
    message: () => {
      if (restriction === undefined) {
        return pass
          ? `expected the removed participants not to be exactly ${idList(participantIds)}, but they were\n${details}`
          : `expected the removed participants to be ${idList(participantIds)}, but they were ${idList(actual)}\n${details}`;
      }
      return pass
        ? `expected ${restriction} not to remove exactly ${idList(participantIds)}, but it did\n${details}`
        : `expected ${restriction} to remove ${idList(participantIds)}, but it removed ${idList(actual)}\n${details}`;
    },
  };
}

expect.extend({ toBeAdmitted, toBeDenied, toHaveRemoved });
