import type { DirectMessage, Member, RoomEvent } from '../../src/hub/hub.js';
import { lineDialect } from '../../src/dialects/line/dialect.js';

/** Room events in the line protocol's words, as HubEvents.render gives them to a member of form 0. */
export const lineRender = (event: RoomEvent, room: string, tagged: boolean): Buffer | string => lineDialect.render(event, room, tagged, 0);

/**
 * As lineRender, but an away change (which the line protocol shows nobody) as `~ NAME TEXT`
 * (`~ NAME back`): what the hubs' tests render with, so that they see it arrive.
 */
export const testRender = (event: RoomEvent, room: string, tagged: boolean): Buffer | string =>
  event.kind === 'away' ? `~ ${event.name} ${event.text ?? 'back'}\n` : lineRender(event, room, tagged);

/** A direct message delivered as the line protocol words it (HubEvents.direct). */
export const lineDirect = (member: Member, message: DirectMessage): void => member.deliver(`${lineDialect.words.directMessage(message.from, message.text)}\n`);

/** `*FROM* TEXT` (a line as the line protocol shows a direct message) as the message it shows. */
export function dm(line: string | Buffer): DirectMessage {
  const match = /^\*([^*\s]+)\* (.*?)\n?$/s.exec(String(line));
  if (match === null) return { from: 'x', text: String(line).replace(/\n$/, '') };
  return { from: match[1]!, text: match[2]! };
}
