import { parseCommand } from '../dialects/line/parse.js';
import { withoutLeadingInvisible } from '../protocol/invisible.js';
import type { ServerLine } from '../dialects/line/server-line.js';
import { recogniseGreeting, recogniseLineTooLong } from '../dialects/line/recognise.js';

/** The line limit a server that announces none has (docs/protocol.md: 4096 bytes). */
export const DEFAULT_MAX_LINE = 4096;

/**
 * Reads a line limit from a server line: the fixed `! line too long (max N bytes)`, or a
 * greeting (`* welcome...`) that announces one. Only those: other notices can carry what
 * users wrote (`* [TIME] <eve> max 64 bytes` in a history). Undefined when there is none.
 */
export function lineLimitIn(line: ServerLine): number | undefined {
  const n = recogniseLineTooLong(line) ?? recogniseGreeting(line)?.maxLine;
  return n !== undefined && n >= 64 ? n : undefined;
}

/**
 * Splits a chat line the server would refuse as too long into lines of at most MAXBYTES
 * UTF-8 bytes each, cut between characters (never inside a UTF-8 sequence or a surrogate
 * pair). The line is classified by the server's own parser (parseCommand), so a direct
 * message the server would see (`  @bob:...` after blanks or invisible characters too) is
 * one here: its parts each keep `@NAME:`, so every part goes to NAME. A cut is never put
 * before a blank (the server trims it away) nor, for a room message, where the part would
 * be read as anything but room text (a rename, a direct message, a command, invisible
 * characters the server drops). Returns undefined when no such cut exists. Commands and
 * lines within the limit come back whole.
 */
export function splitLine(line: string, maxBytes: number): string[] | undefined {
  if (Buffer.byteLength(line) <= maxBytes) return [line];
  const cmd = parseCommand(line);
  if (cmd.kind !== 'direct' && cmd.kind !== 'room') return [line]; // a command: the server's to judge
  const dm = cmd.kind === 'direct';
  const prefix = dm ? `@${cmd.to}:` : '';
  // A room line as the server reads it: without what it starts with that nobody sees.
  let rest = dm ? cmd.text : withoutLeadingInvisible(line);
  // What a part may not start with: for a room part, anything the server drops or reads as
  // more than room text; for a direct message's, a blank (trimmed away with the `@NAME:`).
  const unsafe = dm ? (c: string) => /^\s/.test(c) : (c: string) => c !== '' && ('#@/'.includes(c) || withoutLeadingInvisible(c) === '');
  const room = Buffer.byteLength(prefix);
  const parts: string[] = [];
  while (rest !== '') {
    const budget = maxBytes - room;
    if (budget <= 0) return undefined;
    if (Buffer.byteLength(rest) <= budget) {
      parts.push(prefix + rest);
      break;
    }
    const chars = Array.from(rest);
    let fit = 0;
    let bytes = 0;
    for (const c of chars) {
      const size = Buffer.byteLength(c);
      if (bytes + size > budget) break;
      bytes += size;
      fit += 1;
    }
    let cut = fit;
    while (cut > 0 && unsafe(chars[cut] ?? '')) cut -= 1;
    if (cut === 0) return undefined;
    parts.push(prefix + chars.slice(0, cut).join(''));
    rest = chars.slice(cut).join('');
  }
  return parts;
}
