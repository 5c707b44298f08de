import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';
import { type AuditVerification, createJsonlAuditSink, generateAuditSigningKeys, verifyAuditLog } from 'geoadmit/audit';
import { buildTransparencyReport } from 'geoadmit/report';
import { canonicalJson } from '../src/internal/canonical-json.js';
import { decision, fakeSource, tempDir } from './fixtures/audit/helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

const KEY = 'hmac-secret-for-tests';
const SIGNING = generateAuditSigningKeys();
const OTHER = generateAuditSigningKeys();

type Mode = 'plain' | 'keyed' | 'signed';
const MODES: Mode[] = ['plain', 'keyed', 'signed'];

function sinkOptions(mode: Mode) {
  if (mode === 'keyed') return { key: KEY };
  if (mode === 'signed') return { signingKey: SIGNING.privateKey, checkpointEvery: 4 };
  return {};
}

function verifyOptions(mode: Mode) {
  if (mode === 'keyed') return { key: KEY };
  if (mode === 'signed') return { publicKey: SIGNING.publicKey };
  return {};
}

interface Line {
  seq: number;
  prev: string;
  hash: string;
  event: Record<string, unknown>;
}

/**
 * A closed log of 10 events, plus what an attacker could have kept: the
 * checkpoint file and line count after the 6th event (an earlier, authentic checkpoint).
 */
async function setup(mode: Mode) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const log = t.file('audit.jsonl');
  const cpFile = `${log}.checkpoint`;
  const sink = createJsonlAuditSink(log, { fsync: 'never', ...sinkOptions(mode) });
  for (let i = 1; i <= 6; i++) sink.write(decision(i));
  await sink.flush();
  const earlier = { checkpoint: readFileSync(cpFile, 'utf8'), lines: readFileSync(log, 'utf8').trimEnd().split('\n').length };
  for (let i = 7; i <= 10; i++) sink.write(decision(i));
  await sink.close();
  const original = readFileSync(log, 'utf8').trimEnd().split('\n');
  const final = await verifyAuditLog(log, verifyOptions(mode));
  const rewrite = (lines: string[]) => writeFileSync(log, `${lines.join('\n')}\n`);
  const parsed = (text: string) => JSON.parse(text) as Line;
  const verify = (extra: object = {}) => verifyAuditLog(log, { ...verifyOptions(mode), ...extra });
  return { log, cpFile, original, earlier, final, rewrite, parsed, verify };
}

/** Re-hash lines from `from` on, as anyone can for a plain SHA-256 chain (not for an HMAC chain). */
function reforge(lines: string[], from: number): string[] {
  const out = [...lines];
  let prev = from === 0 ? '0'.repeat(64) : (JSON.parse(out[from - 1] as string) as Line).hash;
  for (let i = from; i < out.length; i++) {
    const rec = JSON.parse(out[i] as string) as Line;
    const event = canonicalJson(rec.event);
    const hash = createHash('sha256').update(`{"event":${event},"prev":"${prev}","seq":${rec.seq}}`).digest('hex');
    out[i] = `{"event":${event},"hash":"${hash}","prev":"${prev}","seq":${rec.seq}}`;
    prev = hash;
  }
  return out;
}

function eventLine(lines: string[], participant: string): number {
  const i = lines.findIndex((l) => l.includes(`"participantId":"${participant}"`));
  expect(i).toBeGreaterThan(0);
  return i;
}

