import { writeSync as realWriteSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonlAuditSink, verifyAuditLog } from 'geoadmit/audit';
import { createGate } from 'geoadmit';
import { StaticResolver } from 'geoadmit';
import { buildTransparencyReport, renderReportMarkdown } from 'geoadmit/report';
import { tempDir } from './fixtures/audit/helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

describe('gate → audit log → transparency report', () => {
  it('records a demand, a refused demand, a removal and denials, and reports them', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    const disk = { full: false };
    const sink = createJsonlAuditSink(log, {
      whenUnwritable: 'deny',
      fs: {
        writeSync(fd, data) {
          if (disk.full) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          return realWriteSync(fd, data);
        },
      },
    });
    const geo = new StaticResolver({ '1.2.4.0/24': 'CN', '81.2.69.0/24': 'HK', '8.8.8.0/24': 'US' });
    const gate = createGate({ geo, clock: () => Date.parse('2024-06-04T12:00:00Z') });
    sink.attach(gate);
    const authority = { name: 'Example Authority', jurisdiction: 'CN' };

    const join = (meetingId: string, participantId: string, peerAddress: string) =>
      gate.admit({ meetingId, participantId, peerAddress, hostAccountId: 'acct-42' });
    expect((await join('m-1', 'p-1', '1.2.4.8')).admitted).toBe(true);
    expect((await join('m-1', 'p-2', '81.2.69.1')).admitted).toBe(true);
    expect((await join('m-2', 'p-3', '8.8.8.8')).admitted).toBe(true);

    const result = await gate.restrict({ id: 'req-1', authority, regions: ['CN'], scope: { meetings: ['m-1', 'm-2', 'm-3'] } });
    expect(result.removed.map((r) => r.participantId)).toEqual(['p-1']);
    await expect(gate.restrict({ id: 'req-2', authority, regions: ['HK'], scope: { meetings: ['m-1'] } })).rejects.toMatchObject({
      code: 'E_OUT_OF_JURISDICTION',
    });
    expect((await join('m-2', 'p-4', '1.2.4.9')).admitted).toBe(false);

    // The audit log cannot write: the decision that finds out is already made (its event
    // waits in the buffer); from then on, with whenUnwritable 'deny', the gate denies joins.
    disk.full = true;
    expect((await join('m-2', 'p-5', '8.8.8.9')).admitted).toBe(true);
    expect(sink.stats()).toMatchObject({ healthy: false, buffered: 1 });
    const blocked = await join('m-2', 'p-6', '8.8.8.10');
    expect(blocked.reasons.map((r) => r.code)).toEqual(['audit-unavailable']);
    disk.full = false;
    await sink.flush();
    expect((await join('m-2', 'p-7', '8.8.8.11')).admitted).toBe(true);
    await sink.close();
    await gate.close?.();

    expect(await verifyAuditLog(log)).toMatchObject({ ok: true });
    const report = await buildTransparencyReport(log);
    expect(report.sources[0]).toMatchObject({ verified: true });
    expect(report.promises).toEqual({ meetingsEndedBySdk: 0, hostAccountsSuspended: 0, userDataDisclosures: 0 });
    expect(report.governmentDemands.byAuthority).toHaveLength(1);
    expect(report.governmentDemands.byAuthority[0]?.total).toMatchObject({
      restrictionsReceived: 2,
      restrictionsAccepted: 1,
      restrictionsRefused: 1,
      refusals: { E_OUT_OF_JURISDICTION: 1 },
      joinsDenied: 1,
      participantsRemoved: 1,
      meetingsAffected: 2,
      scopedMeetings: 3,
      scopedMeetingsUndisturbed: 1,
    });
    expect(report.otherDenials.byReason).toEqual({ 'audit-unavailable': 1 });
    expect(report.decisions).toEqual({ total: 7, admitted: 5, denied: 2 });
    // Issuer, jurisdiction, received, accepted, refused, share accepted, participants removed, meetings affected.
    expect(renderReportMarkdown(report)).toContain('| Example Authority | CN | 2 | 1 | 1 | 50% | 1 | 2 |');
  });
});
