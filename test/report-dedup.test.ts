import { afterEach, describe, expect, it } from 'vitest';
import { createJsonlAuditSink } from 'geoadmit/audit';
import type { AuditEvent } from 'geoadmit/audit';
import { buildTransparencyReport } from 'geoadmit/report';
import { tempDir } from './fixtures/audit/helpers.js';
import { accepted, denied, digestOf, lifted, removal } from './fixtures/audit/scenario.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

const MPS = { name: 'Ministry of Public Security', jurisdiction: 'CN' };
const CAC = { name: 'Cyberspace Administration', jurisdiction: 'CN' };

/** Write each node's events to its own verified log; resolve to the paths. */
async function setup(...nodes: AuditEvent[][]): Promise<string[]> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const paths: string[] = [];
  for (const [i, events] of nodes.entries()) {
    const path = t.file(`node-${i}.jsonl`);
    const sink = createJsonlAuditSink(path);
    for (const e of events) sink.write(e);
    await sink.close();
    paths.push(path);
  }
  return paths;
}

/** An event as written before the gate recorded digests. */
function withoutDigest(event: AuditEvent): AuditEvent {
  const { digest: _dropped, ...rest } = event as AuditEvent & { digest?: string };
  return rest as AuditEvent;
}

const d1 = digestOf('r1', 'first');
const d2 = digestOf('r1', 'second');

/** restrict r1 → lift r1 → restrict r1 again with a new document (scope m-3), as every node records it. */
function reusedId(): AuditEvent[] {
  return [
    accepted('2024-06-01T00:00:00.000Z', 'r1', MPS, { digest: d1, scope: { meetings: ['m-1'], hostAccounts: [], all: false } }),
    lifted('2024-06-02T00:00:00.000Z', 'r1', d1, MPS),
    accepted('2024-06-03T00:00:00.000Z', 'r1', MPS, { digest: d2, scope: { meetings: ['m-3'], hostAccounts: [], all: false } }),
  ];
}

describe('report counts restrictions once across nodes\u2019 logs', () => {
  it('an id lifted and re-used for a new document counts as a new acceptance; a lift recorded by two nodes counts once', async () => {
    const refusal: AuditEvent = {
      type: 'restriction.refused',
      time: '2024-06-04T00:00:00.000Z',
      restrictionId: 'r2',
      kind: 'takedown',
      authority: MPS,
      regions: ['HK'],
      code: 'E_OUT_OF_JURISDICTION',
      reason: 'regions[0] HK is outside CN',
    };
    const paths = await setup([...reusedId(), refusal], reusedId());
    const report = await buildTransparencyReport(paths);
    expect(report.sources.map((s) => s.verified)).toEqual([true, true]);
    expect(report.governmentDemands.total).toMatchObject({
      restrictionsReceived: 3,
      restrictionsAccepted: 2,
      restrictionsRefused: 1,
      restrictionsLifted: 1,
      scopedMeetings: 2,
    });
    // The same events in hand, merged into one stream in time order, give the same figures.
    const merged = [...reusedId(), refusal, ...reusedId()].sort((a, b) => a.time.localeCompare(b.time));
    const inHand = await buildTransparencyReport(merged);
    expect(inHand.governmentDemands.total).toMatchObject({ restrictionsReceived: 3, restrictionsAccepted: 2, restrictionsLifted: 1 });
  });

  it('the same document accepted again after its lift is a new acceptance too', async () => {
    const again = (): AuditEvent[] => [
      accepted('2024-06-01T00:00:00.000Z', 'r1', MPS, { digest: d1 }),
      lifted('2024-06-02T00:00:00.000Z', 'r1', d1, MPS),
      accepted('2024-06-03T00:00:00.000Z', 'r1', MPS, { digest: d1 }),
    ];
    const report = await buildTransparencyReport(await setup(again(), again()));
    expect(report.governmentDemands.total).toMatchObject({ restrictionsAccepted: 2, restrictionsLifted: 1 });
    const merged = await buildTransparencyReport([...again(), ...again()].sort((a, b) => a.time.localeCompare(b.time)));
    expect(merged.governmentDemands.total).toMatchObject({ restrictionsAccepted: 2, restrictionsLifted: 1 });
  });

  it('logs without digests fall back to the restriction id (a re-use after a lift in the same log still counts)', async () => {
    const old = (): AuditEvent[] => reusedId().map(withoutDigest);
    const report = await buildTransparencyReport(await setup(old(), old()));
    expect(report.governmentDemands.total).toMatchObject({ restrictionsReceived: 2, restrictionsAccepted: 2, restrictionsLifted: 1 });
    // A node that recorded only one acceptance of r1 (no lift): one restriction, counted once.
    const single = await buildTransparencyReport(
      await setup([withoutDigest(accepted('2024-06-01T00:00:00.000Z', 'r1', MPS))], [withoutDigest(accepted('2024-06-01T00:00:00.000Z', 'r1', MPS))]),
    );
    expect(single.governmentDemands.total).toMatchObject({ restrictionsAccepted: 1 });
  });

  it('denials and removals are attributed to the acceptance in force when they happened, also when the id changes hands', async () => {
    const node = (suffix: string): AuditEvent[] => [
      accepted('2024-06-01T00:00:00.000Z', 'r1', MPS, { digest: d1 }),
      denied('2024-06-01T01:00:00.000Z', 'm-1', `p-a${suffix}`, ['r1']),
      removal('2024-06-01T02:00:00.000Z', 'm-1', `p-b${suffix}`, 'r1'),
      lifted('2024-06-02T00:00:00.000Z', 'r1', d1, MPS),
      accepted('2024-06-03T00:00:00.000Z', 'r1', CAC, { digest: d2 }),
      denied('2024-06-03T01:00:00.000Z', 'm-2', `p-c${suffix}`, ['r1']),
    ];
    const report = await buildTransparencyReport(await setup(node('1'), node('2')));
    const by = (name: string) => report.governmentDemands.byAuthority.find((a) => a.authority === name)?.total;
    expect(by(MPS.name)).toMatchObject({ restrictionsAccepted: 1, restrictionsLifted: 1, joinsDenied: 2, participantsRemoved: 2, meetingsAffected: 1 });
    expect(by(CAC.name)).toMatchObject({ restrictionsAccepted: 1, restrictionsLifted: 0, joinsDenied: 2, participantsRemoved: 0, meetingsAffected: 1 });
    expect(report.unattributed).toEqual({ restrictionIds: 0, joinsDenied: 0, participantsRemoved: 0 });
  });

  it('a log citing a restriction whose acceptance is in another log attributes it by id', async () => {
    const paths = await setup([accepted('2024-06-01T00:00:00.000Z', 'r1', MPS)], [denied('2024-06-01T01:00:00.000Z', 'm-1', 'p-1', ['r1'])]);
    const report = await buildTransparencyReport(paths);
    expect(report.governmentDemands.byAuthority[0]).toMatchObject({ authority: MPS.name, total: { joinsDenied: 1 } });
    expect(report.unattributed.joinsDenied).toBe(0);
  });
});

