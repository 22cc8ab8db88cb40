import { stripControls } from './sanitize.js';

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
 * IRC's KICKLEN (ISUPPORT). What fits the 512 bytes of the line an IRC user gets with the
 * longest names (32): `:OP!OP@chat KICK #ROOM NAME :` is 145 bytes, and 145 + 360 + CR LF
 * is 507; a QUIT after an operator's /kick (`kicked by OP: REASON`) is 484. Both dialects
 * cut at the same place.
 */
export const REASON_MAX = 360;

/** A reason as others are shown it: without control characters (sanitize.ts), cut at REASON_MAX. */
export function shownReason(reason: string): string {
  return cutToBytes(stripControls(reason), REASON_MAX);
}
