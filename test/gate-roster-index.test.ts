// The roster's host and country indexes keep emptied entries for reuse (no map
// write or delete per join); what they report must still be only who is present.
import { describe, expect, test } from 'vitest';
import { Roster } from '../src/gate/internal/roster.js';

const at = (country: string | undefined) => Object.freeze({ country, subdivisions: [], source: 'test' });

describe('roster indexes with emptied entries kept', () => {
  test('meetingsOfHost lists only meetings with participants, across thousands of ended meetings', () => {
    const roster = new Roster();
    roster.add('live', 'p', 'acct', at('CN'), undefined);
    for (let i = 0; i < 5000; i++) {
      roster.add(`m-${i}`, 'p', 'acct', at('CN'), undefined);
      if (i % 3 !== 0) roster.remove(`m-${i}`, 'p');
    }
    const expected = [
      'live',
      ...Array.from({ length: 5000 }, (_, i) => i)
        .filter((i) => i % 3 === 0)
        .map((i) => `m-${i}`),
    ];
    expect(roster.meetingsOfHost('acct').sort()).toEqual(expected.sort());
    // A meeting that emptied and filled again is listed once.
    roster.add('m-1', 'q', 'acct', at('CN'), undefined);
    expect(roster.meetingsOfHost('acct').filter((m) => m === 'm-1')).toEqual(['m-1']);
    for (const m of roster.meetingsOfHost('acct')) roster.removeMeeting(m);
    expect(roster.meetingsOfHost('acct')).toEqual([]);
    expect(roster.size).toBe(0);
  });

  test('a re-join under another account moves the participant between accounts', () => {
    const roster = new Roster();
    roster.add('m', 'p', 'a', at('CN'), undefined);
    roster.add('m', 'p', 'b', at('CN'), undefined);
    expect(roster.meetingsOfHost('a')).toEqual([]);
    expect(roster.meetingsOfHost('b')).toEqual(['m']);
    roster.add('m', 'p', 'a', at('CN'), undefined);
    expect(roster.meetingsOfHost('a')).toEqual(['m']);
    expect(roster.meetingsOfHost('b')).toEqual([]);
  });

  test('country lists: emptied and refilled, re-joins moving between countries, unknown locations', () => {
    const roster = new Roster();
    const ids = (c: string | undefined) =>
      roster
        .inCountry(c)
        .map((e) => `${e.meetingId}/${e.participantId}`)
        .sort();
    roster.add('m', 'p', undefined, at('CN'), undefined);
    roster.remove('m', 'p');
    expect(ids('CN')).toEqual([]);
    roster.add('m', 'p', undefined, at('CN'), undefined);
    roster.add('m', 'q', undefined, at('CN'), undefined);
    roster.add('n', 'r', undefined, at(undefined), undefined);
    expect(ids('CN')).toEqual(['m/p', 'm/q']);
    expect(ids(undefined)).toEqual(['n/r']);
    roster.add('m', 'p', undefined, at('RU'), undefined); // re-join from another country
    expect(ids('CN')).toEqual(['m/q']);
    expect(ids('RU')).toEqual(['m/p']);
    roster.add('m', 'q', undefined, at('CN'), undefined); // re-join from the same country
    expect(ids('CN')).toEqual(['m/q']);
    roster.removeMeeting('m');
    expect(ids('CN')).toEqual([]);
    expect(ids('RU')).toEqual([]);
    roster.clear();
    expect(ids(undefined)).toEqual([]);
    roster.add('m', 'p', undefined, at('CN'), undefined);
    expect(ids('CN')).toEqual(['m/p']);
  });
});
