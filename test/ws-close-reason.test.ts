import fc from 'fast-check';
import { MAX_CLOSE_REASON_BYTES } from 'geoadmit/ws';
import { describe, expect, it } from 'vitest';
import { closeReason } from '../src/ws/internal/close-reason.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
/** True when `s` survives a UTF-8 round trip unchanged (no lone surrogates, nothing cut mid-character). */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;

describe('closeReason: a notice text as a WebSocket close reason', () => {
  it('keeps a text that fits whole', () => {
    expect(closeReason('Blocked at the request of the Example Authority.')).toBe('Blocked at the request of the Example Authority.');
    const exact = `${'é'.repeat(61)}a`; // 123 bytes
    expect(closeReason(exact)).toBe(exact);
  });

  it('cuts a long text on a character boundary, ending with an ellipsis, within 123 bytes', () => {
    const cjk = '根据当地法律要求此会议在您所在的地区不可用'.repeat(5);
    const reason = closeReason(cjk);
    expect(bytes(reason)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
    expect(reason.endsWith('…')).toBe(true);
    expect(cjk.startsWith(reason.slice(0, -1))).toBe(true);
    const emoji = '🚫'.repeat(40); // 4 bytes each, 2 UTF-16 units each
    const cut = closeReason(emoji);
    expect(wellFormed(cut)).toBe(true);
    expect(bytes(cut)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
  });

  it('replaces lone surrogates, which have no UTF-8 form', () => {
    expect(closeReason('a\uD800b')).toBe('a\uFFFDb');
  });

  it('always gives well-formed UTF-8 of at most 123 bytes that starts the original text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const reason = closeReason(text);
        expect(bytes(reason)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
        expect(wellFormed(reason)).toBe(true);
        if (wellFormed(text) && bytes(text) <= MAX_CLOSE_REASON_BYTES) expect(reason).toBe(text);
      }),
    );
  });
});
