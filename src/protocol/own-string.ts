/**
 * A copy of TEXT that holds only its own characters. V8 makes a slice of a string of 13 or
 * more characters a view into its parent, which it keeps alive: a short room message cut out
 * of the 8 KiB its read was decoded into (decoder.ts) would keep all 8 KiB for as long as
 * history keeps the message, while the store counts the message alone. Every string kept
 * beyond the turn (history, kept messages, names, rooms, bans) goes through here.
 *
 * Joining a character in front makes a new string of both; taking the slice after that
 * character flattens it into one fresh buffer of TEXT's length plus one, and the parent is
 * no longer referenced. Shorter strings are copied by V8 when sliced: nothing to do.
 */
export function ownString(text: string): string {
  return text.length < 13 ? text : ` ${text}`.slice(1);
}
