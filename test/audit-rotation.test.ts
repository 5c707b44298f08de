import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonlAuditSink, verifyAuditLog } from 'geoadmit/audit';
import { decision, tempDir } from './fixtures/audit/helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function records(path: string) {
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { seq: number; hash: string; prev: string; event: Record<string, unknown> });
}

describe('audit sink rotation', () => {
  it('rotates past maxBytes to <path>.<n>; each file verifies and the chain spans files', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    const sink = createJsonlAuditSink(log, { maxBytes: 2000 });
    const rotated: string[] = [];
    sink.on('rotated', (e) => rotated.push(e.file));
    for (let i = 0; i < 30; i++) sink.write(decision(i));
    await sink.close();
    expect(rotated.length).toBeGreaterThanOrEqual(2);
    expect(rotated[0]).toBe(`${log}.1`);
    expect(sink.stats().rotations).toBe(rotated.length);

    const files = [...rotated, log];
    let total = 0;
    let previous: { seq: number; hash: string } | undefined;
    for (const file of files) {
      expect(existsSync(`${file}.checkpoint`)).toBe(true);
      const result = await verifyAuditLog(file);
      expect(result, file).toMatchObject({ ok: true });
      total += result.events;
      const recs = records(file);
      const start = recs[0];
      expect(start?.event.type).toBe('audit.start');
      if (previous !== undefined) {
        // The first record of each file links to the last record of the one before.
        expect(start?.prev).toBe(previous.hash);
        expect(start?.seq).toBe(previous.seq + 1);
        expect(start?.event.previous).toMatchObject({ seq: previous.seq, hash: previous.hash });
      }
      const last = recs.at(-1);
      previous = last && { seq: last.seq, hash: last.hash };
    }
    expect(total).toBe(30);
  });

  it('a new sink numbers rotations after the existing ones and keeps one chain across restarts', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    const a = createJsonlAuditSink(log, { maxBytes: 600 });
    a.write(decision(1)); // start + one event pass 600 bytes: rotated to .1, a new file starts at the path
    await a.close();
    expect(existsSync(`${log}.1`)).toBe(true);
    expect(records(log).map((r) => r.event.type)).toEqual(['audit.start']);
    const b = createJsonlAuditSink(log, { maxBytes: 600 });
    b.write(decision(2));
    await b.close();
    expect(existsSync(`${log}.2`)).toBe(true);
    const lastOfOne = records(`${log}.1`).at(-1);
    expect(records(`${log}.2`)[0]?.prev).toBe(lastOfOne?.hash);

    // The path itself gone (a crash right after a rotation): the next file links to the newest rotated one.
    rmSync(log);
    rmSync(`${log}.checkpoint`);
    const c = createJsonlAuditSink(log, { maxBytes: 100_000 });
    c.write(decision(3));
    await c.close();
    const first = records(log)[0];
    expect(first?.prev).toBe(records(`${log}.2`).at(-1)?.hash);
    expect(first?.event.previous).toMatchObject({ file: 'audit.jsonl.2' });
    for (const file of [`${log}.1`, `${log}.2`, log]) expect((await verifyAuditLog(file)).ok, file).toBe(true);
  });
});
