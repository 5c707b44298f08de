/**
 * Starts and stops real Janus processes (Debian's `janus` package) for tests:
 * a generated configuration in a temporary directory, only the HTTP
 * transport (on a free loopback port) and only the VideoRoom plugin, no
 * admin interface, logging to stdout. Nothing reaches the network.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { JanusSession } from '../../examples/janus-videoroom/janus-client.js';

/** Path of the janus binary, or undefined when it is not installed. */
export const janusPath: string | undefined = (() => {
  const found = spawnSync('/bin/sh', ['-c', 'command -v janus'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
})();

/** Janus's module folder (`…/janus` holding `plugins/` and `transports/`): Debian puts it under the multiarch lib dir. */
function janusLibDir(): string | undefined {
  const candidates = ['/usr/lib/janus', '/usr/local/lib/janus', '/opt/janus/lib/janus'];
  for (const entry of existsSync('/usr/lib') ? readdirSync('/usr/lib') : []) {
    if (entry.endsWith('-linux-gnu')) candidates.unshift(join('/usr/lib', entry, 'janus'));
  }
  return candidates.find((dir) => existsSync(join(dir, 'plugins', 'libjanus_videoroom.so')) && existsSync(join(dir, 'transports', 'libjanus_http.so')));
}

const libDir = janusPath === undefined ? undefined : janusLibDir();

/** True when tests can start a real Janus with the VideoRoom plugin and the HTTP transport. */
export const hasJanus = libDir !== undefined;

/**
 * `describe` for tests that need Janus: skipped with a visible warning when it
 * is missing, except under `GEOADMIT_REQUIRE_JANUS=1` (CI), where the missing
 * binary fails the run.
 */
export function describeWithJanus(name: string, body: () => void): void {
  if (!hasJanus) {
    const reason = janusPath === undefined ? 'janus not found on PATH' : 'janus found, but not its VideoRoom plugin and HTTP transport';
    if (process.env.GEOADMIT_REQUIRE_JANUS === '1') {
      test(`${name}: janus is installed (GEOADMIT_REQUIRE_JANUS=1)`, () => {
        throw new Error(`${reason}; install it: apt-get install janus`);
      });
    } else {
      console.warn(`Skipping "${name}": ${reason}. Install it with: apt-get install janus`);
    }
  }
  describe.skipIf(!hasJanus)(name, body);
}

/** A VideoRoom declared in the generated configuration. */
export interface TestRoom {
  id: number;
  secret: string;
}

/** A running (or stopped) test Janus. */
export interface TestJanus {
  readonly port: number;
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:40123/janus`. */
  readonly url: string;
  /** Everything Janus printed (it logs to stdout). */
  log(): string;
  /** SIGKILL (a crash) and wait for the process to exit. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: Janus hangs with its port open. */
  pause(): void;
  resume(): void;
  /** Start again on the same port with the same configuration (rooms come back empty). */
  start(): Promise<void>;
  /** Janus's own list of a room's participants (VideoRoom `listparticipants`). */
  listParticipants(room: number): Promise<{ id: number; display?: string }[]>;
  /** Stop Janus and remove its directory. */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Write the configuration folder: a modules folder holding only the VideoRoom plugin and the HTTP transport. */
function writeConfig(dir: string, port: number, rooms: readonly TestRoom[]): void {
  const lib = libDir as string;
  for (const sub of ['plugins', 'transports', 'none']) mkdirSync(join(dir, sub), { recursive: true });
  symlinkSync(join(lib, 'plugins', 'libjanus_videoroom.so'), join(dir, 'plugins', 'libjanus_videoroom.so'));
  symlinkSync(join(lib, 'transports', 'libjanus_http.so'), join(dir, 'transports', 'libjanus_http.so'));
  writeFileSync(
    join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${dir}/plugins"
  transports_folder = "${dir}/transports"
  events_folder = "${dir}/none"
  loggers_folder = "${dir}/none"
  log_to_stdout = true
  debug_level = 4
  session_timeout = 60
}
media: {
}
nat: {
}
`,
  );
  writeFileSync(
    join(dir, 'janus.transport.http.jcfg'),
    `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = ${port}
  ip = "127.0.0.1"
  https = false
}
admin: {
  admin_http = false
  admin_https = false
}
`,
  );
  writeFileSync(
    join(dir, 'janus.plugin.videoroom.jcfg'),
    `general: {
}
${rooms.map((r) => `room-${r.id}: {\n  description = "test room ${r.id}"\n  secret = "${r.secret}"\n  publishers = 10\n}\n`).join('')}`,
  );
}

/** Starts Janus on a free loopback port and resolves once its HTTP API answers. */
export async function startJanus(options: { rooms?: readonly TestRoom[] } = {}): Promise<TestJanus> {
  if (!hasJanus || janusPath === undefined) throw new Error('janus not found; install it: apt-get install janus');
  const binary = janusPath;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'geoadmit-janus-'));
  writeConfig(dir, port, options.rooms ?? []);
  const url = `http://127.0.0.1:${port}/janus`;
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    const proc = spawn(binary, ['-C', join(dir, 'janus.jcfg'), '-F', dir, '--disable-colors'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`janus exited (${proc.exitCode}) while starting:\n${output}`);
      try {
        const res = await fetch(`${url}/info`, { signal: AbortSignal.timeout(500) });
        if (res.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`janus did not answer on ${url} within 10 s:\n${output}`);
  }

  async function kill(): Promise<void> {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await exited;
  }

  await start();
  return {
    port,
    url,
    log: () => output,
    kill,
    pause: () => {
      if (child?.pid === undefined) return;
      child.kill('SIGSTOP');
      untilStopped(child.pid);
    },
    resume: () => child?.kill('SIGCONT'),
    start,
    async listParticipants(room) {
      const session = await JanusSession.create(url);
      try {
        const handle = await session.attach('janus.plugin.videoroom');
        const data = await session.request(handle, { request: 'listparticipants', room });
        return data.participants as { id: number; display?: string }[];
      } finally {
        await session.destroy();
      }
    },
    async dispose() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until every thread of `pid` is stopped. `kill` returns once SIGSTOP is
 * sent, not once it has taken effect: on a busy machine a request sent right
 * after could still be answered by a thread that had not stopped yet.
 */
function untilStopped(pid: number): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 2000;
  const stopped = (stat: string) => /^[tT]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  while (Date.now() < deadline) {
    let threads: string[];
    try {
      threads = readdirSync(`/proc/${pid}/task`);
    } catch {
      return; // gone: nothing left to answer
    }
    if (
      threads.every((tid) => {
        try {
          return stopped(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
        } catch {
          return true; // that thread exited
        }
      })
    )
      return;
    Atomics.wait(nap, 0, 0, 2);
  }
  throw new Error(`janus (pid ${pid}) did not stop within 2 s of SIGSTOP`);
}