describe.each(MODES)('%s log: tampering', (mode) => {
  it('the untouched log verifies, with its head (and, signed, signed through the head)', async () => {
    const { final, original, parsed } = await setup(mode);
    const last = parsed(original.at(-1) as string);
    expect(final).toMatchObject({ ok: true, events: 10, checkpoint: true, head: { seq: last.seq, hash: last.hash } });
    if (mode === 'signed') {
      // Records every 4 events and one at close; the checkpoint file signs the very last line.
      expect(original.filter((l) => l.includes('"type":"audit.checkpoint"'))).toHaveLength(3);
      expect(last.event.type).toBe('audit.checkpoint');
      expect(final.signedThrough).toBe(last.seq);
      expect(final.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
      expect(final.publicKeyFingerprint).toBe(SIGNING.fingerprint);
    } else {
      expect(final.signedThrough).toBeUndefined();
    }
  });

  it('an edited line', async () => {
    const { original, rewrite, verify } = await setup(mode);
    const lines = [...original];
    const i = eventLine(lines, 'p-3');
    lines[i] = (lines[i] as string).replace('"admitted"', '"denied"');
    rewrite(lines);
    expect(await verify()).toMatchObject({ ok: false, problem: 'edited', line: i + 1 });
  });

  it('a deleted line', async () => {
    const { original, rewrite, verify } = await setup(mode);
    const i = eventLine(original, 'p-5');
    rewrite(original.filter((_, k) => k !== i));
    expect(await verify()).toMatchObject({ ok: false, problem: 'missing', line: i + 1 });
  });

  it('reordered lines', async () => {
    const { original, rewrite, verify } = await setup(mode);
    const lines = [...original];
    const i = eventLine(lines, 'p-2');
    [lines[i], lines[i + 1]] = [lines[i + 1] as string, lines[i] as string];
    rewrite(lines);
    expect(await verify()).toMatchObject({ ok: false, problem: 'reordered', line: i + 1 });
  });

  it('an inserted line (an earlier one copied further down)', async () => {
    const { original, rewrite, verify } = await setup(mode);
    const lines = [...original];
    const at = eventLine(lines, 'p-8');
    lines.splice(at, 0, lines[eventLine(lines, 'p-1')] as string);
    rewrite(lines);
    expect(await verify()).toMatchObject({ ok: false, problem: 'inserted', line: at + 1 });
  });

  it('a duplicated line', async () => {
    const { original, rewrite, verify } = await setup(mode);
    const lines = [...original];
    const i = eventLine(lines, 'p-4');
    lines.splice(i + 1, 0, lines[i] as string);
    rewrite(lines);
    const result = await verify();
    expect(result).toMatchObject({ ok: false, problem: 'inserted' });
    // Either copy may be called the extra one: the verified part ends just before them.
    expect([i + 1, i + 2]).toContain(result.line);
    expect(result.head.seq).toBeLessThanOrEqual(i + 1);
  });

  it('truncated at a record boundary with the checkpoint rewritten from values in the log', async () => {
    const { original, rewrite, verify, cpFile, parsed, final } = await setup(mode);
    const kept = original.slice(0, 9);
    rewrite(kept);
    const last = parsed(kept.at(-1) as string);
    const cp = JSON.parse(readFileSync(cpFile, 'utf8')) as Record<string, unknown>;
    // The attacker has everything but the keys: the old HMAC and signature are all they can copy.
    writeFileSync(cpFile, JSON.stringify({ ...cp, seq: last.seq, hash: last.hash }));
    const result = await verify();
    if (mode === 'plain') {
      // Without a key nothing authenticates the checkpoint: only a published head shows the cut.
      expect(result).toMatchObject({ ok: true, head: { seq: last.seq } });
      expect(await verify({ expectHead: final.head })).toMatchObject({ ok: false, problem: 'head' });
    } else {
      expect(result).toMatchObject({ ok: false, problem: 'checkpoint' });
      expect(result.message).toMatch(mode === 'keyed' ? /HMAC/ : /signature/);
    }
  });

  it('truncated back to an earlier checkpoint (restoring that authentic checkpoint file): only the published head shows it', async () => {
    const { original, rewrite, verify, cpFile, earlier, final } = await setup(mode);
    rewrite(original.slice(0, earlier.lines));
    writeFileSync(cpFile, earlier.checkpoint);
    const result = await verify();
    expect(result).toMatchObject({ ok: true, head: { seq: earlier.lines } });
    if (mode === 'signed') expect(result.signedThrough).toBe(earlier.lines);
    const contradicted = await verify({ expectHead: final.head });
    expect(contradicted).toMatchObject({ ok: false, problem: 'head' });
    expect(contradicted.message).toMatch(/cut short/);
  });

  it('the checkpoint file deleted', async () => {
    const { cpFile, verify } = await setup(mode);
    unlinkSync(cpFile);
    const result = await verify();
    if (mode === 'plain') expect(result).toMatchObject({ ok: true, checkpoint: false });
    else expect(result).toMatchObject({ ok: false, problem: 'checkpoint-missing', checkpoint: false });
  });

  it('a rewritten log contradicts the head published before', async () => {
    const { original, rewrite, verify, final } = await setup(mode);
    expect(await verify({ expectHead: final.head })).toMatchObject({ ok: true });
    const lines = [...original];
    const i = eventLine(lines, 'p-9');
    lines[i] = (lines[i] as string).replace('"admitted"', '"denied"');
    // Re-forged from the edit on (anyone can, for a plain SHA-256 chain), the checkpoint left aside.
    const forged = reforge(lines, i);
    rewrite(forged);
    const result = await verify({ checkpoint: false, expectHead: final.head });
    expect(result.ok).toBe(false);
    // Plain: the chain is whole again, only the published head tells. Keyed: the forger lacks the HMAC key.
    // Signed: the signed record after the edit no longer names the line before it.
    expect(result.problem).toBe({ plain: 'head', keyed: 'edited', signed: 'signature' }[mode]);
  });
});

describe('signed log: keys and signatures', () => {
  it('the wrong public key fails at the first signed record', async () => {
    const { verify, original } = await setup('signed');
    const first = original.findIndex((l) => l.includes('"type":"audit.checkpoint"'));
    const result = await verify({ publicKey: OTHER.publicKey });
    expect(result).toMatchObject({ ok: false, problem: 'signature', line: first + 1 });
    expect(result.message).toMatch(/another key/);
  });

  it('signature bytes flipped: in the checkpoint file, in a record, and in a record with the chain re-forged', async () => {
    const { verify, original, rewrite, cpFile } = await setup('signed');
    const flip = (sig: string) => (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    const cp = JSON.parse(readFileSync(cpFile, 'utf8')) as { signature: string };
    const goodCp = readFileSync(cpFile, 'utf8');
    writeFileSync(cpFile, JSON.stringify({ ...cp, signature: flip(cp.signature) }));
    expect(await verify()).toMatchObject({ ok: false, problem: 'checkpoint' });
    writeFileSync(cpFile, goodCp);

    const i = original.findIndex((l) => l.includes('"type":"audit.checkpoint"'));
    const rec = JSON.parse(original[i] as string) as Line;
    const lines = [...original];
    lines[i] = (lines[i] as string).replace(rec.event.signature as string, flip(rec.event.signature as string));
    rewrite(lines);
    expect(await verify()).toMatchObject({ ok: false, problem: 'edited', line: i + 1 });
    rewrite(reforge(lines, i));
    expect(await verify({ checkpoint: false })).toMatchObject({ ok: false, problem: 'signature', line: i + 1 });
  });

  it('a signed log read without the public key still verifies its chain, and says nothing about signatures', async () => {
    const { log } = await setup('signed');
    const result = await verifyAuditLog(log);
    expect(result).toMatchObject({ ok: true, events: 10 });
    expect(result.signedThrough).toBeUndefined();
  });

  it('expectHead: the same head passes, another hash at that seq or a seq past the end fails, bad input is E_INVALID_CONFIG', async () => {
    const { verify, final } = await setup('signed');
    expect(await verify({ expectHead: final.head })).toMatchObject({ ok: true });
    expect(await verify({ expectHead: { seq: final.head.seq, hash: 'a'.repeat(64) } })).toMatchObject({ ok: false, problem: 'head' });
    expect(await verify({ expectHead: { seq: final.head.seq + 5, hash: final.head.hash } })).toMatchObject({ ok: false, problem: 'head' });
    await expect(verify({ expectHead: { seq: 0, hash: 'zz' } })).rejects.toMatchObject({ code: 'E_INVALID_CONFIG', argument: 'expectHead' });
    await expect(verify({ publicKey: 'not a key' })).rejects.toMatchObject({ code: 'E_INVALID_CONFIG', argument: 'publicKey' });
    await expect(verify({ expectedHead: final.head } as object)).rejects.toMatchObject({ code: 'E_INVALID_CONFIG' });
  });
});

describe('signing: when checkpoints are written', () => {
  it('every checkpointEvery events, at least once a minute while events arrive, and at close', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    let now = Date.parse('2024-01-01T00:00:00Z');
    const sink = createJsonlAuditSink(log, {
      fsync: 'never',
      signingKey: SIGNING.privateKey,
      checkpointEvery: 1000,
      fsyncIntervalMs: 5,
      clock: () => now,
    });
    sink.write(decision(1));
    await sink.flush();
    expect(sink.stats().signatures).toBe(0);
    now += 61_000;
    sink.write(decision(2));
    // A minute passed with events unsigned: the timer signs them.
    await vi.waitFor(() => expect(sink.stats().signatures).toBe(1), { timeout: 5000, interval: 5 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sink.stats().signatures).toBe(1);
    sink.write(decision(3));
    await sink.close();
    expect(sink.stats().signatures).toBe(2);
    const result = await verifyAuditLog(log, { publicKey: SIGNING.publicKey });
    expect(result).toMatchObject({ ok: true, events: 3, signedThrough: result.head.seq });
    const types = readFileSync(log, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as Line).event.type);
    expect(types).toEqual(['audit.start', 'decision', 'decision', 'audit.checkpoint', 'decision', 'audit.checkpoint']);
  });

  it('rotation keeps signing: every file ends signed and verifies on its own, chained to the one before', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    const sink = createJsonlAuditSink(log, { fsync: 'never', signingKey: SIGNING.privateKey, maxBytes: 2000 });
    for (let i = 1; i <= 20; i++) {
      sink.write(decision(i));
      await sink.flush();
    }
    await sink.close();
    const rotations = sink.stats().rotations;
    expect(rotations).toBeGreaterThanOrEqual(2);
    const files = [...Array.from({ length: rotations }, (_, i) => `${log}.${i + 1}`), log];
    let previous: { seq: number; hash: string } | undefined;
    for (const file of files) {
      const result = await verifyAuditLog(file, { publicKey: SIGNING.publicKey });
      expect(result, file).toMatchObject({ ok: true, signedThrough: result.head.seq });
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      const first = JSON.parse(lines[0] as string) as Line;
      expect((JSON.parse(lines.at(-1) as string) as Line).event.type).toBe('audit.checkpoint');
      if (previous !== undefined) expect(first.event.previous).toMatchObject({ seq: previous.seq, hash: previous.hash });
      previous = result.head;
    }
  });

  it('accepts a KeyObject; refuses keys that are not Ed25519 private keys and checkpointEvery without a key, creating nothing', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const bad: [object, RegExp][] = [
      [{ signingKey: 'garbage' }, /PKCS#8/],
      [{ signingKey: SIGNING.publicKey }, /Ed25519 private key/],
      [{ signingKey: rsa.privateKey }, /Ed25519 private key, got a rsa private key/],
      [{ signingKey: 42 }, /got number/],
      [{ checkpointEvery: 10 }, /checkpointEvery needs signingKey/],
      [{ signingKey: SIGNING.privateKey, checkpointEvery: 0 }, /checkpointEvery must be an integer from 1, not 0/],
    ];
    for (const [options, message] of bad) {
      expect(() => createJsonlAuditSink(log, options as never), JSON.stringify(options)).toThrowError(message);
      expect(existsSync(log)).toBe(false);
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    const sink = createJsonlAuditSink(log, { signingKey: privateKey });
    return sink.close();
  });
});

describe('sink options', () => {
  it('refuses unknown keys naming the closest one, and the old onFailure name, before creating anything', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    expect(() => createJsonlAuditSink(log, { fsynk: 'always' } as never)).toThrowError(/unknown option "fsynk" \(did you mean "fsync"\?\)/);
    try {
      createJsonlAuditSink(log, { onFailure: 'deny' } as never);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'E_INVALID_CONFIG', argument: 'onFailure' });
      expect((error as Error).message).toMatch(/renamed "whenUnwritable"/);
    }
    expect(() => createJsonlAuditSink(log, { whenUnwritable: 'admit' } as never)).toThrowError(/whenUnwritable must be 'deny' or 'buffer'/);
    expect(existsSync(log)).toBe(false);
  });
});

