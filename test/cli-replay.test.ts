import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GEOLITE2_ATTRIBUTION } from 'geoadmit';
import { ADDR } from './helpers/fixtures.js';
import { CLI_RESTRICTIONS, makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const restrictions = join(tmp.dir, 'restrictions.json');
writeFileSync(restrictions, JSON.stringify(CLI_RESTRICTIONS));

const join1 = (meetingId: string, participantId: string, peerAddress: string, hostAccountId?: string): string =>
  JSON.stringify({ meetingId, participantId, peerAddress, ...(hostAccountId === undefined ? {} : { hostAccountId }) });

/** A small log: line numbers matter for the malformed-line report. */
const SMALL_LOG = [
  join1('m-1001', 'p-1', ADDR.CN1), // 1 denied by req-cn
  join1('m-1001', 'p-2', ADDR.US), // 2 admitted
  join1('m-1001', 'p-1', ADDR.CN2), // 3 denied again (same participant rejoining)
  join1('m-2', 'p-3', ADDR.CN1), // 4 other meeting: admitted
  '', // 5 blank: ignored
  '{"meetingId": "m-1001",', // 6 malformed: not JSON
  '[1, 2]', // 7 malformed: not an object
  join1('m-3', 'p-4', ADDR.HK, 'acct-7'), // 8 dry-run match on pol-hk: admitted
  JSON.stringify({ meetingId: 'm-3', peerAddress: ADDR.HK }), // 9 malformed: no participantId
  join1('m-4', 'p-5', ADDR.US, 'acct-7'), // 10 in pol-hk scope, not matched
  join1('m-1001', 'p-6', 'not an ip'), // 11 invalid address: unknown location, admitted
].join('\n');

function smallLog(name = 'small.jsonl', content = SMALL_LOG): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, `${content}\n`);
  return path;
}

