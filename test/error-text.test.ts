/**
 * One way to turn whatever was thrown into text for another message. A
 * callback (`onRemove`, a rule, a store) can throw anything: a Proxy, an
 * object without `toString`, an Error whose `message` getter throws. Building
 * the message about that failure must never throw in turn.
 */
import { describe, expect, test } from 'vitest';
import { errorText } from '../src/internal/objects.js';

describe('errorText', () => {
  test('an Error gives its message; anything else its string form', () => {
    expect(errorText(new Error('store down'))).toBe('store down');
    expect(errorText(new TypeError('bad'))).toBe('bad');
    expect(errorText('plain text')).toBe('plain text');
    expect(errorText(42)).toBe('42');
    expect(errorText(undefined)).toBe('undefined');
    expect(errorText(Symbol('s'))).toBe('Symbol(s)');
  });

  test('hostile values give a fixed text instead of throwing', () => {
    const noString = Object.create(null) as object;
    const getter = new Error('x');
    Object.defineProperty(getter, 'message', {
      get() {
        throw new Error('boom');
      },
    });
    const trap = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('trap');
        },
        get() {
          throw new Error('trap');
        },
      },
    );
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const value of [noString, getter, trap, proxy]) {
      expect(() => errorText(value)).not.toThrow();
      expect(typeof errorText(value)).toBe('string');
    }
    expect(errorText(noString)).toBe('a value that cannot be shown as text');
    expect(errorText(getter)).toBe('a value that cannot be shown as text');
  });

  test('a message that is not a string falls back to the string form', () => {
    const odd = new Error('ignored');
    Object.defineProperty(odd, 'message', { value: 17 });
    expect(errorText(odd)).toBe('Error: 17');
  });

  test('an onRemove that throws a value without toString is reported, not a crash', async () => {
    const { createGate, StaticResolver } = await import('geoadmit');
    const { STATIC_TABLE } = await import('./helpers/fixtures.js');
    const errors: string[] = [];
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      onRemove: () => {
        throw Object.create(null);
      },
    });
    gate.on('error', (e) => errors.push(e.message));
    await gate.admit({ meetingId: 'm-1', participantId: 'p-1', peerAddress: '1.2.4.8' });
    const result = await gate.restrict({
      id: 'r-1',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      regions: ['CN'],
      scope: { meetings: ['m-1'] },
    });
    expect(result.pending.map((p) => p.participantId)).toEqual(['p-1']);
    expect(errors.some((m) => m.includes('a value that cannot be shown as text'))).toBe(true);
    await gate.close();
  });
});
