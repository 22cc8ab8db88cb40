import { withoutLeadingInvisible } from '../../protocol/invisible.js';
import { isValidName, NAME_PATTERN } from '../../protocol/names.js';
import { ownString } from '../../protocol/own-string.js';

import type { Command } from '../../server/command.js';

const EMPTY: Command = Object.freeze({ kind: 'empty' });

/**
 * Parses one line, already decoded and stripped of control characters. UNFRAMED: the
 * connection has never sent an LF (see addressesInside): a line that may be two messages,
 * one of them private, is refused rather than delivered, whoever it names (fail closed).
 */
export function parseCommand(raw: string, unframed = false): Command {
  const cmd = commandOf(raw);
  if (!unframed) return cmd;
  if (cmd.kind === 'room' && addressesInside(cmd.text, 1).length > 0) return UNFRAMED_ADDRESS;
  // An address that is no name is answered as before (no such user): nothing is sent anyway.
  if (cmd.kind === 'direct' && isValidName(cmd.to) && addressesInside(cmd.text, 0).length > 0) return UNFRAMED_ADDRESS;
  return cmd;
}

const UNFRAMED_ADDRESS: Command = Object.freeze({ kind: 'unframedAddress' });

function commandOf(raw: string): Command {
  // A BOM (a UTF-8 file piped in), blanks, zero-width and direction characters go first.
  const line = withoutLeadingInvisible(raw);
  // A line of blanks is what a person sends by pressing Enter on an empty prompt.
  if (line === '') return EMPTY;
  switch (line[0]) {
    case '#': {
      // The name is kept for the connection's life: a copy, not a view of the line (own-string.ts).
      // `#NAME@DEVICE PASSWORD`: a device that names itself (docs/protocol.md, "Your account").
      const space = line.indexOf(' ');
      const head = space === -1 ? line.slice(1) : line.slice(1, space);
      const password = space === -1 ? undefined : line.slice(space + 1);
      const at = head.indexOf('@');
      if (at === -1) return { kind: 'register', name: ownString(head), password };
      return { kind: 'register', name: ownString(head.slice(0, at)), password, device: ownString(head.slice(at + 1)) };
    }
    case '@': {
      const colon = line.indexOf(':');
      if (colon === -1) {
        // `@carol thanks`, as in other chats: refused (a private thought must never reach the
        // room by mistake), and the answer shows both ways of saying it.
        const [to = '', ...words] = line.slice(1).trim().split(/\s+/);
        const text = words.join(' ');
        return to !== '' && text !== '' ? { kind: 'directMalformed', to: ownString(to), text } : { kind: 'directMalformed' };
      }
      const to = line.slice(1, colon).trim();
      if (to === '') return { kind: 'directMalformed' };
      return { kind: 'direct', to, text: line.slice(colon + 1).trim() };
    }
    case '/':
      return line[1] === '/' ? { kind: 'room', text: line.slice(1) } : parseSlash(line);
    default:
      return { kind: 'room', text: line };
  }
}

/** A room as typed: IRC users write `#dev`, which means `dev` (docs/protocol.md "What you send"). */
function roomArg(rest: string): string {
  return rest.startsWith('#') ? rest.slice(1) : rest;
}

