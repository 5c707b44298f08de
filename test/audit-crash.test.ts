import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { generateAuditSigningKeys, verifyAuditLog } from 'geoadmit/audit';
import { tempDir } from './fixtures/audit/helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** Run the child until it reported a good number of lines, SIGKILL it, and return what it reported. */
async function killMidStream(log: string, dir: { file: (name: string) => string }, extra: string[] = []): Promise<number[]> {
  const script = dir.file('child.mjs');
  // The child is TypeScript importing src/: bundle it to plain ESM for node.
  buildSync({
    entryPoints: [fileURLToPath(new URL('./fixtures/audit/crash-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: script,
    logLevel: 'silent',
  });
  const child = spawn(process.execPath, [script, log, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Kill mid-stream, once a good number of lines were reported written.
      if (out.split('\n').length > 300) resolve();
    });
    void exited.then(() => resolve());
  });
  child.kill('SIGKILL');
  expect(await exited, stderr).toBe('SIGKILL');
  return out
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

function seqsIn(log: string): number[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return (JSON.parse(l) as { seq: number }).seq;
      } catch {
        return -1;
      }
    });
}

describe('audit sink crash safety', () => {
  it('a SIGKILLed writer leaves a log that verifies and holds every line it reported written', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    const reported = await killMidStream(log, t);
    const lastReported = Math.max(...reported);
    const result = await verifyAuditLog(log);
    // A clean prefix always verifies; a torn last line is reported as a truncated tail, never as tampering.
    if (!result.ok) expect(result.problem).toBe('truncated');
    expect(result.lastSeq).toBeGreaterThanOrEqual(lastReported);
    const seqs = seqsIn(log);
    for (const seq of reported) expect(seqs).toContain(seq);
  });

  it('SIGKILL while signing leaves a signed log that verifies with the public key up to its last complete record', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('audit.jsonl');
    const keys = generateAuditSigningKeys();
    const keyFile = t.file('audit-signing.key');
    writeFileSync(keyFile, keys.privateKey, { mode: 0o600 });
    const reported = await killMidStream(log, t, [keyFile]);
    const lastReported = Math.max(...reported);
    const result = await verifyAuditLog(log, { publicKey: keys.publicKey });
    const complete = readFileSync(log, 'utf8').split('\n').slice(0, -1);
    if (!result.ok) {
      // Only a torn final write, right after the last complete record.
      expect(result.problem).toBe('truncated');
      expect(result.line).toBe(complete.length + 1);
    }
    expect(result.head.seq).toBe(JSON.parse(complete.at(-1) as string).seq);
    expect(result.head.seq).toBeGreaterThanOrEqual(lastReported);
    // Signed records were written every 50 events before the kill, and they verify.
    expect(result.signedThrough).toBeGreaterThanOrEqual(50);
    expect(complete.filter((l) => l.includes('"type":"audit.checkpoint"')).length).toBeGreaterThanOrEqual(1);
    for (const seq of reported) expect(seqsIn(log)).toContain(seq);
  });
});
