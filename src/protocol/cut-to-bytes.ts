/** TEXT cut to at most MAX bytes of UTF-8, never inside a character. */
export function cutToBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > max) break;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * The longest reason kept (a quit's, a part's, a removal's, a ban's), in bytes of UTF-8:
 * IRC's KICKLEN (ISUPPORT), and what fits, with its prefix, the 512 bytes of the QUIT, PART
 * or KICK line an IRC user gets. Both dialects cut at the same place.
 */
export const REASON_MAX = 390;
