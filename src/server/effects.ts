import type { Delivery, Member, RoomEvent } from '../hub/hub.js';
import { after, all, type Awaitable } from '../protocol/awaitable.js';
import type { Keep, KeptMessage } from '../store/store.js';
import { nameKey } from '../protocol/names.js';
import type { Action } from './actions.js';
import { deliveryError } from './commands.js';
import type { Words } from './dialect.js';
import type { ServerEvent } from './events.js';
import type { SessionHost } from './host.js';
import { guestMarker, markerTarget } from './read-markers.js';

/** Kept messages are written this many characters at a time, each part once the last is written. */
const KEPT_CHUNK = 32 * 1024;

/**
 * What a message does lives here (STYLE.md, point 21): a direct message delivered or kept, a
 * room message written to history and sent, kept messages written at login, presence told.
 * The session carries out every other action; these are the ones with effects beyond it.
 */
export interface Speaker extends Member {
  readonly host: SessionHost<never>;
  /** This connection's dialect's words (Dialect.voice). */
  readonly words: Words;
  readonly closed: boolean;
  /** A line for this connection alone. */
  send(line: string): void;
  deliver(bytes: Buffer | string, written?: (err?: Error | null) => void): void;
  /** Runs THEN with VALUE in the order of this connection's answers (Answers.inOrder). */
  inOrder<T>(value: Awaitable<T>, then: (value: T) => Promise<void> | void): void;
  /** Answers of this connection not given yet. */
  readonly answersPending: number;
  event(event: ServerEvent): void;
}

type Direct = Extract<Action, { kind: 'direct' }>;
type Room = Extract<Action, { kind: 'room' }>;

/** The answer to a direct message for an account that is offline, by what the store did with it. */
const KEPT_WORDING: Record<Keep, (w: Words, to: string) => string> = {
  kept: (w, to) => w.keptForLater(to),
  full: (w, to) => w.keptFull(to),
  'full from you': (w, to) => w.keptFullFromYou(to),
  unavailable: (w, to) => w.notKept(to),
};

export function direct(s: Speaker, action: Direct): Promise<void> | void {
  const { hub, stats } = s.host;
  const delivery = hub.direct(action.to, action, s);
  // Delivered at once with nothing to wait for, as on one server: nothing to answer.
  if (delivery === 'delivered' && s.answersPending === 0) {
    stats.directMessages++;
    const at = s.host.options.timers.now();
    echo(s, action, at);
    sent(s, action, at);
    return;
  }
  return s.inOrder(delivery, (d) => delivered(s, action, d));
}

/**
 * docs/protocol.md, "Your account": what an account sent reaches its other devices, and the
 * accounts' logs keep it for their named devices' catch-up, the addressee's and the
 * sender's. A message kept for an offline account is logged too, with the same time: the
 * login that is given it as a kept message leaves it out of its catch-up (keptShown), the
 * account's other devices catch up on it.
 */
function sent(s: Speaker, action: Direct, at: number): void {
  const { hub, options } = s.host;
  const { from, to, text } = action;
  const notice = action.notice === true;
  const ctcp = action.ctcp === true;
  const self = nameKey(from) === nameKey(to);
  // An account's other devices, here and on other servers (never a CTCP: only its sender's).
  if (!self && !ctcp && options.auth?.has(from) === true) void hub.direct(from, { from, text, sentTo: to, ...(notice ? { notice } : {}) }, s);
  if (ctcp || options.catchupMs === 0 || options.auth === undefined) return;
  const entry = { at, from, to, text };
  if (options.auth.has(to)) options.store.logDirect(to, entry);
  if (!self && options.auth.has(from)) options.store.logDirect(from, entry);
}

/** What the sender is shown of its own direct message, for a dialect that shows it (IRC's echo-message), with the time it was logged at. */
function echo(s: Speaker, action: Direct, at: number): void {
  const line = s.words.ownDirectMessage?.(action.to, action.text, action.notice === true, action.ctcp === true, at);
  if (line !== undefined) s.send(line);
}

