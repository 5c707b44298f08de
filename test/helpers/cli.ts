/**
 * Run the `geoadmit` CLI as a subprocess, built from source with esbuild once
 * per test worker. The bundle lives under `.tmp/` in the repository so its
 * external imports resolve from `node_modules`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { afterAll } from 'vitest';
import { makeTempDir as makeTemp } from './temp-dir.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let built: string | undefined;

/** Path of the built CLI (`node <path> ...`); built on first use, removed after the test file. */
export function cliPath(): string {
  if (built !== undefined) return built;
  const dir = join(ROOT, '.tmp', `cli-${process.pid}-${threadId}`);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'cli.mjs');
  buildSync({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  built = outfile;
  return outfile;
}

// Vitest ends its workers without an orderly `exit`, so clean up from the test file's own lifecycle.
afterAll(() => {
  if (built !== undefined) rmSync(dirname(built), { recursive: true, force: true });
  built = undefined;
});

/** What a CLI run produced. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runCliProcess}. */
export interface CliRunOptions {
  cwd?: string;
  /** Written to the child's stdin (then closed). */
  input?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** Spawn `node cli.mjs ...args`; colors off so output can be compared as text. */
export function runCliProcess(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const file = cliPath();
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
    delete env['FORCE_COLOR'];
    const child = spawn(process.execPath, [file, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the CLI may exit before reading stdin
    child.stdin.end(options.input ?? '');
  });
}

/** A fresh directory under the OS temp dir, and a function removing it (the one helper, re-exported for CLI tests). */
export function makeTempDir(prefix = 'geoadmit-cli-'): { dir: string; cleanup: () => void } {
  return makeTemp(prefix);
}

/** A CN takedown on meeting m-1001 (enforced), and a dry-run HK host policy on account acct-7. */
export const CLI_RESTRICTIONS = [
  {
    id: 'req-cn',
    kind: 'takedown',
    authority: { name: 'Example Authority', jurisdiction: 'CN' },
    regions: ['CN'],
    scope: { meetings: ['m-1001'] },
    reference: 'letter 2020-117',
  },
  {
    id: 'pol-hk',
    kind: 'host-policy',
    regions: ['HK'],
    scope: { hostAccounts: ['acct-7'] },
    mode: 'dry-run',
  },
] as const;
