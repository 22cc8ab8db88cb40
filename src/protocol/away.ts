/**
 * docs/protocol.md, "Away": the longest away text kept, in characters. IRC servers announce
 * theirs as AWAYLEN, and ergo's and most others' is 390 (what fits a 512-byte 301 reply), so
 * both dialects cut at the same place.
 */
export const AWAY_MAX = 390;
