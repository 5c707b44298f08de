import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonlAuditSink } from 'geoadmit/audit';
import type { AuditEvent, RestrictionAcceptedEvent } from 'geoadmit/audit';
import { buildTransparencyReport } from 'geoadmit/report';
import { tempDir } from './fixtures/audit/helpers.js';
import { accepted, denied, scenario } from './fixtures/audit/scenario.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

async function writeLog(path: string, events: readonly AuditEvent[]): Promise<void> {
  const sink = createJsonlAuditSink(path);
  for (const e of events) sink.write(e);
  await sink.close();
}

describe('transparency report figures', () => {
  it('counts per authority, jurisdiction, category and month', async () => {
    const report = await buildTransparencyReport(scenario(), { generatedAt: '2024-07-01T00:00:00Z' });
    expect(report.schemaVersion).toBe(1);
    expect(report.generatedAt).toBe('2024-07-01T00:00:00.000Z');
    expect(report.sources).toEqual([{ name: 'events', verified: null, events: 19 }]);
    expect(report.promises).toEqual({ meetingsEndedBySdk: 0, hostAccountsSuspended: 0, userDataDisclosures: 0 });

    const gov = report.governmentDemands;
    expect(gov.byAuthority.map((a) => a.authority)).toEqual(['Cyberspace Administration', 'Ministry of Public Security']);
    const mps = gov.byAuthority[1];
    expect(mps?.total).toMatchObject({
      restrictionsReceived: 3,
      restrictionsAccepted: 1,
      restrictionsRefused: 2,
      restrictionsDryRun: 0,
      restrictionsLifted: 1,
      refusals: { E_OUT_OF_JURISDICTION: 2 },
      // m-1 (removal + denial) and m-2 (two denials)
      meetingsAffected: 2,
      meetingsAffectedEstimated: false,
      meetingsUndisturbed: 1,
      joinsDenied: 3,
      participantsRemoved: 1,
      removalsPending: 0,
      scopedMeetings: 3,
      scopedMeetingsUndisturbed: 1,
    });
    expect(mps?.total.refusalReasons).toEqual(['E_OUT_OF_JURISDICTION: regions[0] HK is outside CN', 'E_OUT_OF_JURISDICTION: regions[0] US is outside CN']);
    expect(mps?.periods.map((p) => [p.period, p.figures.restrictionsReceived, p.figures.joinsDenied, p.figures.meetingsAffected])).toEqual([
      ['2024-05', 2, 1, 1],
      ['2024-06', 1, 2, 1],
    ]);
    const cac = gov.byAuthority[0];
    expect(cac?.total).toMatchObject({ restrictionsAccepted: 1, restrictionsDryRun: 1, joinsDenied: 0, joinsDeniedDryRun: 1, meetingsUndisturbed: 2 });
    // Both authorities speak for CN.
    expect(gov.byJurisdiction).toHaveLength(1);
    expect(gov.byJurisdiction[0]).toMatchObject({
      jurisdiction: 'CN',
      authorities: ['Cyberspace Administration', 'Ministry of Public Security'],
      total: { restrictionsReceived: 4, joinsDenied: 3, joinsDeniedDryRun: 1 },
    });
    expect(gov.total).toMatchObject({ restrictionsReceived: 4, restrictionsAccepted: 2, restrictionsRefused: 2, joinsDenied: 3, meetingsAffected: 2 });

    // Sanctions apart from demands: the join citing req-1 and san-1 counts once in each.
    expect(report.sanctions.byAuthority).toHaveLength(1);
    expect(report.sanctions.total).toMatchObject({ restrictionsAccepted: 1, joinsDenied: 1, meetingsAffected: 1 });
    expect(report.hostPolicies.total).toMatchObject({ restrictionsAccepted: 1, joinsDenied: 1, scopedMeetings: 1, scopedMeetingsUndisturbed: 0 });
    expect(report.hostPolicies.byAuthority[0]?.authority).toBe('(host)');

    expect(report.decisions).toEqual({ total: 9, admitted: 3, denied: 6 });
    expect(report.otherDenials).toEqual({ joins: 2, byReason: { 'audit-unavailable': 1, rule: 1 } });
    expect(report.unattributed).toEqual({ restrictionIds: 1, joinsDenied: 0, participantsRemoved: 1 });
    expect(report.audit).toEqual({ events: 19, gaps: 0, eventsDropped: 0, errors: 1, warnings: 0, warningsByCode: {} });
    expect(report.window).toEqual({ firstEvent: '2024-05-30T10:00:00.000Z', lastEvent: '2024-06-06T00:00:01.000Z' });
    expect(report.method.join(' ')).toMatch(/no way to do any of these, so they are always zero/);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('the promise figures are counted from the log, not printed as constants', async () => {
    const forged = [...scenario(), { type: 'meeting.ended', time: '2024-06-07T00:00:00.000Z' } as unknown as AuditEvent];
    const report = await buildTransparencyReport(forged);
    expect(report.promises.meetingsEndedBySdk).toBe(1);
  });

  it('a window counts only the events inside it, but attributes by acceptances before it', async () => {
    const report = await buildTransparencyReport(scenario(), { from: '2024-06-01', to: new Date('2024-06-04T00:00:00Z') });
    expect(report.window).toMatchObject({ from: '2024-06-01T00:00:00.000Z', to: '2024-06-04T00:00:00.000Z' });
    const mps = report.governmentDemands.byAuthority.find((a) => a.authority === 'Ministry of Public Security');
    expect(mps?.total).toMatchObject({ restrictionsReceived: 1, restrictionsAccepted: 0, joinsDenied: 2, participantsRemoved: 0 });
    expect(mps?.periods.map((p) => p.period)).toEqual(['2024-06']);
    await expect(buildTransparencyReport([], { from: 'not a date' })).rejects.toThrowError(/from is not a valid date/);
  });

  it('merges several nodes\u2019 logs, verifying each; a tampered log counts only its verified prefix', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const events = scenario();
    const a = t.file('node-a.jsonl');
    const b = t.file('node-b.jsonl');
    await writeLog(a, events.slice(0, 10));
    // Node b also recorded the acceptance of req-1 (a shared store): the restriction counts once,
    // its meetingsUndisturbed (node b's own roster, here none) adds up.
    await writeLog(b, [{ ...(events[0] as RestrictionAcceptedEvent), meetingsUndisturbed: 0 }, ...events.slice(10)]);
    const merged = await buildTransparencyReport([a, b]);
    const inMemory = await buildTransparencyReport(events);
    expect(merged.governmentDemands).toEqual(inMemory.governmentDemands);
    expect(merged.sources).toEqual([
      { name: 'node-a.jsonl', verified: true, events: 10, signatures: 'none', head: { seq: 11, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } },
      { name: 'node-b.jsonl', verified: true, events: 10, signatures: 'none', head: { seq: 11, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } },
    ]);

    const lines = readFileSync(a, 'utf8').split('\n');
    lines[8] = (lines[8] ?? '').replace('p-2', 'p-X');
    writeFileSync(a, lines.join('\n'));
    const tampered = await buildTransparencyReport([a, b]);
    expect(tampered.sources[0]).toMatchObject({ name: 'node-a.jsonl', verified: false, events: 7, problem: 'edited', line: 9 });
  });

  it('accepts an async iterable and hostile junk without throwing', async () => {
    async function* gen(): AsyncGenerator<AuditEvent> {
      yield accepted('2024-01-01T00:00:00Z', 'r', { name: '__proto__', jurisdiction: 'constructor' });
      yield denied('2024-01-01T00:00:01Z', '__proto__', 'p', ['r']);
      yield { type: 'decision', time: 42, reasons: 'nope', outcome: 'denied' } as unknown as AuditEvent;
      yield null as unknown as AuditEvent;
    }
    const report = await buildTransparencyReport(gen());
    expect(report.governmentDemands.byAuthority[0]).toMatchObject({ authority: '__proto__', jurisdiction: 'constructor' });
    expect(report.governmentDemands.total.joinsDenied).toBe(1);
    expect(report.decisions.total).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
