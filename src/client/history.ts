import type { ServerLine } from '../dialects/line/server-line.js';
import { recogniseEndOfHistory, recogniseHistoryEntry, recogniseKeptMessage } from '../dialects/line/recognise.js';
import { nameKey } from '../protocol/names.js';

/** A room message from a `/history` answer, or a message kept for us while we were away. */
export interface HistoryItem {
  /** When the server took it, ms since the epoch (UTC, to the second). */
  at: number;
  from: string;
  text: string;
}

/**
 * A line of the past as the client shows it (render.ts, renderPast): a room message (of
 * ROOM, for one of a device's catch-up, which names it), a direct message to us, or one we
 * sent TO someone from another device.
 */
export type PastItem =
  | ({ kind: 'room'; room?: string | undefined } & HistoryItem)
  | ({ kind: 'kept' } & HistoryItem)
  | ({ kind: 'sent'; to: string } & HistoryItem);

/**
 * The lines of docs/protocol.md "History and messages kept for later", as the client tells
 * them apart: `* [TIME] <NAME> TEXT` (history), `* [TIME] *FROM* TEXT` (kept for us) and
 * `* end of history (N messages)`.
 */
export type HistoryLine = ({ kind: 'room' } & HistoryItem) | ({ kind: 'kept' } & HistoryItem) | { kind: 'end'; count: number };

/**
 * Only notices can be these: the server writes `* ` itself, and a user's text never starts
 * a notice (it comes after `<NAME> ` or inside one), so nobody can fake history. Pure.
 */
export function parseHistoryLine(line: ServerLine): HistoryLine | undefined {
  const room = recogniseHistoryEntry(line);
  if (room) return { kind: 'room', ...room };
  const kept = recogniseKeptMessage(line);
  if (kept) return { kind: 'kept', ...kept };
  const count = recogniseEndOfHistory(line);
  return count === undefined ? undefined : { kind: 'end', count };
}

/** A room message this client has shown (or sent), kept to know what not to show again. */
export interface Shown {
  from: string;
  text: string;
  /** ms since the epoch: the server's time for a history line, our own clock for a live one. */
  at: number;
  /** Typed here and sent: the server does not echo it, so the screen has it as typed. */
  own: boolean;
}

/** What is remembered of a room is bounded in bytes (a server may send 1 MiB lines) and in count. */
const SHOWN_MAX = 200;
const SHOWN_BYTES = 512 * 1024;

/** The room messages shown in the current room, newest last: what a reconnect compares with. */
export class ShownLog {
  #entries: Shown[] = [];
  #bytes = 0;

  add(entry: Shown): void {
    this.#entries.push(entry);
    this.#bytes += cost(entry);
    while (this.#entries.length > SHOWN_MAX || (this.#bytes > SHOWN_BYTES && this.#entries.length > 1)) {
      this.#bytes -= cost(this.#entries.shift()!);
    }
  }

  /** ENTRIES shown now but older than the last BEFORE_LAST ones: they go in before those. */
  insert(entries: readonly Shown[], beforeLast: number): void {
    const tail = this.#entries.splice(Math.max(0, this.#entries.length - beforeLast));
    this.#bytes = this.#entries.reduce((n, e) => n + cost(e), 0);
    for (const e of [...entries, ...tail]) this.add(e);
  }

  /** A new room: nothing of it shown yet. */
  clear(): void {
    this.#entries = [];
    this.#bytes = 0;
  }

  get entries(): readonly Shown[] {
    return this.#entries;
  }
}

/**
 * A ShownLog for each of our rooms, by key: messages of every room are shown (those of the
 * others with their tag), so each room's log holds what the user has seen of it.
 */
export class RoomLogs {
  readonly #logs = new Map<string, ShownLog>();

  of(room: string): ShownLog {
    const key = nameKey(room);
    let log = this.#logs.get(key);
    if (!log) this.#logs.set(key, (log = new ShownLog()));
    return log;
  }

