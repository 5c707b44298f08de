import { writeSync as realWriteSync, readFileSync, unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJsonlAuditSink, verifyAuditLog } from 'geoadmit/audit';
import type { ErrorEvent } from 'geoadmit/audit';
import { decision, fakeSource, tempDir } from './fixtures/audit/helpers.js';

/** Lines are written in one batch at the end of the event-loop turn: let it end. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** A sink over a file system whose writes fail while `disk.full` is set. */
function setup(options: Parameters<typeof createJsonlAuditSink>[1] = {}) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const log = t.file('audit.jsonl');
  const disk = { full: false, partialOnce: false };
  const sink = createJsonlAuditSink(log, {
    ...options,
    fs: {
      writeSync(fd, data) {
        if (disk.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        if (disk.partialOnce) {
          // Half the line lands, then the disk fills up.
          disk.partialOnce = false;
          disk.full = true;
          return realWriteSync(fd, data.subarray(0, Math.floor(data.length / 2)));
        }
        return realWriteSync(fd, data);
      },
      ...options.fs,
    },
  });
  const errors: ErrorEvent[] = [];
  sink.on('error', (e) => errors.push(e));
  const source = fakeSource();
  sink.attach(source);
  // Some tests end with the disk still failing: close then rejects, which is not what they test.
  cleanups.unshift(() => void sink.close().catch(() => undefined));
  const events = () =>
    readFileSync(log, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: Record<string, unknown> }).event);
  return { log, disk, sink, errors, source, events };
}

