/**
 * What a line may start with that a person does not see: blanks of every kind (Zs, and the
 * line and paragraph separators), format characters (Cf: BOM, zero-width spaces and joiners,
 * direction marks and isolates, the soft hyphen, invisible operators, tags), marks with
 * nothing to sit on (Mn: the combining grapheme joiner, variation selectors), and the
 * fillers that render as blanks (Hangul U+115F, U+1160, U+3164, U+FFA0; Braille blank
 * U+2800). Left in place they turn what looks like `@bob:...` on the screen into a room
 * message that everyone reads (docs/protocol.md, "What you send").
 */
const LEADING_INVISIBLE = /^[\t\p{Zs}\p{Zl}\p{Zp}\p{Cf}\p{Mn}\u115F\u1160\u3164\uFFA0\u2800]+/u;

/** LINE without what it starts with that is not visible; LINE itself when it starts visibly. */
export function withoutLeadingInvisible(line: string): string {
  // Most lines start with a visible ASCII character: they skip the regular expression.
  const first = line.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return line;
  return line.replace(LEADING_INVISIBLE, '');
}
