import type { RoomEvent } from '../../hub/hub.js';
import type { Words } from '../../server/dialect.js';
import { roomChanged } from './wording.js';

/**
 * EVENT on the wire for one receiver, in words W: TAG names the room when it is not the
 * receiver's current room (docs/protocol.md, "Rooms"). A message is a Buffer, encoded once
 * per form for all its receivers; a notice stays a string: each member's turn of strings
 * goes out as one write (Outbox.flush), and a notice is short enough that encoding it per
 * member costs less than a write of its own.
 */
export function renderEvent(w: Words, event: RoomEvent, tag: string | undefined): Buffer | string {
  switch (event.kind) {
    case 'message':
      return Buffer.from(`${w.roomMessage(event.from, event.text, tag)}\n`, 'utf8');
    case 'joined':
      return event.names.map((name) => `${w.joined(name, tag)}\n`).join('');
    case 'left': {
      // docs/protocol.md: `* NAME left (removed by OP: REASON)`.
      const reason = event.removedBy === undefined ? event.reason : `removed by ${event.removedBy}${event.reason ? `: ${event.reason}` : ''}`;
      return event.names.map((name) => `${w.left(name, reason, tag)}\n`).join('');
    }
    case 'changed':
      return event.changes.map((c) => `${roomChanged(event.by, c, tag)}\n`).join('');
    case 'renamed':
      // Not about a room: the same line in every room (docs/protocol.md, "Fixed wording").
      return `${w.renamed(event.from, event.to)}\n`;
    case 'away':
      // Told to whoever writes to them (docs/protocol.md, "Away"), never to their rooms.
      return '';
  }
}
