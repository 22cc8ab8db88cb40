/**
 * docs/protocol.md, "Away": the longest away text kept, in bytes of UTF-8. IRC servers
 * announce theirs as AWAYLEN, counted in bytes, and ergo's and most others' is 390: what
 * fits, with its prefix, in the 512 bytes of the 301 reply an IRC user gets. Both dialects
 * cut at the same place.
 */
export const AWAY_MAX = 390;

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
