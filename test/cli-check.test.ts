import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GEOLITE2_ATTRIBUTION } from 'geoadmit';
import { ADDR } from './helpers/fixtures.js';
import { CLI_RESTRICTIONS, makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const restrictions = join(tmp.dir, 'restrictions.json');
writeFileSync(restrictions, JSON.stringify(CLI_RESTRICTIONS));

describe('geoadmit check', () => {
  it('denies a participant in the restricted region with the reason, exit 1', async () => {
    const run = await runCliProcess(['check', '--restrictions', restrictions, '--meeting', 'm-1001', '--ip', ADDR.CN1]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^DENIED {2}meeting m-1001 {2}1\.2\.4\.8 → CN {2}network 1\.2\.4\.0\/22, mmdb:country ipvAll$/);
    expect(lines[1]).toBe('  denied: region-restricted (req-cn, region CN)');
    expect(run.stderr.trim()).toBe(GEOLITE2_ATTRIBUTION);
  });

  it('admits a participant elsewhere (exit 0) and lists dry-run matches without denying', async () => {
    const run = await runCliProcess(['check', '--restrictions', restrictions, '--meeting', 'm-1001', '--host', 'acct-7', '--ip', ADDR.HK, '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      meetingId: 'm-1001',
      admitted: true,
      reasons: [],
      dryRun: [{ code: 'region-restricted', restrictionId: 'pol-hk', region: 'HK' }],
      location: { country: 'HK' },
      address: ADDR.HK,
      attribution: GEOLITE2_ATTRIBUTION,
    });
    expect(run.stderr).toBe('');
  });

  it('leaves meetings outside the restriction undisturbed', async () => {
    const run = await runCliProcess(['check', '--restrictions', restrictions, '--meeting', 'm-other', '--ip', ADDR.CN1]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ADMITTED {2}meeting m-other/);
  });

  it('honours X-Forwarded-For only from a trusted proxy', async () => {
    const trusted = await runCliProcess([
      'check',
      '--restrictions',
      restrictions,
      '--meeting',
      'm-1001',
      '--peer',
      '10.0.0.5',
      '--xff',
      `${ADDR.CN1}, 10.0.0.9`,
      '--trusted-proxy',
      '10.0.0.0/8',
      '--json',
    ]);
    expect(trusted.code).toBe(1);
    expect(JSON.parse(trusted.stdout)).toMatchObject({ admitted: false, address: ADDR.CN1 });

    const untrusted = await runCliProcess([
      'check',
      '--restrictions',
      restrictions,
      '--meeting',
      'm-1001',
      '--peer',
      ADDR.US,
      '--xff',
      ADDR.CN1,
      '--trusted-proxy',
      '10.0.0.0/8',
      '--json',
    ]);
    expect(untrusted.code).toBe(0);
    expect(JSON.parse(untrusted.stdout)).toMatchObject({ admitted: true, address: ADDR.US, location: { country: 'US' } });
  });

  it('refuses an invalid address given on the command line as bad input: exit 2, one line, like lookup', async () => {
    for (const args of [
      ['--ip', '0x7f.1'],
      ['--ip', '01.2.4.8'],
      ['--peer', '10.0.0.5\u0007', '--xff', '1.2.4.8', '--trusted-proxy', '10.0.0.0/8'],
    ]) {
      const run = await runCliProcess(['check', '--restrictions', restrictions, '--meeting', 'm-1001', ...args, '--json']);
      expect(run.code, args.join(' ')).toBe(2);
      // Under --json the error is a JSON object on stdout, where the result would have been (issue 14).
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout).error.message).toMatch(new RegExp(`^${args[0]} ".*" is not a valid address: `));
      const plain = await runCliProcess(['check', '--restrictions', restrictions, '--meeting', 'm-1001', ...args]);
      expect(plain.code).toBe(2);
      expect(plain.stderr.trim().split('\n')).toHaveLength(1);
      expect(plain.stderr).toMatch(new RegExp(`^geoadmit: ${args[0]} ".*" is not a valid address: `));
    }
    const lookup = await runCliProcess(['lookup', '0x7f.1']);
    expect(lookup.code).toBe(2);
  });

  it('a forwarded header that is not an address is the gate\u2019s business: unknown location, admitted by default', async () => {
    const run = await runCliProcess([
      'check',
      '--restrictions',
      restrictions,
      '--meeting',
      'm-1001',
      '--peer',
      '10.0.0.5',
      '--xff',
      '01.2.4.8',
      '--trusted-proxy',
      '10.0.0.0/8',
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ admitted: true, location: { unknown: 'invalid-address' } });
  });

  it('evaluates time windows at --at', async () => {
    const windowed = join(tmp.dir, 'windowed.json');
    writeFileSync(windowed, JSON.stringify([{ ...CLI_RESTRICTIONS[0], validFrom: '2020-06-01T00:00:00Z', validUntil: '2020-06-05T00:00:00Z' }]));
    const inside = await runCliProcess(['check', '--restrictions', windowed, '--meeting', 'm-1001', '--ip', ADDR.CN1, '--at', '2020-06-04T12:00:00Z']);
    expect(inside.code).toBe(1);
    const after = await runCliProcess(['check', '--restrictions', windowed, '--meeting', 'm-1001', '--ip', ADDR.CN1]);
    expect(after.code).toBe(0);
    const bad = await runCliProcess(['check', '--restrictions', windowed, '--meeting', 'm-1001', '--ip', ADDR.CN1, '--at', 'June 4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^geoadmit: --at: "June 4" is not an ISO 8601 date/);
  });

  it('refuses to decide with an invalid restrictions file: exit 2 with every problem listed', async () => {
    const mixed = join(tmp.dir, 'mixed.json');
    writeFileSync(mixed, JSON.stringify([CLI_RESTRICTIONS[0], { ...CLI_RESTRICTIONS[0], id: 'req-bad', regions: ['HK'] }]));
    const run = await runCliProcess(['check', '--restrictions', mixed, '--meeting', 'm-1001', '--ip', ADDR.CN1]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^geoadmit: restrictions file .*mixed\.json has 1 problem; nothing was evaluated/);
    expect(lines[1]).toMatch(/^ {2}\$\[1\]\.regions\[0\]: .*\[E_OUT_OF_JURISDICTION\] \(id "req-bad"\)$/);
  });

  it('refuses bad usage with exit 2: missing options, both --ip and --peer, headers without a trusted proxy', async () => {
    const cases: [string[], RegExp][] = [
      [['check', '--meeting', 'm-1', '--ip', ADDR.CN1], /required option '--restrictions <file>' not specified/],
      [['check', '--restrictions', restrictions, '--meeting', 'm-1'], /missing --ip <addr>/],
      [['check', '--restrictions', restrictions, '--meeting', 'm-1', '--ip', ADDR.CN1, '--peer', ADDR.US], /--ip and --peer/],
      [['check', '--restrictions', restrictions, '--meeting', 'm-1', '--peer', ADDR.US, '--xff', ADDR.CN1], /trusted proxies/],
      [['check', '--restrictions', restrictions, '--meeting', '', '--ip', ADDR.CN1], /meetingId/],
    ];
    for (const [args, message] of cases) {
      const run = await runCliProcess(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
