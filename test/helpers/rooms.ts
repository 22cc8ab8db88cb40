import assert from 'node:assert/strict';

/**
 * The privacy check of racing joins and parts: each of CLIENTS got a line that SAID matches
 * only while in ROOM by its own transcript, between `* you are in ROOM` and `* you left ROOM`.
 * A line of the room after `* you left` is a leak; one before `* you are in` would read as
 * said in the room it was in before.
 */
export function heardOnlyWhileIn(clients: readonly { lines: { seen: readonly string[] } }[], room: string, said: (line: string) => boolean): void {
  for (const { lines } of clients) {
    let inRoom = false;
    lines.seen.forEach((line, i) => {
      if (line === `* you are in ${room}`) inRoom = true;
      if (line === `* you left ${room}`) inRoom = false;
      if (said(line)) assert.ok(inRoom, `${line} reached one outside ${room}: ${lines.seen.slice(Math.max(0, i - 6), i + 3).join(' | ')}`);
    });
  }
}
