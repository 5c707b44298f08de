import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/temp-dir.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// The demo writes its audit log and report under os.tmpdir(); give it a private one.
const { dir: tmp, cleanup } = makeTempDir('geoadmit-demo-test-');
afterAll(cleanup);

describe('npm run demo', () => {
  // As when piped to a file: no FORCE_COLOR (vitest sets it), NO_COLOR respected.
  const { FORCE_COLOR: _ignored, ...env } = process.env;
  const run = spawnSync(process.execPath, ['examples/demo.mjs'], {
    cwd: root,
    env: { ...env, NO_COLOR: '1', TMPDIR: tmp },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const out = run.stdout;

  it('finishes by itself with exit code 0 and plain output without a terminal', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(out).not.toMatch(/\u001b\[/);
  });

  it('locates the participants, including a private and a malformed address', () => {
    expect(out).toMatch(/guest-B2 \(CN\)\s+1\.2\.4\.8 .*→ CN via 1\.2\.4\.0\/22\s+✔ admitted/);
    expect(out).toMatch(/guest-A \(HK\)\s+202\.181\.0\.1 .*→ HK via/);
    expect(out).toMatch(/192\.168\.1\.20 .*unknown location \(non-global\)/);
    expect(out).toMatch(/0x7f\.1 .*unknown location \(invalid-address\)/);
  });

  it('removes only mainland participants, leaves meeting A undisturbed, reaches acct-d and refuses Hong Kong', () => {
    expect(out).toContain('removed guest-B2 (CN) from meeting-B, guest-B3 (CN) from meeting-B, guest-C2 (CN) from meeting-C');
    expect(out).toContain('meeting-A had nobody in mainland China: left undisturbed');
    expect(out).toMatch(/guest-B4 \(CN\).*denied: HTTP 451 unavailable-for-legal-reasons — no socket was opened/);
    expect(out).toMatch(/the participant sees: “This meeting is not available in mainland China/);
    expect(out).toContain('removed guest-D1 (CN) from meeting-D');
    expect(out).toContain('422 E_OUT_OF_JURISDICTION');
    expect(out).toContain('meeting-B: 2 present — host-B (US), guest-B1 (HK)');
    expect(out).toContain('meeting-C: 3 present — host-C (HK), guest-C1 (US), guest-C3 (LAN)');
    expect(out).toContain('meeting-D: 2 present — host-D (US), guest-D2 (?)');
  });

  it('shows what a removed participant saw: the message and the notice first, then close 4451 with the notice as reason', () => {
    const seen = /what guest-B2 \(CN\) saw, in order:\n(.*)\n(.*)\n(.*)\n/.exec(out);
    expect(seen?.[1]).toMatch(/message\s+“You were removed from this meeting because of a legal restriction/);
    expect(seen?.[2]).toMatch(/notice\s+“This meeting is not available in mainland China.*” · appeal: https:\/\/transparency\.example\.org\/appeal/);
    expect(seen?.[3]).toMatch(/close\s+4451 “This meeting is not available in mainland China/);
    expect(out).toContain('host-B sees only "participant-left" for guest-B');
  });

  it('prints the transparency report and writes it as HTML next to a verified audit log', () => {
    expect(out).toMatch(/hash chain intact/);
    expect(out).toContain('# Transparency report');
    expect(out).toMatch(/\| Meetings ended \| 0 \|/);
    const htmlPath = /HTML report: (\S+)/.exec(out)?.[1];
    expect(htmlPath?.startsWith(tmp)).toBe(true);
    expect(existsSync(htmlPath!)).toBe(true);
    expect(readFileSync(htmlPath!, 'utf8')).toMatch(/^<!doctype html>/i);
    // The bundle the launcher built is gone.
    expect(readdirSync(join(root, '.tmp')).filter((f) => f.startsWith('demo-'))).toEqual([]);
  });
});
