import { readFileSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonlAuditSink, verifyAuditLog } from 'geoadmit/audit';
import { isGeoadmitError } from 'geoadmit';
import { decision, fakeSource, tempDir } from './fixtures/audit/helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function setup() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return { ...t, log: t.file('audit.jsonl') };
}

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('JSON Lines audit sink: the chain', () => {
  it('appends one canonical line per event, chained by seq and prev hash, and verifies', async () => {
    const { log } = setup();
    const sink = createJsonlAuditSink(log, { fsync: 'never' });
    for (let i = 0; i < 5; i++) sink.write(decision(i));
    await sink.close();
    const text = readFileSync(log, 'utf8');
    const rows = lines(log);
    expect(rows).toHaveLength(6);
    expect((rows[0]?.event as { type: string } | undefined)?.type).toBe('audit.start');
    expect(rows[0]?.prev).toBe('0'.repeat(64));
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]?.seq).toBe(i + 1);
      expect(rows[i]?.prev).toBe(rows[i - 1]?.hash);
    }
    // Canonical: keys sorted, no whitespace.
    const first = text.split('\n')[1] ?? '';
    expect(first.startsWith('{"event":{"dryRun":[],"location":{')).toBe(true);
    expect(first).not.toMatch(/": |, /);
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, events: 5, lines: 6, lastSeq: 6, checkpoint: true });
    expect(sink.stats()).toMatchObject({ written: 5, buffered: 0, dropped: 0, failures: 0, closed: true });
  });

  it('records every gate event type through attach, and detach stops it', async () => {
    const { log } = setup();
    const source = fakeSource();
    const sink = createJsonlAuditSink(log);
    const detach = sink.attach(source);
    const time = '2024-01-01T00:00:00.000Z';
    source.emit('decision', decision(1));
    source.emit('removal', {
      type: 'removal',
      time,
      meetingId: 'm',
      participantId: 'p',
      restrictionId: 'r',
      reasons: [],
      location: { subdivisions: [], source: 'static' },
      status: 'removed',
    });
    source.emit('restriction.accepted', {
      type: 'restriction.accepted',
      time,
      restrictionId: 'r',
      digest: '0123456789abcdef',
      kind: 'takedown',
      regions: ['CN'],
      scope: { meetings: ['m'], hostAccounts: [], all: false },
      mode: 'enforce',
      warnings: [],
      meetingsReached: 1,
      meetingsUndisturbed: 0,
      removed: 1,
    });
    source.emit('restriction.refused', { type: 'restriction.refused', time, code: 'E_OUT_OF_JURISDICTION', reason: 'HK' });
    source.emit('restriction.lifted', { type: 'restriction.lifted', time, restrictionId: 'r', digest: '0123456789abcdef', kind: 'takedown', expired: false });
    source.emit('geo.reloaded', { type: 'geo.reloaded', time, source: 'mmdb', file: 'x.mmdb' });
    source.emit('store.disconnected', { type: 'store.disconnected', time, store: 'redis' });
    source.emit('error', { type: 'error', time, context: 'rule', message: 'boom', code: 'X', error: new Error('secret stack') });
    detach();
    expect(source.listeners()).toBe(0);
    source.emit('decision', decision(2));
    await sink.close();
    const types = lines(log).map((r) => (r.event as { type: string }).type);
    expect(types).toEqual([
      'audit.start',
      'decision',
      'removal',
      'restriction.accepted',
      'restriction.refused',
      'restriction.lifted',
      'geo.reloaded',
      'store.disconnected',
      'error',
    ]);
    // The error object itself is not serialised, only message and code.
    const errorLine = lines(log).at(-1)?.event as Record<string, unknown>;
    expect(errorLine).toEqual({ type: 'error', time, context: 'rule', message: 'boom', code: 'X' });
    expect(readFileSync(log, 'utf8')).not.toContain('secret stack');
    expect(source.health).toEqual([
      { sinkId: `jsonl:${log}`, healthy: true, policy: 'buffer' },
      { sinkId: `jsonl:${log}`, healthy: true, policy: 'buffer' },
    ]);
    expect((await verifyAuditLog(log)).ok).toBe(true);
  });

  it('continues the chain of an existing file after a restart', async () => {
    const { log } = setup();
    const a = createJsonlAuditSink(log);
    a.write(decision(1));
    await a.close();
    const b = createJsonlAuditSink(log);
    b.write(decision(2));
    b.write(decision(3));
    await b.close();
    const rows = lines(log);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(rows.filter((r) => (r.event as { type: string }).type === 'audit.start')).toHaveLength(1);
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, events: 3 });
  });

  it('refuses to extend a file whose tail does not verify (E_AUDIT_IO)', async () => {
    const { log } = setup();
    const a = createJsonlAuditSink(log);
    a.write(decision(1));
    await a.close();
    const good = readFileSync(log, 'utf8');

    appendFileSync(log, '{"event":{"type":"decision"'); // torn write
    expect(() => createJsonlAuditSink(log)).toThrowError(/torn write/);

    writeFileSync(log, good.replace('"p-1"', '"p-9"')); // edited last line
    try {
      createJsonlAuditSink(log);
      expect.unreachable();
    } catch (error) {
      expect(isGeoadmitError(error, 'E_AUDIT_IO')).toBe(true);
      expect((error as Error).message).toContain(log);
    }

    // Checkpoint ahead of the file: the tail was cut off.
    writeFileSync(log, `${good.split('\n')[0]}\n`);
    expect(() => createJsonlAuditSink(log)).toThrowError(/truncated/);
  });

  it('with a key, the chain is an HMAC chain that verifies only with that key', async () => {
    const { log } = setup();
    const sink = createJsonlAuditSink(log, { key: 'operator-secret' });
    sink.write(decision(1));
    await sink.close();
    expect((await verifyAuditLog(log, { key: 'operator-secret' })).ok).toBe(true);
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, problem: 'edited', line: 1 });
    expect(() => createJsonlAuditSink(log)).toThrowError(/does not verify/);
  });

  it('writes the checkpoint atomically and keeps it current on flush', async () => {
    const { log } = setup();
    const sink = createJsonlAuditSink(log, { fsync: 'always' });
    sink.write(decision(1));
    await sink.flush();
    const cp = JSON.parse(readFileSync(`${log}.checkpoint`, 'utf8')) as { seq: number; hash: string };
    expect(cp.seq).toBe(2);
    expect(cp.hash).toBe(lines(log).at(-1)?.hash);
    expect(existsSync(`${log}.checkpoint.tmp-${process.pid}`)).toBe(false);
    await sink.close();
    await sink.close(); // idempotent
    expect(() => sink.write(decision(2))).toThrowError(/closed/);
  });

  it('rejects bad options with E_INVALID_CONFIG naming the option', () => {
    const { log } = setup();
    expect(() => createJsonlAuditSink(log, { bufferLimit: -1 })).toThrowError(/bufferLimit/);
    expect(() => createJsonlAuditSink(log, { fsync: 'sometimes' as 'never' })).toThrowError(/fsync/);
    expect(() => createJsonlAuditSink('')).toThrowError(/path/);
  });
});
