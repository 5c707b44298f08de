import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliExitCode, runCli, type CliIo } from '../src/cli/index.js';
import { makeTempDir, runCliProcess } from './helpers/cli.js';

const COMMANDS = [['lookup'], ['check'], ['validate'], ['replay'], ['build-db'], ['report'], ['audit', 'verify']];

describe('--help', () => {
  it('the program lists every command and the exit codes', async () => {
    const run = await runCliProcess(['--help']);
    expect(run.code).toBe(0);
    for (const [name] of COMMANDS) expect(run.stdout).toContain(`  ${name} `);
    expect(run.stdout).toContain('Exit codes: 0 fine, 1 denied or findings, 2 bad usage or unreadable input.');
    expect(run.stderr).toBe('');
  });

  for (const cmd of COMMANDS) {
    it(`geoadmit ${cmd.join(' ')} --help shows usage and an example`, async () => {
      const run = await runCliProcess([...cmd, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: geoadmit ${cmd.join(' ')} `));
      expect(run.stdout).toMatch(new RegExp(`Example:\\n  \\$ geoadmit ${cmd.join(' ')} `));
      expect(run.stdout).toContain('--json');
      expect(run.stderr).toBe('');
    });
  }

  it('does not list the hidden --stats flag', async () => {
    const run = await runCliProcess(['replay', '--help']);
    expect(run.stdout).not.toContain('--stats');
  });

  it('an unknown option or command is one line with exit 2', async () => {
    for (const args of [['lookup', '--frobnicate', '1.2.4.8'], ['frobnicate']]) {
      const run = await runCliProcess(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^geoadmit: (unknown option '--frobnicate'|unknown command 'frobnicate') \(see --help\)\n$/);
    }
  });

  it('no command at all prints the usage on stderr with exit 2', async () => {
    const run = await runCliProcess([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Usage: geoadmit /);
  });
});

/** Collects what the CLI writes. */
function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) }, stdin: new PassThrough() },
    out: () => out,
    err: () => err,
  };
}

describe('runCli (in-process)', () => {
  it('returns the exit code and writes to the given streams, never exiting the process', async () => {
    const c = capture();
    const code = await runCli(['lookup', '--json', '1.2.4.8'], c.io);
    expect(code).toBe(CliExitCode.Ok);
    expect(JSON.parse(c.out()).results[0].location.country).toBe('CN');

    const bad = capture();
    expect(await runCli(['check'], bad.io)).toBe(CliExitCode.Usage);
    expect(bad.err()).toMatch(/^geoadmit: required option/);
    expect(bad.out()).toBe('');
  });

  it('reads stdin from the given stream', async () => {
    const c = capture();
    const stdin = new PassThrough();
    stdin.end('not json\n');
    const restrictions = new URL('./helpers/', import.meta.url).pathname;
    // A directory as the restrictions file: refused before stdin is read.
    expect(await runCli(['replay', '-', '--restrictions', restrictions], { ...c.io, stdin })).toBe(CliExitCode.Usage);
    expect(c.err()).toMatch(/is a directory/);
  });

  it('shows a progress bar on a terminal stderr during replay, and none with --no-progress', async () => {
    const tmp = makeTempDir();
    try {
      const log = join(tmp.dir, 'joins.jsonl');
      writeFileSync(log, Array.from({ length: 5000 }, (_, i) => JSON.stringify({ meetingId: 'm', participantId: `p${i}`, peerAddress: '8.8.8.8' })).join('\n'));
      const restrictions = join(tmp.dir, 'r.json');
      writeFileSync(restrictions, '[]');
      const tty = capture();
      (tty.io.stderr as { isTTY?: boolean }).isTTY = true;
      expect(await runCli(['replay', log, '--restrictions', restrictions], { ...tty.io, env: {} })).toBe(0);
      expect(tty.err()).toMatch(/replay \[[█░]+\] \d+%/);
      const quiet = capture();
      (quiet.io.stderr as { isTTY?: boolean }).isTTY = true;
      await runCli(['replay', log, '--restrictions', restrictions, '--no-progress'], { ...quiet.io, env: {} });
      expect(quiet.err()).not.toMatch(/replay \[/);
    } finally {
      tmp.cleanup();
    }
  });

  it('honours NO_COLOR and colors only terminals', async () => {
    const tty = capture();
    (tty.io.stdout as { isTTY?: boolean }).isTTY = true;
    await runCli(['lookup', '1.2.4.8'], { ...tty.io, env: {} });
    expect(tty.out()).toContain('\u001b[');
    const noColor = capture();
    (noColor.io.stdout as { isTTY?: boolean }).isTTY = true;
    await runCli(['lookup', '1.2.4.8'], { ...noColor.io, env: { NO_COLOR: '1' } });
    expect(noColor.out()).not.toContain('\u001b[');
    const pipe = capture();
    await runCli(['lookup', '1.2.4.8'], { ...pipe.io, env: {} });
    expect(pipe.out()).not.toContain('\u001b[');
  });
});
