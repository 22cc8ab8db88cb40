import type { RoomChange, RoomEvent } from '../../hub/hub.js';
import { isoTime, sourceOf, type IrcContext } from './context.js';
import { LINE_MAX, messageLines } from './split.js';
import { fromAction } from './text.js';

/**
 * The forms of a room event for IRC receivers (Dialect.forms): one per set of capabilities
 * that changes the bytes, so that a message to a thousand IRC users is rendered at most
 * FORMS times. A bit per capability.
 */
export const FORM_SERVER_TIME = 1;
export const FORM_ACCOUNT_TAG = 2;
/** Not a tag, but whether an away change is news (IRCv3 away-notify): without it, nothing. */
export const FORM_AWAY_NOTIFY = 4;
export const FORMS = 8;

const TAG_FORMS = FORM_SERVER_TIME | FORM_ACCOUNT_TAG;

/** Whether a receiver of FORM gets tags on its lines. */
export const hasTags = (form: number): boolean => (form & TAG_FORMS) !== 0;

/** The tags a receiver of FORM gets on a line from FROM (undefined: no user), '' for none; AT: when (default now). */
export function tagsFor(ctx: IrcContext, form: number, from: string | undefined, at?: number): string {
  if (!hasTags(form)) return '';
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
    case 'message': {
      const tags = tagsFor(ctx, form, event.from);
      const head = `:${sourceOf(event.from)} ${event.notice === true ? 'NOTICE' : 'PRIVMSG'} #${room} :`;
      const text = fromAction(event.text);
      const line = Buffer.from(`${tags}${head}${text}\r\n`, 'utf8');
      // The bytes are counted anyway: a line within IRC's limit (tags aside, which are ASCII,
      // and CRLF) costs a subtraction; a longer one is made again, in parts (split.ts).
      return line.length - tags.length - 2 <= LINE_MAX ? line : Buffer.from(`${messageLines(tags, head, text)}\r\n`, 'utf8');
    }
    case 'joined':
      return event.names.map((name) => `${tagsFor(ctx, form, name)}:${sourceOf(name)} JOIN #${room}\r\n`).join('');
    case 'left': {
      const by = event.removedBy;
      if (by !== undefined) {
        return event.names
          .map((name) => `${tagsFor(ctx, form, by)}:${sourceOf(by)} KICK #${room} ${name} :${event.reason === '' ? by : event.reason}\r\n`)
          .join('');
      }
      return event.names
        .map((name) =>
          event.quit === true
            ? `${tagsFor(ctx, form, name)}:${sourceOf(name)} QUIT :${event.reason === '' ? 'Quit' : event.reason}\r\n`
            : `${tagsFor(ctx, form, name)}:${sourceOf(name)} PART #${room}${event.reason === '' ? '' : ` :${event.reason}`}\r\n`,
        )
        .join('');
    }
    case 'renamed':
      return `${tagsFor(ctx, form, event.from)}:${sourceOf(event.from)} NICK :${event.to}\r\n`;
    case 'away':
      if ((form & FORM_AWAY_NOTIFY) === 0) return '';
      return `${tagsFor(ctx, form, event.name)}:${sourceOf(event.name)} AWAY${event.text === undefined ? '' : ` :${event.text}`}\r\n`;
    case 'changed': {
      const head = `${tagsFor(ctx, form, event.by)}:${sourceOf(event.by)}`;
      const topics = event.changes.filter((c) => c.what === 'topic').map((c) => `${head} TOPIC #${room} :${c.what === 'topic' ? c.text : ''}\r\n`);
      const modes = modeLine(event.changes);
      return topics.join('') + (modes === undefined ? '' : `${head} MODE #${room} ${modes}\r\n`);
    }
  }
}

/** CHANGES (but the topic) as one MODE's mode string and parameters: `+o-v alice bob`. A key is never shown. */
export function modeLine(changes: readonly RoomChange[]): string | undefined {
  let modes = '';
  let sign = '';
  const params: string[] = [];
  const add = (on: boolean, letter: string, param?: string): void => {
    const s = on ? '+' : '-';
    if (s !== sign) modes += sign = s;
    modes += letter;
    if (param !== undefined) params.push(param);
  };
  for (const c of changes) {
    switch (c.what) {
      case 'topic':
        break;
      case 'op':
      case 'voice':
        add(c.on, c.what === 'op' ? 'o' : 'v', c.name);
        break;
      case 'private':
        add(c.on, 'i');
        break;
      case 'secret':
        add(c.on, 's');
        break;
      case 'moderated':
        add(c.on, 'm');
        break;
      case 'noExternal':
        add(c.on, 'n');
        break;
      case 'topicLock':
        add(c.on, 't');
        break;
      case 'key':
        add(c.on, 'k', '*');
        break;
      case 'limit':
        add(c.limit !== undefined, 'l', c.limit === undefined ? undefined : String(c.limit));
        break;
      case 'ban':
        add(c.on, 'b', c.mask);
        break;
    }
  }
  return modes === '' ? undefined : [modes, ...params].join(' ');
}
