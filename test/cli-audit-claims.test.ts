/**
 * The command line a journalist would use: `geoadmit audit verify` and
 * `geoadmit report` on a signed log, on the forgery of the issue (records
 * removed, hashes re-chained, old signatures kept), on a forged tail and on
 * a rotated set with a file missing; `audit keygen` with a link planted at
 * the public key's path; progress on a terminal's stderr.
 */
import { existsSync, lstatSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { runCli } from '../src/cli/index.js';
import { appendForgedTail, forgeLog } from './fixtures/audit/forge.js';
import { scenario } from './fixtures/audit/scenario.js';
import { makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const keys = join(tmp.dir, 'keys');
const pub = join(keys, 'audit-signing.pub');
const log = join(tmp.dir, 'audit.jsonl');
const forged = join(tmp.dir, 'forged.jsonl');
const tailed = join(tmp.dir, 'tailed.jsonl');

async function writeSigned(path: string, options: { maxBytes?: number } = {}): Promise<void> {
  const sink = createJsonlAuditSink(path, {
    fsync: 'never',
    signingKey: readFileSync(join(keys, 'audit-signing.key'), 'utf8'),
    checkpointEvery: 4,
    ...options,
  });
  for (const e of scenario()) sink.write(e);
  await sink.close();
}

beforeAll(async () => {
  const run = await runCliProcess(['audit', 'keygen', '--out', keys]);
  expect(run.code, run.stderr).toBe(0);
  for (const path of [log, forged, tailed]) await writeSigned(path);
  forgeLog(forged, (e) => (e.type === 'restriction.refused' && e.restrictionId === 'req-2') || (e.type === 'removal' && e.participantId === 'p-1'), 'repoint');
  appendForgedTail(tailed, [
    {
      type: 'restriction.refused',
      time: '2024-06-07T00:00:00.000Z',
      restrictionId: 'fake',
      kind: 'takedown',
      authority: { name: 'Fake', jurisdiction: 'FR' },
      regions: ['DE'],
      code: 'E_OUT_OF_JURISDICTION',
      reason: 'forged',
    },
  ]);
});

describe('geoadmit audit verify', () => {
  it('the forgery without --public-key: never a plain ✓, a warning that the signatures were not checked', async () => {
    const run = await runCliProcess(['audit', 'verify', forged]);
    expect(run.stdout).toMatch(/^! .*forged\.jsonl: .*signatures NOT checked/);
    expect(run.stdout).not.toMatch(/signed through/);
    expect(run.stderr).toMatch(/warning: .*forged\.jsonl: the log is signed, but its signatures were NOT checked/);
  });

  it('the forgery with --public-key: exit 1', async () => {
    const run = await runCliProcess(['audit', 'verify', forged, '--public-key', pub]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ .*forged\.jsonl: (signature|checkpoint)/);
  });

  it('a forged tail: verified up to the last signature, the tail said to be NOT signed', async () => {
    const run = await runCliProcess(['audit', 'verify', tailed, '--public-key', pub]);
    expect(run.stdout).toMatch(/^! .*tailed\.jsonl: .*signed through seq \d+ \(1 line\(s\) after it, 1 event\(s\), NOT signed\)/);
    expect(run.stderr).toMatch(/warning: .*tailed\.jsonl: 1 event\(s\) after the last signature \(seq \d+\) are not signed/);
  });

  it('LOG=FILE gives one log its key; a rotated set with a file missing fails naming it', async () => {
    const dir = join(tmp.dir, 'rotated');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const base = join(dir, 'audit.jsonl');
    await writeSigned(base, { maxBytes: 1500 });
    const parts = [1, 2, 3, 4, 5, 6].map((n) => `${base}.${n}`).filter((p) => existsSync(p));
    expect(parts.length).toBeGreaterThanOrEqual(3);
    const all = await runCliProcess(['audit', 'verify', ...parts, base, '--public-key', pub]);
    expect(all.code, all.stdout).toBe(0);
    const missing = parts[1] as string;
    const gap = await runCliProcess(['audit', 'verify', ...parts.filter((p) => p !== missing), base, '--public-key', `${base}=${pub}`, '--public-key', pub]);
    expect(gap.code).toBe(1);
    expect(gap.stdout).toContain(`gap: audit.jsonl.2 is missing`);
  });
});

describe('geoadmit report', () => {
  it('with --public-key: the Commitment says signed and checked, with the key file and its fingerprint; no server path anywhere', async () => {
    const run = await runCliProcess(['report', log, '--public-key', pub, '--name', `${log}=node-a`]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain(tmp.dir);
    expect(run.stdout).toMatch(/\| node-a \| \d+:[0-9a-f]{64} \| signed, checked \| [0-9a-f]{64} \|/);
    expect(run.stdout).toContain('geoadmit audit verify node-a --public-key audit-signing.pub --expect-head ');
    const html = await runCliProcess(['report', log, '--public-key', pub, '--format', 'html']);
    expect(html.stdout).not.toContain(tmp.dir);
  });

  it('without a key: "not checked", and a warning', async () => {
    const run = await runCliProcess(['report', log]);
    expect(run.stdout).toMatch(/\| audit\.jsonl \| \d+:[0-9a-f]{64} \| not checked \| {2}\|/);
    expect(run.stdout).not.toMatch(/signed, checked/);
    expect(run.stderr).toMatch(/audit\.jsonl is signed but its signatures were not checked/);
  });

  it('the forgery with the key: not verified, exit 1', async () => {
    const run = await runCliProcess(['report', forged, '--public-key', pub, '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { sources: { verified: boolean; signatures: string; publicKeyFingerprint?: string }[] };
    expect(report.sources[0]?.verified).toBe(false);
  });

  it('a forged tail with the key: shown apart, not counted', async () => {
    const run = await runCliProcess(['report', tailed, '--public-key', pub]);
    expect(run.stdout).toMatch(/tailed\.jsonl: 1 event after the last signature \(record \d+\) is covered by no signature/);
    expect(run.stdout).not.toMatch(/\| FR \|/);
    expect(run.stderr).toMatch(/1 event\(s\) after the last signature are not signed/);
  });

  it('--name must name a log given', async () => {
    const run = await runCliProcess(['report', log, '--name', 'other.jsonl=x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--name must be LOG=NAME/);
  });
});

describe('progress on a terminal', () => {
  function io(tty: boolean) {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        stdout: { write: (s: string) => void out.push(s) },
        stderr: { write: (s: string) => void err.push(s), isTTY: tty, columns: 80 },
      },
    };
  }

  it('audit verify and report draw a bar on a terminal stderr, nothing when it is not one', async () => {
    for (const args of [
      ['audit', 'verify', log, '--public-key', pub],
      ['report', log, '--public-key', pub],
    ]) {
      const tty = io(true);
      expect(await runCli(args, tty.io as never)).toBe(0);
      expect(tty.err.join('')).toMatch(/\[[\u2588\u2591 =-]*\] \d+%/);
      const pipe = io(false);
      expect(await runCli(args, pipe.io as never)).toBe(0);
      expect(pipe.err.join('')).not.toMatch(/%/);
      const off = io(true);
      expect(await runCli([...args, '--no-progress'], off.io as never)).toBe(0);
      expect(off.err.join('')).not.toMatch(/\d+%/);
    }
  });
});

describe('progress on a terminal: replay', () => {
  it('replay draws a bar on a terminal stderr over a large join log, nothing in a pipe', async () => {
    const { CLI_RESTRICTIONS } = await import('./helpers/cli.js');
    const restrictions = join(tmp.dir, 'restrictions.json');
    writeFileSync(restrictions, JSON.stringify(CLI_RESTRICTIONS));
    const joins = join(tmp.dir, 'joins.jsonl');
    const line = (i: number) => `${JSON.stringify({ meetingId: 'm-1001', participantId: `p-${i}`, peerAddress: '1.2.4.8' })}\n`;
    writeFileSync(joins, Array.from({ length: 3000 }, (_, i) => line(i)).join(''));
    for (const tty of [true, false]) {
      const err: string[] = [];
      const io = { stdout: { write: () => true }, stderr: { write: (s: string) => void err.push(s), isTTY: tty, columns: 80 } };
      expect(await runCli(['replay', joins, '--restrictions', restrictions], io as never)).toBe(1);
      if (tty) expect(err.join('')).toMatch(/replay \[[\u2588\u2591 ]*\] \d+%/);
      else expect(err.join('')).not.toMatch(/\d+%/);
    }
  });
});

describe('geoadmit audit keygen --out DIR never writes through a link', () => {
  it('a link planted at the public key path is replaced, its target untouched', async () => {
    const out = join(tmp.dir, 'linked');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out);
    const victim = join(tmp.dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(out, 'audit-signing.pub'));
    const run = await runCliProcess(['audit', 'keygen', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(out, 'audit-signing.pub')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(out, 'audit-signing.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('a link planted at the private key path is refused, its target untouched', async () => {
    const out = join(tmp.dir, 'linked-private');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out);
    const victim = join(tmp.dir, 'victim2.txt');
    symlinkSync(victim, join(out, 'audit-signing.key'));
    const run = await runCliProcess(['audit', 'keygen', '--out', out]);
    expect(run.code).toBe(2);
    expect(existsSync(victim)).toBe(false);
    renameSync(join(out, 'audit-signing.key'), join(out, 'moved'));
  });
});
