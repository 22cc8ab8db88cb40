/**
 * Writes of one event-loop turn, sent together at its end: a store's calls that never wait
 * (append, logDirect) cost one round trip a turn, not one a message. A read calls flush()
 * first, so that it sees what was written before it asked.
 */
export class TurnBatch<T> {
  #items: T[] = [];
  #sent: Promise<void> | undefined;

  /** SEND writes one turn's items; it never rejects (a store reports its failures itself). */
  constructor(private readonly send: (items: T[]) => Promise<void>) {}

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length === 1) setImmediate(() => void this.flush());
  }

  /** Sends what is pending now; resolves once the last batch sent is written (or failed). */
  flush(): Promise<void> {
    const items = this.#items;
    if (items.length === 0) return this.#sent ?? Promise.resolve();
    this.#items = [];
    this.#sent = this.send(items);
    return this.#sent;
  }
}
