import fc from 'fast-check';
import { expect, it } from 'vitest';
import { canonicalJson } from '../src/internal/canonical-json.js';

// The reference: keys in the default sort's order (UTF-16 code units), values as JSON.stringify writes them.
function reference(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

// Keys that sort differently by code unit and by anything else: numeric-looking ones (which objects list
// first, in numeric order), astral characters and lone surrogates, letter case, prefixes of one another.
const key = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.string({ unit: 'binary', maxLength: 3 }),
  fc.nat({ max: 200 }).map(String),
  fc.constantFrom('', 'a', 'A', 'aa', 'b', '10', '9', '\ud800', '\ud83d\ude00', '\uffff', '__proto__'),
);
const value = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean(), fc.constant(null));

it('orders object keys by UTF-16 code units, whatever their number', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(key, value), { maxLength: 40 }), (entries) => {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of entries) Object.defineProperty(obj, k, { value: v, enumerable: true, configurable: true, writable: true });
      expect(canonicalJson(obj)).toBe(reference(obj));
      expect(canonicalJson({ nested: [obj, { obj }] })).toBe(reference({ nested: [obj, { obj }] }));
    }),
    { numRuns: 500 },
  );
});
