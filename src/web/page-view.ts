// Draws the chat state into the page. Every text of a user (names, messages, topics) goes into
// the DOM as textContent or a text node, never as HTML; a link's href is only ever an http(s)
// URL that text.ts checked. Elements are kept and updated, not rebuilt, so that focus and
// a screen reader's place survive new messages.

import { type ChatLine, type ChatState, type Conversation, current, ordered, totals } from './chat.js';
import { segments, shortTime } from './text.js';

export type Connection = 'connecting' | 'online' | 'waiting' | 'offline';

export interface Status {
  connection: Connection;
  /** What the status line says. */
  text: string;
}

export interface ViewActions {
  select(id: string): void;
}

/** The element with ID, of type T. */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className !== '') el.className = className;
  if (text !== '') el.textContent = text;
  return el;
}

interface LogView {
  ol: HTMLOListElement;
  shown: number;
  revision: number;
}

interface ItemView {
  li: HTMLLIElement;
  button: HTMLButtonElement;
  name: HTMLSpanElement;
  badge: HTMLSpanElement;
}

export class View {
  readonly #logs = new Map<Conversation, LogView>();
  readonly #items = new Map<Conversation, ItemView>();
  readonly #actions: ViewActions;
  #shown: Conversation | undefined;

  constructor(actions: ViewActions) {
    this.#actions = actions;
  }

  render(chat: ChatState, status: Status): void {
    document.body.dataset['connection'] = status.connection;
    byId('status').textContent = status.text;
    byId('retry').hidden = status.connection !== 'waiting';
    this.#list(chat);
    this.#logsOf(chat);
    this.#heading(chat);
    const { unread, mentions } = totals(chat);
    // Folded away on a narrow screen, the list still says that something is waiting in it.
    const menu = byId('menu');
    menu.textContent = mentions > 0 ? `Rooms \u00b7 @${mentions}` : unread > 0 ? `Rooms \u00b7 ${unread}` : 'Rooms';
    menu.setAttribute(
      'aria-label',
      ['Rooms', unread > 0 ? `${unread} unread` : '', mentions > 0 ? `${mentions} ${mentions === 1 ? 'mention' : 'mentions'}` : '']
        .filter((s) => s !== '')
        .join(', '),
    );
    const shown = current(chat);
    document.title = `${mentions > 0 ? `(@${mentions}) ` : unread > 0 ? `(${unread}) ` : ''}${shown === undefined ? '' : `${shown.kind === 'server' ? 'Server messages' : shown.name} - `}Chat`;
  }

  /** Forgets everything drawn (a logout). */
  clear(): void {
    for (const log of this.#logs.values()) log.ol.remove();
    for (const item of this.#items.values()) item.li.remove();
    this.#logs.clear();
    this.#items.clear();
    this.#shown = undefined;
  }

  #heading(chat: ChatState): void {
    const conv = current(chat);
    byId('title').textContent = conv === undefined ? 'Chat' : conv.kind === 'server' ? 'Server messages' : conv.name;
    const topic = byId('topic');
    topic.textContent =
      conv?.kind === 'room'
        ? conv.joined
          ? `${conv.topic === '' ? 'No topic' : conv.topic} \u00b7 ${conv.members.size} ${conv.members.size === 1 ? 'person' : 'people'}`
          : 'Not in this room now'
        : conv?.kind === 'query'
          ? 'Direct messages'
          : '';
    const leave = byId<HTMLButtonElement>('leave');
    leave.hidden = conv === undefined;
    if (conv !== undefined) {
      const joinedRoom = conv.kind === 'room' && conv.joined;
      leave.textContent = joinedRoom ? 'Leave' : 'Close';
      leave.setAttribute('aria-label', joinedRoom ? `Leave ${conv.name}` : `Close ${conv.kind === 'server' ? 'server messages' : conv.name}`);
    }
    byId('message-label').textContent = conv === undefined || conv.kind === 'server' ? 'Message' : `Message to ${conv.name}`;
  }

  /** The side list: one button a conversation, in ordered()'s order, moved only when the order changed. */
  #list(chat: ChatState): void {
    const list = ordered(chat);
    for (const [conv, item] of this.#items) {
      if (!list.includes(conv)) {
        item.li.remove();
        this.#items.delete(conv);
      }
    }
    const rooms = byId('rooms');
    const queries = byId('queries');
    const want = { rooms: [] as HTMLLIElement[], queries: [] as HTMLLIElement[] };
    for (const conv of list) {
      const item = this.#items.get(conv) ?? this.#item(conv);
      const label = conv.kind === 'server' ? 'Server messages' : conv.name;
      item.name.textContent = label;
      item.badge.textContent = conv.mentionCount > 0 ? `@${conv.mentionCount}` : conv.unread > 0 ? String(conv.unread) : '';
      item.badge.hidden = conv.unread === 0;
      item.li.classList.toggle('unread', conv.unread > 0);
      item.li.classList.toggle('mentioned', conv.mentionCount > 0);
      item.li.classList.toggle('parted', conv.kind === 'room' && !conv.joined);
      const counts = [
        conv.unread > 0 ? `${conv.unread} unread` : '',
        conv.mentionCount > 0 ? `${conv.mentionCount} ${conv.mentionCount === 1 ? 'mention' : 'mentions'}` : '',
      ];
      item.button.setAttribute('aria-label', [label, ...counts].filter((s) => s !== '').join(', '));
      if (chat.current === conv.id) item.button.setAttribute('aria-current', 'true');
      else item.button.removeAttribute('aria-current');
      (conv.kind === 'room' ? want.rooms : want.queries).push(item.li);
    }
    place(rooms, want.rooms);
    place(queries, want.queries);
    byId('rooms-heading').hidden = want.rooms.length === 0;
    byId('queries-heading').hidden = want.queries.length === 0;
  }

