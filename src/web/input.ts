// What a line typed into the page's message box asks for. Pure: client.ts acts on it.

export type Command =
  | { kind: 'say'; text: string }
  | { kind: 'me'; text: string }
  | { kind: 'join'; room: string; key: string }
  | { kind: 'part'; room: string; reason: string }
  | { kind: 'close' }
  | { kind: 'msg'; nick: string; text: string }
  | { kind: 'query'; nick: string }
  | { kind: 'topic'; text: string | undefined }
  | { kind: 'nick'; nick: string }
  | { kind: 'away'; text: string }
  | { kind: 'help' }
  | { kind: 'none' }
  | { kind: 'error'; text: string };

/** The commands, as `/help` shows them and docs/web.md lists them. */
export const HELP = [
  '/join ROOM [KEY]: join a room (and show it)',
  '/part [ROOM] [REASON]: leave a room (default: this one)',
  '/close: leave this room, or close this conversation',
  '/msg NAME TEXT: a direct message',
  '/query NAME: open a conversation with NAME',
  '/me TEXT: an action (* you TEXT)',
  '/topic [TEXT]: show or set this room\u2019s topic',
  '/nick NAME: change your name',
  '/away [TEXT]: away with TEXT; without TEXT, back',
  '//TEXT: a message that starts with /',
];

const usage = (text: string): Command => ({ kind: 'error', text: `usage: ${text}` });

/** What TEXT (one line of the message box) asks for. */
export function parseInput(text: string): Command {
  if (text.trim() === '') return { kind: 'none' };
  if (!text.startsWith('/') || text.startsWith('//')) return { kind: 'say', text: text.startsWith('//') ? text.slice(1) : text };
  const m = /^\/(\S+)\s*(.*)$/s.exec(text)!;
  const word = m[1]!.toLowerCase();
  const rest = m[2]!.trim();
  const [first = '', ...more] = rest.split(/\s+/);
  const after = rest.slice(first.length).trim();
  switch (word) {
    case 'me':
      return rest === '' ? usage('/me TEXT') : { kind: 'me', text: m[2]! };
    case 'join':
    case 'j':
      return first === '' ? usage('/join ROOM [KEY]') : { kind: 'join', room: first, key: more[0] ?? '' };
    case 'part':
    case 'leave':
      return { kind: 'part', room: first, reason: after };
    case 'close':
      return { kind: 'close' };
    case 'msg':
      return first === '' || after === '' ? usage('/msg NAME TEXT') : { kind: 'msg', nick: first, text: after };
    case 'query':
    case 'q':
      return first === '' ? usage('/query NAME') : { kind: 'query', nick: first };
    case 'topic':
      return { kind: 'topic', text: rest === '' ? undefined : rest };
    case 'nick':
      return first === '' ? usage('/nick NAME') : { kind: 'nick', nick: first };
    case 'away':
      return { kind: 'away', text: rest };
    case 'help':
      return { kind: 'help' };
    default:
      return { kind: 'error', text: `unknown command /${m[1]}: /help lists them; //${m[1]} sends it as a message` };
  }
}
