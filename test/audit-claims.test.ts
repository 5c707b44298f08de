/**
 * Claims a reader can check: "signed" only when a signature was checked with
 * the public key it was given, a fingerprint computed from that key, a sink
 * that never signs a chain it did not write, rotated files as one chain, an
 * unsigned tail shown as such. Every forgery is built the way an attacker
 * with write access and no key would (fixtures/audit/forge.ts).
 */
import { copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';
import { type AuditEvent, createJsonlAuditSink, generateAuditSigningKeys, verifyAuditLog } from 'geoadmit/audit';
import { buildTransparencyReport, renderReportHtml, renderReportMarkdown } from 'geoadmit/report';
import { publicKeyFingerprint } from '../src/audit/internal/signing.js';
import { createPublicKey } from 'node:crypto';
import { tempDir } from './fixtures/audit/helpers.js';
import { appendForgedTail, forgeLog, readLines } from './fixtures/audit/forge.js';
import { scenario } from './fixtures/audit/scenario.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function dir() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t;
}

const keys = generateAuditSigningKeys();
const other = generateAuditSigningKeys();

/** A signed log of the shared scenario, closed (last line signed). */
async function signedLog(path: string, events: AuditEvent[] = scenario(), signingKey = keys.privateKey): Promise<void> {
  const sink = createJsonlAuditSink(path, { fsync: 'never', signingKey, checkpointEvery: 4 });
  for (const e of events) sink.write(e);
  await sink.close();
}

/** The attack of the issue: drop the record of a refused demand and one removal, re-chain, keep the old signatures. */
const refusedAndRemoval = (e: Record<string, unknown>) =>
  (e.type === 'restriction.refused' && e.restrictionId === 'req-2') || (e.type === 'removal' && e.participantId === 'p-1');

describe('verification says "signed" only when it checked the signatures', () => {
  it('a genuine signed log: verified with the key, unchecked without, and the fingerprint is the key\u2019s', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log);
    const withKey = await verifyAuditLog(log, { publicKey: keys.publicKey });
    expect(withKey).toMatchObject({ ok: true, signatures: 'verified', signedThrough: withKey.head.seq, publicKeyFingerprint: keys.fingerprint });
    expect(withKey.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    const without = await verifyAuditLog(log);
    expect(without.ok).toBe(true);
    expect(without.signatures).toBe('unchecked');
    expect(without.publicKeyFingerprint).toBeUndefined();
    expect(without.signedThrough).toBeUndefined();
  });

  it('an unsigned log says none', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    const sink = createJsonlAuditSink(log, { fsync: 'never' });
    for (const e of scenario()) sink.write(e);
    await sink.close();
    expect((await verifyAuditLog(log)).signatures).toBe('none');
  });

  it('the forgery of the issue (records removed, hashes re-chained, old signatures kept) fails with the key and is never "verified" without it', async () => {
    const t = dir();
    const log = t.file('forged.jsonl');
    await signedLog(log);
    forgeLog(log, refusedAndRemoval, 'repoint');
    const without = await verifyAuditLog(log);
    expect(without.signatures).toBe('unchecked');
    expect(without.publicKeyFingerprint).toBeUndefined();
    const withKey = await verifyAuditLog(log, { publicKey: keys.publicKey });
    expect(withKey.ok).toBe(false);
    expect(withKey.signatures).not.toBe('verified');
    expect(withKey.problem === 'signature' || withKey.problem === 'checkpoint').toBe(true);
  });

  it('a fingerprint edited into the checkpoint file never shows: it is computed from the key that verified', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log);
    const cpFile = `${log}.checkpoint`;
    const cp = JSON.parse(readFileSync(cpFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(cpFile, JSON.stringify({ ...cp, publicKeyFingerprint: other.fingerprint }));
    const result = await verifyAuditLog(log, { publicKey: keys.publicKey });
    expect(result.publicKeyFingerprint).toBe(publicKeyFingerprint(createPublicKey(keys.publicKey)));
    const report = await buildTransparencyReport(log);
    expect(JSON.stringify(report)).not.toContain(other.fingerprint);
    expect(JSON.stringify(report)).not.toContain(keys.fingerprint);
  });

  it('a forged tail after the last signature is an unsigned tail, not counted as verified', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log);
    const forged = [
      {
        type: 'restriction.accepted',
        time: '2024-06-07T00:00:00.000Z',
        restrictionId: 'fake-1',
        digest: 'f'.repeat(16),
        kind: 'takedown',
        authority: { name: 'Fake', jurisdiction: 'FR' },
        regions: ['FR'],
        scope: { meetings: ['m-x'], hostAccounts: [], all: false },
        mode: 'enforce',
        warnings: [],
        meetingsReached: 1,
        meetingsUndisturbed: 0,
        removed: 1,
      },
      {
        type: 'removal',
        time: '2024-06-07T00:00:01.000Z',
        meetingId: 'm-x',
        participantId: 'p-x',
        restrictionId: 'fake-1',
        reasons: [],
        location: { country: 'FR', subdivisions: [], source: 'static' },
        status: 'removed',
      },
    ];
    appendForgedTail(log, forged);
    const result = await verifyAuditLog(log, { publicKey: keys.publicKey });
    expect(result.ok).toBe(true);
    expect(result.signatures).toBe('verified');
    expect(result.signedThrough).toBe(result.head.seq - 2);
    expect(result.unsignedTail).toEqual({ lines: 2, events: 2 });
    expect(result.signature).toBeUndefined();
    const report = await buildTransparencyReport(log, { publicKeys: [keys.publicKey] });
    expect(report.governmentDemands.byJurisdiction.map((j) => j.jurisdiction)).not.toContain('FR');
    const source = report.sources[0];
    expect(source).toMatchObject({ signatures: 'verified', unsignedTail: { lines: 2, events: 2 } });
    const md = renderReportMarkdown(report);
    expect(md).toMatch(/2 events after the last signature/);
  });
});

