import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';
import type { AuditEvent } from 'geoadmit/audit';
import { buildTransparencyReport, renderReportMarkdown } from 'geoadmit/report';
import { join, STATIC_TABLE, takedown } from './helpers/fixtures.js';

const TYPES = ['decision', 'removal', 'restriction.accepted', 'restriction.lifted', 'exemption.granted', 'exemption.revoked'] as const;

describe('the report counts notices and exemptions', () => {
  it('per authority and per restriction, each exemption once however many gates recorded it', async () => {
    const events: AuditEvent[] = [];
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      onRemove: () => undefined,
      restrictions: [
        takedown({ notice: { text: 'Unavailable here by order.' } }),
        { id: 'hp-1', kind: 'host-policy', regions: ['HK'], scope: { meetings: ['m-1'] } },
      ],
    });
    for (const t of TYPES) gate.on(t, (e) => events.push(e as AuditEvent));
    await new Promise((resolve) => setImmediate(resolve));
    // Denied with a notice: two by the takedown, one by the host policy; one admitted; one present participant removed.
    await gate.admit(join('1.2.4.8', { participantId: 'a' }));
    await gate.admit(join('1.2.4.9', { participantId: 'b' }));
    await gate.admit(join('202.181.0.1', { participantId: 'c' }));
    await gate.admit(join('8.8.8.8', { participantId: 'd' }));
    await gate.restrict({ ...takedown({ id: 'req-2' }), authority: { name: 'Example Authority', jurisdiction: 'US' }, regions: ['US'] });
    await gate.exempt({ id: 'e-1', restrictionId: 'req-1', participants: ['a'], reason: 'appeal' });
    await gate.exempt({ id: 'e-2', restrictionId: 'req-1', participants: ['b'], reason: 'appeal' });
    await gate.exempt({ id: 'e-3', restrictionId: 'hp-1', participants: ['c'], reason: 'host asked' });
    await gate.revokeExemption('e-2');
    // A second gate's log records the same grant again: it counts once.
    const echo = events.find((e) => e.type === 'exemption.granted' && e.exemptionId === 'e-1');
    events.push({ ...(echo as AuditEvent) });
    await gate.close();

    const report = await buildTransparencyReport(events);
    const cn = report.governmentDemands.byAuthority.find((a) => a.jurisdiction === 'CN');
    const us = report.governmentDemands.byAuthority.find((a) => a.jurisdiction === 'US');
    expect(cn?.total).toMatchObject({ joinsDenied: 2, noticesGiven: 2, exemptionsGranted: 2, exemptionsRevoked: 1 });
    expect(us?.total).toMatchObject({ participantsRemoved: 1, noticesGiven: 1, exemptionsGranted: 0 });
    expect(report.governmentDemands.total).toMatchObject({ noticesGiven: 3, exemptionsGranted: 2, exemptionsRevoked: 1 });
    expect(report.hostPolicies.total).toMatchObject({ noticesGiven: 1, exemptionsGranted: 1, exemptionsRevoked: 0 });
    expect(report.exemptions).toEqual([
      { restrictionId: 'hp-1', category: 'host-policy', authority: '(host)', jurisdiction: '', granted: 1, revoked: 0 },
      { restrictionId: 'req-1', category: 'takedown', authority: 'Example Authority', jurisdiction: 'CN', granted: 2, revoked: 1 },
    ]);
    const markdown = renderReportMarkdown(report);
    expect(markdown).toContain('3 people were told which');
    expect(markdown).toContain('2 exemptions were granted');
  });
});
