/**
 * docs/protocol.md, "Away": the longest away text kept, in bytes of UTF-8. IRC servers
 * announce theirs as AWAYLEN, counted in bytes, and ergo's and most others' is 390: what
 * fits, with its prefix, in the 512 bytes of the 301 reply an IRC user gets. Both dialects
 * cut at the same place.
 */
export const AWAY_MAX = 390;
