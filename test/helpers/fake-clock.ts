import type { Timers } from '../../src/protocol/timers.js';
import type { LineQueue } from './lines.js';

/** Timers driven by the test: advance(ms) runs what has come due, in order. */
export class FakeClock implements Timers {
  #now = 0;
  #next = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#due.size;
  }

  /** Milliseconds until the earliest pending timer is due; undefined when none is pending. */
  get nextDue(): number | undefined {
    let first: number | undefined;
    for (const { at } of this.#due.values()) if (first === undefined || at < first) first = at;
    return first === undefined ? undefined : first - this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#due) if (entry[1].at <= until && (!first || entry[1].at < first[1].at)) first = entry;
      if (!first) break;
      this.#due.delete(first[0]);
      this.#now = first[1].at;
      first[1].fn();
    }
    this.#now = until;
  }
}

/** The client's next line, moving the clock STEP ms at a time until one comes (lines waiting for the rate). */
export async function nextAdvancing(c: { lines: LineQueue; next(): Promise<string | undefined> }, clock: FakeClock, step = 100): Promise<string | undefined> {
  for (let i = 0; c.lines.queued === 0 && !c.lines.ended; i++) {
    if (i > 100_000) throw new Error('no line came however far the clock moved');
    clock.advance(step);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return c.next();
}

/**
 * A whole second of today, for a fake clock's start: kept messages and bans expire against
 * real clocks too (a store's, Redis's), so a test's dates must never be fixed on a calendar.
 */
export const T0 = Math.floor(Date.now() / 1000) * 1000;

/** MS as the server shows times: UTC to the second (`2026-11-27T05:15:05Z`). */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
