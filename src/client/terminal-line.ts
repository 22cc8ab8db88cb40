import { historyTime } from '../dialects/line/wording.js';
import { parseServerLine, type ServerLine } from '../dialects/line/server-line.js';
import { recogniseBannedAtLogin, recogniseBansList, recogniseUnknownCommand, recogniseYouBanned } from '../dialects/line/recognise.js';
import { pastTimestamp } from './render.js';

/** After `! unknown command: /WORD`, whose words are fixed (scripts match them): where to look. */
export const UNKNOWN_COMMAND_HINT = '(/help lists the commands)';

/**
 * LINE as the terminal shows it, where its words are the server's own but a person needs
 * more: the end of a ban (`! banned until TIME: REASON`, `/bans`, `/ban`'s answer) in local
 * time, `HH:MM` and the date when it is not NOW's (as history is shown), instead of UTC; and
 * `! unknown command: /WORD` followed by where the commands are listed. Scripting mode prints
 * every line as the server sent it (docs/scripting.md); this is for the terminal only. Pure.
 */
export function terminalLine(line: ServerLine, now: Date): ServerLine {
  const word = recogniseUnknownCommand(line);
  // An older server that does not know /help either: no pointing to it.
  if (word !== undefined) return word.toLowerCase() === 'help' ? line : reworded(line, `${line.text} ${UNKNOWN_COMMAND_HINT}`);
  const ends = banEnds(line);
  if (ends.length === 0) return line;
  let text = line.text;
  for (const at of ends) text = text.replaceAll(` until ${historyTime(at)}`, ` until ${pastTimestamp(new Date(at), now)}`);
  return reworded(line, text);
}

/** The times at which the bans LINE names end: none for any other line, or bans without end. */
function banEnds(line: ServerLine): number[] {
  const bans = [recogniseBannedAtLogin(line) ?? recogniseYouBanned(line) ?? recogniseBansList(line) ?? []].flat();
  return bans.flatMap((ban) => (ban.until === undefined ? [] : [ban.until]));
}

/** A notice or error LINE with TEXT instead of its own. */
function reworded(line: ServerLine, text: string): ServerLine {
  return parseServerLine(`${line.kind === 'error' ? '!' : '*'} ${text}`);
}
