/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace,
 * primitives as `JSON.stringify` writes them (the ordering and number form of
 * RFC 8785). The hash chain hashes this text, so the same record always hashes
 * the same, whoever serialises it.
 *
 * No canonical-JSON package is installed; this is the small subset we need.
 * Values that JSON cannot carry are treated as `JSON.stringify` treats them
 * (undefined and functions dropped from objects, `null` in arrays, non-finite
 * numbers as `null`); bigints become strings and cycles `"[Circular]"` so that
 * serialising a hostile event can never throw or loop.
 */
export function canonicalJson(value: unknown): string {
  return write(value, []) ?? 'null';
}

function write(value: unknown, stack: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const obj = value as object;
  // The stack is as deep as the nesting (a handful for audit events), so a linear scan is cheapest.
  if (stack.includes(obj)) return '"[Circular]"';
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return write(toJSON.call(obj), stack);
  stack.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = '[';
    for (let i = 0; i < obj.length; i++) out += (i === 0 ? '' : ',') + (write(obj[i], stack) ?? 'null');
    out += ']';
  } else {
    out = '{';
    let first = true;
    // Object.keys: own enumerable string keys only, so `__proto__` read from
    // JSON is an ordinary key and nothing inherited leaks in. The default sort
    // compares UTF-16 code units, as RFC 8785 asks.
    for (const key of sortedKeys(obj)) {
      const text = write((obj as Record<string, unknown>)[key], stack);
      if (text === undefined) continue;
      out += `${first ? '' : ','}${JSON.stringify(key)}:${text}`;
      first = false;
    }
    out += '}';
  }
  stack.pop();
  return out;
}

/**
 * `Object.keys(obj).sort()`, sorting a few keys in place: the default sort
 * copies its array into a work area, and digests of thousands of documents
 * (a node starting on a large store) made that most of their garbage.
 */
function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    // Strings compare by UTF-16 code units, as the default sort does; keys are distinct, so order is total.
    for (; j >= 0 && (keys[j] as string) > key; j--) keys[j + 1] = keys[j] as string;
    keys[j + 1] = key;
  }
  return keys;
}