describe('counting only what signatures cover, in bounded memory', () => {
  it('more lines between two signatures than are held: a second pass counts them, the figures match', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    const sink = createJsonlAuditSink(log, { fsync: 'never', signingKey: keys.privateKey, checkpointEvery: 50_000 });
    const events = scenario();
    sink.write(events[0] as AuditEvent);
    for (let i = 0; i < 25_000; i++) sink.write({ ...(events[8] as AuditEvent), participantId: `p-${i}`, meetingId: `m-${i % 50}` } as AuditEvent);
    await sink.close();
    const signed = await buildTransparencyReport(log, { publicKeys: [keys.publicKey] });
    const unchecked = await buildTransparencyReport(log);
    expect(signed.sources[0]).toMatchObject({ verified: true, signatures: 'verified', events: 25_001 });
    expect(signed.governmentDemands).toEqual(unchecked.governmentDemands);
    expect(signed.governmentDemands.total.joinsDenied).toBe(25_000);
  });
});

describe('a sink never signs what it did not write', () => {
  it('refuses a signed log rewritten with its checkpoint deleted (E_AUDIT_IO naming the problem)', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log);
    forgeLog(log, refusedAndRemoval, 'delete');
    expect(() => createJsonlAuditSink(log, { fsync: 'never', signingKey: keys.privateKey })).toThrow(
      expect.objectContaining({ code: 'E_AUDIT_IO', message: expect.stringMatching(/no checkpoint/) }),
    );
  });

  it('refuses a signed log rewritten with its checkpoint pointed at the new head (old signature kept)', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log);
    forgeLog(log, refusedAndRemoval, 'repoint');
    expect(() => createJsonlAuditSink(log, { fsync: 'never', signingKey: keys.privateKey })).toThrow(
      expect.objectContaining({ code: 'E_AUDIT_IO', message: expect.stringMatching(/signature/) }),
    );
  });

  it('refuses unsigned lines after the last signature', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log);
    appendForgedTail(log, [{ type: 'warning', time: '2024-06-07T00:00:00.000Z', code: 'x', message: 'forged' }]);
    expect(() => createJsonlAuditSink(log, { fsync: 'never', signingKey: keys.privateKey })).toThrow(
      expect.objectContaining({ code: 'E_AUDIT_IO', message: expect.stringMatching(/not signed/) }),
    );
  });

  it('refuses a log signed by another key', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log, scenario(), other.privateKey);
    expect(() => createJsonlAuditSink(log, { fsync: 'never', signingKey: keys.privateKey })).toThrow(expect.objectContaining({ code: 'E_AUDIT_IO' }));
  });

  it('refuses a keyed (HMAC) log whose checkpoint was deleted', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    const sink = createJsonlAuditSink(log, { fsync: 'never', key: 'k'.repeat(32) });
    for (const e of scenario()) sink.write(e);
    await sink.close();
    rmSync(`${log}.checkpoint`);
    expect(() => createJsonlAuditSink(log, { fsync: 'never', key: 'k'.repeat(32) })).toThrow(expect.objectContaining({ code: 'E_AUDIT_IO' }));
  });

  it('continues its own genuine signed log', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log);
    await signedLog(log, scenario().slice(0, 3));
    expect(await verifyAuditLog(log, { publicKey: keys.publicKey })).toMatchObject({ ok: true, signatures: 'verified' });
  });

  it('without a checkpoint file (checkpoint: false) a signing sink continues its own log, and refuses a forged tail', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    const open = () => createJsonlAuditSink(log, { fsync: 'never', signingKey: keys.privateKey, checkpoint: false });
    const first = open();
    for (const e of scenario().slice(0, 3)) first.write(e);
    await first.close();
    const again = open();
    again.write(scenario()[3] as AuditEvent);
    await again.close();
    appendForgedTail(log, [{ type: 'warning', time: '2024-06-07T00:00:00.000Z', code: 'x', message: 'forged' }]);
    expect(open).toThrow(expect.objectContaining({ code: 'E_AUDIT_IO', message: expect.stringMatching(/not signed/) }));
  });

  it('a file moved away from a running sink: the new file continues the sink\u2019s own chain and verifies, saying what it continues', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    const sink = createJsonlAuditSink(log, { fsync: 'never', signingKey: keys.privateKey, fsyncIntervalMs: 20, retryIntervalMs: 20 });
    sink.on('error', () => undefined);
    const events = scenario();
    for (const e of events.slice(0, 5)) sink.write(e);
    await sink.flush();
    renameSync(log, t.file('moved.jsonl'));
    await new Promise((r) => setTimeout(r, 80));
    for (const e of events.slice(5)) sink.write(e);
    await sink.close();
    const report = await buildTransparencyReport(log, { publicKeys: [keys.publicKey] });
    expect(report.sources[0]).toMatchObject({ verified: true, signatures: 'verified', continues: 'audit.jsonl' });
    expect(renderReportMarkdown(report)).toMatch(/continues an earlier file, audit\.jsonl, which is not part of this report/);
  });

  it('a file replaced underneath a running sink is never continued nor signed', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    const sink = createJsonlAuditSink(log, { fsync: 'never', signingKey: keys.privateKey, fsyncIntervalMs: 20, retryIntervalMs: 20 });
    const errors: string[] = [];
    sink.on('error', (e) => errors.push(e.message));
    const events = scenario();
    for (const e of events.slice(0, 5)) sink.write(e);
    await sink.flush();
    // The attacker: a rewritten copy of the log, swapped in by rename while the sink runs.
    const copy = t.file('copy.jsonl');
    copyFileSync(log, copy);
    // Old signatures would no longer verify after the edit: the attacker removes them and hopes the sink signs anew.
    forgeLog(copy, (e) => refusedAndRemoval(e) || e.type === 'audit.checkpoint', 'delete');
    const forgedHead = readLines(copy).at(-1);
    renameSync(copy, log);
    rmSync(`${log}.checkpoint`, { force: true });
    await new Promise((r) => setTimeout(r, 80));

    for (const e of events.slice(5)) sink.write(e);
    await sink.close().catch(() => undefined);
    expect(errors.join('\n')).toMatch(/replaced/);
    // Whatever is at the path now: no signature of the sink covers the forged lines.
    const lines = readLines(log);
    const signedHashes = lines.filter((l) => l.event.type === 'audit.checkpoint').map((l) => l.event.hash);
    expect(signedHashes).not.toContain(forgedHead?.hash);
    const result = await verifyAuditLog(log, { publicKey: keys.publicKey });
    expect(result.ok && result.signedThrough !== undefined && lines.some((l) => l.hash === forgedHead?.hash)).toBe(false);
  });
});

