// Setup shared by the per-join comparisons: the database, the address mix,
// the gate with one CN takedown on the benchmarked meeting, the naive hook
// and the bare reader, all over the same seeded inputs.
import { readFileSync } from 'node:fs';
import { createGate, MaxMindResolver, normalizeAddress } from 'geoadmit';
import { addressMix, BENCH_MEETING, cnTakedown, DB_PATH } from './common.mjs';
import { createNaiveHook } from './naive.mjs';

/** Joins for `addresses`: one benchmarked meeting, 1,000 participant ids that re-join (the roster stays bounded). */
export function joinsFor(addresses, meetingId = BENCH_MEETING, hostAccountId = 'acct-bench') {
  return addresses.map((peerAddress, i) => ({ meetingId, hostAccountId, participantId: `participant-${String(i % 1000).padStart(8, '0')}`, peerAddress }));
}

/** Everything a per-join comparison needs. */
export async function joinSetup(size, restrictions = [cnTakedown()]) {
  const buffer = readFileSync(DB_PATH);
  const addresses = addressMix(normalizeAddress, size);
  const resolver = await MaxMindResolver.open(DB_PATH);
  const gate = createGate({ geo: resolver, restrictions });
  gate.on('decision', () => {}); // an audit listener is always attached in production
  const naive = createNaiveHook(buffer, ['CN']);
  naive.events.on('decision', () => {});
  return { buffer, addresses, resolver, gate, naive };
}

/**
 * A run(n) function of joins with participant churn: every join has
 * a participant id never used before, and every admitted participant leaves
 * right after, so each meeting has one participant at a time. The joins'
 * meetings, accounts and addresses are `joins`', in order, wrapping.
 */
export function churnCycler(joins, gate) {
  let i = 0;
  let n = 0;
  const len = joins.length;
  return async (count) => {
    for (let k = 0; k < count; k++) {
      const j = joins[i];
      const participantId = `churn-${n++}`;
      const d = await gate.admit({ meetingId: j.meetingId, hostAccountId: j.hostAccountId, participantId, peerAddress: j.peerAddress });
      if (d.admitted) gate.leave(j.meetingId, participantId);
      if (++i === len) i = 0;
    }
  };
}

/** run(n) functions that walk `items` in order, wrapping, each with its own cursor. */
export function cycler(items, step) {
  let i = 0;
  const len = items.length;
  return (n) => {
    for (let k = 0; k < n; k++) {
      step(items[i]);
      if (++i === len) i = 0;
    }
  };
}

/** As {@link cycler} for an async step awaited one call at a time (how a join handler calls a hook). */
export function asyncCycler(items, step) {
  let i = 0;
  const len = items.length;
  return async (n) => {
    for (let k = 0; k < n; k++) {
      await step(items[i]);
      if (++i === len) i = 0;
    }
  };
}