  #item(conv: Conversation): ItemView {
    const li = h('li');
    const button = h('button', 'conv');
    button.type = 'button';
    const name = h('span', 'name');
    const badge = h('span', 'badge');
    badge.setAttribute('aria-hidden', 'true');
    button.append(name, badge);
    button.addEventListener('click', () => this.#actions.select(conv.id));
    li.append(button);
    const item = { li, button, name, badge };
    this.#items.set(conv, item);
    return item;
  }

  /** The current conversation's button in the side list, to give it focus. */
  currentButton(chat: ChatState): HTMLButtonElement | undefined {
    const conv = current(chat);
    return conv === undefined ? undefined : this.#items.get(conv)?.button;
  }

  /** One log a conversation, only the current one shown: switching rooms adds nothing for a screen reader to read out. */
  #logsOf(chat: ChatState): void {
    const list = new Set(chat.conversations.values());
    for (const [conv, log] of this.#logs) {
      if (!list.has(conv)) {
        log.ol.remove();
        this.#logs.delete(conv);
      }
    }
    const shown = current(chat);
    const now = new Date();
    for (const conv of list) {
      const log = this.#logs.get(conv) ?? this.#log(conv);
      log.ol.setAttribute('aria-label', conv.kind === 'server' ? 'Server messages' : `Messages of ${conv.name}`);
      const atBottom = log.ol.scrollHeight - log.ol.scrollTop - log.ol.clientHeight < 40;
      if (log.revision !== conv.revision) {
        // History came in between lines, or old lines went: drawn again, all at once.
        log.ol.setAttribute('aria-busy', 'true');
        log.ol.replaceChildren(...conv.lines.map((line) => lineElement(line, now)));
        log.ol.removeAttribute('aria-busy');
        log.revision = conv.revision;
      } else {
        for (const line of conv.lines.slice(log.shown)) log.ol.append(lineElement(line, now));
      }
      const grew = conv.lines.length !== log.shown;
      log.shown = conv.lines.length;
      log.ol.hidden = conv !== shown;
      if (conv === shown && (this.#shown !== conv || (grew && atBottom))) log.ol.scrollTop = log.ol.scrollHeight;
    }
    this.#shown = shown;
    byId('logs').classList.toggle('empty', shown === undefined);
  }

  #log(conv: Conversation): LogView {
    const ol = h('ol', 'log');
    ol.setAttribute('role', 'log');
    ol.setAttribute('aria-live', 'polite');
    // Focusable, so that a keyboard scrolls it (arrows, Page Up).
    ol.tabIndex = 0;
    byId('logs').append(ol);
    const log = { ol, shown: 0, revision: conv.revision };
    this.#logs.set(conv, log);
    return log;
  }
}

/** Puts ITEMS into LIST in this order, moving only those out of place (a moved button loses focus). */
function place(list: HTMLElement, items: HTMLLIElement[]): void {
  items.forEach((item, i) => {
    if (list.children[i] !== item) list.insertBefore(item, list.children[i] ?? null);
  });
  while (list.children.length > items.length) list.lastElementChild!.remove();
}

/** One line of a log: its time, who, and the text, all as text; http(s) links the only elements made from it. */
export function lineElement(line: ChatLine, now: Date): HTMLLIElement {
  const li = h('li', `line ${line.kind}${line.mention ? ' mention' : ''}${line.self ? ' self' : ''}`);
  const time = h('time', '', shortTime(line.time, now));
  time.dateTime = line.time;
  time.title = new Date(line.at).toLocaleString();
  li.append(time, ' ');
  if (line.kind === 'message') li.append(h('b', 'from', line.from), ' ');
  else if (line.kind === 'action') li.append(`* ${line.from} `);
  else if (line.kind === 'notice') li.append(h('b', 'from', `-${line.from}-`), ' ');
  const text = h('span', 'text');
  for (const seg of segments(line.text)) {
    if (seg.href === undefined) {
      text.append(seg.text);
    } else {
      const a = h('a', '', seg.text);
      a.href = seg.href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      text.append(a);
    }
  }
  li.append(text);
  if (line.mention) li.append(h('span', 'sr-only', ' (mentions you)'));
  return li;
}
