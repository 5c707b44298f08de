import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';
import { createJsonlAuditSink, verifyAuditLog } from 'geoadmit/audit';
import { buildTransparencyReport } from 'geoadmit/report';
import { join, STATIC_TABLE, takedown } from './helpers/fixtures.js';
import { makeTempDir } from './helpers/temp-dir.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('the audit log records exemptions and notices', () => {
  it('exemption.granted / exemption.revoked, the exemption a decision used and the notice it gave, in a log that verifies', async () => {
    const { dir, cleanup } = makeTempDir('geoadmit-exempt-');
    cleanups.push(cleanup);
    const log = joinPath(dir, 'audit.jsonl');
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      restrictions: [takedown({ notice: { text: 'Unavailable here.' } })],
      onRemove: () => undefined,
    });
    const sink = createJsonlAuditSink(log, { fsync: 'never' });
    sink.attach(gate);
    await gate.exempt({ id: 'e-1', restrictionId: 'req-1', participants: ['p-ok'], networks: ['203.0.113.0/24'], reason: 'appeal 17' });
    await gate.admit(join('1.2.4.8', { participantId: 'p-ok' }));
    await gate.admit(join('1.2.4.8', { participantId: 'p-no' }));
    await gate.revokeExemption('e-1');
    await gate.close();
    await sink.close();

    const events = readFileSync(log, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: Record<string, unknown> }).event);
    const types = events.map((e) => e.type);
    expect(types).toContain('exemption.granted');
    expect(types).toContain('exemption.revoked');
    const granted = events.find((e) => e.type === 'exemption.granted');
    expect(granted).toMatchObject({ exemptionId: 'e-1', restrictionId: 'req-1', participants: ['p-ok'], networks: 1, reason: 'appeal 17', kind: 'takedown' });
    // The network stays out of the log (it may be one person's address).
    expect(JSON.stringify(granted)).not.toContain('203.0.113');
    expect(events.find((e) => e.type === 'restriction.accepted')).toMatchObject({ restrictionId: 'req-1', notice: { text: 'Unavailable here.' } });
    const decisions = events.filter((e) => e.type === 'decision');
    expect(decisions[0]).toMatchObject({
      participantId: 'p-ok',
      outcome: 'admitted',
      exempted: [{ code: 'exempted', restrictionId: 'req-1', exemptionId: 'e-1' }],
    });
    expect(decisions[1]).toMatchObject({ participantId: 'p-no', outcome: 'denied', notice: { restrictionId: 'req-1' } });
    const removal = events.find((e) => e.type === 'removal');
    expect(removal).toMatchObject({ participantId: 'p-ok', restrictionId: 'req-1', status: 'removed' });
    expect((await verifyAuditLog(log)).ok).toBe(true);

    const report = await buildTransparencyReport(log);
    expect(report.governmentDemands.total).toMatchObject({ noticesGiven: 2, exemptionsGranted: 1, exemptionsRevoked: 1 });
  });
});