  /** A room we left: nothing of it to remember. */
  drop(room: string): void {
    this.#logs.delete(nameKey(room));
  }
}

const cost = (e: Shown): number => e.from.length + e.text.length * 2 + 32;
const key = (e: { from: string; text: string }): string => `${nameKey(e.from)}\n${e.text}`;

export interface Unseen {
  /** The entries of the answer to show, oldest first. */
  show: HistoryItem[];
  /**
   * The last message shown before was not found in the answer: more may have been missed
   * than the answer holds (or the server lost its history).
   */
  lost: boolean;
}

/**
 * Which entries of a `/history` answer (oldest first) are new to the user. Pure.
 *
 * BEFORE: the room messages shown before the request, for an answer that should start
 * after them (a reconnect); undefined for one that shows the room's past (a /join).
 * SINCE: room messages shown while the request was on its way; those the answer holds too
 * (its newest ones) are not shown twice.
 *
 * Why by content and not by time: a live line carries no time from the server, and our
 * clock is not the server's (even a perfect one disagrees at a second's boundary, and times
 * are to the second). The last message shown is found in the answer by (name, text); among
 * several equal ones, the one whose earlier messages also match the ones shown before it
 * wins, then the one whose time is closest, then the earliest (a repeat rather than a loss).
 * Our own messages are left out of the matching (the server may have placed them before or
 * after a message that crossed them) and are never shown again.
 */
export function unseen(answer: readonly HistoryItem[], before: readonly Shown[] | undefined, since: readonly Shown[]): Unseen {
  const own = new Map<string, number>();
  for (const e of [...(before ?? []), ...since]) if (e.own) own.set(key(e), (own.get(key(e)) ?? 0) + 1);
  const isOwn = (h: HistoryItem): boolean => own.has(key(h));

  let start = 0;
  let lost = false;
  const seen = (before ?? []).filter((e) => !e.own);
  if (seen.length > 0) {
    const anchor = findLast(answer, seen, isOwn);
    if (anchor === undefined) lost = true;
    else start = anchor + 1;
  }

  // The answer's newest entries that were also shown live, in the order they came.
  const live = since.filter((e) => !e.own);
  const rest = answer.slice(start);
  const others = rest.map((h, i) => (isOwn(h) ? -1 : i)).filter((i) => i >= 0);
  let overlap = 0;
  for (let j = Math.min(live.length, others.length); j > 0; j--) {
    const tail = others.slice(others.length - j);
    if (tail.every((i, n) => key(rest[i]!) === key(live[n]!))) {
      overlap = j;
      break;
    }
  }
  const dropped = new Set(others.slice(others.length - overlap));

  const show: HistoryItem[] = [];
  rest.forEach((h, i) => {
    if (dropped.has(i)) return;
    const k = key(h);
    const mine = own.get(k);
    if (mine) {
      own.set(k, mine - 1);
      if (mine === 1) own.delete(k);
      return;
    }
    show.push(h);
  });
  return { show, lost };
}

/** The index in ANSWER of the last entry of SEEN (not own), chosen as unseen() explains. */
function findLast(answer: readonly HistoryItem[], seen: readonly Shown[], isOwn: (h: HistoryItem) => boolean): number | undefined {
  const others = answer.map((h, i) => (isOwn(h) ? -1 : i)).filter((i) => i >= 0);
  const last = seen.at(-1)!;
  let best: { index: number; score: number; distance: number } | undefined;
  others.forEach((index, at) => {
    if (key(answer[index]!) !== key(last)) return;
    let score = 1;
    while (score <= at && score < seen.length && key(answer[others[at - score]!]!) === key(seen[seen.length - 1 - score]!)) score++;
    const distance = Math.abs(Math.floor(answer[index]!.at / 1000) - Math.floor(last.at / 1000));
    if (!best || score > best.score || (score === best.score && distance < best.distance)) best = { index, score, distance };
  });
  return best?.index;
}
