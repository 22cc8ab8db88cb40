/**
 * docs/protocol.md, "History": /history answers 20 messages unless asked, and 100 at most. IRC's
 * CHATHISTORY answers as many at most (ISUPPORT `CHATHISTORY=100`, docs/irc.md), so both
 * dialects read the same bound from here.
 */
export const HISTORY_DEFAULT = 20;
export const HISTORY_MAX = 100;
