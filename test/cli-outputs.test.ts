import { linkSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { CLI_RESTRICTIONS, makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const at = (name: string): string => join(tmp.dir, name);
const write = (name: string, content: string): string => (writeFileSync(at(name), content), at(name));
const snapshot = (paths: readonly string[]): string[] => paths.map((p) => readFileSync(p, 'utf8'));
/** Temporary files the CLI might have left behind. */
const leftovers = (): string[] => readdirSync(tmp.dir).filter((n) => n.endsWith('.tmp'));

const log = at('audit.jsonl');
beforeAll(async () => {
  const clock = () => Date.parse('2020-06-04T10:00:00Z');
  const gate = createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN' }), clock });
  const sink = createJsonlAuditSink(log, { fsync: 'never', clock });
  sink.attach(gate);
  await gate.restrict(CLI_RESTRICTIONS[0]);
  await gate.admit({ meetingId: 'm-1001', participantId: 'p-1', peerAddress: '1.2.4.8' });
  await sink.close();
  await gate.close();
});

describe('the CLI never writes over its own inputs', () => {
  it('report -o <the audit log>, its checkpoint, a symlink or a hard link to it: exit 2, inputs untouched', async () => {
    const checkpoint = `${log}.checkpoint`;
    const inputs = [log, checkpoint];
    const before = snapshot(inputs);
    symlinkSync(log, at('log-symlink.html'));
    linkSync(log, at('log-hardlink.html'));
    for (const output of [log, checkpoint, at('log-symlink.html'), at('log-hardlink.html')]) {
      const run = await runCliProcess(['report', log, '--format', 'html', '-o', output]);
      expect(run.code, output).toBe(2);
      expect(run.stderr).toMatch(/is the input .*audit\.jsonl.* \(the same file\); refusing to write over it/);
      expect(snapshot(inputs)).toEqual(before);
    }
    // The checkpoint path of a log is refused even before a checkpoint exists there.
    const fresh = write('fresh.jsonl', readFileSync(log, 'utf8'));
    const noCheckpoint = await runCliProcess(['report', fresh, '-o', `${fresh}.checkpoint`]);
    expect(noCheckpoint.code).toBe(2);
    expect(readdirSync(tmp.dir)).not.toContain('fresh.jsonl.checkpoint');
    // A relative spelling of the same path is the same file.
    const relative = await runCliProcess(['report', log, '-o', 'audit.jsonl'], { cwd: tmp.dir });
    expect(relative.code).toBe(2);
    expect(snapshot(inputs)).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  it('report -o <a new file> writes it whole, through a temporary file renamed into place', async () => {
    const run = await runCliProcess(['report', log, '--format', 'html', '-o', at('report.html')]);
    expect(run.code).toBe(0);
    expect(readFileSync(at('report.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    expect(leftovers()).toEqual([]);
  });

  it('replay --decisions <symlink to the joins log>, or the restrictions file: exit 2, inputs untouched', async () => {
    const joins = write('joins.jsonl', `${JSON.stringify({ meetingId: 'm-1001', participantId: 'p-1', peerAddress: '1.2.4.8' })}\n`);
    const restrictions = write('restrictions.json', JSON.stringify(CLI_RESTRICTIONS));
    symlinkSync(joins, at('decisions-link.jsonl'));
    const before = snapshot([joins, restrictions]);
    for (const decisions of [at('decisions-link.jsonl'), joins, restrictions]) {
      const run = await runCliProcess(['replay', joins, '--restrictions', restrictions, '--decisions', decisions]);
      expect(run.code, decisions).toBe(2);
      expect(run.stderr).toMatch(/--decisions file .* is the input .* \(the same file\)/);
      expect(snapshot([joins, restrictions])).toEqual(before);
    }
    const ok = await runCliProcess(['replay', joins, '--restrictions', restrictions, '--decisions', at('decisions.jsonl')]);
    expect(ok.code).toBe(1);
    expect(JSON.parse(readFileSync(at('decisions.jsonl'), 'utf8').trim())).toMatchObject({ line: 1, admitted: false });
    expect(leftovers()).toEqual([]);
  });

  it('build-db feed.csv -o feed.csv (or a hard link to it): exit 2, the CSV untouched', async () => {
    const csv = write('feed.csv', '1.2.4.0/24,CN\n');
    linkSync(csv, at('feed-link.mmdb'));
    for (const output of [csv, at('feed-link.mmdb')]) {
      const run = await runCliProcess(['build-db', csv, '-o', output]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/output .* is the input .*feed\.csv \(the same file\)/);
      expect(readFileSync(csv, 'utf8')).toBe('1.2.4.0/24,CN\n');
    }
    expect(leftovers()).toEqual([]);
  });
});

describe('build-db reports every bad row in one run', () => {
  it('bad prefixes, bad codes and overlaps together, in line order, with line numbers', async () => {
    const csv = write(
      'bad-rows.csv',
      ['1.2.3.0/24,ZZ', '1.2.3.4/33,US', '10.0.0.0/8,US', '10.1.0.0/16,CN', '10.1.2.0/24,HK', 'not-a-prefix,XX', '2001:db8::/32,US', '2001:db8:1::/48,US'].join(
        '\n',
      ),
    );
    const run = await runCliProcess(['build-db', csv, '-o', at('bad-rows.mmdb')]);
    expect(run.code).toBe(2);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/bad-rows\.csv: 7 bad rows; nothing was written$/);
    expect(lines.slice(1).map((l) => /^ {2}line (\d+):/.exec(l)?.[1])).toEqual(['1', '2', '4', '5', '6', '6', '8']);
    expect(run.stderr).toMatch(/line 5: 10\.1\.2\.0\/24 overlaps line 4 \(10\.1\.0\.0\/16\)/);
    expect(run.stderr).toMatch(/line 8: 2001:db8:1::\/48 overlaps line 7 \(2001:db8::\/32\)/);
  });

  it('--json: the refusal is one JSON object on stdout with every problem and its line', async () => {
    const csv = write('bad-json.csv', '1.2.3.0/24,ZZ\n1.2.4.0/24,US\n1.2.4.0/24,CN\n');
    const run = await runCliProcess(['build-db', csv, '-o', at('bad-json.mmdb'), '--json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { error: Record<string, unknown> };
    expect(out.error).toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/2 bad rows; nothing was written/),
      problemCount: 2,
      problems: [
        { line: 1, message: 'country "ZZ" is not an ISO 3166-1 alpha-2 code' },
        { line: 3, message: expect.stringMatching(/^1\.2\.4\.0\/24 overlaps line 2/) },
      ],
    });
  });

  it('--json errors of other commands are JSON too, with the library error code', async () => {
    const run = await runCliProcess(['lookup', '--db', at('missing.mmdb'), '1.2.4.8', '--json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({ error: expect.objectContaining({ code: 'E_DB_NOT_FOUND', message: expect.stringMatching(/does not exist/) }) });
  });
});
