import { NAME_PATTERN } from '../../protocol/names.js';

/** Server lines to typed events (docs/protocol.md "What the server sends"): the client's side of the wire. */
export type ServerLine =
  | { kind: 'notice'; text: string; raw: string }
  | { kind: 'error'; text: string; raw: string }
  | { kind: 'room'; from: string; text: string; raw: string }
  | { kind: 'direct'; from: string; text: string; raw: string }
  /** Not one of the four marks: a server speaking another protocol, shown as it is. */
  | { kind: 'other'; text: string; raw: string };

const ROOM = new RegExp(`^<(${NAME_PATTERN})> (.*)$`, 's');
const DIRECT = new RegExp(`^\\*(${NAME_PATTERN})\\* (.*)$`, 's');

export function parseServerLine(raw: string): ServerLine {
  if (raw.startsWith('* ') || raw === '*') return { kind: 'notice', text: raw.slice(2), raw };
  if (raw.startsWith('! ') || raw === '!') return { kind: 'error', text: raw.slice(2), raw };
  let m = ROOM.exec(raw);
  if (m) return { kind: 'room', from: m[1] ?? '', text: m[2] ?? '', raw };
  m = DIRECT.exec(raw);
  if (m) return { kind: 'direct', from: m[1] ?? '', text: m[2] ?? '', raw };
  return { kind: 'other', text: raw, raw };
}
