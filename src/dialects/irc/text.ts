import { stripControls } from '../../protocol/sanitize.js';

/**
 * Text between IRC and the chat. An action (CTCP ACTION, `/me waves`) is the room text
 * `/me waves`: line-protocol users read it as `<bob> /me waves`, inside a message, where no
 * user can pass it off as a server notice; a line-protocol user sends one as `//me waves`.
 * Other control characters (colours, bold, CTCP's \x01) are taken out, as from every text
 * (docs/protocol.md): the chat's texts hold none.
 */
const ACTION = /^\x01ACTION(?: (.*?))?\x01?$/s;

/** An IRC PRIVMSG's text as the chat's: undefined for a CTCP request other than ACTION. */
export function toChat(text: string): string | undefined {
  const action = ACTION.exec(text);
  if (action !== null) return `/me ${stripControls(action[1] ?? '')}`;
  if (text.startsWith('\x01')) return undefined;
  return stripControls(text);
}

/** The chat's text as IRC's: `/me waves` is an action again. */
export function fromAction(text: string): string {
  return text.startsWith('/me ') ? `\x01ACTION ${text.slice(4)}\x01` : text;
}
