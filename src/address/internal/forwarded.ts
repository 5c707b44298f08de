/** Longest forwarded-header value considered, in characters. */
const MAX_HEADER_LENGTH = 8192;
/** Most hops (from the right) considered in a forwarded chain. */
export const MAX_HOPS = 32;

/** One hop of a forwarded chain: the node text, or why it has none. */
type Hop = { value: string; problem?: undefined } | { value?: undefined; problem: string };

/** The hops to walk, rightmost first, and whether more existed than were kept. */
export interface HopList {
  readonly hops: readonly Hop[];
  readonly truncated: boolean;
}

type HeaderValue = string | readonly string[] | undefined;

/**
 * All lines of header `name` (any case of key), in order. Only own keys are
 * read, so a `__proto__` key or a polluted prototype adds nothing.
 */
export function headerLines(headers: Readonly<Record<string, HeaderValue>> | undefined, name: string): string[] {
  const lines: string[] = [];
  if (headers === null || typeof headers !== 'object') return lines;
  for (const key of Object.keys(headers)) {
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    const value = headers[key];
    if (typeof value === 'string') lines.push(value);
    else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') lines.push(v);
  }
  return lines;
}

/**
 * Join header lines with commas (RFC 9110 field-line combination) and keep
 * only the rightmost {@link MAX_HEADER_LENGTH} characters: the walk is from
 * the right, so that is the part trusted proxies wrote. A hop cut in half at
 * the left edge is dropped. Only the lines needed are joined, so a huge
 * header costs no more than a small one.
 */
export function cutRight(lines: readonly string[]): { text: string; truncated: boolean } {
  // One short line (nearly every request): nothing to join or cut.
  if (lines.length === 1 && (lines[0] as string).length <= MAX_HEADER_LENGTH) return { text: lines[0] as string, truncated: false };
  let start = lines.length;
  let total = 0;
  while (start > 0 && total <= MAX_HEADER_LENGTH) {
    start--;
    total += (lines[start]?.length ?? 0) + 1;
  }
  const joined = lines.slice(start).join(',');
  if (start === 0 && joined.length <= MAX_HEADER_LENGTH) return { text: joined, truncated: false };
  const cut = joined.length - MAX_HEADER_LENGTH;
  let text = joined.slice(cut);
  if (joined[cut - 1] !== ',') {
    const comma = text.indexOf(',');
    text = comma < 0 ? '' : text.slice(comma + 1);
  }
  return { text, truncated: true };
}

/**
 * True when header `name` carries something other than whitespace: the
 * request says it went through a proxy. Reads no more than it must.
 */
export function hasHeaderValue(headers: Readonly<Record<string, HeaderValue>> | undefined, name: string): boolean {
  if (headers === null || typeof headers !== 'object') return false;
  for (const key of Object.keys(headers)) {
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    const value = headers[key];
    if (typeof value === 'string' && !isBlank(value)) return true;
    if (Array.isArray(value) && value.some((v) => typeof v === 'string' && !isBlank(v))) return true;
  }
  return false;
}

/** True when `text` is empty or only optional whitespace (SP / HTAB); stops at the first other character. */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Strip optional whitespace (SP / HTAB) around a list member. */
export function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === 0x20 || s.charCodeAt(start) === 0x09)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** X-Forwarded-For hops: comma-separated addresses, rightmost first. */
export function xffHops(text: string): HopList {
  const hops: Hop[] = [];
  let end = text.length;
  for (;;) {
    const comma = end === 0 ? -1 : text.lastIndexOf(',', end - 1);
    const hop = trimOws(text.slice(comma + 1, end));
    hops.push(hop === '' ? { problem: 'is empty' } : { value: hop });
    if (comma < 0) return { hops, truncated: false };
    if (hops.length === MAX_HOPS) return { hops, truncated: true };
    end = comma;
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Unquoted node values: token characters plus the `:[]` some proxies leave unquoted.
const LENIENT_VALUE = /^[!#$%&'*+.^_`|~0-9A-Za-z:[\]-]+$/;

/** Split on `sep` outside quoted strings; undefined when a quote is left open. */
function splitOutsideQuotes(text: string, sep: string): string[] | undefined {
  const parts: string[] = [];
  let from = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  if (quoted) return undefined;
  parts.push(text.slice(from));
  return parts;
}

function unquote(value: string): string | undefined {
  if (!value.startsWith('"')) return LENIENT_VALUE.test(value) ? value : undefined;
  if (value.length < 2 || !value.endsWith('"')) return undefined;
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** The `for=` node of one RFC 7239 element as a hop. */
function elementHop(element: string): Hop {
  let node: string | undefined;
  for (const pair of splitOutsideQuotes(element, ';') ?? []) {
    if (trimOws(pair) === '') continue;
    const eq = pair.indexOf('=');
    const name = trimOws(eq < 0 ? pair : pair.slice(0, eq));
    if (eq < 0 || !TOKEN.test(name)) return { problem: 'is not a valid Forwarded element' };
    if (name.toLowerCase() !== 'for') continue;
    if (node !== undefined) return { problem: 'has more than one "for" parameter' };
    node = unquote(trimOws(pair.slice(eq + 1)));
    if (node === undefined) return { problem: 'has a malformed "for" value' };
  }
  if (node === undefined) return { problem: 'has no "for" parameter' };
  const lower = node.toLowerCase();
  if (lower === 'unknown' || lower.startsWith('unknown:')) return { problem: 'is "for=unknown": a proxy withheld the client address' };
  if (node.startsWith('_')) return { problem: 'is an obfuscated identifier, not an address' };
  return { value: node };
}

/**
 * RFC 7239 `Forwarded` hops, rightmost first: one per comma-separated
 * element (commas inside quoted strings do not split), from each element's
 * case-insensitive `for` parameter. An element without a usable address
 * (`unknown`, an `_obfuscated` node, malformed) is a hop with a problem;
 * that only matters if the walk reaches it.
 */
export function forwardedHops(text: string): HopList | { problem: string } {
  const elements = splitOutsideQuotes(text, ',');
  if (elements === undefined) return { problem: 'has an unterminated quoted string' };
  const hops: Hop[] = [];
  for (let i = elements.length - 1; i >= 0 && hops.length < MAX_HOPS; i--) {
    const element = trimOws(elements[i] ?? '');
    hops.push(element === '' ? { problem: 'is empty' } : elementHop(element));
  }
  return { hops, truncated: elements.length > MAX_HOPS };
}
