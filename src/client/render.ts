import type { ChalkInstance } from 'chalk';
import type { ServerLine } from '../dialects/line/server-line.js';
import { recogniseSentDirect } from '../dialects/line/recognise.js';
import { nameKey } from '../protocol/names.js';
import type { PastItem } from './history.js';
import { callsUs, mentionPattern } from './mention.js';
import { roomColour } from './room-colour.js';

export interface RenderOptions {
  chalk: ChalkInstance;
  /** Our own name, highlighted wherever it appears. */
  self: string | undefined;
  /**
   * The line comes from this room, one of ours but not the current one: `[dev] ` before it.
   * The line itself is given untagged (rooms.ts: roomLine), as it reads in its own room.
   */
  room?: string | undefined;
}

/** One server line as the interactive client shows it, coloured by kind, after its room's tag. Pure. */
export function renderLine(line: ServerLine, { chalk, self, room }: RenderOptions): string {
  const body = renderBody(line, chalk, self);
  return room === undefined ? body : `${roomTag(room, chalk)} ${body}`;
}

/** `[dev]`, in the room's own colour (room-colour.ts). Pure. */
export function roomTag(room: string, chalk: ChalkInstance): string {
  return roomColour(room, chalk)(`[${room}]`);
}

function renderBody(line: ServerLine, chalk: ChalkInstance, self: string | undefined): string {
  const mark = (text: string): string => highlight(text, self, chalk);
  switch (line.kind) {
    case 'direct':
      return chalk.magenta(`${chalk.bold(`*${line.from}*`)} ${mark(line.text)}`);
    case 'room': {
      // Said on another of our devices: our own words mention nobody to us.
      if (self !== undefined && nameKey(line.from) === nameKey(self)) return `${chalk.cyan(`<${line.from}>`)} ${line.text}`;
      // A line that calls us stands out as a whole: its sender too, not only our name.
      const from = self !== undefined && callsUs(line, self) ? chalk.yellow.bold : chalk.cyan;
      return `${from(`<${line.from}>`)} ${mark(line.text)}`;
    }
    case 'notice':
      return chalk.gray(`* ${mark(line.text)}`);
    case 'error':
      return chalk.red(`! ${line.text}`);
    case 'other': {
      // A direct message we sent from another device: as a direct message, and as the wire
      // has it, `*alice->bob*`, so that it reads "from us, to bob" (no highlighting: ours).
      const sent = recogniseSentDirect(line);
      return sent ? chalk.magenta(`${chalk.bold(`*${sent.from}->${sent.to}*`)} ${sent.text}`) : line.text;
    }
  }
}

function highlight(text: string, self: string | undefined, chalk: ChalkInstance): string {
  if (!self || chalk.level === 0) return text;
  return text.replace(mentionPattern(self), (m) => chalk.yellow.bold(m));
}

/** Local time as `HH:MM`, shown before each received line. Pure. */
export function timestamp(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}`;
}

/** Local time of a past message: `HH:MM`, with the local date before it when it is not today's. Pure. */
export function pastTimestamp(at: Date, now: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const day = (d: Date): string => `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  return day(at) === day(now) ? timestamp(at) : `${day(at)} ${timestamp(at)}`;
}

export interface PastOptions {
  chalk: ChalkInstance;
  /** --no-timestamps: no time either. */
  timestamps: boolean;
  now: Date;
}

/**
 * A history line (`* [TIME] <NAME> TEXT`), a message kept for us (`* [TIME] *FROM* TEXT`) or
 * a line of a device's catch-up as the live one would read, `<NAME> TEXT` (`[ROOM] <NAME>
 * TEXT` for a room's), `*FROM* TEXT` or `*NAME->TO* TEXT`, dimmed, after its local time. Pure.
 */
export function renderPast(item: PastItem, { chalk, timestamps, now }: PastOptions): string {
  const when = timestamps ? `${pastTimestamp(new Date(item.at), now)} ` : '';
  return chalk.dim(when + pastBody(item));
}

function pastBody(item: PastItem): string {
  switch (item.kind) {
    case 'room':
      return `${item.room === undefined ? '' : `[${item.room}] `}<${item.from}> ${item.text}`;
    case 'kept':
      return `*${item.from}* ${item.text}`;
    case 'sent':
      return `*${item.from}->${item.to}* ${item.text}`;
  }
}

/** Under the past lines the client asked for itself, before the live ones. */
export const END_OF_PAST = '-- end of history --';
