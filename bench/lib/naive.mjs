// The comparison baseline: the admission hook a competitor writes in an
// afternoon. Parse with ip-address, look up with maxmind's reader, check the
// country against a Set, emit an event. It is deliberately left as such a
// hook is usually written — including its bugs: with the ip-location-db
// databases `::ffff:1.2.4.8` finds no record and walks past a CN block, and
// the reader silently accepts spellings like `0x01.2.4.8`.
import { EventEmitter } from 'node:events';
import { Address4, Address6 } from 'ip-address';
import { EventEmitter as EventEmitter3 } from 'eventemitter3';
import { Reader } from 'maxmind';
import { target } from './common.mjs';

/** Build the naive hook over a database buffer; `blocked` are country codes denied on every meeting. */
export function createNaiveHook(buffer, blocked) {
  const reader = new Reader(buffer);
  const deny = new Set(blocked);
  const events = new EventEmitter();
  // async, like any admission hook a join handler awaits (and like gate.admit).
  async function admit(join) {
    let address;
    try {
      address = new Address4(join.peerAddress).correctForm();
    } catch {
      try {
        address = new Address6(join.peerAddress).correctForm();
      } catch {
        events.emit('decision', { join, admitted: true, reason: 'invalid' });
        return { admitted: true };
      }
    }
    const record = reader.get(address);
    const country = record?.country_code ?? record?.country?.iso_code;
    const admitted = !(country !== undefined && deny.has(country));
    events.emit('decision', { meetingId: join.meetingId, participantId: join.participantId, country, admitted });
    return { admitted, country };
  }
  return { admit, events, reader };
}

/**
 * The hook a competitor really writes, called synchronously (no promise):
 * `ip-address` only validates, `reader.get` looks the text up, a Set of
 * blocked countries, an eventemitter3 `decision` emit. `admit(join)` returns
 * the decision object it emitted about.
 */
export function createSyncHook(buffer, blocked) {
  const reader = new Reader(buffer);
  const deny = new Set(blocked);
  const events = new EventEmitter3();
  function admit(join) {
    const ip = join.peerAddress;
    try {
      new Address4(ip);
    } catch {
      try {
        new Address6(ip);
      } catch {
        const invalid = { meetingId: join.meetingId, participantId: join.participantId, country: undefined, admitted: true };
        events.emit('decision', invalid);
        return invalid;
      }
    }
    const record = reader.get(ip);
    const country = record?.country_code ?? record?.country?.iso_code;
    const decision = { meetingId: join.meetingId, participantId: join.participantId, country, admitted: !(country !== undefined && deny.has(country)) };
    events.emit('decision', decision);
    return decision;
  }
  return { admit, events, reader };
}

/**
 * A run(n) function calling `hook.admit` synchronously with the same churn as
 * `churnCycler` (lib/setup.mjs): a participant id never used before per join,
 * built the same way, over `joins`' meetings and addresses in order.
 */
export function syncChurnCycler(joins, hook) {
  let i = 0;
  let n = 0;
  const len = joins.length;
  return (count) => {
    for (let k = 0; k < count; k++) {
      const j = joins[i];
      hook.admit({ meetingId: j.meetingId, hostAccountId: j.hostAccountId, participantId: `churn-${n++}`, peerAddress: j.peerAddress });
      if (++i === len) i = 0;
    }
  };
}

/**
 * The floor: what any correct lookup must do at least. A strict parse of the
 * text (dotted quad, or hexadecimal groups with at most one `::`), a walk of
 * the database's search tree read straight from the buffer, and a memo of
 * the country per data record (decoded once). Nothing else: no event, no
 * roster, no reasons. `blocked(address)` is true when the address's country
 * is in `blocked`; undefined when the text is not an address it accepts.
 */
