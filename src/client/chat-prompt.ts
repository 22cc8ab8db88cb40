import type { ChalkInstance } from 'chalk';
import { nameKey } from '../protocol/names.js';
import { roomColour } from './room-colour.js';
import { FIRST_ROOM } from './rooms.js';

export interface ChatPromptState {
  /** Our name. */
  self: string;
  /** The current room; undefined when we are in none. */
  current: string | undefined;
  /** Our other rooms with messages not seen yet (rooms.ts: Rooms.unread). */
  unread: readonly { room: string; count: number }[];
  /** What the user should know first (reconnecting, lines waiting), in red before the name. */
  notes: readonly string[];
}

/**
 * The chat's prompt: `alice@dev (lobby 3, qa 1)> `. The current room after `@`, but for
 * FIRST_ROOM, where everyone starts: a user who never joins a room sees `alice> ` as
 * before rooms were many. Then the other rooms with unread messages and how many. In no
 * room at all, a note says so: `(in no room) alice> `, since a line typed then goes
 * nowhere. Pure.
 */
export function chatPrompt({ self, current, unread, notes }: ChatPromptState, chalk: ChalkInstance): string {
  const said = [...notes, current === undefined ? 'in no room' : ''].filter((n) => n !== '');
  const room = current === undefined || nameKey(current) === nameKey(FIRST_ROOM) ? '' : chalk.yellow(`@${current}`);
  const counts = unread.map(({ room: r, count }) => `${roomColour(r, chalk)(r)} ${count}`).join(', ');
  return `${said.length > 0 ? chalk.red(`(${said.join(', ')}) `) : ''}${chalk.yellow.bold(self)}${room}${counts ? ` (${counts})` : ''}> `;
}
