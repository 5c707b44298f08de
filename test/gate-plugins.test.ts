/** Rules and location sources: bounded, checked, never trusted blindly. */
import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';
import { join, recordEvents, STATIC_TABLE, takedown } from './helpers/fixtures.js';

describe('plugins', () => {
  it('a rule returning a never-settling thenable is bounded by ruleTimeoutMs', async () => {
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      rules: [{ name: 'thenable', evaluate: () => ({ then() {} }) as never }],
      ruleTimeoutMs: 30,
    });
    const events = recordEvents(gate);
    const d = await gate.admit(join('8.8.8.8'));
    expect(d.reasons).toEqual([expect.objectContaining({ code: 'rule', rule: 'thenable' })]);
    expect(events.some((e) => e.type === 'error' && e.context === 'rule')).toBe(true);
  });

  it("a location source's evidence is checked and canonicalised like a database answer", async () => {
    const evidence: Record<string, unknown> = {};
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      restrictions: [takedown()],
      locationSources: [{ name: 'dial-in', locate: (j) => (evidence[j.participantId] as never) ?? undefined }],
    });
    const events = recordEvents(gate);
    evidence.lower = { country: 'cn' };
    evidence.junk = { country: 'Narnia', subdivisions: 7 };
    evidence.partial = { country: 'CN', subdivisions: ['CN-22', 'US-CA', 42] };
    const lower = await gate.admit(join('10.0.0.1', { participantId: 'lower' }));
    expect(lower.admitted).toBe(false);
    expect(lower.location).toEqual({ country: 'CN', subdivisions: [], source: 'dial-in' });
    const junk = await gate.admit(join('10.0.0.1', { participantId: 'junk' }));
    expect(junk.admitted).toBe(true);
    expect(junk.location.unknown).toBe('non-global');
    expect(events.some((e) => e.type === 'error' && e.message.includes('dial-in'))).toBe(true);
    expect((await gate.admit(join('10.0.0.1', { participantId: 'partial' }))).location.subdivisions).toEqual(['CN-JL']);
  });
});
