/**
 * The ordering guarantees (docs/enforcement.md), one test per race found in review (issue 12): each interleaving is
 * forced with deferred promises or a clock the test steps by hand.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver, type GateEventMap, type GateOptions, type ParticipantRef } from 'geoadmit';
import { steppingClock } from './helpers/stepping-clock.js';
import { join, STATIC_TABLE, takedown } from './helpers/fixtures.js';

const CN = '1.2.4.8';
const US = '8.8.8.8';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(options: Partial<GateOptions> = {}) {
  const removedCalls: ParticipantRef[] = [];
  const events: GateEventMap[keyof GateEventMap][] = [];
  const gate = createGate({
    geo: new StaticResolver(STATIC_TABLE as never),
    onRemove: (p) => {
      removedCalls.push(p);
    },
    ...options,
  });
  for (const t of ['decision', 'removal', 'restriction.accepted', 'restriction.refused', 'restriction.lifted', 'error'] as const)
    gate.on(t, (e) => events.push(e));
  return { gate, removedCalls, events };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ordering races', () => {
  it('1. a join decided while a takedown is registered does not stay admitted', async () => {
    const release = deferred();
    const { gate, removedCalls } = setup({ rules: [{ name: 'slow', evaluate: () => release.promise.then(() => undefined) }] });
    const admitting = gate.admit(join(CN, { participantId: 'p-cn' }));
    await tick();
    const result = await gate.restrict(takedown());
    release.resolve();
    const decision = await admitting;
    // Either denied, or admitted and then removed through onRemove.
    if (decision.admitted) {
      await tick();
      expect(removedCalls).toEqual([{ meetingId: 'm-1', participantId: 'p-cn' }]);
    } else {
      expect(decision.reasons).toContainEqual(expect.objectContaining({ code: 'region-restricted', restrictionId: 'req-1' }));
    }
    expect(gate.participants('m-1')).toEqual([]);
    expect(result.restriction.id).toBe('req-1');
  });

  it('2. a lift during an in-flight removal stays lifted', async () => {
    const kick = deferred();
    const calls: string[] = [];
    const { gate, events } = setup({
      onRemove: (p) => {
        calls.push(p.participantId);
        return kick.promise;
      },
    });
    await gate.admit(join(CN, { participantId: 'p-old' }));
    const restricting = gate.restrict(takedown());
    await tick();
    await gate.lift('req-1');
    await tick();
    const late = await gate.admit(join(CN, { participantId: 'p-after-lift' }));
    expect(late.admitted).toBe(true);
    kick.resolve();
    await restricting;
    for (let i = 0; i < 5; i++) await tick();
    expect(calls).toEqual(['p-old']);
    expect(gate.participants('m-1').map((p) => p.participantId)).toEqual(['p-after-lift']);
    expect(gate.restrictions()).toEqual([]);
    expect(events.filter((e) => e.type.startsWith('restriction.')).map((e) => e.type)).toEqual(['restriction.accepted', 'restriction.lifted']);
  });

  it('3. a re-join during an in-flight removal keeps the new roster entry', async () => {
    const kick = deferred();
    const { gate } = setup({ onRemove: () => kick.promise });
    await gate.admit(join(CN, { participantId: 'p-x' }));
    const restricting = gate.restrict(takedown());
    await tick();
    const again = await gate.admit(join(US, { participantId: 'p-x' }));
    expect(again.admitted).toBe(true);
    kick.resolve();
    const result = await restricting;
    expect(result.removed).toEqual([{ meetingId: 'm-1', participantId: 'p-x' }]);
    expect(gate.participants('m-1')).toEqual([{ meetingId: 'm-1', participantId: 'p-x' }]);
    expect(gate.overview('m-1')[0]?.countries).toEqual({ US: 1 });
  });

  it('4. an onRemove that never settles leaves the participant pending after removalTimeoutMs', async () => {
    const { gate, events } = setup({ onRemove: () => new Promise<void>(() => {}), removalTimeoutMs: 50 } as Partial<GateOptions>);
    await gate.admit(join(CN, { participantId: 'p-stuck' }));
    const outcome = await Promise.race([gate.restrict(takedown()), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 3_000))]);
    expect(outcome).not.toBe('hung');
    if (outcome === 'hung') return;
    expect(outcome.removed).toEqual([]);
    expect(outcome.pending).toEqual([{ meetingId: 'm-1', participantId: 'p-stuck' }]);
    expect(gate.pendingRemovals().map((p) => p.participant.participantId)).toEqual(['p-stuck']);
    expect(events.filter((e) => e.type === 'removal')).toEqual([expect.objectContaining({ participantId: 'p-stuck', status: 'pending' })]);
    // Still present: nothing reports a removal that did not happen.
    expect(gate.participants('m-1')).toEqual([{ meetingId: 'm-1', participantId: 'p-stuck' }]);
  });

  it('5. a rule waiting on ruleTimeoutMs keeps the process alive until it decides', () => {
    const repo = fileURLToPath(new URL('../', import.meta.url));
    const dir = joinPath(repo, '.tmp', `ordering-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const script = joinPath(dir, 'timed-out-rule.mjs');
    try {
      buildSync({
        stdin: {
          contents: `
            import { createGate, StaticResolver } from 'geoadmit';
            const gate = createGate({
              geo: new StaticResolver({ '8.8.8.0/24': 'US' }),
              rules: [{ name: 'hangs', evaluate: () => new Promise(() => {}) }],
              ruleTimeoutMs: 200,
            });
            gate.admit({ meetingId: 'm', participantId: 'p', peerAddress: '8.8.8.8' }).then((d) => {
              console.log(JSON.stringify({ admitted: d.admitted, codes: d.reasons.map((r) => r.code) }));
            });
          `,
          loader: 'ts',
          resolveDir: repo,
        },
        outfile: script,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        alias: { geoadmit: joinPath(repo, 'src/index.ts') },
        logLevel: 'error',
      });
      const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout.trim())).toEqual({ admitted: false, codes: ['rule'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('6. a restriction that becomes active again after the clock stepped back removes who joined meanwhile', async () => {
    const T = Date.parse('2020-06-04T00:00:00Z');
    const clock = steppingClock(T + 10_000);
    const { gate, removedCalls } = setup({ clock });
    await gate.restrict(takedown({ validFrom: '2020-06-04T00:00:00Z' }));
    clock.step(T - 60_000); // e.g. NTP corrects a clock that ran fast
    const d = await gate.admit(join(CN, { participantId: 'p-while-behind' }));
    expect(d.admitted).toBe(true); // the restriction has not started by this clock
    clock.step(T + 1);
    await tick();
    expect(removedCalls).toEqual([{ meetingId: 'm-1', participantId: 'p-while-behind' }]);
    expect(gate.participants('m-1')).toEqual([]);
  });
});
