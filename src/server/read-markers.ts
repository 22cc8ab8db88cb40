import type { Member } from '../hub/hub.js';
import { isValidName } from '../protocol/names.js';
import { oldestMarkers } from '../store/read-markers.js';
import { reply, type Action } from './actions.js';
import type { Command, Conversation } from './command.js';
import type { CommandContext, Outcome } from './command-context.js';
import { guarded, isAccount, joinedAs, nameOf } from './room-access.js';

/**
 * Read markers (IRC's MARKREAD, docs/irc.md "History and read markers"): when a user last read
 * each conversation. An account's are kept by the store, shared by its devices and across
 * restarts; a guest's by its connection alone, as long as it lasts: a guest's name is anyone's
 * once it leaves, and so would its markers be.
 */

/** TARGET as the store keeps markers under it: `#ROOM` for a room, NAME for a direct conversation. */
export function markerTarget(target: Conversation): string {
  return 'room' in target ? `#${target.room}` : target.name;
}

/**
 * Markers a guest's connection keeps at most, the oldest dropped first: the rooms it may be in
 * and as many nicks. Every guest connection holds its own in memory, so fewer than an account
 * keeps in the store (READ_MARKERS_MAX): about 10 KB a connection at the bound, little beside
 * its send queue.
 */
export const GUEST_MARKERS_MAX = 100;

/** Each guest connection's markers: target key -> time. */
const guests = new WeakMap<Member, Map<string, number>>();

/** A guest's marker of TARGET, moved to AT first when given (never back). */
export function guestMarker(member: Member, target: string, at?: number): number | undefined {
  const key = target.toLowerCase();
  let markers = guests.get(member);
  if (at === undefined) return markers?.get(key);
  if (markers === undefined) guests.set(member, (markers = new Map()));
  const kept = Math.max(markers.get(key) ?? at, at);
  markers.set(key, kept);
  for (const old of oldestMarkers(markers, GUEST_MARKERS_MAX)) markers.delete(old);
  return kept;
}

/**
 * Command `readMarker`: asked, or set. A marker set is never ahead of the server's clock (one
 * set in the future would hold still until then, as it never moves back); once it moves, the
 * account's other devices on this server are told (on other servers they are not, as with
 * what a device sends, docs/cluster.md).
 */
export function readMarker(ctx: CommandContext, cmd: Extract<Command, { kind: 'readMarker' }>): Outcome {
  const { target, as } = cmd;
  if (!isValidName('room' in target ? target.room : target.name)) return [reply(ctx.w.readMarkerRefused(target, 'invalid', as))];
  const me = nameOf(ctx);
  const key = markerTarget(target);
  const at = cmd.at === undefined ? undefined : Math.min(cmd.at, ctx.now());
  if (!isAccount(ctx, me)) return [reply(ctx.w.readMarker(target, guestMarker(ctx.self, key, at), as))];
  const unavailable = (): Action[] => [reply(ctx.w.readMarkerRefused(target, 'unavailable', as))];
  if (at === undefined)
    return guarded(
      () => ctx.store.readMarker(me, key),
      (kept) => [reply(ctx.w.readMarker(target, kept, as))],
      unavailable,
    );
  return guarded(
    () => ctx.store.setReadMarker(me, key, at),
    (kept): Action[] => {
      const answer = reply(ctx.w.readMarker(target, kept, as));
      // Not moved (it was later already): the other devices know it.
      const others = kept === at ? ctx.hub.devices(me).filter((m) => m !== ctx.self) : [];
      if (others.length === 0) return [answer];
      const shown: Conversation = 'room' in target ? { room: joinedAs(ctx, target.room) ?? target.room } : target;
      return [answer, { kind: 'tell', members: others, say: (w) => [w.readMarker(shown, kept)] }];
    },
    unavailable,
  );
}
