/**
 * Documents a store produced itself with `JSON.parse`, remembered by identity.
 * Such a value is plain data by construction (no Proxy, no accessor, no
 * prototype but `Object.prototype`, no cycle), so the validator need not copy
 * it defensively before reading it: it still checks every size bound and
 * every rule. The mark is taken (and forgotten) by the one validation that
 * trusts it, so an object handed around afterwards is treated like any other.
 */
const fromJsonText = new WeakSet<object>();

/** Marks `value` as the fresh result of `JSON.parse` (call it before anything else can hold the value). */
export function markParsedJson(value: object): void {
  fromJsonText.add(value);
}

/** Whether `value` was marked by {@link markParsedJson}; the mark is removed either way. */
export function takeParsedJson(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return fromJsonText.delete(value);
}
