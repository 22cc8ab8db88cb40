import type { RoomEvent } from '../../hub/hub.js';
import { isoTime, sourceOf, type IrcContext } from './context.js';
import { fromAction } from './text.js';

/**
 * The forms of a room event for IRC receivers (Dialect.forms): one per set of capabilities
 * that changes the bytes, so that a message to a thousand IRC users is rendered at most
 * FORMS times. A bit per capability.
 */
export const FORM_SERVER_TIME = 1;
export const FORM_ACCOUNT_TAG = 2;
export const FORMS = 4;

/** The tags a receiver of FORM gets on a line from FROM (undefined: no user), '' for none; AT: when (default now). */
export function tagsFor(ctx: IrcContext, form: number, from: string | undefined, at?: number): string {
  if (form === 0) return '';
  let tags = '';
  if ((form & FORM_SERVER_TIME) !== 0) tags = `time=${isoTime(at ?? ctx.now())}`;
  if ((form & FORM_ACCOUNT_TAG) !== 0 && from !== undefined && ctx.isAccount(from)) tags += `${tags === '' ? '' : ';'}account=${from}`;
  return tags === '' ? '' : `@${tags} `;
}

/**
 * EVENT in ROOM, for an IRC receiver of FORM: lines that name the room always (an IRC user
 * has no current room), so TAGGED changes nothing. A QUIT for users who left the chat, a
 * PART for a room left.
 */
export function renderIrc(ctx: IrcContext, event: RoomEvent, room: string, form: number): Buffer | string {
  switch (event.kind) {
    case 'message':
      return Buffer.from(
        `${tagsFor(ctx, form, event.from)}:${sourceOf(event.from)} ${event.notice === true ? 'NOTICE' : 'PRIVMSG'} #${room} :${fromAction(event.text)}\r\n`,
        'utf8',
      );
    case 'joined':
      return event.names.map((name) => `${tagsFor(ctx, form, name)}:${sourceOf(name)} JOIN #${room}\r\n`).join('');
    case 'left':
      return event.names
        .map((name) =>
          event.quit === true
            ? `${tagsFor(ctx, form, name)}:${sourceOf(name)} QUIT :${event.reason === '' ? 'Quit' : event.reason}\r\n`
            : `${tagsFor(ctx, form, name)}:${sourceOf(name)} PART #${room}${event.reason === '' ? '' : ` :${event.reason}`}\r\n`,
        )
        .join('');
    case 'renamed':
      return `${tagsFor(ctx, form, event.from)}:${sourceOf(event.from)} NICK :${event.to}\r\n`;
  }
}
