import { readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonlAuditSink, verifyAuditLog } from 'geoadmit/audit';
import { isGeoadmitError } from 'geoadmit';
import { canonicalJson } from '../src/internal/canonical-json.js';
import { decision, tempDir } from './fixtures/audit/helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** A verified log of 10 events (11 lines with the start record) and a way to rewrite its lines. */
async function setup() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const log = t.file('audit.jsonl');
  const sink = createJsonlAuditSink(log);
  for (let i = 1; i <= 10; i++) sink.write(decision(i));
  await sink.close();
  const original = readFileSync(log, 'utf8').trimEnd().split('\n');
  const rewrite = (edit: (lines: string[]) => string[]) => writeFileSync(log, `${edit([...original]).join('\n')}\n`);
  return { log, original, rewrite };
}

describe('verifyAuditLog detects tampering', () => {
  it('accepts the untouched log', async () => {
    const { log } = await setup();
    expect(await verifyAuditLog(log)).toEqual({
      ok: true,
      events: 10,
      lines: 11,
      lastSeq: 11,
      lastHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      checkpoint: true,
      head: { seq: 11, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      firstSeq: 1,
      signatures: 'none',
    });
  });

  it('an edited line (hash mismatch)', async () => {
    const { log, rewrite } = await setup();
    rewrite((l) => {
      l[4] = (l[4] ?? '').replace('"admitted"', '"denied"');
      return l;
    });
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'edited', line: 5, events: 3 });
  });

  it('an edited line whose hash was recomputed (the next link breaks)', async () => {
    const { log, rewrite } = await setup();
    const { createHash } = await import('node:crypto');
    rewrite((l) => {
      const rec = JSON.parse(l[4] ?? '') as { event: { outcome: string }; prev: string; seq: number };
      rec.event.outcome = 'denied';
      // Re-forge line 5 in canonical form with a fresh hash, as an attacker without an HMAC key can.
      const sorted = canonicalJson(rec.event);
      const body = `{"event":${sorted},"prev":"${rec.prev}","seq":${rec.seq}}`;
      const hash = createHash('sha256').update(body).digest('hex');
      l[4] = `{"event":${sorted},"hash":"${hash}","prev":"${rec.prev}","seq":${rec.seq}}`;
      return l;
    });
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'edited', line: 6 });
  });

  it('reformatted JSON is an edit too (canonical form)', async () => {
    const { log, rewrite } = await setup();
    rewrite((l) => {
      l[2] = JSON.stringify(JSON.parse(l[2] ?? ''), null, 0).replace('{"event"', '{ "event"');
      return l;
    });
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'edited', line: 3 });
  });

  it('a deleted line (seq gap)', async () => {
    const { log, rewrite } = await setup();
    rewrite((l) => l.filter((_, i) => i !== 5));
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'missing', line: 6, events: 4 });
  });

  it('deleted leading lines', async () => {
    const { log, rewrite } = await setup();
    rewrite((l) => l.slice(3));
    expect(await verifyAuditLog(log, { checkpoint: false })).toMatchObject({ ok: false, problem: 'missing', line: 1 });
  });

  it('reordered lines (swapped neighbours, and a line moved back)', async () => {
    const { log, rewrite } = await setup();
    rewrite((l) => {
      [l[3], l[4]] = [l[4] ?? '', l[3] ?? ''];
      return l;
    });
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'reordered', line: 4 });
    rewrite((l) => {
      const [moved] = l.splice(2, 1);
      l.splice(6, 0, moved ?? '');
      return l;
    });
    const result = await verifyAuditLog(log);
    expect(result.ok).toBe(false);
    expect(['missing', 'reordered']).toContain(result.problem);
  });

  it('an inserted line (a copy of an earlier one, or a forged one)', async () => {
    const { log, rewrite } = await setup();
    rewrite((l) => {
      l.splice(6, 0, l[2] ?? '');
      return l;
    });
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'inserted', line: 7, events: 5 });
    rewrite((l) => {
      l.splice(6, 0, `{"event":{"type":"decision"},"hash":"${'a'.repeat(64)}","prev":"${'b'.repeat(64)}","seq":99}`);
      return l;
    });
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'inserted', line: 7 });
  });

  it('a truncated tail (checkpoint says more) and a torn final line', async () => {
    const { log, rewrite, original } = await setup();
    rewrite((l) => l.slice(0, 8));
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'truncated', line: 9, events: 7 });
    // Without its checkpoint a cleanly cut log cannot be told from a short one.
    expect(await verifyAuditLog(log, { checkpoint: false })).toMatchObject({ ok: true, events: 7 });
    writeFileSync(log, `${original.join('\n')}\n${(original[3] ?? '').slice(0, 40)}`);
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'truncated', line: 12, events: 10 });
  });

  it('a checkpoint that disagrees with the line it names', async () => {
    const { log } = await setup();
    const cp = JSON.parse(readFileSync(`${log}.checkpoint`, 'utf8')) as { hash: string };
    writeFileSync(`${log}.checkpoint`, JSON.stringify({ ...cp, hash: 'c'.repeat(64) }));
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'edited', line: 11 });
    writeFileSync(`${log}.checkpoint`, 'not json');
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'malformed' });
  });

  it('malformed input: garbage, wrong fields, huge lines, empty lines', async () => {
    const { log, rewrite } = await setup();
    for (const bad of ['not json', '[]', '{"seq":1}', '', '{"event":{"type":"x"},"hash":"zz","prev":"00","seq":3}']) {
      rewrite((l) => {
        l[3] = bad;
        return l;
      });
      expect(await verifyAuditLog(log), bad).toMatchObject({ ok: false, problem: 'malformed', line: 4 });
    }
    rewrite((l) => {
      l[3] = 'x'.repeat(5000);
      return l;
    });
    expect(await verifyAuditLog(log, { maxLineBytes: 1000 })).toMatchObject({ ok: false, problem: 'malformed', line: 4 });
  });

  it('an empty file is not a verified log of zero events; a missing file is E_AUDIT_IO', async () => {
    const { log } = await setup();
    writeFileSync(log, '');
    unlinkSync(`${log}.checkpoint`);
    expect(await verifyAuditLog(log)).toMatchObject({
      ok: false,
      problem: 'empty',
      events: 0,
      checkpoint: false,
      head: { seq: 0, hash: '0'.repeat(64) },
    });
    expect((await verifyAuditLog(log)).message).toMatch(/empty/);
    const missing = `${log}.nope`;
    await expect(verifyAuditLog(missing)).rejects.toSatisfy((e) => isGeoadmitError(e, 'E_AUDIT_IO'));
  });
});