describe('verification answers', () => {
  it('with neither key nor public key, a log without checkpoint says checkpoint: false', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    const sink = createJsonlAuditSink(log, { checkpoint: false });
    sink.write(decision(1));
    await sink.close();
    const result: AuditVerification = await verifyAuditLog(log);
    expect(result).toMatchObject({ ok: true, checkpoint: false, events: 1 });
  });
});

describe('warning events', () => {
  it("the sink records the gate's warning events and the report counts them in its audit section", async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    const sink = createJsonlAuditSink(log, { fsync: 'never' });
    const source = fakeSource();
    sink.attach(source);
    const warning = (code: 'forwarded-header-untrusted' | 'trust-all-proxies', peer?: string) => ({
      type: 'warning' as const,
      time: '2024-06-01T00:00:00.000Z',
      code,
      message: `${code}: check trustedProxies`,
      ...(peer === undefined ? {} : { peer }),
    });
    source.emit('warning', warning('forwarded-header-untrusted', '10.0.0.0'));
    source.emit('warning', warning('forwarded-header-untrusted', '10.1.0.0'));
    source.emit('warning', warning('trust-all-proxies'));
    source.emit('decision', decision(1));
    await sink.close();
    const recorded = readFileSync(log, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as Line).event);
    expect(recorded.filter((e) => e.type === 'warning')).toEqual([
      warning('forwarded-header-untrusted', '10.0.0.0'),
      warning('forwarded-header-untrusted', '10.1.0.0'),
      warning('trust-all-proxies'),
    ]);
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, events: 4 });
    const report = await buildTransparencyReport(log);
    expect(report.audit).toMatchObject({ events: 4, warnings: 3, warningsByCode: { 'forwarded-header-untrusted': 2, 'trust-all-proxies': 1 } });
  });

  it('a real gate trusting every proxy: the sink attached right after creation records its trust-all-proxies warning', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    const gate = createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN' }), trustedProxies: ['0.0.0.0/0'] });
    const sink = createJsonlAuditSink(log, { fsync: 'never' });
    sink.attach(gate);
    await new Promise((resolve) => setImmediate(resolve));
    await sink.close();
    await gate.close?.();
    const report = await buildTransparencyReport(log);
    expect(report.audit.warningsByCode).toEqual({ 'trust-all-proxies': 1 });
  });
});
