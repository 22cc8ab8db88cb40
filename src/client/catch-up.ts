import type { ServerLine } from '../dialects/line/server-line.js';
import { recogniseCaughtUpRoom, recogniseCaughtUpSent, recogniseEndOfCatchUp, recogniseKeptMessage } from '../dialects/line/recognise.js';
import type { PastItem } from './history.js';

/** What one server line is to a device's catch-up. */
export type CatchUpOutcome =
  /** No part of a catch-up: handled as any other line. */
  | { kind: 'pass' }
  /** A line of the catch-up, shown dimmed at its own time (render.ts, renderPast). */
  | { kind: 'past'; item: PastItem }
  /** `* end of catch-up (N messages)`: the catch-up is over, whatever comes next is live. */
  | { kind: 'end'; count: number };

/**
 * The catch-up a named device gets right after its login (docs/client.md, "Devices"): what
 * it missed while it was away, oldest first, `* [TIME] <FROM#ROOM> TEXT`, `* [TIME] *FROM*
 * TEXT` and `* [TIME] *NAME->TO* TEXT`, then `* end of catch-up (N messages)`. Those lines
 * are the catch-up only between a login as a device and that end: a `* [TIME] <FROM#ROOM>`
 * line at any other time is no line the client knows, and is shown as it came. Only
 * notices can be these (recognise.ts), so nobody's text can fake one. Pure.
 */
export class CatchUp {
  #on = false;

  /** The connection has logged in as a device: its catch-up comes next. */
  loggedIn(): void {
    this.#on = true;
  }

  take(line: ServerLine): CatchUpOutcome {
    if (!this.#on) return { kind: 'pass' };
    const room = recogniseCaughtUpRoom(line);
    if (room) return { kind: 'past', item: { kind: 'room', ...room } };
    const kept = recogniseKeptMessage(line);
    if (kept) return { kind: 'past', item: { kind: 'kept', ...kept } };
    const sent = recogniseCaughtUpSent(line);
    if (sent) return { kind: 'past', item: { kind: 'sent', ...sent } };
    const count = recogniseEndOfCatchUp(line);
    if (count === undefined) return { kind: 'pass' };
    this.#on = false;
    return { kind: 'end', count };
  }
}
