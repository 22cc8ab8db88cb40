/** docs/protocol.md: NAME is 1 to 32 characters of A-Z a-z 0-9 _ -. */
export const NAME_MAX = 32;
export const NAME_PATTERN = `[A-Za-z0-9_-]{1,${NAME_MAX}}`;

export function isValidName(name: string): boolean {
  // Every direct message asks this: a loop over at most 32 characters beats the pattern.
  const { length } = name;
  if (length === 0 || length > NAME_MAX) return false;
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;
    if (!ok) return false;
  }
  return true;
}

/** Names are unique without regard to case: this is the key they are compared by. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/**
 * Names of IRC services, which IRC clients write to by themselves (`PRIVMSG NickServ :IDENTIFY
 * NAME PASSWORD`): a user holding one would collect passwords. Nobody may register them, in
 * any dialect, unless an account of that name exists.
 */
const RESERVED = new Set(['nickserv', 'chanserv', 'operserv', 'memoserv', 'saslserv', 'hostserv', 'botserv', 'global']);

export function isReservedName(name: string): boolean {
  return RESERVED.has(name.toLowerCase());
}