export function createFloor(buffer, blocked) {
  const reader = new Reader(buffer);
  const { nodeCount, recordSize } = reader.metadata;
  if (recordSize !== 24 && recordSize !== 28) throw new Error(`floor: record size ${recordSize} not handled`);
  const nodeBytes = (recordSize * 2) / 8;
  const db = buffer;
  const v4Start = reader.ipv4StartNodeNumber;
  const deny = new Set(blocked);
  const memo = new Map();
  const groups = new Uint16Array(8);
  const child = (node, bit) => {
    const o = node * nodeBytes;
    if (recordSize === 24) {
      return bit === 0 ? (db[o] << 16) | (db[o + 1] << 8) | db[o + 2] : (db[o + 3] << 16) | (db[o + 4] << 8) | db[o + 5];
    }
    return bit === 0
      ? ((db[o + 3] & 0xf0) << 20) | (db[o] << 16) | (db[o + 1] << 8) | db[o + 2]
      : ((db[o + 3] & 0x0f) << 24) | (db[o + 4] << 16) | (db[o + 5] << 8) | db[o + 6];
  };
  const answer = (node) => {
    if (node <= nodeCount) return false;
    let denied = memo.get(node);
    if (denied === undefined) {
      const record = reader.resolveDataPointer(node);
      const country = record?.country_code ?? record?.country?.iso_code;
      denied = country !== undefined && deny.has(country);
      memo.set(node, denied);
    }
    return denied;
  };
  const parse4 = (s) => {
    let value = 0;
    let part = 0;
    let digits = 0;
    let parts = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 46) {
        if (digits === 0 || ++parts > 3) return -1;
        value = value * 256 + part;
        part = 0;
        digits = 0;
      } else if (c >= 48 && c <= 57) {
        if (digits > 0 && part === 0) return -1; // no leading zeros
        part = part * 10 + c - 48;
        if (part > 255 || ++digits > 3) return -1;
      } else return -1;
    }
    if (digits === 0 || parts !== 3) return -1;
    return value * 256 + part;
  };
  const parse6 = (s) => {
    let n = 0;
    let gap = -1;
    let group = 0;
    let digits = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 58) {
        if (i + 1 < s.length && s.charCodeAt(i + 1) === 58) {
          if (gap >= 0) return false;
          if (digits > 0) groups[n++] = group;
          gap = n;
          i++;
        } else {
          if (digits === 0 || n >= 7) return false;
          groups[n++] = group;
        }
        group = 0;
        digits = 0;
        continue;
      }
      const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (h < 0 || ++digits > 4) return false;
      group = (group << 4) | h;
    }
    if (digits > 0) {
      if (n >= 8) return false;
      groups[n++] = group;
    } else if (gap !== n) return false; // ends with a single ':'
    if (gap < 0) return n === 8;
    if (n === 8) return false;
    const tail = n - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k];
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
    return true;
  };
  function blockedAt(address) {
    const v4 = parse4(address);
    let node;
    if (v4 >= 0) {
      node = v4Start;
      for (let bit = 31; bit >= 0 && node < nodeCount; bit--) node = child(node, (v4 >>> bit) & 1);
    } else {
      if (!parse6(address)) return undefined;
      node = 0;
      for (let bit = 0; bit < 128 && node < nodeCount; bit++) node = child(node, (groups[bit >> 4] >> (15 - (bit & 15))) & 1);
    }
    return answer(node);
  }
  return { blocked: blockedAt, reader };
}

/** Refuses to measure a floor that answers differently from the reader on the mix (a floor that skips work is no floor). */
export function checkFloor(floor, reader, addresses, blocked = new Set(['CN'])) {
  for (const a of addresses) {
    const record = reader.get(a);
    const country = record?.country_code ?? record?.country?.iso_code;
    if (floor.blocked(a) !== (country !== undefined && blocked.has(country))) throw new Error(`floor disagrees with reader.get on ${a}`);
  }
}

/**
 * The synchronous-hook comparison (issue 27), printed and returned as
 * targets: awaited `admit` with churn and a listener against the synchronous
 * hook with the same churn (at least 1.0x) and against the floor (at most 4x).
 */
export function syncTargets(results, prefix) {
  const ns = (name) => results.find((r) => r.name === name).nsPerOp;
  const admit = ns('gate.admit churn');
  const hook = ns('sync hook churn');
  const floor = ns('floor');
  const vsHook = Math.round((hook / admit) * 1000) / 1000;
  const vsFloor = Math.round((admit / floor) * 100) / 100;
  console.log(`  ${prefix}awaited admit with churn ${admit.toFixed(0)} ns, sync hook ${hook.toFixed(0)} ns, floor ${floor.toFixed(0)} ns`);
  return [
    target(`${prefix}awaited admit with churn and a listener >= 1.0x the synchronous hook`, vsHook >= 1, `${vsHook}x`),
    target(`${prefix}awaited admit with churn and a listener <= 4x the floor`, vsFloor <= 4, `${vsFloor}x the floor`),
  ];
}

/**
 * Where awaited `admit` with churn and a listener spends its time, from cases
 * measured in the same run: the floor, the resolver's lookup beyond it
 * (canonical text, location object, memo checks), the await of an
 * already-settled promise, and the rest — reading the join, client
 * resolution, the restrictions in scope, the decision, its event and
 * listener, the roster add and the leave, and the garbage all of it leaves.
 * Printed in ns and in floors; the parts add up to awaited admit with churn.
 * (A second gate without a listener, to split the event off, measured
 * slower than the gate with one in this loop: that split is left to a
 * profile.)
 */
export function components(results, prefix) {
  const ns = (name) => results.find((r) => r.name === name).nsPerOp;
  const floor = ns('floor');
  const resolve = ns('resolver.resolve');
  const hop = ns('await only');
  const churn = ns('gate.admit churn');
  const parts = [
    ['floor (strict parse, tree walk, memo)', floor],
    ['resolver beyond the floor (location, memo checks)', resolve - floor],
    ['await of a settled promise', hop],
    ['join, client, scope, decision, event, roster add and leave, their garbage', churn - resolve - hop],
  ];
  console.log(`  ${prefix}awaited admit with churn and a listener, ${churn.toFixed(0)} ns (${(churn / floor).toFixed(2)}x the floor), by component:`);
  for (const [label, value] of parts)
    console.log(`    ${label.padEnd(76)} ${value.toFixed(0).padStart(7)} ns  ${(value / floor).toFixed(2).padStart(6)} floors`);
  return Object.fromEntries(parts.map(([label, value]) => [label, Math.round(value)]));
}
