import { formatIPv4 } from './ipv4.js';
import { formatIPv6 } from './ipv6.js';
import type { LiteralResult } from './literal.js';
import { parseLiteral } from './literal.js';
import { classify, nonGlobalRange } from './non-global.js';
import type { IpValue } from './types.js';

/** Internal normalisation result: the public fields plus the binary address. */
export type Normalized = { ok: true; ip: IpValue; address: string; global: boolean } | { ok: false; detail: string };

/** Normalise an already parsed literal (embedded IPv4 decoded, global check). */
export function normalizeLiteral(literal: LiteralResult): Normalized {
  if (!literal.ok) return literal;
  const parsed = literal.ip;
  // IPv4 embeds nothing: decided by the range check alone, without classify's result object.
  if (parsed.family === 4) return { ok: true, ip: parsed, address: literal.text ?? formatIPv4(parsed.v4), global: nonGlobalRange(parsed) === undefined };
  const { ip, global } = classify(parsed);
  let address: string;
  if (ip.family === 4) address = ip === literal.ip && literal.text !== undefined ? literal.text : formatIPv4(ip.v4);
  else address = ip === literal.ip && literal.text !== undefined ? literal.text : formatIPv6(ip.bytes);
  return { ok: true, ip, address, global };
}

/** Parse and normalise text. */
export function normalizeText(input: unknown): Normalized {
  return normalizeLiteral(parseLiteral(input));
}
