import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.js';
import { GEOLITE2_ATTRIBUTION } from 'geoadmit';
import { makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

/** The README's order: a CN takedown whose window (June 2020) has long passed. */
const ORDER = {
  id: 'req-2020-06-04-a',
  kind: 'takedown',
  authority: { name: 'Example Authority', jurisdiction: 'CN' },
  regions: ['CN'],
  scope: { meetings: ['m-1001'] },
  validFrom: '2020-06-01T00:00:00Z',
  validUntil: '2020-06-05',
};
const order = join(tmp.dir, 'order-a.json');
writeFileSync(order, JSON.stringify(ORDER));

describe('what a new user trips over (issue 14)', () => {
  it('check says a restriction is not active at the instant evaluated, and denies within its window', async () => {
    const now = await runCliProcess(['check', '--restrictions', order, '--meeting', 'm-1001', '--ip', '1.2.4.8']);
    expect(now.code).toBe(0);
    expect(now.stdout).toMatch(/^ADMITTED /);
    expect(now.stdout).toMatch(
      /note: restriction req-2020-06-04-a is not active at \d{4}-\d\d-\d\dT[\d:.]+Z \(its window ended at 2020-06-05T00:00:00\.000Z; use --at/,
    );
    const json = JSON.parse((await runCliProcess(['check', '--restrictions', order, '--meeting', 'm-1001', '--ip', '1.2.4.8', '--json'])).stdout);
    expect(json.notes).toEqual([expect.stringMatching(/^restriction req-2020-06-04-a is not active at /)]);

    const then = await runCliProcess(['check', '--restrictions', order, '--meeting', 'm-1001', '--ip', '1.2.4.8', '--at', '2020-06-04']);
    expect(then.code).toBe(1);
    expect(then.stdout).toMatch(/^DENIED /);
    expect(then.stdout).not.toMatch(/not active/);
  });

  it('validate says which restrictions are not active (now, or --at), in text and JSON', async () => {
    const run = await runCliProcess(['validate', order]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/note: restriction req-2020-06-04-a is not active at .* \(its window ended at 2020-06-05/);
    const early = JSON.parse((await runCliProcess(['validate', order, '--at', '2020-05-01', '--json'])).stdout);
    expect(early.notes).toEqual([expect.stringMatching(/not active at 2020-05-01T00:00:00\.000Z \(its window starts at 2020-06-01T00:00:00\.000Z/)]);
    const inside = JSON.parse((await runCliProcess(['validate', order, '--at', '2020-06-02T12:00:00+08:00', '--json'])).stdout);
    expect(inside.notes).toEqual([]);
  });

  it('the date rule is the same for documents, --at and report --from: date-only is midnight UTC; zone-less times are refused everywhere', async () => {
    const zoneless = await runCliProcess(['check', '--restrictions', order, '--meeting', 'm-1001', '--ip', '1.2.4.8', '--at', '2020-06-04T10:00']);
    expect(zoneless.code).toBe(2);
    expect(zoneless.stderr).toMatch(/--at: "2020-06-04T10:00" is not an ISO 8601 date \(2020-06-01, midnight UTC\) or date and time with a time zone/);
    const report = await runCliProcess(['report', order, '--from', '2020-06-31']);
    expect(report.code).toBe(2);
    expect(report.stderr).toMatch(/--from: "2020-06-31" is not an ISO 8601 date/);
  });

  it('lookup prints the MaxMind attribution only when database data was shown', async () => {
    const none = await runCliProcess(['lookup', '10.0.0.1', '0x7f.1']);
    expect(none.stderr).not.toContain(GEOLITE2_ATTRIBUTION);
    expect(JSON.parse((await runCliProcess(['lookup', '10.0.0.1', '--json'])).stdout).attribution).toBeUndefined();
    const some = await runCliProcess(['lookup', '10.0.0.1', '1.2.4.8']);
    expect(some.stderr).toContain(GEOLITE2_ATTRIBUTION);
  });

  it('--help describes each default once', async () => {
    for (const command of ['lookup', 'check', 'validate', 'replay', 'build-db', 'report']) {
      let out = '';
      const io = { stdout: { write: (s: string) => void (out += s) }, stderr: { write: () => undefined }, stdin: process.stdin };
      await runCli([command, '--help'], io);
      expect(out, command).not.toMatch(/\(default: [^)]*\)\s*\(default:/);
      expect(out, command).not.toContain('(default: [])');
    }
  });
});