/** The answer to a direct message: none once delivered, else an error, or it is kept. */
function delivered(s: Speaker, action: Direct, delivery: Delivery): Promise<void> | void {
  const { to } = action;
  const { options, stats } = s.host;
  // CTCP is between connections, never kept for later.
  if (delivery === 'no such user' && options.auth?.has(to) && action.ctcp !== true) return keep(s, action);
  const error = deliveryError(s.words, delivery, to);
  // A notice is never answered, an error neither (RFC 2812).
  if (error !== undefined) return action.notice === true ? undefined : s.send(error);
  stats.directMessages++;
  const at = options.timers.now();
  echo(s, action, at);
  sent(s, action, at);
}

/**
 * docs/protocol.md, "History": a direct message to an account that is offline is kept for
 * its next login, unless it has too many waiting already.
 */
function keep(s: Speaker, action: Direct): Promise<void> | void {
  const { to } = action;
  const { options, stats } = s.host;
  const { words } = s;
  const at = options.timers.now();
  return after(options.store.keep(to, { at, from: action.from, text: action.text }), (kept) => {
    if (kept === 'kept') {
      stats.keptMessages++;
      sent(s, action, at);
    }
    if (action.notice !== true) s.send(KEPT_WORDING[kept](words, to));
  });
}

/** A room message: to the room's history, then to everyone else in the room. */
export function room(s: Speaker, action: Room): void {
  const { hub, stats, options } = s.host;
  const { words } = s;
  const { room: where, from, text, notice = false } = action;
  stats.roomMessages++;
  // One time for the history and the sender's echo: a client matches the two by it.
  const at = options.timers.now();
  if (action.unkept !== true) options.store.append(where, { at, from, text });
  s.inOrder(hub.toRooms([where], notice ? { kind: 'message', from, text, notice } : { kind: 'message', from, text }, s), (result) => {
    if (result === 'unavailable') return notice ? undefined : s.send(words.clusterUnavailable());
    const own = words.ownRoomMessage?.(where, text, notice, at);
    if (own !== undefined) s.send(own);
  });
}

/**
 * At login: the messages kept for NAME, oldest first. They go out KEPT_CHUNK bytes at a
 * time, each chunk once the one before has been written, so that 256 long messages never
 * pile up past --max-sendq (which would cut the owner off at every login, the messages
 * still kept: a lock-out anyone could cause). Each chunk leaves the store once written to
 * this connection: one that dies first leaves the rest for the next login.
 */
export function kept(s: Speaker, name: string): Promise<void> | void {
  const { options, stats } = s.host;
  const { words } = s;
  return after(options.store.kept(name), (messages): Promise<void> | undefined => {
    if (messages === undefined || messages.length === 0 || s.closed) return undefined;
    s.send(words.waitingForYou(messages.length));
    keptShown.set(s, messages);
    const lines = messages.map((m) => words.keptMessage(m.at, m.from, m.text));
    return inChunks(s, lines, 0, (from, end) => {
      const ids = messages.slice(from, end).map((m) => m.id);
      stats.keptDelivered += ids.length;
      void Promise.resolve()
        .then(() => options.store.remove(name, ids))
        .catch((e: Error) => s.event({ type: 'error', message: `could not remove the messages delivered to ${name}: ${e.message}` }));
    });
  });
}

/** The kept messages a login was given, for its catch-up to leave out (catch-up.ts): it needs them only that long. */
export const keptShown = new WeakMap<Member, readonly KeptMessage[]>();

/**
 * LINES from FROM on, KEPT_CHUNK characters at a time, each chunk once the one before has been
 * written (WRITTEN is told which lines it held): what a login is owed never piles up past
 * --max-sendq. Stops at a connection that closes.
 */
