import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { createGate } from 'geoadmit';
import { StaticResolver } from 'geoadmit';
import { CLI_RESTRICTIONS, makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const log = join(tmp.dir, 'audit.jsonl');

/** A real audit log: a takedown accepted, one refused, two joins decided. */
beforeAll(async () => {
  const gate = createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN', '8.8.8.0/24': 'US' }), clock: () => Date.parse('2020-06-04T10:00:00Z') });
  const sink = createJsonlAuditSink(log, { fsync: 'never', clock: () => Date.parse('2020-06-04T10:00:00Z') });
  sink.attach(gate);
  await gate.restrict(CLI_RESTRICTIONS[0]);
  await gate.restrict({ ...CLI_RESTRICTIONS[0], id: 'req-hk', regions: ['HK'] }).catch(() => undefined);
  await gate.admit({ meetingId: 'm-1001', participantId: 'p-1', peerAddress: '1.2.4.8' });
  await gate.admit({ meetingId: 'm-1001', participantId: 'p-2', peerAddress: '8.8.8.8' });
  await sink.close();
  await gate.close();
});

describe('geoadmit audit verify', () => {
  it('verifies an intact log: exit 0', async () => {
    const run = await runCliProcess(['audit', 'verify', log]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✓ .*audit\.jsonl: 4 events, \d+ lines verified, checkpoint agrees, head \d+:[0-9a-f]{64}\n$/);
    const json = await runCliProcess(['audit', 'verify', log, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, files: [{ ok: true, events: 4, checkpoint: true }] });
  });

  it('detects an edited line: exit 1 naming the line', async () => {
    const edited = join(tmp.dir, 'edited.jsonl');
    const lines = readFileSync(log, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"participantId":"p-1"'));
    lines[i] = (lines[i] as string).replace('"outcome":"denied"', '"outcome":"admitted"');
    writeFileSync(edited, lines.join('\n'));
    const run = await runCliProcess(['audit', 'verify', '--no-checkpoint', log, edited]);
    expect(run.code).toBe(1);
    const out = run.stdout.trim().split('\n');
    expect(out[0]).toMatch(/^✓ /);
    expect(out[1]).toMatch(new RegExp(`^✗ .*edited\\.jsonl: edited at line ${i + 1}`));
  });

  it('refuses a missing file or a missing key variable with exit 2', async () => {
    const missing = await runCliProcess(['audit', 'verify', join(tmp.dir, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^geoadmit: cannot read audit log .*nope\.jsonl: no such file\n$/);
    const noKey = await runCliProcess(['audit', 'verify', log, '--key-env', 'GEOADMIT_TEST_UNSET_KEY'], { env: { GEOADMIT_TEST_UNSET_KEY: undefined } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/environment variable GEOADMIT_TEST_UNSET_KEY is not set/);
  });
});

describe('geoadmit report', () => {
  it('renders Markdown to stdout, JSON with --json, HTML to a file', async () => {
    const md = await runCliProcess(['report', log]);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# /);
    expect(md.stdout).toContain('Example Authority');

    const json = await runCliProcess(['report', log, '--json', '--from', '2020-06-01', '--to', '2020-07-01']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ schemaVersion: 1, promises: { meetingsEndedBySdk: 0, hostAccountsSuspended: 0, userDataDisclosures: 0 } });
    expect(report.decisions).toMatchObject({ total: 2, denied: 1 });
    expect(report.sources[0]).toMatchObject({ verified: true });

    const out = join(tmp.dir, 'report.html');
    const html = await runCliProcess(['report', log, '--format', 'html', '-o', out]);
    expect(html.code).toBe(0);
    expect(html.stdout).toBe('');
    expect(html.stderr).toBe(`wrote ${out}\n`);
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('exits 1 with a warning when a log does not verify; 2 for an unknown format or missing log', async () => {
    const edited = join(tmp.dir, 'edited-report.jsonl');
    writeFileSync(edited, readFileSync(log, 'utf8').replace('"outcome":"denied"', '"outcome":"admitted"'));
    const run = await runCliProcess(['report', edited, '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^warning: .*edited-report\.jsonl did not verify \(edited at line \d+\); only its verified part is counted\n$/);
    expect(JSON.parse(run.stdout).sources[0].verified).toBe(false);

    const bad = await runCliProcess(['report', log, '--format', 'pdf']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^geoadmit: option '--format <format>' argument 'pdf' is invalid/);
    const missing = await runCliProcess(['report', join(tmp.dir, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
  });
});
