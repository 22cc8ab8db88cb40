import { sourceOf } from './context.js';

/** Senders whose heads are kept at most; past it the cache starts again (about a megabyte at most). */
const HEADS_MAX = 10_000;

/**
 * `:NAME!NAME@chat PRIVMSG `, the start of every direct message NAME sends an IRC user, made
 * once per sender instead of once per message, and in one piece: a line joined from a
 * template's parts is a tree of strings that every write copies part by part, and the
 * direct message is the commonest line of all (docs/benchmark.md, "The IRC dialect").
 */
export class PrivmsgHeads {
  readonly #heads = new Map<string, string>();

  of(from: string): string {
    let head = this.#heads.get(from);
    if (head === undefined) {
      if (this.#heads.size >= HEADS_MAX) this.#heads.clear();
      // Names are ASCII (names.ts): through latin1 the parts come back as one flat string.
      head = Buffer.from(`:${sourceOf(from)} PRIVMSG `, 'latin1').toString('latin1');
      this.#heads.set(from, head);
    }
    return head;
  }
}
