import { compareIds } from './holders.js';

/** A batch received by a direct link (peers.ts), not handed over yet. */
interface Held {
  after: string;
  entry: Buffer;
  size: number;
}

/**
 * The order of what a direct link brings (peers.ts): a batch goes once the stream's reader
 * has read the entry its sender had added before it (AFTER; '-' for none), so that it never
 * overtakes what was sent before it through the stream. Batches go in the order they came:
 * one waiting holds back those behind it. An entry lost in a failover holds nothing back for
 * long: the next entry read has a higher id (a canary comes every third of the lease).
 * While the reader does not read, they wait.
 */
export class InOrder {
  #held: Held[] = [];
  #bytes = 0;

  /** Holds ENTRY, counted as SIZE bytes (the whole frame it is a view of; its own size by default). */
  add(after: string, entry: Buffer, size = entry.length): void {
    this.#held.push({ after, entry, size });
    this.#bytes += size;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  get waiting(): boolean {
    return this.#held.length > 0;
  }

  /** The batches that may go now that the reader has read up to READ, in order. */
  release(read: string): Buffer[] {
    const entries: Buffer[] = [];
    while (this.#held.length > 0) {
      const next = this.#held[0]!;
      if (next.after !== '-' && compareIds(read, next.after) < 0) break;
      this.#held.shift();
      this.#bytes -= next.size;
      entries.push(next.entry);
    }
    return entries;
  }
}
