import type { ServerLine } from '../dialects/line/server-line.js';
import { nameKey } from '../protocol/names.js';
import type { Timers } from '../protocol/timers.js';

/**
 * SELF wherever it stands as a word, without regard to case: not inside another name
 * (`malice`, `alice_2`, `bob-alice`), since names are letters, digits, `_` and `-`. Global,
 * for marking every one. Pure.
 */
export function mentionPattern(self: string): RegExp {
  // A name's characters need no escaping in a pattern but `-`, which is plain outside [].
  return new RegExp(`(?<![A-Za-z0-9_-])${self}(?![A-Za-z0-9_-])`, 'gi');
}

/**
 * A live line the terminal rings the bell for: a room message that mentions SELF
 * (mentionPattern), or a direct message to us. Never our own words: said on another of our
 * devices, or a direct message our account sent itself (a note to self reaches every
 * device as `*alice* ...`). Nor a line of the past: the caller hands only live lines,
 * untagged (rooms.ts, roomLine). Pure.
 */
export function callsUs(line: ServerLine, self: string): boolean {
  if (line.kind !== 'direct' && line.kind !== 'room') return false;
  if (nameKey(line.from) === nameKey(self)) return false;
  return line.kind === 'direct' || mentionPattern(self).test(line.text);
}

/**
 * After a ring, the bell stays quiet this long: a burst of messages (a flood, the backlog
 * of a reconnect, a busy room saying our name) rings once, not once a line.
 */
export const BELL_QUIET_MS = 1000;

/** The terminal bell, rung at most once per BELL_QUIET_MS; time from TIMERS (a fake clock in tests). */
export class Bell {
  #last: number | undefined;

  constructor(
    private readonly sound: () => void,
    private readonly timers: Pick<Timers, 'now'>,
  ) {}

  ring(): void {
    const now = this.timers.now();
    if (this.#last !== undefined && now - this.#last < BELL_QUIET_MS) return;
    this.#last = now;
    this.sound();
  }
}
