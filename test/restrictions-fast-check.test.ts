import { describe, expect, it } from 'vitest';
import { parseValidRestriction, restrictionSchema } from '../src/restrictions/internal/schema.js';

// The field-by-field check that spares most documents the general schema must agree with it:
// whatever it accepts, the schema accepts with the same result (fields and their order), and
// whatever the schema accepts (without undefined-valued fields), it accepts too.

const base = (): Record<string, unknown> => ({
  id: 'req-1',
  authority: { name: 'Example Authority', jurisdiction: 'CN' },
  regions: ['CN', 'cn-bj'],
  scope: { meetings: ['m-1'], hostAccounts: ['a-1'] },
});

const full = (): Record<string, unknown> => ({
  appeal: { url: 'https://example.org/appeal', text: 'Appeal here' },
  notice: { text: 'Blocked in your region.' },
  reference: '',
  anonymizers: 'deny',
  unknownLocation: 'deny',
  validUntil: '2031-01-01T00:00:00Z',
  validFrom: '2030-01-01T00:00:00Z',
  mode: 'dry-run',
  scope: { all: true },
  allowRegions: ['US'],
  regions: ['DE'],
  authority: { jurisdiction: 'DE', name: 'x' },
  kind: 'host-policy',
  id: 'x'.repeat(256),
});

/** Values that break (or test the edge of) each field's rule. */
const bad: Record<string, unknown[]> = {
  id: ['', 'x'.repeat(257), 7, null, ['a'], {}],
  kind: ['TAKEDOWN', 'other', 1, null],
  authority: [
    null,
    {},
    { name: 'a' },
    { jurisdiction: 'CN' },
    { name: '', jurisdiction: 'CN' },
    { name: 'a', jurisdiction: 'XX' },
    { name: 'a', jurisdiction: 'CN', extra: 1 },
    [],
    'CN',
  ],
  regions: [[], ['XZ'], ['UK'], ['CN', 5], 'CN', Array.from({ length: 1001 }, () => 'CN'), Array.from({ length: 1000 }, () => 'CN'), [null]],
  allowRegions: [[], ['-CA'], {}],
  scope: [
    null,
    {},
    { all: false },
    { all: 'true' },
    { meetings: [] },
    { meetings: [''] },
    { meetings: ['x'.repeat(257)] },
    { hostAccounts: [1] },
    { meetings: ['a'], other: 1 },
    [],
    { meetings: Array.from({ length: 10_001 }, (_, i) => `m${i}`) },
    { meetings: Array.from({ length: 10_000 }, (_, i) => `m${i}`) },
  ],
  mode: ['audit', '', null],
  validFrom: ['2030-01-01', 'yesterday', 1_700_000_000, '2030-13-01T00:00:00Z'],
  validUntil: ['', '2030-01-01T00:00:00+01:00'],
  unknownLocation: ['allow', true],
  anonymizers: ['block', 0],
  reference: [5, 'r'.repeat(4097), 'r'.repeat(4096)],
  notice: [
    {},
    { text: '' },
    { text: 'a\u202eb' },
    { text: 'a\nb\tc' },
    { text: 't'.repeat(501) },
    { url: 'http://example.org' },
    { url: 'https://user@example.org' },
    { url: 'https://example.org/a b' },
    { url: 'notaurl' },
    { text: 'a', other: 1 },
    'text',
    null,
  ],
  appeal: [{ url: `https://example.org/${'a'.repeat(2040)}` }, { url: 'https://example.org/<x>' }],
  unknown: [1, undefined],
  __proto__: [{}],
};

function agree(doc: Record<string, unknown>): void {
  const fast = parseValidRestriction(doc);
  const full = restrictionSchema().safeParse(doc);
  if (fast !== undefined) {
    expect(full.success, JSON.stringify(doc).slice(0, 200)).toBe(true);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(full.data));
  } else if (full.success) {
    // Only a field present with the value undefined may send a valid document to the schema.
    expect(Object.values(doc).some((v) => v === undefined) || Object.values((doc.scope ?? {}) as object).some((v) => v === undefined)).toBe(true);
  }
}

describe('the field-by-field restriction check', () => {
  it('accepts valid documents exactly as the schema parses them, in its field order', () => {
    for (const doc of [base(), full(), { ...base(), kind: 'sanctions' }]) {
      expect(parseValidRestriction(doc)).toBeDefined();
      agree(doc);
    }
  });

  it('agrees with the schema on every field broken in turn', () => {
    let checked = 0;
    for (const make of [base, full]) {
      for (const [key, values] of Object.entries(bad)) {
        for (const value of values) {
          const doc = make();
          if (key === '__proto__') Object.defineProperty(doc, '__proto__', { value, enumerable: true, configurable: true, writable: true });
          else doc[key] = value;
          agree(doc);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('sends a document with a field set to undefined to the schema', () => {
    expect(parseValidRestriction({ ...base(), mode: undefined })).toBeUndefined();
    expect(parseValidRestriction({ ...base(), scope: { meetings: ['m'], all: undefined } })).toBeUndefined();
  });
});