export function inChunks(s: Speaker, lines: readonly string[], from: number, written: (from: number, end: number) => void): Promise<void> {
  let text = '';
  let end = from;
  while (end < lines.length && (end === from || text.length < KEPT_CHUNK)) text += `${lines[end++]!}\n`;
  return new Promise<void>((resolve) => {
    s.deliver(text, (err) => {
      if (err) return resolve();
      written(from, end);
      resolve(end < lines.length ? inChunks(s, lines, end, written) : undefined);
    });
  });
}

/**
 * docs/protocol.md: presence notices go to ROOMS, once to each person in them, in those that
 * have at most announceMax users. A leave is counted with the leaver, as its join was: both
 * are announced or neither is.
 */
export function presence(s: Speaker, event: RoomEvent, rooms: readonly string[], leaving = false): undefined {
  const told = s.host.announced(rooms, leaving ? 1 : 0);
  if (told.length === 0) return;
  // Not waited for: a notice the cluster could not carry is not worth an error line.
  void s.host.hub.toRooms(told, event, s, true);
  // Someone away who joins brings their away text along (IRC's away-notify, docs/irc.md).
  if (event.kind !== 'joined' || s.name === undefined) return;
  const away = s.host.awayToTell(s.name);
  if (away !== undefined) void s.host.hub.toRooms(told, { kind: 'away', name: s.name, text: away }, s, true);
}

/** A change of ROOM: everyone in it is told, the one who made it too, however large the room. */
export function roomEvent(s: Speaker, room: string, event: RoomEvent): void {
  // Not waited for: the change is written; a member another server could not tell reads it with /topic or /who.
  void s.host.hub.toRooms([room], event, undefined);
}

/** Lines for other connections of this account, each in its own words (Action `tell`). */
export function tell(s: Speaker, members: readonly Member[], say: (w: Words) => readonly string[]): void {
  for (const member of members) {
    const lines = say(s.host.wordsOf(member)).filter((l) => l !== '');
    if (lines.length > 0) member.deliver(`${lines.join('\n')}\n`);
  }
}

/** TO is told it may join ROOM (docs/protocol.md, "Rooms people own"); the asker, that it was. */
export function invitation(s: Speaker, to: string, room: string): Promise<void> | void {
  const delivery = s.host.hub.direct(to, { from: s.name ?? '', text: room, invite: true }, s);
  return s.inOrder(delivery, (d) => s.send(deliveryError(s.words, d, to) ?? s.words.youInvited(to, room)));
}

/**
 * After JOINs: ROOMS' read markers, told to S (or to MEMBERS, its account's other devices)
 * where the connection asked to be told (Words.toldReadMarkers). IRC's draft/read-marker
 * wants one after each JOIN, before the end of the names that follow it: S's comes in the
 * order of its answers, ahead of the NAMES its voice asks for next. Nothing is read for
 * connections that did not ask. A store that cannot be read costs the markers, logged.
 */
export function tellReadMarkers(s: Speaker, rooms: readonly string[], members: readonly Member[] = [s]): Promise<void> | void {
  const name = s.name;
  const told = members.filter((m) => s.host.wordsOf(m).toldReadMarkers === true);
  if (name === undefined || rooms.length === 0 || told.length === 0) return;
  const { auth, store } = s.host.options;
  const account = auth?.has(name) === true;
  const reads = rooms.map((room) => {
    const target = markerTarget({ room });
    if (!account) return guestMarker(s, target);
    try {
      return store.readMarker(name, target);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  });
  const markers = Promise.resolve(all(reads)).catch((err: Error) => {
    s.event({ type: 'error', message: `could not read the read markers of ${name}: ${err.message}` });
    return undefined;
  });
  return s.inOrder(markers, (ats) => {
    if (ats === undefined) return;
    for (const member of told) {
      const w = s.host.wordsOf(member);
      const lines = rooms.map((room, i) => w.readMarker({ room }, ats[i])).filter((l) => l !== '');
      if (lines.length === 0) continue;
      if (member === s) s.send(lines.join('\n'));
      else member.deliver(`${lines.join('\n')}\n`);
    }
  });
}