describe('rotation is a chain of files', () => {
  async function rotated(path: string): Promise<string[]> {
    const sink = createJsonlAuditSink(path, { fsync: 'never', signingKey: keys.privateKey, maxBytes: 1500, checkpointEvery: 3 });
    for (const e of [...scenario(), ...scenario()]) sink.write(e);
    await sink.close();
    const parts = [];
    for (let n = 1; ; n++) {
      try {
        readFileSync(`${path}.${n}`);
        parts.push(`${path}.${n}`);
      } catch {
        break;
      }
    }
    return [...parts, path];
  }

  it('a whole set verifies and reports as one log', async () => {
    const t = dir();
    const files = await rotated(t.file('audit.jsonl'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    const report = await buildTransparencyReport(files, { publicKeys: [keys.publicKey] });
    for (const s of report.sources) expect(s).toMatchObject({ verified: true, signatures: 'verified' });
    // Every removal is attributed though its acceptance is in an earlier part.
    expect(report.unattributed.participantsRemoved).toBe(1);
    // Given in any order, the parts are read in chain order.
    const reversed = await buildTransparencyReport([...files].reverse(), { publicKeys: [keys.publicKey] });
    expect(reversed.governmentDemands).toEqual(report.governmentDemands);
    expect(reversed.sources.map((s) => s.name)).toEqual(report.sources.map((s) => s.name));
  });

  it('a set with a middle file missing fails and names the gap', async () => {
    const t = dir();
    const files = await rotated(t.file('audit.jsonl'));
    const missing = files[1] as string;
    const report = await buildTransparencyReport(
      files.filter((f) => f !== missing),
      { publicKeys: [keys.publicKey] },
    );
    const broken = report.sources.find((s) => s.verified === false);
    expect(broken).toMatchObject({ problem: 'gap', message: expect.stringContaining(basename(missing)) });
    expect(renderReportMarkdown(report)).toContain(basename(missing));
  });

  it('a set out of order (two parts swapped by name) fails', async () => {
    const t = dir();
    const files = await rotated(t.file('audit.jsonl'));
    const [a, b] = files as [string, string];
    renameSync(a, `${a}.x`);
    renameSync(b, a);
    renameSync(`${a}.x`, b);
    const report = await buildTransparencyReport(files, { publicKeys: [keys.publicKey] });
    expect(report.sources.some((s) => s.problem === 'gap')).toBe(true);
  });

  it('a part from another chain fails', async () => {
    const t = dir();
    const files = await rotated(t.file('audit.jsonl'));
    const u = dir();
    const others = await rotated(u.file('audit.jsonl'));
    copyFileSync(others[1] as string, files[1] as string);
    const report = await buildTransparencyReport(files, { publicKeys: [keys.publicKey] });
    expect(report.sources.some((s) => s.problem === 'gap')).toBe(true);
  });

  it('a part cut back to its first line with the previous part\u2019s checkpoint beside it is not signed', async () => {
    const t = dir();
    const files = await rotated(t.file('audit.jsonl'));
    const part = files[1] as string;
    const first = readFileSync(part, 'utf8').split('\n')[0];
    writeFileSync(part, `${first}\n`);
    copyFileSync(`${files[0]}.checkpoint`, `${part}.checkpoint`);
    const result = await verifyAuditLog(part, { publicKey: keys.publicKey });
    expect(result.signedThrough).toBeUndefined();
    expect(result.ok && result.signatures === 'verified').toBe(false);
  });
});

describe('the report for the public', () => {
  it('names sources by name, never by server path', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log);
    const report = await buildTransparencyReport(log, { publicKeys: [keys.publicKey] });
    for (const text of [renderReportMarkdown(report), renderReportHtml(report), JSON.stringify(report)]) expect(text).not.toContain(t.dir);
    expect(report.sources[0]?.name).toBe('audit.jsonl');
    const named = await buildTransparencyReport([{ path: log, name: 'node-a' }], { publicKeys: { [log]: keys.publicKey } });
    expect(named.sources[0]).toMatchObject({ name: 'node-a', signatures: 'verified' });
  });

  it('without the key the Commitment says "not checked", never "signed"', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log);
    const md = renderReportMarkdown(await buildTransparencyReport(log));
    const commitment = md.slice(md.indexOf('## Commitment'));
    expect(commitment).toMatch(/not checked/);
    expect(commitment).not.toMatch(/\| yes \|/);
  });

  it('a refused document submitted three times is one demand', async () => {
    const refused = {
      type: 'restriction.refused' as const,
      time: '2024-05-30T11:00:00.000Z',
      restrictionId: 'req-2',
      digest: 'a'.repeat(16),
      kind: 'takedown',
      authority: { name: 'Ministry', jurisdiction: 'CN' },
      regions: ['HK'],
      code: 'E_OUT_OF_JURISDICTION',
      reason: 'HK is outside CN',
    };
    const report = await buildTransparencyReport([refused, { ...refused, time: '2024-05-30T11:01:00.000Z' }, { ...refused, time: '2024-05-30T11:02:00.000Z' }]);
    expect(report.governmentDemands.total).toMatchObject({ restrictionsReceived: 1, restrictionsRefused: 1 });
  });

  it('removals recorded before the acceptance that caused them (older logs) count the same as after it', async () => {
    const events = scenario();
    const acceptance = events[0] as AuditEvent;
    const causeFirst = await buildTransparencyReport(events);
    const removalFirst = await buildTransparencyReport([events[6] as AuditEvent, acceptance, ...events.slice(1, 6), ...events.slice(7)]);
    expect(removalFirst.governmentDemands).toEqual(causeFirst.governmentDemands);
    expect(removalFirst.unattributed).toEqual(causeFirst.unattributed);
  });

  it('the gate records a refused document with its digest: submitted three times through the gate, one demand in the report', async () => {
    const gate = createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN' }) });
    const events: AuditEvent[] = [];
    gate.on('restriction.refused', (e) => events.push(e));
    const doc = { id: 'req-hk', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['HK'], scope: { meetings: ['m-1'] } };
    for (let i = 0; i < 3; i++) await expect(gate.restrict(structuredClone(doc))).rejects.toMatchObject({ code: 'E_OUT_OF_JURISDICTION' });
    await expect(gate.restrict({ ...doc, regions: ['TW'] })).rejects.toMatchObject({ code: 'E_OUT_OF_JURISDICTION' });
    expect(events).toHaveLength(4);
    expect(new Set(events.map((e) => (e as { digest?: string }).digest)).size).toBe(2);
    const report = await buildTransparencyReport(events);
    expect(report.governmentDemands.total).toMatchObject({ restrictionsReceived: 2, restrictionsRefused: 2 });
    await gate.close();
  });

  it('plain words, and a first table per jurisdiction', async () => {
    const t = dir();
    const log = t.file('audit.jsonl');
    await signedLog(log);
    const md = renderReportMarkdown(await buildTransparencyReport(log, { publicKeys: [keys.publicKey] }));
    for (const jargon of [/\bsink\b/i, /HyperLogLog/, /dry-run/i, /Denied citing restrictions not in the log/]) expect(md).not.toMatch(jargon);
    const firstTable = md.split('\n').find((l) => l.startsWith('| '));
    expect(firstTable).toMatch(/Jurisdiction \| Demands received \| Accepted \| Refused \| Share accepted \| Participants removed \| Meetings affected/);
  });
});
