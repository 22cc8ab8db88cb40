// The page's chat: its conversations (rooms and direct messages), their lines, unread counts
// and mentions. Pure and DOM-free: client.ts feeds it what the server says, page-view.ts
// draws it, and node --test checks it.

import { fold, isChannel } from './irc.js';
import { mentions } from './text.js';

/** message: said by someone; action: `/me`; notice: NOTICE; event: joins, topics...; error: a refusal. */
export type LineKind = 'message' | 'action' | 'notice' | 'event' | 'error';

export interface ChatLine {
  /** Two lines with the same key are the same line (an echo, and then history, of one message). */
  key: string;
  /** When it was said (server-time), as milliseconds and as the ISO text shown in a tooltip. */
  at: number;
  time: string;
  kind: LineKind;
  /** The nick who said it; '' for events and errors. */
  from: string;
  text: string;
  /** Said by this page's own nick (on this device or another). */
  self: boolean;
  /** Someone else's message naming our nick. */
  mention: boolean;
  /** Made by the page (an error, /help), timed by the browser's clock: never moves a read marker. */
  local: boolean;
}

export type ConversationKind = 'room' | 'query' | 'server';

export interface Conversation {
  /** The folded name: `#dev`, `bob`; `*` for the server's own messages. */
  id: string;
  /** The name as shown: `#Dev`, `Bob`. */
  name: string;
  kind: ConversationKind;
  lines: ChatLine[];
  keys: Set<string>;
  /** Lines of others after `seenAt`, and the mentions among them. */
  unread: number;
  mentionCount: number;
  /** Lines up to this time are read: from the server's read marker or from showing them. */
  seenAt: number;
  /** The read marker last sent to (or told by) the server. */
  markerAt: number;
  topic: string;
  /** Folded nick -> nick, for a room we are in. */
  members: Map<string, string>;
  /** A room we are in on this connection; false while reconnecting or after a KICK. */
  joined: boolean;
  /** Counts changes other than lines added at the end (history merged, old lines dropped): the view redraws. */
  revision: number;
}

export interface ChatState {
  nick: string;
  conversations: Map<string, Conversation>;
  current: string | undefined;
  /** The page is shown (not a background tab): lines of the current conversation are then read as they come. */
  visible: boolean;
}

/** Lines kept a conversation: what one page holds stays bounded, as the server's history is (1000 a room). */
export const MAX_LINES = 1000;
const DROP = 100;

export const SERVER_ID = '*';

export function createChat(nick: string): ChatState {
  return { nick, conversations: new Map(), current: undefined, visible: true };
}

/** The conversation named NAME, made if missing: a room for `#NAME`, else a direct-message one. */
export function conversation(chat: ChatState, name: string): Conversation {
  const id = name === SERVER_ID ? SERVER_ID : fold(name);
  let conv = chat.conversations.get(id);
  if (conv === undefined) {
    const kind: ConversationKind = id === SERVER_ID ? 'server' : isChannel(name) ? 'room' : 'query';
    conv = {
      id,
      name: kind === 'server' ? 'server' : name,
      kind,
      lines: [],
      keys: new Set(),
      unread: 0,
      mentionCount: 0,
      seenAt: 0,
      markerAt: 0,
      topic: '',
      members: new Map(),
      joined: false,
      revision: 0,
    };
    chat.conversations.set(id, conv);
  }
  return conv;
}

export function find(chat: ChatState, name: string): Conversation | undefined {
  return chat.conversations.get(name === SERVER_ID ? SERVER_ID : fold(name));
}

