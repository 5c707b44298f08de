/**
 * Numbers and choices in options are checked one way in every factory: the
 * same `E_INVALID_CONFIG`, the argument named, and one message shape
 * (`<factory>: <option> must be <what>, not <value>`). Nothing is created
 * when an option is refused.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { createConsole } from 'geoadmit/console';
import { STATIC_TABLE } from './helpers/fixtures.js';
import { makeTempDir } from './helpers/temp-dir.js';

const TOKEN = 'x'.repeat(43);
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function refusal(fn: () => unknown): { code?: string; argument?: string; message: string } | undefined {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; argument?: string; message: string };
  }
  return undefined;
}

describe('number and choice options, one way everywhere', () => {
  test('the audit sink: counts, durations and choices', () => {
    const { dir, cleanup } = makeTempDir('geoadmit-options-');
    cleanups.push(cleanup);
    const log = join(dir, 'audit.jsonl');
    const cases: [object, string, RegExp][] = [
      [{ bufferLimit: -1 }, 'bufferLimit', /^createJsonlAuditSink: bufferLimit must be an integer from 0, not -1$/],
      [{ bufferLimit: 1.5 }, 'bufferLimit', /^createJsonlAuditSink: bufferLimit must be an integer from 0, not 1\.5$/],
      [{ maxBytes: 0 }, 'maxBytes', /^createJsonlAuditSink: maxBytes must be an integer from 1, not 0$/],
      [{ fsyncIntervalMs: Number.NaN }, 'fsyncIntervalMs', /^createJsonlAuditSink: fsyncIntervalMs must be a positive number of milliseconds/],
      [{ retryIntervalMs: 0 }, 'retryIntervalMs', /^createJsonlAuditSink: retryIntervalMs must be a positive number of milliseconds/],
      [{ fsync: 'sometimes' }, 'fsync', /^createJsonlAuditSink: fsync must be 'always' or 'interval' or 'never', not /],
      [{ whenUnwritable: 'admit' }, 'whenUnwritable', /^createJsonlAuditSink: whenUnwritable must be 'deny' or 'buffer', not /],
    ];
    for (const [options, argument, message] of cases) {
      const e = refusal(() => createJsonlAuditSink(log, options as never));
      expect(e?.code, JSON.stringify(options)).toBe('E_INVALID_CONFIG');
      expect(e?.argument).toBe(argument);
      expect(e?.message).toMatch(message);
      expect(existsSync(log)).toBe(false);
    }
  });

  test('the console: body limit and intervals', async () => {
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never) });
    const cases: [object, string, RegExp][] = [
      [{ maxBodyBytes: 0 }, 'maxBodyBytes', /^createConsole: maxBodyBytes must be an integer from 1, not 0$/],
      [{ maxBodyBytes: 10.5 }, 'maxBodyBytes', /^createConsole: maxBodyBytes must be an integer from 1, not 10\.5$/],
      [{ heartbeatMs: -5 }, 'heartbeatMs', /^createConsole: heartbeatMs must be a positive number of milliseconds/],
      [{ overviewIntervalMs: 2 ** 40 }, 'overviewIntervalMs', /^createConsole: overviewIntervalMs must be a positive number of milliseconds/],
      [{ overviewIntervalMs: '2000' }, 'overviewIntervalMs', /, not "2000"$/],
    ];
    for (const [options, argument, message] of cases) {
      const e = refusal(() => createConsole(gate, { token: TOKEN, ...options } as never));
      expect(e?.code, JSON.stringify(options)).toBe('E_INVALID_CONFIG');
      expect(e?.argument).toBe(argument);
      expect(e?.message).toMatch(message);
    }
    // The same shape as the gate's own duration options.
    const g = refusal(() => createGate({ geo: new StaticResolver(STATIC_TABLE as never), removalTimeoutMs: -5 }));
    expect(g?.message).toMatch(/^createGate: removalTimeoutMs must be a positive number of milliseconds/);
    await gate.close();
  });
});
