/**
 * A WebSocket close frame carries at most 125 bytes: a 2-byte code and a
 * UTF-8 reason of at most 123 bytes (RFC 6455 §5.5). `ws` throws past that,
 * and a reason cut in the middle of a character is invalid UTF-8, which a
 * browser answers by failing the connection instead of showing the reason.
 */

/** The longest close reason, in UTF-8 bytes. */
export const MAX_CLOSE_REASON_BYTES = 123;

const ELLIPSIS = '…';
const ELLIPSIS_BYTES = 3;

function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/**
 * `text` as a close reason: whole when it fits in 123 UTF-8 bytes, else cut
 * at a character boundary and ended with `…`. Lone surrogates (which have no
 * UTF-8 form) become U+FFFD, so the result always encodes as valid UTF-8.
 */
export function closeReason(text: string): string {
  let out = '';
  let bytes = 0;
  let cut: string | undefined;
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    const whole = codePoint >= 0xd800 && codePoint <= 0xdfff ? '\uFFFD' : char;
    const n = utf8Length(whole.codePointAt(0)!);
    // Remember where the text would be cut if the rest turns out not to fit.
    if (cut === undefined && bytes + n > MAX_CLOSE_REASON_BYTES - ELLIPSIS_BYTES) cut = out;
    if (bytes + n > MAX_CLOSE_REASON_BYTES) return `${(cut ?? out).trimEnd()}${ELLIPSIS}`;
    out += whole;
    bytes += n;
  }
  return out;
}
