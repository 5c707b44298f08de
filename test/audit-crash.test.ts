import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../src/audit/index.js';
import { tempDir } from './fixtures/audit/helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

describe('audit sink crash safety', () => {
  it('a SIGKILLed writer leaves a log that verifies and holds every line it reported written', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const script = t.file('child.mjs');
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
    const log = t.file('audit.jsonl');
    const child = spawn(process.execPath, [script, log], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Kill mid-stream, once a good number of lines were reported durable.
        if (out.split('\n').length > 300) resolve();
      });
      void exited.then(() => resolve());
    });
    child.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');

    const reported = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    const lastReported = Math.max(...reported);
    const result = await verifyAuditLog(log);
    // A clean prefix always verifies; a torn last line is reported as a truncated tail, never as tampering.
    if (!result.ok) expect(result.problem).toBe('truncated');
    expect(result.lastSeq).toBeGreaterThanOrEqual(lastReported);
    const seqs = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => {
      try {
        return (JSON.parse(l) as { seq: number }).seq;
      } catch {
        return -1;
      }
    });
    for (const seq of reported) expect(seqs).toContain(seq);
  });
});
