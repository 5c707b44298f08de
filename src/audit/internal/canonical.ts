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
  return write(value, new Set()) ?? 'null';
}

function write(value: unknown, stack: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
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
  if (stack.has(obj)) return '"[Circular]"';
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return write(toJSON.call(obj), stack);
  stack.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((item) => write(item, stack) ?? 'null').join(',')}]`;
    }
    const parts: string[] = [];
    // Object.keys: own enumerable string keys only, so `__proto__` read from
    // JSON is an ordinary key and nothing inherited leaks in.
    for (const key of Object.keys(obj).sort(compareCodeUnits)) {
      const text = write((obj as Record<string, unknown>)[key], stack);
      if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    stack.delete(obj);
  }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