describe('report nets out pending removals that completed later', () => {
  it('counts a participant removed once per restriction, meeting and participant; pending only when never completed', async () => {
    const events: AuditEvent[] = [
      accepted('2024-06-01T00:00:00.000Z', 'r1', MPS),
      removal('2024-06-01T00:00:01.000Z', 'm-1', 'p-1', 'r1', 'pending'),
      removal('2024-06-01T00:00:02.000Z', 'm-1', 'p-2', 'r1', 'pending'),
      removal('2024-06-01T00:00:03.000Z', 'm-2', 'p-3', 'r1', 'removed'),
      // retryRemovals() succeeded for p-1 (and a second retry event changes nothing).
      removal('2024-06-01T00:05:00.000Z', 'm-1', 'p-1', 'r1', 'removed'),
      removal('2024-06-01T00:06:00.000Z', 'm-1', 'p-1', 'r1', 'removed'),
    ];
    const report = await buildTransparencyReport(events);
    expect(report.governmentDemands.total).toMatchObject({ participantsRemoved: 3, removalsPending: 1, meetingsAffected: 2 });
    expect(report.governmentDemands.periods[0]?.figures).toMatchObject({ participantsRemoved: 3, removalsPending: 1 });
  });

  it('a removal completed in another month stays counted in the month it started, no longer pending', async () => {
    const report = await buildTransparencyReport([
      accepted('2024-06-01T00:00:00.000Z', 'r1', MPS),
      removal('2024-06-30T23:59:00.000Z', 'm-1', 'p-1', 'r1', 'pending'),
      removal('2024-07-01T00:01:00.000Z', 'm-1', 'p-1', 'r1', 'removed'),
    ]);
    expect(report.governmentDemands.periods.map((p) => [p.period, p.figures.participantsRemoved, p.figures.removalsPending])).toEqual([['2024-06', 1, 0]]);
    // Within a window that ends before the retry, the removal is still pending.
    const june = await buildTransparencyReport(
      [
        accepted('2024-06-01T00:00:00.000Z', 'r1', MPS),
        removal('2024-06-30T23:59:00.000Z', 'm-1', 'p-1', 'r1', 'pending'),
        removal('2024-07-01T00:01:00.000Z', 'm-1', 'p-1', 'r1', 'removed'),
      ],
      { to: '2024-07-01' },
    );
    expect(june.governmentDemands.total).toMatchObject({ participantsRemoved: 1, removalsPending: 1 });
  });

  it('the same participant removed again under a re-used restriction id counts again', async () => {
    const report = await buildTransparencyReport(
      [...reusedId()].flatMap((e, i) =>
        i === 0 ? [e, removal('2024-06-01T00:00:01.000Z', 'm-1', 'p-1', 'r1')] : i === 2 ? [e, removal('2024-06-03T00:00:01.000Z', 'm-1', 'p-1', 'r1')] : [e],
      ),
    );
    expect(report.governmentDemands.total).toMatchObject({ participantsRemoved: 2, removalsPending: 0 });
  });
});
