import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonlAuditSink, verifyAuditLog } from 'geoadmit/audit';
import { decision } from './fixtures/audit/helpers.js';
import { makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const keys = join(tmp.dir, 'keys');
const log = join(tmp.dir, 'audit.jsonl');
const pub = join(keys, 'audit-signing.pub');
let head = '';

beforeAll(async () => {
  const run = await runCliProcess(['audit', 'keygen', '--out', keys]);
  expect(run.code, run.stderr).toBe(0);
  const sink = createJsonlAuditSink(log, { fsync: 'never', signingKey: readFileSync(join(keys, 'audit-signing.key'), 'utf8'), checkpointEvery: 3 });
  for (let i = 1; i <= 7; i++) sink.write(decision(i));
  await sink.close();
  const result = await verifyAuditLog(log, { publicKey: readFileSync(pub, 'utf8') });
  head = `${result.head.seq}:${result.head.hash}`;
});

describe('geoadmit audit keygen', () => {
  it('writes a PKCS#8 private key with mode 0600 and an SPKI public key, and never replaces a key', async () => {
    const priv = join(keys, 'audit-signing.key');
    expect(readFileSync(priv, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(statSync(priv).mode & 0o777).toBe(0o600);
    expect(readFileSync(pub, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const before = readFileSync(priv, 'utf8');
    const again = await runCliProcess(['audit', 'keygen', '--out', keys]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists: refusing to replace a signing key/);
    expect(readFileSync(priv, 'utf8')).toBe(before);
    const json = await runCliProcess(['audit', 'keygen', '--out', join(tmp.dir, 'k2'), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ publicKeyFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});

describe('geoadmit audit verify with --public-key and --expect-head', () => {
  it('a signed log verifies with its public key and the head a report printed', async () => {
    const run = await runCliProcess(['audit', 'verify', log, '--public-key', pub, '--expect-head', head]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^✓ .*audit\.jsonl: 7 events, \d+ lines verified, checkpoint agrees, signed through the last line, key [0-9a-f]{64}, head \d+:[0-9a-f]{64}\n$/,
    );
    expect(run.stderr).toBe('');
  });

  it('a log cut short after the head was published fails --expect-head: exit 1', async () => {
    const cut = join(tmp.dir, 'cut.jsonl');
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    // Cut back to the last signed record before the end, with a checkpoint signed for it (all authentic material).
    let keep = lines.length - 2;
    while (keep > 0 && !(lines[keep] as string).includes('"type":"audit.checkpoint"')) keep--;
    writeFileSync(cut, `${lines.slice(0, keep + 1).join('\n')}\n`);
    const run = await runCliProcess(['audit', 'verify', cut, '--public-key', pub, '--expect-head', head, '--no-checkpoint']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ .*cut\.jsonl: head at line \d+: the log ends at seq \d+, before the expected head/);
  });

  it('another public key, or a checkpoint rewritten without the key: exit 1', async () => {
    const other = join(tmp.dir, 'other');
    await runCliProcess(['audit', 'keygen', '--out', other]);
    const wrong = await runCliProcess(['audit', 'verify', log, '--public-key', join(other, 'audit-signing.pub')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/signature at line \d+/);
  });

  it('without a checkpoint and without a key: verifies, and warns that a cut-off tail would go unnoticed', async () => {
    const run = await runCliProcess(['audit', 'verify', log, '--no-checkpoint']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: .*no checkpoint was checked: a log cut short at a record boundary cannot be told from a complete one/);
    const json = await runCliProcess(['audit', 'verify', log, '--no-checkpoint', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, files: [{ checkpoint: false, warning: expect.stringMatching(/no checkpoint/) }] });
  });

  it('a file that is not an audit log says so (no key hint); an empty one too', async () => {
    const notLog = join(tmp.dir, 'notes.txt');
    writeFileSync(notLog, 'hello\nworld\n');
    const run = await runCliProcess(['audit', 'verify', notLog]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/not a geoadmit audit log/);
    expect(run.stdout).not.toMatch(/--key-env/);
    const empty = join(tmp.dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const e = await runCliProcess(['audit', 'verify', empty]);
    expect(e.code).toBe(1);
    expect(e.stdout).toMatch(/empty: the file is empty/);
  });

  it('bad --expect-head, --public-key that is not a key, --expect-head with two files: exit 2', async () => {
    const bad = await runCliProcess(['audit', 'verify', log, '--expect-head', '12:xyz']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--expect-head must be SEQ:HASH/);
    const notKey = join(tmp.dir, 'not-a-key.pub');
    writeFileSync(notKey, 'just text\n');
    const nk = await runCliProcess(['audit', 'verify', log, '--public-key', notKey]);
    expect(nk.code).toBe(2);
    expect(nk.stderr).toMatch(/--public-key .*not-a-key\.pub: not an Ed25519 public key/);
    const two = await runCliProcess(['audit', 'verify', log, log, '--expect-head', head]);
    expect(two.code).toBe(2);
  });
});

describe('geoadmit report commits to its logs', () => {
  it('prints each log’s head, signature and key fingerprint in a Commitment section that verifies', async () => {
    const md = await runCliProcess(['report', log, '--public-key', pub]);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain('## Commitment');
    expect(md.stdout).toContain(head);
    const json = JSON.parse((await runCliProcess(['report', log, '--public-key', pub, '--json'])).stdout) as {
      sources: { head: { seq: number; hash: string }; signature?: string; publicKeyFingerprint?: string }[];
    };
    const source = json.sources[0];
    expect(`${source?.head.seq}:${source?.head.hash}`).toBe(head);
    expect(source?.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(source?.publicKeyFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(md.stdout).toContain(source?.publicKeyFingerprint);
    // The command the report prints is the one that checks it.
    const command = md.stdout.split('\n').find((l) => l.startsWith('geoadmit audit verify '));
    expect(command).toBe(`geoadmit audit verify audit.jsonl --public-key audit-signing.pub --expect-head ${head}`);
    const check = await runCliProcess(['audit', 'verify', 'audit.jsonl', '--public-key', pub, '--expect-head', head], { cwd: tmp.dir });
    expect(check.code).toBe(0);
  });
});
