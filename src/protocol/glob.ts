/**
 * A mask (IRC's WHO and bans) (`*` any run, `?` one character) as a test of a name, without regard to case.
 * Matched by walking both strings once, remembering the last `*`: a regular expression of
 * `.*` runs backtracks, and `*a*a*a...*b` against long names held the server for seconds.
 */
export function globMatcher(mask: string): (name: string) => boolean {
  const m = mask.toLowerCase();
  return (given) => {
    const name = given.toLowerCase();
    let i = 0;
    let j = 0;
    let star = -1;
    let from = 0;
    while (i < name.length) {
      if (j < m.length && (m[j] === '?' || m[j] === name[i])) {
        i++;
        j++;
      } else if (j < m.length && m[j] === '*') {
        star = j++;
        from = i;
      } else if (star >= 0) {
        j = star + 1;
        i = ++from;
      } else {
        return false;
      }
    }
    while (j < m.length && m[j] === '*') j++;
    return j === m.length;
  };
}

/**
 * What an IRC mask is matched against for a user of the chat: hosts are not shown (every
 * user is NAME!NAME@chat, docs/irc.md), so a ban names a name.
 */
export const userMask = (name: string): string => `${name}!${name}@chat`;

/** Whether the mask MASK (`NICK!USER@HOST`, or a NICK alone) matches the user called NAME. */
export function maskMatches(mask: string, name: string): boolean {
  const full = mask.includes('!') || mask.includes('@') ? mask : `${mask}!*@*`;
  return globMatcher(full)(userMask(name));
}
