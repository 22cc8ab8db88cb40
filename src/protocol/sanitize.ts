/**
 * docs/protocol.md: control characters (C0 except TAB, DEL, C1, so ESC too) are removed from every
 * relayed text, so no client can move another's cursor, recolour its terminal or clear its
 * screen. The client applies the same rule to whatever a server sends it.
 */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
const HAS_CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

export function stripControls(text: string): string {
  return HAS_CONTROL.test(text) ? text.replace(CONTROL, '') : text;
}

/** Wire bytes to text: invalid UTF-8 becomes U+FFFD (Buffer#toString does that), controls go. */
export function decodeText(bytes: Buffer): string {
  return stripControls(bytes.toString());
}
