import { closeLog, refusalLog } from '../protocol/codes.js';
import type { ServerEvent } from '../server/events.js';

/** A command word short and plain enough to be a mistyped command rather than a typed message. */
const COMMAND_WORD = /^[A-Za-z]{1,16}$/;

/** An event as the logs write it: a refusal or a close with its code and its reason in words. */
export type LoggedEvent =
  | Exclude<ServerEvent, { type: 'reject' | 'leave' }>
  | { type: 'leave'; peer: string; name: string | undefined; code: string; reason: string }
  | { type: 'reject'; peer: string; name: string | undefined; code: string; reason: string };

/**
 * The event as both log formats write it. Logs go to journald and shippers that keep them
 * for months and show them to people who are not in the chat: what users typed stays out.
 * Passwords never reach an event; what could carry a line's text is a /quit message (the
 * user's words to the room) and the word of an unknown command (a message typed as "/...").
 */
export function forLog(event: ServerEvent): LoggedEvent {
  switch (event.type) {
    case 'leave': {
      const { detail = '', ...rest } = event;
      const reason = event.code === 'quit' && detail !== '' ? 'quit (with a message)' : closeLog(event.code, detail);
      return { ...rest, reason };
    }
    case 'reject': {
      const { detail = '', ...rest } = event;
      const shown = event.code === 'unknown-command' && !COMMAND_WORD.test(detail) ? undefined : detail;
      return { ...rest, reason: shown === undefined ? 'unknown command' : refusalLog(event.code, shown) };
    }
    default:
      return event;
  }
}