/** The side list's order: rooms by name, then direct messages by name, then the server's. */
export function ordered(chat: ChatState): Conversation[] {
  const rank = { room: 0, query: 1, server: 2 };
  return [...chat.conversations.values()].sort((a, b) => rank[a.kind] - rank[b.kind] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface NewLine {
  at: number;
  kind: LineKind;
  from?: string;
  text: string;
  local?: boolean;
}

/** NEW as a line of CHAT, with its key, and whether it is ours or mentions us. */
export function makeLine(chat: ChatState, line: NewLine): ChatLine {
  const from = line.from ?? '';
  const self = from !== '' && fold(from) === fold(chat.nick);
  const said = line.kind === 'message' || line.kind === 'action' || line.kind === 'notice';
  return {
    key: `${line.at}\0${line.kind}\0${fold(from)}\0${line.text}`,
    at: line.at,
    time: new Date(line.at).toISOString(),
    kind: line.kind,
    from,
    text: line.text,
    self,
    mention: said && !self && mentions(line.text, chat.nick),
    local: line.local ?? false,
  };
}

/** Whether LINE counts as unread: said by someone else after what was read. */
function unreadLine(conv: Conversation, line: ChatLine): boolean {
  return (line.kind === 'message' || line.kind === 'action' || line.kind === 'notice') && !line.self && !line.local && line.at > conv.seenAt;
}

/** Whether CONV is on screen: its new lines are read as they come. */
export function viewing(chat: ChatState, conv: Conversation): boolean {
  return chat.visible && chat.current === conv.id;
}

/** Adds a line as it happens, at the end; false when CONV has it already (an echo seen twice). */
export function addLine(chat: ChatState, conv: Conversation, line: ChatLine): boolean {
  if (conv.keys.has(line.key)) return false;
  conv.lines.push(line);
  conv.keys.add(line.key);
  if (viewing(chat, conv)) {
    if (!line.local) conv.seenAt = Math.max(conv.seenAt, line.at);
  } else if (unreadLine(conv, line)) {
    conv.unread++;
    if (line.mention) conv.mentionCount++;
  }
  trim(conv);
  return true;
}

/**
 * Merges history (CHATHISTORY's batch) into CONV: lines it has already are not added again, the
 * rest go in time order. A reconnect that fetches the same history shows it once.
 */
export function mergeHistory(chat: ChatState, conv: Conversation, lines: ChatLine[]): void {
  const fresh = lines.filter((l) => !conv.keys.has(l.key));
  if (fresh.length === 0) return;
  // The first history of a conversation nobody has read on any device (no read marker) is
  // its past, not news: it counts as read. Later history (a reconnect) counts from what was read.
  if (conv.lines.length === 0 && conv.seenAt === 0) conv.seenAt = Math.max(...fresh.map((l) => l.at));
  for (const l of fresh) conv.keys.add(l.key);
  // Stable: lines of the same millisecond keep the order they came in.
  conv.lines = [...conv.lines, ...fresh].sort((a, b) => a.at - b.at);
  conv.revision++;
  if (viewing(chat, conv)) conv.seenAt = Math.max(conv.seenAt, latest(conv));
  trim(conv);
  recount(conv);
}

/** The server's time of CONV's newest line (0 if none). */
export function latest(conv: Conversation): number {
  for (let i = conv.lines.length - 1; i >= 0; i--) {
    const line = conv.lines[i]!;
    if (!line.local) return line.at;
  }
  return 0;
}

function trim(conv: Conversation): void {
  if (conv.lines.length <= MAX_LINES) return;
  for (const line of conv.lines.splice(0, DROP + conv.lines.length - MAX_LINES)) conv.keys.delete(line.key);
  conv.revision++;
}

function recount(conv: Conversation): void {
  conv.unread = 0;
  conv.mentionCount = 0;
  for (const line of conv.lines) {
    if (!unreadLine(conv, line)) continue;
    conv.unread++;
    if (line.mention) conv.mentionCount++;
  }
}

/** Shows conversation ID: what it holds is then read. */
export function select(chat: ChatState, id: string | undefined): void {
  chat.current = id !== undefined && chat.conversations.has(id) ? id : undefined;
  const conv = current(chat);
  if (conv !== undefined) markSeen(chat, conv);
}

export function current(chat: ChatState): Conversation | undefined {
  return chat.current === undefined ? undefined : chat.conversations.get(chat.current);
}

/** The page was shown or hidden (visibilitychange). */
export function setVisible(chat: ChatState, visible: boolean): void {
  chat.visible = visible;
  const conv = current(chat);
  if (conv !== undefined) markSeen(chat, conv);
}

function markSeen(chat: ChatState, conv: Conversation): void {
  if (!viewing(chat, conv)) return;
  conv.seenAt = Math.max(conv.seenAt, latest(conv));
  conv.unread = 0;
  conv.mentionCount = 0;
}

/** The server's read marker for CONV (MARKREAD): read on another device, or before a reconnect. */
export function setMarker(chat: ChatState, conv: Conversation, at: number): void {
  conv.markerAt = Math.max(conv.markerAt, at);
  if (at <= conv.seenAt) return;
  conv.seenAt = at;
  recount(conv);
  markSeen(chat, conv);
}

/** Read markers to send: conversations read further than the server knows. Each is then taken as sent. */
export function takeMarkers(chat: ChatState): Array<{ name: string; at: number }> {
  const out: Array<{ name: string; at: number }> = [];
  for (const conv of chat.conversations.values()) {
    if (conv.kind === 'server' || conv.seenAt <= conv.markerAt) continue;
    conv.markerAt = conv.seenAt;
    out.push({ name: conv.name, at: conv.seenAt });
  }
  return out;
}

/** Removes conversation ID; if it was shown, its neighbour in the side list is shown instead. */
export function remove(chat: ChatState, id: string): void {
  const list = ordered(chat);
  const at = list.findIndex((c) => c.id === id);
  if (at < 0) return;
  chat.conversations.delete(id);
  if (chat.current === id) select(chat, (list[at + 1] ?? list[at - 1])?.id);
}

/** Shows the conversation STEP places away in the side list (Alt+Up: -1, Alt+Down: +1), wrapping around. */
export function step(chat: ChatState, by: number): void {
  const list = ordered(chat);
  if (list.length === 0) return;
  const at = list.findIndex((c) => c.id === chat.current);
  const next = at < 0 ? (by > 0 ? 0 : list.length - 1) : (at + by + list.length) % list.length;
  select(chat, list[next]!.id);
}

/**
 * OLD is now NEW: in the member lists, and a direct-message conversation takes the new name
 * (its lines stay). Returns the conversations OLD was in, to tell them.
 */
export function rename(chat: ChatState, old: string, now: string): Conversation[] {
  const touched: Conversation[] = [];
  for (const conv of chat.conversations.values()) {
    if (conv.kind === 'room' && conv.members.delete(fold(old))) {
      conv.members.set(fold(now), now);
      touched.push(conv);
    }
  }
  const query = chat.conversations.get(fold(old));
  if (query?.kind === 'query' && !chat.conversations.has(fold(now))) {
    chat.conversations.delete(query.id);
    query.id = fold(now);
    query.name = now;
    chat.conversations.set(query.id, query);
    if (chat.current === fold(old)) chat.current = query.id;
    touched.push(query);
  }
  if (fold(old) === fold(chat.nick)) chat.nick = now;
  return touched;
}

/** The number of conversations with unread lines, and of mentions, for the window's title. */
export function totals(chat: ChatState): { unread: number; mentions: number } {
  let unread = 0;
  let mentionCount = 0;
  for (const conv of chat.conversations.values()) {
    unread += conv.unread;
    mentionCount += conv.mentionCount;
  }
  return { unread, mentions: mentionCount };
}
