import { after, all, type Awaitable } from '../protocol/awaitable.js';
import { HISTORY_MAX } from '../protocol/history-limits.js';
import { isValidName, nameKey } from '../protocol/names.js';
import type { DirectEntry } from '../store/store.js';
import { reject, reply, type Action } from './actions.js';
import type { Command, HistoryWindow } from './command.js';
import type { CommandContext, Outcome } from './command-context.js';
import type { CatchUpEntry, HistoryTarget } from './dialect.js';
import { isAccount, joinedAs, nameOf } from './room-access.js';

/**
 * A conversation's history by time (IRC's CHATHISTORY, docs/irc.md "History and read
 * markers"): the same history /history reads, and the direct-message log of the account's
 * named devices (docs/storage.md, "Catch-up of named devices").
 */

/**
 * A room's messages a window looks at, at most: the history a room keeps by default. The
 * store answers a room's last N, not a time range, so a window reaches back this far and no
 * further, whatever --history holds beyond it; one read a command, however long the room.
 */
export const WINDOW_REACH = 1000;

type Cmd<K extends Command['kind']> = Extract<Command, { kind: K }>;

/** The messages of WINDOW among ENTRIES (oldest first), at most LIMIT, oldest first. */
export function inWindow<T extends { readonly at: number }>(entries: readonly T[], window: HistoryWindow, limit: number): T[] {
  const last = (list: readonly T[]): T[] => list.slice(Math.max(0, list.length - limit));
  switch (window.kind) {
    case 'latest': {
      const { since } = window;
      return last(since === undefined ? entries : entries.filter((e) => e.at > since));
    }
    case 'before':
      return last(entries.filter((e) => e.at < window.at));
    case 'after':
      return entries.filter((e) => e.at > window.at).slice(0, limit);
    case 'around': {
      // Half before AT, the rest from AT on; short on one side, more from the other.
      const first = entries.findIndex((e) => e.at >= window.at);
      const from = Math.max(0, (first === -1 ? entries.length : first) - Math.floor(limit / 2));
      const to = Math.min(entries.length, from + limit);
      return entries.slice(Math.max(0, to - limit), to);
    }
    case 'between': {
      const low = Math.min(window.from, window.to);
      const high = Math.max(window.from, window.to);
      const inside = entries.filter((e) => e.at > low && e.at < high);
      // Counted from FROM: forwards from the earlier, backwards from the later.
      return window.from <= window.to ? inside.slice(0, limit) : last(inside);
    }
  }
}

/** LIMIT as a count of messages: 1 to HISTORY_MAX (ISUPPORT's CHATHISTORY), more taken as the most. */
function countOf(limit: number): number {
  return Number.isInteger(limit) && limit >= 1 ? Math.min(limit, HISTORY_MAX) : HISTORY_MAX;
}

/** The earliest time WINDOW can want, for a read of the log that starts there (0: from its start). */
function sinceOf(window: HistoryWindow): number {
  switch (window.kind) {
    case 'latest':
      return window.since ?? 0;
    case 'after':
      return window.at;
    case 'between':
      return Math.min(window.from, window.to);
    default:
      return 0;
  }
}

/**
 * Members only, as /history: a room's history is its members' conversation, and of a room one
 * is not in even whether it exists is not said. A direct conversation is the asker's own
 * log's, which only accounts that named a device have (Store.logDirect): for anyone else it
 * is empty, never another pair's.
 */
export function historyWindow(ctx: CommandContext, cmd: Cmd<'historyWindow'>): Outcome {
  const { target, window, as } = cmd;
  const limit = countOf(cmd.limit);
  const unavailable = (): Action[] => [reply(ctx.w.historyWindowRefused(as, 'unavailable'))];
  if ('room' in target) {
    const room = isValidName(target.room) ? joinedAs(ctx, target.room) : undefined;
    if (room === undefined) return [reply(ctx.w.historyWindowRefused(as, 'no-such-target')), reject('not-in-room', target.room)];
    return after(ctx.store.history(room, WINDOW_REACH), (entries): Action[] => {
      if (entries === undefined) return unavailable();
      const shown = inWindow(entries, window, limit).map((e): CatchUpEntry => ({ at: e.at, from: e.from, text: e.text, room }));
      return [reply(ctx.w.historyWindow(as, shown))];
    });
  }
  if (!isValidName(target.name)) return [reply(ctx.w.historyWindowRefused(as, 'no-such-target'))];
  const me = nameOf(ctx);
  if (!isAccount(ctx, me)) return [reply(ctx.w.historyWindow(as, []))];
  return after(ctx.store.directsSince(me, sinceOf(window)), (log): Action[] => {
    if (log === undefined) return unavailable();
    const pair = withOne(log, me, target.name);
    return [
      reply(
        ctx.w.historyWindow(
          as,
          inWindow(pair, window, limit).map((d) => shownTo(me, d)),
        ),
      ),
    ];
  });
}

/** The messages of LOG between ME and OTHER, either way (to oneself: from ME to ME). */
function withOne(log: readonly DirectEntry[], me: string, other: string): DirectEntry[] {
  const a = nameKey(me);
  const b = nameKey(other);
  return log.filter((d) => {
    const from = nameKey(d.from);
    const to = nameKey(d.to);
    return (from === a && to === b) || (from === b && to === a);
  });
}

/** D as a history shows it to ME: to ME, or (TO) one ME sent. */
function shownTo(me: string, d: DirectEntry): CatchUpEntry {
  return nameKey(d.to) === nameKey(me) ? { at: d.at, from: d.from, text: d.text } : { at: d.at, from: d.from, text: d.text, to: d.to };
}

/**
 * The asker's conversations by the time of their latest message (IRC's CHATHISTORY TARGETS):
 * the rooms it is in (one read of each one's last message) and, for an account, the names in
 * its direct-message log. A conversation whose latest message is outside the window is left
 * out, even with others inside it, as the specification says.
 */
export function historyTargets(ctx: CommandContext, cmd: Cmd<'historyTargets'>): Outcome {
  const { from, to, as } = cmd;
  const me = nameOf(ctx);
  const rooms = ctx.hub.roomsOf(ctx.self);
  const reads: Awaitable<HistoryTarget | undefined | 'unavailable'>[] = rooms.map((room) =>
    after(ctx.store.history(room, 1), (last) => {
      if (last === undefined) return 'unavailable';
      const latest = last.at(-1);
      return latest === undefined ? undefined : { target: { room }, at: latest.at };
    }),
  );
  const named = isAccount(ctx, me)
    ? after(ctx.store.directsSince(me, Math.min(from, to)), (log) => (log === undefined ? 'unavailable' : latestByName(log, me)))
    : [];
  return after(all([...reads, named]), (found): Action[] => {
    if (found.includes('unavailable')) return [reply(ctx.w.historyWindowRefused(as, 'unavailable'))];
    const targets = found.flat().filter((t): t is HistoryTarget => typeof t === 'object');
    targets.sort((a, b) => a.at - b.at);
    return [reply(ctx.w.historyTargets(inWindow(targets, { kind: 'between', from, to }, countOf(cmd.limit))))];
  });
}

/** Each name LOG's messages were exchanged with, and the time of the latest (LOG is oldest first). */
function latestByName(log: readonly DirectEntry[], me: string): HistoryTarget[] {
  const key = nameKey(me);
  const latest = new Map<string, HistoryTarget>();
  for (const d of log) {
    const other = nameKey(d.from) === key ? d.to : d.from;
    latest.set(nameKey(other), { target: { name: other }, at: d.at });
  }
  return [...latest.values()];
}
