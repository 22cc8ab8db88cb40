import { isValidName } from '../protocol/names.js';

/** What a typed line becomes: wire lines to send, or a message for the user instead. */
export type Typed = { send: string } | { problem: string };

/**
 * The client's own shorthands, as irssi and weechat users type them, turned into protocol
 * lines: `/msg NAME TEXT` and `/m NAME TEXT` are `@NAME:TEXT`, `/nick NAME` is `#NAME`.
 * Anything else is sent as typed. Pure. Only the interactive client translates: scripts
 * send the protocol as written (the server answers `/msg` with unknown command).
 */
export function translateTyped(line: string): Typed {
  const msg = /^\/(msg|m)(?:\s+(.*))?$/is.exec(line);
  if (msg) {
    const m = /^(\S+)\s+(.*\S.*)$/s.exec(msg[2] ?? '');
    if (!m) return { problem: `/${msg[1]} needs a name and a text: /${msg[1]} NAME TEXT` };
    const [, name, text] = m as unknown as [string, string, string];
    if (!isValidName(name)) return { problem: `"${name}" is not a name: use 1-32 letters, digits, _ or -` };
    return { send: `@${name}:${text.trim()}` };
  }
  const nick = /^\/nick(?:\s+(.*))?$/is.exec(line);
  if (nick) {
    const name = (nick[1] ?? '').trim();
    if (!name) return { problem: '/nick needs a name: /nick NAME' };
    if (!isValidName(name)) return { problem: `"${name}" is not a name: use 1-32 letters, digits, _ or -` };
    return { send: `#${name}` };
  }
  return { send: line };
}
