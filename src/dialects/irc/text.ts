import { stripControls } from '../../protocol/sanitize.js';

/**
 * Text between IRC and the chat. An action (CTCP ACTION, `/me waves`) is the room text
 * `/me waves`: line-protocol users read it as `<bob> /me waves`, inside a message, where no
 * user can pass it off as a server notice; a line-protocol user sends one as `//me waves`.
 * Other control characters (colours, bold, CTCP's \x01) are taken out, as from every text
 * (docs/protocol.md): the chat's texts hold none.
 */
const ACTION = /^\x01ACTION(?: (.*?))?\x01?$/s;

/** CTCP other than ACTION: `\x01WORD ARGS\x01` (the closing \x01 may be missing). */
const CTCP = /^\x01([^\x01]*)\x01?$/s;

/** An IRC PRIVMSG's text as the chat's: undefined for a CTCP message other than ACTION (ctcpOf). */
export function toChat(text: string): string | undefined {
  if (text.charCodeAt(0) !== 1) return stripControls(text);
  const action = ACTION.exec(text);
  if (action !== null) return `/me ${stripControls(action[1] ?? '')}`;
  if (text.startsWith('\x01')) return undefined;
  return stripControls(text);
}

/** A CTCP message's payload (`VERSION`, `PING 123`), without controls; undefined for none or an ACTION. */
export function ctcpOf(text: string): string | undefined {
  if (ACTION.test(text)) return undefined;
  const ctcp = CTCP.exec(text);
  const payload = ctcp === null ? '' : stripControls(ctcp[1] ?? '');
  return payload === '' ? undefined : payload;
}

/** The chat's text as IRC's: `/me waves` is an action again. */
export function fromAction(text: string): string {
  return text.charCodeAt(0) === 0x2f && text.startsWith('/me ') ? `\x01ACTION ${text.slice(4)}\x01` : text;
}
