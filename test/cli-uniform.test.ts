import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { createGate } from 'geoadmit';
import { StaticResolver } from 'geoadmit';
import { CLI_RESTRICTIONS, makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const keyed = join(tmp.dir, 'keyed.jsonl');
const plain = join(tmp.dir, 'plain.jsonl');
const KEY = 'an operator secret of enough length';

/** Two real logs of the same story: one written with an HMAC key, one without. */
beforeAll(async () => {
  for (const [file, key] of [
    [keyed, KEY],
    [plain, undefined],
  ] as const) {
    const gate = createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN' }), clock: () => Date.parse('2020-06-04T10:00:00Z') });
    const sink = createJsonlAuditSink(file, { fsync: 'never', ...(key === undefined ? {} : { key }) });
    sink.attach(gate);
    await gate.restrict(CLI_RESTRICTIONS[0]);
    await gate.admit({ meetingId: 'm-1001', participantId: 'p-1', peerAddress: '1.2.4.8' });
    await sink.close();
    await gate.close();
  }
});

describe('geoadmit --version', () => {
  it('prints the package version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await runCliProcess([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`${version}\n`);
      expect(run.stderr).toBe('');
    }
  });
});

describe('every command takes --db', () => {
  const commands = [['build-db'], ['report'], ['audit', 'verify']];
  for (const cmd of commands) {
    it(`geoadmit ${cmd.join(' ')} documents --db as accepted and ignored`, async () => {
      const run = await runCliProcess([...cmd, '--help']);
      // Help text wraps with the terminal width: compare with whitespace collapsed.
      expect(run.stdout.replace(/\s+/g, ' ')).toContain('--db <path> accepted for uniformity with the other commands; this one needs no geo data (ignored)');
    });
  }

  it('build-db, report and audit verify run the same with --db', async () => {
    const csv = join(tmp.dir, 'feed.csv');
    writeFileSync(csv, 'cidr,country\n81.2.69.0/24,GB\n');
    const out = join(tmp.dir, 'out.mmdb');
    const build = await runCliProcess(['build-db', csv, '-o', out, '--db', join(tmp.dir, 'no-such.mmdb')]);
    expect(build.code, build.stderr).toBe(0);
    const lookup = await runCliProcess(['lookup', '--db', out, '81.2.69.1', '--json']);
    expect(JSON.parse(lookup.stdout)).toMatchObject({ results: [{ location: { country: 'GB' } }] });
    const verify = await runCliProcess(['audit', 'verify', plain, '--db', out]);
    expect(verify.code, verify.stderr).toBe(0);
    const report = await runCliProcess(['report', plain, '--db', out, '--format', 'json']);
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ governmentDemands: { total: { restrictionsAccepted: 1 } } });
  });
});

describe('geoadmit audit verify on a keyed log', () => {
  it('without --key-env: fails at line 1 with a hint to pass the key', async () => {
    const run = await runCliProcess(['audit', 'verify', keyed]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^✗ .*keyed\.jsonl: .* at line 1/);
    expect(lines[1]).toBe('  hint: was this log written with a key? pass --key-env <VAR> naming the environment variable that holds it');
    const json = await runCliProcess(['audit', 'verify', keyed, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, files: [{ ok: false, line: 1, hint: expect.stringMatching(/pass --key-env/) }] });
  });

  it('with --key-env: verifies, no hint; a plain log gives no hint either', async () => {
    const run = await runCliProcess(['audit', 'verify', keyed, '--key-env', 'GEOADMIT_TEST_KEY'], { env: { GEOADMIT_TEST_KEY: KEY } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toContain('hint');
    const ok = await runCliProcess(['audit', 'verify', plain]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain('hint');
  });
});
