import { compareIds } from './holders.js';

/** A batch received by a direct link (peers.ts), not handed over yet. */
interface Held {
  seq: number;
  after: string;
  entry: Buffer;
  at: number;
}

/**
 * The order of what a direct link brings (peers.ts): a batch goes once the stream's reader
 * has read the entry its sender had added before it (AFTER; '-' for none), so that it never
 * overtakes what was sent before it through the stream; or once it has waited HOLD ms, that
 * entry being lost (a failover) or the reader stopped. Batches go in the order they came: one
 * waiting holds back those behind it.
 */
export class InOrder {
  #held: Held[] = [];
  #bytes = 0;

  constructor(private readonly holdMs: number) {}

  add(seq: number, after: string, entry: Buffer, now: number): void {
    this.#held.push({ seq, after, entry, at: now });
    this.#bytes += entry.length;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  get waiting(): boolean {
    return this.#held.length > 0;
  }

  /** The batches that may go now that the reader has read up to READ, in order, and the last one's number (-1: none). */
  release(read: string, now: number): { entries: Buffer[]; last: number } {
    const entries: Buffer[] = [];
    let last = -1;
    while (this.#held.length > 0) {
      const next = this.#held[0]!;
      if (next.after !== '-' && compareIds(read, next.after) < 0 && now - next.at < this.holdMs) break;
      this.#held.shift();
      this.#bytes -= next.entry.length;
      entries.push(next.entry);
      last = next.seq;
    }
    return { entries, last };
  }
}
