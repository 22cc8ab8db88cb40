import { stripControls } from '../protocol/sanitize.js';
import type { ServerLine } from '../dialects/line/server-line.js';
import { recogniseHistoryRefused, recogniseNoRoom, recogniseUnknownCommand } from '../dialects/line/recognise.js';
import { nameKey } from '../protocol/names.js';
import { parseHistoryLine, unseen, type HistoryItem, type RoomLogs, type Shown } from './history.js';

/** Asked by the client itself: the room's past after a /join, or what a reconnect missed. */
interface OwnAsk {
  kind: 'join' | 'missed';
  /** The room asked about: the current one when the request went. */
  room: string;
  asked: number;
  /** For 'missed': what the room showed before the request. */
  before: Shown[] | undefined;
  /** Room messages shown (or sent) while the request was on its way. */
  since: Shown[];
  items: HistoryItem[];
}
type Ask = OwnAsk | { kind: 'user' };

/** What to do with one server line. */
export type Outcome =
  /** Not part of an answer of ours: show it as any other line. */
  | { kind: 'pass' }
  /** Held until its answer is complete: nothing to show yet. */
  | { kind: 'held' }
  /**
   * Lines of the past to show, dimmed: ITEMS; then `end` when an answer of ours ended with
   * something shown; `lost` when a reconnect may have missed more than the answer holds.
   */
  | { kind: 'past'; items: ({ kind: 'room' | 'kept' } & HistoryItem)[]; end: boolean; lost: boolean }
  /** The server does not know /history (an older one): stop asking. */
  | { kind: 'unsupported' };

/** Live messages remembered for a request on its way, at most: it should take one round trip. */
const SINCE_MAX = 1000;

const USER_ASKS = /^\/history(\s|$)/i;

/**
 * The /history requests of one connection and their answers, which come back in the order
 * they were asked (docs/protocol.md): the client's own ones are held until complete and
 * show only what is new; one the user typed is shown as it comes. The server's lines go
 * through `take`, what the user sends through `sent`.
 *
 * The client asks `/history N`, of the current room, rather than `/history ROOM N`, which
 * servers before rooms were many refuse. The answer is exact all the same: replies come in
 * order, so a `* you are in ROOM` that changed the current room before the server read the
 * request comes before its answer, and CURRENT (the server's current room as its lines have
 * said so far) then names the room the answer is about.
 */
export class HistoryAnswers {
  readonly #queue: Ask[] = [];

  constructor(
    private readonly logs: RoomLogs,
    private readonly current: () => string | undefined,
    private readonly now: () => number,
  ) {}

  /**
   * The client sends `/history N` when it has just joined ROOM, now current (its log starts
   * again), or is back in it after a reconnect.
   */
  ask(kind: 'join' | 'missed', room: string, asked: number): string {
    const log = this.logs.of(room);
    if (kind === 'join') log.clear();
    this.#queue.push({ kind, room, asked, before: kind === 'missed' ? [...log.entries] : undefined, since: [], items: [] });
    return `/history ${asked}`;
  }

  /** A line the user sends: a /history of theirs, or a room message of ours to remember. */
  sent(line: string, self: string): void {
    if (USER_ASKS.test(line)) return void this.#queue.push({ kind: 'user' });
    if (line.startsWith('/') && !line.startsWith('//')) return;
    if (line.startsWith('#') || line.startsWith('@')) return;
    const room = this.current();
    if (room === undefined) return; // the server refuses it: in no room
    // As the server relays it: `//x` is `/x`, control characters and a leading BOM go.
    const text = stripForRoom(line.startsWith('//') ? line.slice(1) : line);
    this.#remember(room, { from: self, text, at: this.now(), own: true });
  }

  /**
   * A room message of ROOM shown in a device's catch-up (catch-up.ts): seen, as a live one
   * is, so that an answer about ROOM (a /join's, a reconnect's) does not show it again.
   */
  caughtUp(room: string, item: HistoryItem): void {
    this.#remember(room, { from: item.from, text: item.text, at: item.at, own: false });
  }

  /** LINE from the server; for a room message (untagged: rooms.ts, roomLine), ROOM is its room. */
  take(line: ServerLine, room?: string): Outcome {
    const head = this.#queue[0];
    if (line.kind === 'room') {
      if (room !== undefined) this.#remember(room, { from: line.from, text: line.text, at: this.now(), own: false });
      return { kind: 'pass' };
    }
    if (head && recogniseUnknownCommand(line)?.toLowerCase() === 'history') {
      this.#queue.shift();
      return head.kind === 'user' ? { kind: 'pass' } : { kind: 'unsupported' };
    }
    // Its answer, an error instead of the lines (docs/protocol.md: a bad N or ROOM, a room we
    // are not in, or none at all, a history that cannot be read now): shown (it says what to
    // do), and done with.
    if (head && (recogniseHistoryRefused(line) || recogniseNoRoom(line))) {
      this.#queue.shift();
      return { kind: 'pass' };
    }
    const past = parseHistoryLine(line);
    if (!past) return { kind: 'pass' };
    if (past.kind === 'kept' || (past.kind === 'room' && head?.kind !== 'join' && head?.kind !== 'missed')) {
      return { kind: 'past', items: [past], end: false, lost: false };
    }
    if (past.kind === 'room') {
      const own = head as OwnAsk;
      own.items.push({ at: past.at, from: past.from, text: past.text });
      // More than asked for: a broken or hostile server; the newest are what we wanted.
      if (own.items.length > own.asked) own.items.shift();
      return { kind: 'held' };
    }
    // The end of an answer.
    if (!head) return { kind: 'pass' };
    this.#queue.shift();
    if (head.kind === 'user') return { kind: 'pass' };
    // The user went on to another room before the server read it: the answer is that
    // room's, which was not asked for (a room just joined gets its own request).
    const now = this.current();
    if (now === undefined || nameKey(now) !== nameKey(head.room)) return { kind: 'past', items: [], end: false, lost: false };
    const { show, lost } = unseen(head.items, head.before, head.since);
    // Older than what was shown while it came: it goes in the log before those.
    this.logs.of(head.room).insert(
      show.map((h) => ({ ...h, own: false })),
      head.since.length,
    );
    return {
      kind: 'past',
      items: show.map((h) => ({ kind: 'room', ...h })),
      end: show.length > 0,
      lost: lost && head.items.length >= head.asked,
    };
  }

  #remember(room: string, entry: Shown): void {
    this.logs.of(room).add(entry);
    for (const ask of this.#queue) {
      if (ask.kind === 'user' || nameKey(ask.room) !== nameKey(room)) continue;
      ask.since.push(entry);
      if (ask.since.length > SINCE_MAX) ask.since.shift();
    }
  }
}

function stripForRoom(text: string): string {
  return stripControls(text.replace(/^\uFEFF/, ''));
}
