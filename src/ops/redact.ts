import type { ServerEvent } from '../server/events.js';

/** A command word short and plain enough to be a mistyped command rather than a typed message. */
const COMMAND_WORD = /^unknown command \/([A-Za-z]{1,16})$/;

/**
 * The event as both log formats write it. Logs go to journald and shippers that keep them
 * for months and show them to people who are not in the chat: what users typed stays out.
 * Passwords never reach an event; what could carry a line's text is a /quit message (the
 * user's words to the room) and the word of an unknown command (a message typed as "/...").
 */
export function forLog(event: ServerEvent): ServerEvent {
  if (event.type === 'leave' && event.reason.startsWith('quit: ')) return { ...event, reason: 'quit (with a message)' };
  if (event.type === 'reject' && event.reason.startsWith('unknown command')) {
    const word = COMMAND_WORD.exec(event.reason)?.[1];
    return { ...event, reason: word === undefined ? 'unknown command' : `unknown command /${word}` };
  }
  return event;
}