describe('audit sink failures', () => {
  it('buffers while writing fails, reports it, and writes everything in order once it works', async () => {
    const { log, disk, sink, errors, source, events } = setup();
    source.emit('decision', decision(1));
    await nextTurn();
    disk.full = true;
    for (let i = 2; i <= 5; i++) source.emit('decision', decision(i));
    expect(sink.stats()).toMatchObject({ written: 1, buffered: 4, dropped: 0, healthy: true });
    await nextTurn();
    expect(sink.stats()).toMatchObject({ written: 1, buffered: 4, dropped: 0, healthy: false });
    expect(sink.stats().failures).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({ type: 'error', context: 'audit', code: 'ENOSPC', file: log });
    expect(errors[0]?.message).toContain('no space left');
    expect(source.health.at(-1)).toEqual({ sinkId: sink.id, healthy: false, policy: 'buffer' });
    await expect(sink.flush()).rejects.toThrowError(/4 event\(s\) could not be written/);

    const recovered = vi.fn();
    sink.on('recovered', recovered);
    disk.full = false;
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 5, buffered: 0, dropped: 0, healthy: true });
    expect(source.health.at(-1)).toEqual({ sinkId: sink.id, healthy: true, policy: 'buffer' });
    expect(recovered).toHaveBeenCalledTimes(1);
    expect(events().map((e) => e.participantId)).toEqual([undefined, 'p-1', 'p-2', 'p-3', 'p-4', 'p-5']);
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, events: 5 });
  });

  it('counts what the bounded buffer cannot keep and records it with an audit.gap line', async () => {
    const { log, disk, sink, source, events } = setup({ bufferLimit: 3 });
    disk.full = true;
    for (let i = 1; i <= 10; i++) source.emit('decision', decision(i));
    expect(sink.stats()).toMatchObject({ buffered: 3, dropped: 7 });
    disk.full = false;
    source.emit('decision', decision(11)); // not written yet: the sink retries on its timer or flush
    await sink.flush();
    const written = events();
    expect(written.map((e) => e.type)).toEqual(['audit.start', 'decision', 'decision', 'decision', 'audit.gap', 'decision']);
    expect(written[4]).toMatchObject({
      type: 'audit.gap',
      dropped: 7,
      types: { decision: 7 },
      from: decision(4).time,
      to: decision(10).time,
    });
    expect(written[5]?.participantId).toBe('p-11');
    expect(sink.stats()).toMatchObject({ written: 4, dropped: 7, gaps: 1 });
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, events: 4 });
  });

  it("with whenUnwritable 'deny' tells the gate to deny at the first failed write, and recovers by itself on the retry timer", async () => {
    const { disk, sink, source } = setup({ whenUnwritable: 'deny', retryIntervalMs: 5 });
    expect(source.health).toEqual([{ sinkId: sink.id, healthy: true, policy: 'deny' }]);
    disk.full = true;
    source.emit('decision', decision(1));
    expect(source.health.at(-1)).toEqual({ sinkId: sink.id, healthy: false, policy: 'deny' });
    disk.full = false;
    await vi.waitFor(() => expect(source.health.at(-1)?.healthy).toBe(true), { timeout: 2000, interval: 5 });
    expect(sink.stats()).toMatchObject({ written: 1, buffered: 0, healthy: true });
  });

  it('finishes a partly written line before the next one', async () => {
    const { log, disk, sink, source } = setup();
    disk.partialOnce = true;
    source.emit('decision', decision(1));
    source.emit('decision', decision(2));
    await nextTurn();
    expect(sink.stats()).toMatchObject({ healthy: false, buffered: 2 });
    disk.full = false;
    await sink.flush();
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, events: 2 });
  });

  it('notices the file being removed and continues the chain in a new file', async () => {
    const { log, sink, errors, source } = setup({ fsyncIntervalMs: 5, retryIntervalMs: 5 });
    source.emit('decision', decision(1));
    unlinkSync(log);
    await vi.waitFor(() => expect(errors.some((e) => e.message.includes('removed'))).toBe(true), { timeout: 2000, interval: 5 });
    await vi.waitFor(() => expect(sink.stats().healthy).toBe(true), { timeout: 2000, interval: 5 });
    source.emit('decision', decision(2));
    await sink.flush();
    const first = JSON.parse(readFileSync(log, 'utf8').split('\n')[0] ?? '') as { seq: number; event: Record<string, unknown> };
    expect(first.seq).toBe(3);
    expect(first.event).toMatchObject({ type: 'audit.start', previous: { file: 'audit.jsonl', seq: 2 } });
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, events: 1 });
  });

  it('a failing open is E_AUDIT_IO', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    expect(() =>
      createJsonlAuditSink(t.file('a.jsonl'), {
        fs: {
          openSync() {
            throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
          },
        },
      }),
    ).toThrowError(/cannot open audit log .*a\.jsonl: EACCES/);
  });

  it('close rejects with E_AUDIT_IO, after an error event and releasing everything, when buffered events are still unwritten', async () => {
    const { disk, sink, errors, source, events } = setup({ bufferLimit: 2 });
    source.emit('decision', decision(1));
    await nextTurn();
    disk.full = true;
    for (let i = 2; i <= 5; i++) source.emit('decision', decision(i));
    const before = errors.length;
    const closing = sink.close();
    await expect(closing).rejects.toMatchObject({ code: 'E_AUDIT_IO' });
    await expect(closing).rejects.toThrowError(/closed with 2 event\(s\) not written \(and the audit\.gap record of 2 event\(s\) dropped earlier\)/);
    const last = errors.at(-1);
    expect(errors.length).toBeGreaterThan(before);
    expect(last).toMatchObject({ type: 'error', context: 'audit', code: 'E_AUDIT_IO' });
    expect(last?.message).toContain('2 event(s) not written');
    // Released: closed, detached from the source, the file no longer written to.
    expect(sink.stats().closed).toBe(true);
    expect(source.listeners()).toBe(0);
    expect(source.health.at(-1)).toMatchObject({ healthy: true });
    expect(() => source.emit('decision', decision(6))).not.toThrow();
    disk.full = false;
    expect(events().map((e) => e.participantId)).toEqual([undefined, 'p-1']);
    // A second close has nothing left to report.
    await expect(sink.close()).resolves.toBeUndefined();
  });

  it('close resolves when the final flush writes everything', async () => {
    const { disk, sink, errors, source, events } = setup();
    disk.full = true;
    source.emit('decision', decision(1));
    disk.full = false;
    const before = errors.length;
    await expect(sink.close()).resolves.toBeUndefined();
    expect(errors.length).toBe(before);
    expect(events().map((e) => e.participantId)).toEqual([undefined, 'p-1']);
  });
});