describe('geoadmit replay', () => {
  it('summarises per restriction: joins denied, meetings reached and left undisturbed, by country; lists malformed lines', async () => {
    const decisions = join(tmp.dir, 'decisions.jsonl');
    const run = await runCliProcess(['replay', smallLog(), '--restrictions', restrictions, '--decisions', decisions, '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const s = JSON.parse(run.stdout);
    expect(s).toMatchObject({ lines: 11, joins: 7, admitted: 5, denied: 2, deniedIfEnforced: 3, attribution: GEOLITE2_ATTRIBUTION, warnings: [] });
    expect(s.malformed.count).toBe(3);
    expect(s.malformed.first.map((m: { line: number }) => m.line)).toEqual([6, 7, 9]);
    expect(s.malformed.first[0].error).toMatch(/^not JSON: /);
    expect(s.malformed.first[1].error).toBe('not a JSON object');
    expect(s.malformed.first[2].error).toMatch(/participantId/);
    expect(s.restrictions).toEqual([
      {
        id: 'req-cn',
        kind: 'takedown',
        mode: 'enforce',
        active: true,
        joinsInScope: 4,
        joinsDenied: 2,
        meetingsReached: 1,
        meetingsDisturbed: 1,
        meetingsUndisturbed: 0,
        meetingCountsExact: true,
        deniedByCountry: { CN: 2 },
      },
      {
        id: 'pol-hk',
        kind: 'host-policy',
        mode: 'dry-run',
        active: true,
        joinsInScope: 2,
        joinsDenied: 1,
        meetingsReached: 2,
        meetingsDisturbed: 1,
        meetingsUndisturbed: 1,
        meetingCountsExact: true,
        deniedByCountry: { HK: 1 },
      },
    ]);
    const lines = readFileSync(decisions, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((d) => d.line)).toEqual([1, 2, 3, 4, 8, 10, 11]);
    expect(lines[0]).toMatchObject({
      meetingId: 'm-1001',
      participantId: 'p-1',
      admitted: false,
      reasons: [{ code: 'region-restricted', restrictionId: 'req-cn' }],
    });
    expect(lines[4]).toMatchObject({ admitted: true, reasons: [], dryRun: [{ restrictionId: 'pol-hk', region: 'HK' }] });
    expect(lines[6]).toMatchObject({ admitted: true, location: { unknown: 'invalid-address' } });
    // Decisions carry no client address (privacy by default; the line number links back to the log).
    expect(lines.every((d) => !('address' in d))).toBe(true);
  });

  it('prints a readable summary; attribution and no progress bar on a non-terminal stderr', async () => {
    const run = await runCliProcess(['replay', smallLog(), '--restrictions', restrictions]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Replayed 7 joins from .*small\.jsonl as of \d{4}-/);
    expect(run.stdout).toContain('  admitted 5, denied 2; denied if every restriction were enforced: 3\n');
    expect(run.stdout).toContain(
      'restriction req-cn (takedown, enforce)\n  joins in scope 4, denies 2\n  meetings reached 1, disturbed 1, left undisturbed 0\n  denied by country: CN 2\n',
    );
    expect(run.stdout).toContain(
      'restriction pol-hk (host-policy, dry-run)\n  joins in scope 2, would deny 1\n  meetings reached 2, disturbed 1, left undisturbed 1\n',
    );
    expect(run.stdout).toContain('3 malformed lines skipped:\n  line 6: not JSON');
    expect(run.stderr).toBe(`${GEOLITE2_ATTRIBUTION}\n`);
  });

  it('reads stdin with -, and with --decisions - puts decisions on stdout and the summary on stderr', async () => {
    const run = await runCliProcess(['replay', '-', '--restrictions', restrictions, '--decisions', '-', '--json'], { input: `${SMALL_LOG}\n` });
    expect(run.code).toBe(1);
    const decisions = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(decisions).toHaveLength(7);
    const summary = JSON.parse(run.stderr);
    expect(summary).toMatchObject({ input: 'stdin', joins: 7, denied: 2 });
  });

  it('exits 0 when nobody would be denied, and counts an empty log as zero joins', async () => {
    const quiet = await runCliProcess(['replay', smallLog('quiet.jsonl', join1('m-9', 'p-1', ADDR.CN1)), '--restrictions', restrictions, '--json']);
    expect(quiet.code).toBe(0);
    expect(JSON.parse(quiet.stdout)).toMatchObject({ joins: 1, admitted: 1, deniedIfEnforced: 0 });
    const emptyPath = join(tmp.dir, 'empty.jsonl');
    writeFileSync(emptyPath, '');
    const empty = await runCliProcess(['replay', emptyPath, '--restrictions', restrictions, '--json']);
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ lines: 0, joins: 0, malformed: { count: 0, first: [] } });
  });

  it('counts every malformed line, lists the first 20, and survives over-long lines', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) lines.push(`garbage ${i}`);
    lines.push('x'.repeat(5000)); // line 31: longer than --max-line-bytes
    lines.push(join1('m-1001', 'p-1', ADDR.CN1));
    const run = await runCliProcess([
      'replay',
      smallLog('garbage.jsonl', lines.join('\n')),
      '--restrictions',
      restrictions,
      '--max-line-bytes',
      '1000',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const s = JSON.parse(run.stdout);
    expect(s.malformed.count).toBe(31);
    expect(s.malformed.first).toHaveLength(20);
    expect(s.malformed.first[19].line).toBe(20);
    expect(s.joins).toBe(1);
    const human = await runCliProcess(['replay', join(tmp.dir, 'garbage.jsonl'), '--restrictions', restrictions, '--max-line-bytes', '1000']);
    expect(human.stdout).toContain('31 malformed lines skipped (first 20 listed):');
  });

  it('bounds meeting tracking with --max-meetings and says the counts are lower bounds', async () => {
    const wide = join(tmp.dir, 'wide.json');
    writeFileSync(
      wide,
      JSON.stringify([
        { id: 'all-cn', kind: 'sanctions', authority: { name: 'Operator compliance', jurisdiction: 'US' }, regions: ['CN'], scope: { all: true } },
      ]),
    );
    const log = Array.from({ length: 10 }, (_, i) => join1(`m-${i}`, 'p', i % 2 === 0 ? ADDR.CN1 : ADDR.US)).join('\n');
    const run = await runCliProcess(['replay', smallLog('wide.jsonl', log), '--restrictions', wide, '--max-meetings', '4', '--json']);
    expect(JSON.parse(run.stdout).restrictions[0]).toMatchObject({
      joinsInScope: 10,
      joinsDenied: 5,
      meetingsReached: 4,
      meetingsDisturbed: 2,
      meetingCountsExact: false,
    });
    const human = await runCliProcess(['replay', join(tmp.dir, 'wide.jsonl'), '--restrictions', wide, '--max-meetings', '4']);
    expect(human.stdout).toContain('(at least: more meetings than --max-meetings)');
  });

  it('previews a restriction that starts later at --at, and refuses an invalid restrictions file with exit 2', async () => {
    const later = join(tmp.dir, 'later.json');
    writeFileSync(later, JSON.stringify([{ ...CLI_RESTRICTIONS[0], validFrom: '2099-01-01T00:00:00Z' }]));
    const now = await runCliProcess(['replay', smallLog(), '--restrictions', later, '--json']);
    expect(JSON.parse(now.stdout).restrictions[0]).toMatchObject({ active: false, joinsInScope: 0, joinsDenied: 0 });
    const then = await runCliProcess(['replay', smallLog(), '--restrictions', later, '--at', '2099-06-01T00:00:00Z', '--json']);
    expect(JSON.parse(then.stdout).restrictions[0]).toMatchObject({ active: true, joinsDenied: 2 });

    const bad = join(tmp.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ ...CLI_RESTRICTIONS[0], regions: [] }]));
    const run = await runCliProcess(['replay', smallLog(), '--restrictions', bad]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^geoadmit: restrictions file .*bad\.json has 1 problem.*\n {2}\$\[0\]\.regions: /);

    for (const [args, message] of [
      [['replay', join(tmp.dir, 'missing.jsonl'), '--restrictions', restrictions], /cannot read joins file .*missing\.jsonl: no such file/],
      [['replay', tmp.dir, '--restrictions', restrictions], /cannot read joins file .*: is a directory/],
      [['replay', smallLog(), '--restrictions', restrictions, '--max-meetings', '0'], /--max-meetings.*positive whole number/],
    ] as const) {
      const r = await runCliProcess(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('replays a 100 MB, 1,000,000-line log in bounded memory (peak RSS) and reports throughput', { timeout: 120_000 }, async () => {
    const path = join(tmp.dir, 'big.jsonl');
    const ips = [ADDR.CN1, ADDR.US, ADDR.HK, ADDR.CN2, '2001:da8::1', '81.2.69.1', '10.0.0.1'];
    const fd = openSync(path, 'w');
    let bytes = 0;
    let block: string[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      // Padding brings the file to ~100 MB without changing the join.
      block.push(
        JSON.stringify({ meetingId: `m-${i % 1000}`, participantId: `participant-${i}`, peerAddress: ips[i % ips.length], hostAccountId: `acct-${i % 13}` }),
      );
      if (block.length === 20_000) {
        const text = `${block.join('\n')}\n`;
        bytes += writeSync(fd, text);
        block = [];
      }
    }
    closeSync(fd);
    expect(bytes).toBeGreaterThan(95_000_000);
    const r = join(tmp.dir, 'big-restrictions.json');
    writeFileSync(r, JSON.stringify([{ ...CLI_RESTRICTIONS[0], scope: { meetings: ['m-1', 'm-2', 'm-3'] } }, CLI_RESTRICTIONS[1]]));
    const run = await runCliProcess(['replay', path, '--restrictions', r, '--decisions', '/dev/null', '--stats', '--json'], { timeoutMs: 110_000 });
    expect(run.code).toBe(1);
    const s = JSON.parse(run.stdout);
    expect(s.joins).toBe(1_000_000);
    expect(s.malformed.count).toBe(0);
    expect(s.restrictions[0]).toMatchObject({ joinsInScope: 3000, meetingsReached: 3 });
    expect(s.restrictions[1]).toMatchObject({ meetingsReached: 1000, meetingCountsExact: true });
    // Keeping the file, or a decision per join, in memory would take several times this.
    expect(s.stats.maxRssKiB).toBeLessThan(224 * 1024);
    console.info(
      `replay: ${s.joins} joins (${Math.round(bytes / 1e6)} MB) in ${s.stats.elapsedMs} ms = ${s.stats.joinsPerSecond} joins/s, peak RSS ${Math.round(s.stats.maxRssKiB / 1024)} MiB`,
    );
  });
});