function parseSlash(line: string): Command {
  // A tab after the command word separates as a space does (`/ban<TAB>bob`).
  const space = line.search(/[ \t]/);
  const word = space === -1 ? line.slice(1) : line.slice(1, space);
  const rest = space === -1 ? '' : line.slice(space + 1).trim();
  // Commands are matched without regard to case, as IRC users expect (/WHO works).
  switch (word.toLowerCase()) {
    case 'who':
      return { kind: 'who', room: rest === '' ? undefined : roomArg(rest) };
    case 'join': {
      const [room, key] = firstWord(rest);
      return key === '' ? { kind: 'join', room: ownString(roomArg(room)) } : { kind: 'join', room: ownString(roomArg(room)), key };
    }
    // docs/protocol.md, "Rooms people own": each acts on the current room.
    case 'topic':
      return { kind: 'topic', room: undefined, text: rest === '' ? undefined : rest };
    case 'op':
    case 'deop':
      return {
        kind: 'roomMode',
        room: undefined,
        word: word.toLowerCase(),
        changes: rest === '' ? [] : [{ what: 'op', on: word.toLowerCase() === 'op', name: firstWord(rest)[0] }],
      };
    case 'private':
    case 'public':
      return { kind: 'roomMode', room: undefined, word: word.toLowerCase(), changes: [{ what: 'private', on: word.toLowerCase() === 'private' }] };
    case 'key':
      return {
        kind: 'roomMode',
        room: undefined,
        word: 'key',
        changes: [rest === '' ? { what: 'key', on: false, key: '' } : { what: 'key', on: true, key: rest }],
      };
    case 'remove': {
      const [name, reason] = firstWord(rest);
      return { kind: 'removeFromRoom', room: undefined, name, reason };
    }
    case 'invite':
      return { kind: 'invite', room: undefined, name: firstWord(rest)[0] };
    case 'part': {
      // The first word is always the room: `/part bye` leaves a room called bye, never the
      // current room with a reason (docs/protocol.md, "Rooms").
      const [room, reason] = firstWord(rest);
      // A lone `#` names no room: refused as one, not taken for the current room.
      return { kind: 'part', room: room === '#' ? room : ownString(roomArg(room)), reason };
    }
    case 'mine':
      return { kind: 'mine' };
    case 'rooms':
      return { kind: 'rooms' };
    case 'ping':
      return { kind: 'ping', token: rest };
    case 'away':
      return { kind: 'away', text: rest };
    case 'help':
      return { kind: 'help' };
    case 'quit':
      return { kind: 'quit', reason: rest };
    case 'history':
      return historyOf(rest);
    case 'kick': {
      const [name, reason] = firstWord(rest);
      return { kind: 'kick', name, reason };
    }
    case 'ban': {
      const [name, more] = firstWord(rest);
      const [second, after] = firstWord(more);
      // Anything that starts like a number is meant as MINUTES: `-5` or `1.5` must not become
      // a reason and so a ban without end; the handler refuses what is not a whole number.
      return /^[-+]?[0-9.]/.test(second) ? { kind: 'ban', name, minutes: second, reason: after } : { kind: 'ban', name, minutes: undefined, reason: more };
    }
    case 'unban':
      return { kind: 'unban', name: firstWord(rest)[0] };
    case 'bans':
      return { kind: 'bans' };
    case 'passwd':
      return passwdOf(space === -1 ? '' : line.slice(space + 1));
    default:
      return { kind: 'unknown', word };
  }
}

/**
 * `/history [ROOM] [N]` (docs/protocol.md): a lone number is N, so a room named with digits only
 * is written `#50`. More words than two go to the handler as a COUNT it refuses.
 */
function historyOf(rest: string): Command {
  const [first, more] = firstWord(rest);
  if (first === '') return { kind: 'history', room: undefined, count: '' };
  if (more === '' && !first.startsWith('#') && /^[0-9]+$/.test(first)) return { kind: 'history', room: undefined, count: first };
  return { kind: 'history', room: roomArg(first), count: more };
}

/**
 * `/passwd OLD NEW` (docs/protocol.md, "Your account"): OLD is the first word, NEW all after
 * the blanks that follow it, to the end of the line as typed, as a login's password is
 * (`#NAME PASSWORD`). What is missing is '' (the handler answers with the usage).
 */
function passwdOf(rest: string): Command {
  const m = /^[ \t]*([^ \t]*)(?:[ \t]+(.*))?$/s.exec(rest);
  return { kind: 'passwd', old: m?.[1] ?? '', new: m?.[2] ?? '' };
}

/** The first blank-separated word of TEXT and the rest, trimmed. */
function firstWord(text: string): [string, string] {
  const match = /^(\S*)\s*(.*)$/s.exec(text.trim());
  return [match?.[1] ?? '', match?.[2]?.trim() ?? ''];
}

/** `@NAME:` as parseCommand reads a direct message: blanks around NAME are trimmed. */
const ADDRESS = new RegExp(`@\\s*(${NAME_PATTERN})\\s*:`, 'g');

/**
 * The names that TEXT addresses from FROM on as a direct message would (`...@NAME:...`), in
 * order. On a connection that has never sent an LF, two send()s the kernel joined into one
 * read look like one line: `hello everyone` and `@bob:my pin` become the room line
 * `hello everyone@bob:my pin`. The server refuses such a line (docs/protocol.md, "Bytes
 * and lines").
 */
export function addressesInside(text: string, from = 1): string[] {
  const names: string[] = [];
  ADDRESS.lastIndex = from;
  for (let m = ADDRESS.exec(text); m !== null; m = ADDRESS.exec(text)) names.push(m[1]!);
  return names;
}
