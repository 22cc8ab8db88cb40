import { nameKey } from '../protocol/names.js';
import type { DeviceMark } from '../store/store.js';
import type { Command } from './command.js';
import type { CatchUpEntry } from './dialect.js';
import { inChunks, keptShown, type Speaker } from './effects.js';
import { HISTORY_MAX } from '../protocol/history-limits.js';

/**
 * A room's messages a catch-up looks at, at most, as /history gives at most (HISTORY_MAX):
 * a login reads no more of a room than a member may ask for at once.
 */
export const CATCH_UP_PER_ROOM = HISTORY_MAX;
/**
 * Messages a catch-up shows at most, the latest: one login of an account in 50 busy rooms
 * must not cost the server thousands of lines. Beyond, it says so, and /history has more.
 */
export const CATCH_UP_MAX = 1000;
/** Bytes of a catch-up one flood-control token pays for, as for any long answer. */
const BYTES_PER_TOKEN = 4096;

/** What a catch-up needs of its connection (Session). */
export interface Catcher extends Speaker {
  /** Handles CMD as if this connection had sent it now, its answers in order (a /join back into a room). */
  perform(cmd: Command): Promise<void> | undefined;
  /** Flood control: TOKENS more spent. */
  spend(tokens: number): void;
}

/**
 * docs/protocol.md, "Your account": a named device that logs in again gets what it missed
 * since it last left (at most catchupMs back): its rooms' messages and its account's direct
 * messages, oldest first, then `* end of catch-up (N messages)`. REJOIN (the account was not
 * online): it goes back to the rooms it left from, each joined as a /join would (a room now
 * private or keyed refuses it, and says why). A room's part of the catch-up is what its
 * history holds, which /history gives any member: a device learns nothing a member could not.
 */
export async function catchUp(s: Catcher, name: string, device: string, rejoin: boolean): Promise<void> {
  const { options, hub } = s.host;
  const { store, timers, catchupMs } = options;
  if (catchupMs <= 0) return;
  const kept = keptShown.get(s);
  keptShown.delete(s);
  let mark: DeviceMark | undefined;
  try {
    mark = await store.deviceMark(name, device);
  } catch (err) {
    s.event({ type: 'error', message: `could not read the device mark of ${name}@${device}: ${(err as Error).message}` });
    return s.send(s.words.catchUpUnavailable());
  }
  if (mark !== undefined && rejoin) {
    const here = new Set(hub.roomsOf(s).map(nameKey));
    // Current room last, so that it is current again. Each join tells its read marker.
    for (const room of [...mark.rooms].reverse()) {
      if (here.has(nameKey(room)) || s.closed) continue;
      await s.perform({ kind: 'join', room });
      // With its listing, where a join has one (IRC's NAMES), as a join of its own would.
      if (s.words.namesOnJoin === true && hub.roomsOf(s).some((r) => nameKey(r) === nameKey(room))) await s.perform({ kind: 'who', room, as: 'join' });
    }
  }
  if (s.closed) return;
  // A client that asks for its history itself is not sent it too (Words.asksForHistory).
  if (s.words.asksForHistory === true) return markDevice(s, name, device);
  const entries = mark === undefined ? [] : await missed(s, name, Math.max(mark.at, timers.now() - catchupMs), kept);
  if (entries === undefined) {
    s.send(s.words.catchUpUnavailable());
  } else {
    const shown = entries.slice(-CATCH_UP_MAX);
    const lines = shown.map((e) => s.words.catchUpEntry(e));
    if (shown.length < entries.length) lines.unshift(s.words.catchUpCut(shown.length));
    lines.push(s.words.endOfCatchUp(shown.length));
    // Charged as any long answer: logging in again and again buys no free output.
    s.spend(Math.floor(lines.reduce((n, l) => n + l.length + 1, 0) / BYTES_PER_TOKEN));
    await inChunks(s, lines, 0, () => {});
  }
  // Closed meanwhile: its close wrote its mark, with its rooms, which this must not overwrite.
  if (!s.closed) await markDevice(s, name, device);
}

/**
 * What NAME's device missed after SINCE: its rooms' messages and its account's direct
 * messages, oldest first, without the kept messages this login was given already (KEPT).
 * Undefined when the store cannot say.
 */
async function missed(
  s: Catcher,
  name: string,
  since: number,
  kept: readonly { at: number; from: string; text: string }[] | undefined,
): Promise<CatchUpEntry[] | undefined> {
  const { options, hub } = s.host;
  const entries: CatchUpEntry[] = [];
  for (const room of hub.roomsOf(s)) {
    const history = await options.store.history(room, CATCH_UP_PER_ROOM);
    if (history === undefined) return undefined;
    for (const e of history) if (e.at > since) entries.push({ at: e.at, from: e.from, text: e.text, room });
  }
  const directs = await options.store.directsSince(name, since);
  if (directs === undefined) return undefined;
  const given = new Set((kept ?? []).map((m) => `${m.at}\n${m.from}\n${m.text}`));
  const key = nameKey(name);
  for (const d of directs) {
    if (nameKey(d.to) === key) {
      if (!given.has(`${d.at}\n${d.from}\n${d.text}`)) entries.push({ at: d.at, from: d.from, text: d.text });
    } else {
      entries.push({ at: d.at, from: d.from, text: d.text, to: d.to });
    }
  }
  // Stable: a room's messages keep their order, and the rooms theirs, where times are equal.
  return entries.sort((a, b) => a.at - b.at);
}

/** Where NAME's DEVICE is now: its catch-up next time starts here. A failure is logged: it costs a catch-up, nothing else. */
export async function markDevice(s: Speaker, name: string, device: string, rooms = s.host.hub.roomsOf(s)): Promise<void> {
  const { store, timers, catchupMs } = s.host.options;
  if (catchupMs <= 0) return;
  try {
    await store.markDevice(name, device, { at: timers.now(), rooms: [...rooms] });
  } catch (err) {
    s.event({ type: 'error', message: `could not keep the device mark of ${name}@${device}: ${(err as Error).message}` });
  }
}
