/** Hostile joins and restriction documents: clear errors, never a bare Error, always the refusal event. */
import { describe, expect, it } from 'vitest';
import { createGate, isGeoadmitError, StaticResolver, type Join } from 'geoadmit';
import type { RestrictionRefusedEvent } from 'geoadmit/audit';
import { join, STATIC_TABLE, takedown } from './helpers/fixtures.js';

function setup() {
  const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never) });
  const refused: RestrictionRefusedEvent[] = [];
  gate.on('restriction.refused', (e) => refused.push(e));
  return { gate, refused };
}

const throwing = (field: string): Join => {
  const j = { ...join('1.2.4.8') } as Record<string, unknown>;
  Object.defineProperty(j, field, {
    enumerable: true,
    get: () => {
      throw new Error('boom');
    },
  });
  return j as unknown as Join;
};

describe('hostile joins', () => {
  const cyclic = { ...join('1.2.4.8') } as Record<string, unknown>;
  cyclic.self = cyclic;
  cyclic.context = { back: cyclic };
  it.each([
    ['a Proxy', new Proxy(join('1.2.4.8'), {})],
    [
      'a Proxy whose traps throw',
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('trap');
          },
        },
      ),
    ],
    ['a throwing meetingId getter', throwing('meetingId')],
    ['a throwing headers getter', throwing('headers')],
  ])('%s is refused with E_INVALID_JOIN', async (_, j) => {
    const { gate } = setup();
    const error = await gate.admit(j as Join).catch((e: unknown) => e);
    expect(isGeoadmitError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'E_INVALID_JOIN', argument: 'join' });
    expect(gate.size).toBe(0);
  });

  it('a cyclic join is decided like any other (nothing walks it)', async () => {
    const { gate } = setup();
    const d = await gate.admit(cyclic as unknown as Join);
    expect(d.location.country).toBe('CN');
  });

  it('reads each field once: a getter cannot change the ids between the check and the roster', async () => {
    const { gate } = setup();
    let reads = 0;
    const j = { ...join('8.8.8.8') } as Record<string, unknown>;
    Object.defineProperty(j, 'participantId', { enumerable: true, get: () => (reads++ === 0 ? 'p-ok' : '') });
    const d = await gate.admit(j as unknown as Join);
    expect(d.admitted).toBe(true);
    expect(gate.participants('m-1')).toEqual([{ meetingId: 'm-1', participantId: 'p-ok' }]);
  });
});

describe('hostile restriction documents', () => {
  const cyclic = { ...takedown() } as Record<string, unknown>;
  cyclic.scope = { meetings: ['m-1'], loop: cyclic };
  const getterId = { ...takedown() } as Record<string, unknown>;
  Object.defineProperty(getterId, 'id', {
    enumerable: true,
    get: () => {
      throw new Error('boom');
    },
  });
  const getterRegions = { ...takedown() } as Record<string, unknown>;
  Object.defineProperty(getterRegions, 'regions', {
    enumerable: true,
    get: () => {
      throw new Error('boom');
    },
  });
  it.each([
    ['a Proxy', new Proxy(takedown(), {})],
    [
      'a Proxy whose traps throw',
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('trap');
          },
          ownKeys: () => {
            throw new Error('trap');
          },
          getOwnPropertyDescriptor: () => {
            throw new Error('trap');
          },
        },
      ),
    ],
    ['a throwing id getter', getterId],
    ['a throwing regions getter', getterRegions],
    ['a cyclic document', cyclic],
  ])('%s: E_INVALID_RESTRICTION, a refusal event, nothing registered', async (_, doc) => {
    const { gate, refused } = setup();
    const error = await gate.restrict(doc as never).catch((e: unknown) => e);
    expect(isGeoadmitError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'E_INVALID_RESTRICTION' });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ type: 'restriction.refused', code: 'E_INVALID_RESTRICTION' });
    expect(gate.restrictions()).toEqual([]);
    const preview = await gate.preview(doc as never).catch((e: unknown) => e);
    expect(preview).toMatchObject({ code: 'E_INVALID_RESTRICTION' });
  });
});

describe('hostile header objects', () => {
  it('headers whose getters throw give an unknown location, not an exception', async () => {
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), trustedProxies: ['10.0.0.0/8'] });
    const headers = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
        ownKeys: () => {
          throw new Error('trap');
        },
      },
    );
    const d = await gate.admit(join('10.0.0.1', { headers: headers as never }));
    expect(d.admitted).toBe(true);
    expect(d.location.unknown).toBe('invalid-address');
  });
});
