/**
 * Every message the load generator sends carries a marker `~S.M.T~`: sender index, sequence
 * number, send time (µs since the load generator started). Receivers find markers anywhere
 * in the bytes they read, so however a server frames, prefixes or coalesces its lines, each
 * message is told apart, and what a server says besides (notices, greetings) costs nothing.
 */
const TILDE = 126;
const DOT = 46;
/** Longer than any marker: a partial one at the end of a read is kept for the next read. */
const MAX_MARKER = 48;

export type MarkerSink = (sender: number, seq: number, sentUs: number) => void;

export function marker(sender: number, seq: number, sentUs: number): string {
  return `~${sender}.${seq}.${sentUs}~`;
}

/** One per connection: a marker may be cut between two reads. */
export class MarkerScanner {
  #tail: Buffer | null = null;

  /** Reports each complete marker in the first N bytes of BUF (which is reused after). */
  scan(buf: Buffer, n: number, sink: MarkerSink): void {
    // A view of the N bytes read: indexOf must not search the stale rest of a shared buffer.
    let b = buf.subarray(0, n);
    if (this.#tail) {
      b = Buffer.concat([this.#tail, b]);
      this.#tail = null;
    }
    const len = b.length;
    let p = b.indexOf(TILDE);
    while (p !== -1 && p < len) {
      // Three decimal numbers, ended by '.', '.' and '~' (written out: this is the hot loop).
      let q = p + 1;
      let c = -1;
      let start = q;
      let sender = 0;
      for (; q < len && (c = b[q]!) >= 48 && c <= 57; q++) sender = sender * 10 + c - 48;
      if (q >= len) return this.#keep(b, p, len);
      if (q === start || c !== DOT) {
        p = b.indexOf(TILDE, p + 1);
        continue;
      }
      start = ++q;
      let seq = 0;
      for (; q < len && (c = b[q]!) >= 48 && c <= 57; q++) seq = seq * 10 + c - 48;
      if (q >= len) return this.#keep(b, p, len);
      if (q === start || c !== DOT) {
        p = b.indexOf(TILDE, p + 1);
        continue;
      }
      start = ++q;
      let sentUs = 0;
      for (; q < len && (c = b[q]!) >= 48 && c <= 57; q++) sentUs = sentUs * 10 + c - 48;
      if (q >= len) return this.#keep(b, p, len);
      if (q === start || c !== TILDE) {
        p = b.indexOf(TILDE, p + 1);
        continue;
      }
      sink(sender, seq, sentUs);
      p = b.indexOf(TILDE, q + 1);
    }
  }

  #keep(b: Buffer, from: number, len: number): void {
    if (len - from < MAX_MARKER) this.#tail = Buffer.from(b.subarray(from, len));
  }
}
