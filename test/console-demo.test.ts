import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/temp-dir.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { dir: tmp, cleanup } = makeTempDir('geoadmit-demo-console-test-');
afterAll(cleanup);

describe('npm run demo -- --console', () => {
  it('prints the console URL and a one-time token, serves the four meetings, and stops cleanly on SIGTERM', async () => {
    const { FORCE_COLOR: _ignored, ...env } = process.env;
    const child = spawn(process.execPath, ['examples/demo.mjs', '--console'], { cwd: root, env: { ...env, NO_COLOR: '1', TMPDIR: tmp } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => out, { timeout: 30_000 }).toMatch(/token: +\S+/);
      const url = /console: (http:\/\/127\.0\.0\.1:\d+\/console\/)/.exec(out)?.[1];
      const token = /token: +(\S+)/.exec(out)?.[1];
      expect(url).toBeDefined();
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(out).toContain('13 participants in 4 meetings are connected over WebSockets');

      expect((await fetch(url!)).status).toBe(200);
      expect((await fetch(`${url}api/overview`)).status).toBe(401);
      const overview = (await (await fetch(`${url}api/overview`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        meetings: { meetingId: string; countries: Record<string, number> }[];
      };
      expect(overview.meetings.map((m) => m.meetingId)).toEqual(['meeting-A', 'meeting-B', 'meeting-C', 'meeting-D']);
      expect(overview.meetings[1]!.countries).toEqual({ US: 1, HK: 1, CN: 2 });

      // A demand through the console closes the mainland participants' sockets; the demo says so.
      const demand = {
        id: 'd-1',
        kind: 'takedown',
        authority: { name: 'Example Authority', jurisdiction: 'CN' },
        regions: ['CN'],
        scope: { meetings: ['meeting-B'] },
      };
      const post = (path: string, body: unknown) =>
        fetch(url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const { digest } = (await (await post('api/preview', { restriction: demand })).json()) as { digest: string };
      expect((await post('api/restrictions', { restriction: demand, digest })).status).toBe(201);
      await expect.poll(() => out).toMatch(/guest-B2 \(CN\): connection closed 4451 removed/);
      await expect.poll(() => out).toMatch(/guest-B3 \(CN\): connection closed 4451 removed/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('stopping');
    expect(err).toBe('');
  }, 60_000);
});
