/**
 * What a line may start with that a person does not see: blanks of every kind (Zs, and the
 * line and paragraph separators), format characters (Cf: BOM, zero-width spaces and joiners,
 * direction marks and isolates, the soft hyphen, invisible operators, tags), marks with
 * nothing to sit on (Mn: the combining grapheme joiner, variation selectors), and the
 * fillers that render as blanks (Hangul U+115F, U+1160, U+3164, U+FFA0; Braille blank
 * U+2800). Not the format characters that show (the Arabic number signs and the like:
 * Unicode's Prepended_Concatenation_Mark, U+0600 to U+0605, U+06DD, U+070F, U+0890, U+0891,
 * U+08E2, U+110BD, U+110CD). Left in place, the invisible ones turn what looks like
 * `@bob:...` on the screen into a room message that everyone reads (docs/protocol.md,
 * "What you send").
 */
const LEADING_INVISIBLE =
  /^(?:(?![\u0600-\u0605\u06DD\u070F\u0890\u0891\u08E2\u{110BD}\u{110CD}])[\t\p{Zs}\p{Zl}\p{Zp}\p{Cf}\p{Mn}\u115F\u1160\u3164\uFFA0\u2800])+/u;

/** LINE without what it starts with that is not visible; LINE itself when it starts visibly. */
export function withoutLeadingInvisible(line: string): string {
  // Most lines start with a visible ASCII character: they skip the regular expression.
  const first = line.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return line;
  return line.replace(LEADING_INVISIBLE, '');
}
