import type { Join } from '../hub/hub.js';
import { LOBBY } from '../hub/hub.js';
import { after } from '../protocol/awaitable.js';
import { maskMatches } from '../protocol/glob.js';
import { isValidName, nameKey } from '../protocol/names.js';
import { freshState, type RoomState } from '../protocol/room-state.js';
import { reject, reply, type Action } from './actions.js';
import type { Command } from './command.js';
import type { CommandContext, Outcome } from './command-context.js';
import { guarded, isAccount, isRoomOperator, isServerOperator, joinedAs, nameOf } from './room-access.js';

type Cmd<K extends Command['kind']> = Extract<Command, { kind: K }>;

/**
 * docs/protocol.md "Rooms": ROOM is joined and made current; the others in it see the
 * newcomer. Rooms already joined stay joined. A room that exists is entered past its
 * privacy, bans, limit and key; one nobody is in is made, from its kept state when an
 * account owns it.
 */
export function join(ctx: CommandContext, cmd: Cmd<'join'>, waited = false): Outcome {
  const { room } = cmd;
  if (room === '') return [reply(ctx.w.joinNeedsRoom())];
  if (!isValidName(room)) return [reply(ctx.w.invalidRoom()), reject('invalid-room')];
  if (joinedAs(ctx, room) !== undefined) return after(ctx.hub.join(ctx.self, room, ctx.maxRooms), (joined) => answerJoin(ctx, room, joined));
  if (ctx.hub.roomsOf(ctx.self).length >= ctx.maxRoomsPerUser) {
    return [reply(ctx.w.tooManyRooms(ctx.maxRoomsPerUser, room)), reject('too-many-rooms-per-user', room)];
  }
  const unavailable = (): Action[] => [reply(ctx.w.joinUnavailable(room)), reject('cluster-unavailable', `could not join ${room}`)];
  return after(ctx.hub.roomState(room, true), (info): Outcome => {
    if (info === undefined) return unavailable();
    if (info !== 'no such room') return admit(ctx, cmd, info.state, info.size, () => enter(ctx, room, info.state), waited);
    if (!ctx.mayOpenRoom()) return [reply(ctx.w.tooManyNewRooms(room)), reject('too-many-new-rooms', room)];
    return guarded(
      () => ctx.store.ownedRoom(room),
      (kept) => (kept === undefined ? create(ctx, room) : admit(ctx, cmd, kept, 0, () => enter(ctx, room, kept), waited)),
      unavailable,
    );
  });
}

/** The first member of a room nobody is in: its operator, and its owner when it is an account with rooms to spare. */
function create(ctx: CommandContext, room: string): Outcome {
  const name = nameOf(ctx);
  const now = ctx.now();
  // The lobby is everyone's: whoever makes it again (it emptied) is no operator of it, and owns nothing.
  if (nameKey(room) === LOBBY) return enter(ctx, room, { v: 1, ops: [], created: now });
  const plain = freshState(nameKey(name), now);
  // Guests own nothing (docs/protocol.md, "Your account"); nor does anyone on a server without accounts.
  if (!isAccount(ctx, name) || ctx.maxOwnedRooms === 0) return enter(ctx, room, plain);
  return guarded(
    () => ctx.store.ownedRooms(name),
    (owned) =>
      owned < ctx.maxOwnedRooms
        ? enter(ctx, room, freshState(nameKey(name), now, name), true)
        : after(enter(ctx, room, plain), (actions) => [...actions, reply(ctx.w.notOwned(room, ctx.maxOwnedRooms))]),
    () => enter(ctx, room, plain),
  );
}

/**
 * Whether the asker may enter a room in STATE with SIZE members: then THEN. Its operators
 * (accounts), the server's operators and those invited pass; a key is checked one attempt at
 * a time per address, slower after failures, as passwords are (no key guessing at wire
 * speed). An attempt that waited its turn is checked again, from the start, against the room
 * as it is then (WAITED): it may have been made private, or its key changed, meanwhile.
 */
function admit(ctx: CommandContext, cmd: Cmd<'join'>, state: RoomState, size: number, then: () => Outcome, waited = false): Outcome {
  const name = nameOf(ctx);
  const key = nameKey(name);
  const room = cmd.room;
  if (isServerOperator(ctx) || (isAccount(ctx, name) && isRoomOperator(ctx, state, name))) return then();
  if (state.invited?.includes(key) === true) return then();
  if (state.bans?.some((mask) => maskMatches(mask, name)) === true) return [reply(ctx.w.bannedFromRoom(room)), reject('room-refused', `${room}: banned`)];
  if (state.private === true) return [reply(ctx.w.roomPrivate(room)), reject('room-refused', `${room}: private`)];
  if (state.limit !== undefined && size >= state.limit) return [reply(ctx.w.roomFull(room, state.limit)), reject('room-refused', `${room}: full`)];
  const wanted = state.key;
  if (wanted === undefined) return then();
  const given = cmd.key ?? '';
  // The key itself is never logged: only that it was wrong.
  const wrong = (): Action[] => [reply(ctx.w.roomNeedsKey(room)), { kind: 'authFailed' }, reject('room-refused', `${room}: wrong key`)];
  if (waited) return given === wanted ? then() : wrong();
  // A wrong key takes keyFailureMs inside the address's turn, as a wrong password does; a
  // right one forgets no failure (a room of one's own with a known key must not buy guesses).
  const { signal } = ctx.self;
  return ctx.keys
    .run(
      ctx.address,
      async () => {
        if (given === wanted) return true;
        await ctx.keys.pad(signal);
        return false;
      },
      signal,
    )
    .then(
      (right): Outcome => {
        if (ctx.self.signal?.aborted === true) return [];
        if (right) return join(ctx, cmd, true);
        ctx.keys.failed(ctx.address);
        return wrong();
      },
      () => [reply(ctx.w.loginsWaiting()), reject('logins-waiting', ctx.address)],
    );
}

/** Puts the asker in ROOM: FRESH is its state should this join make it; OWNED: keep it, it is new and owned. */
function enter(ctx: CommandContext, room: string, fresh: RoomState, owned = false): Outcome {
  const account = isAccount(ctx, nameOf(ctx));
  return after(ctx.hub.join(ctx.self, room, ctx.maxRooms, { fresh, account }), (joined): Outcome => {
    if (owned && typeof joined === 'object' && joined.created === true) {
      return guarded(
        () => ctx.store.saveRoom(joined.room, fresh),
        () => answerJoin(ctx, room, joined),
        // Made, but not kept: its owner is told, the room goes on as any other.
        () => [...answerJoin(ctx, room, joined), reply(ctx.w.roomUnavailable(joined.room))],
      );
    }
    return answerJoin(ctx, room, joined);
  });
}

function answerJoin(ctx: CommandContext, room: string, joined: Join): Action[] {
  if (joined === 'full') return [reply(ctx.w.serverRoomsFull(ctx.maxRooms, room)), reject('too-many-rooms', room)];
  if (joined === 'unavailable') return [reply(ctx.w.joinUnavailable(room)), reject('cluster-unavailable', `could not join ${room}`)];
  // A room one is in already only becomes current: nothing is news, its topic neither.
  if (joined.already) return [reply(ctx.w.youAreIn(joined.room))];
  const actions: Action[] = [reply(ctx.w.youAreIn(joined.room))];
  const topic = joined.state?.topic;
  if (topic !== undefined) actions.push(reply(ctx.w.topic(joined.room, topic, 'join')));
  actions.push({ kind: 'presence', event: { kind: 'joined', names: [nameOf(ctx)] }, rooms: [joined.room] });
  // Its read marker, for a connection that is told them after a JOIN (IRC's draft/read-marker).
  const shown = joined.room;
  actions.push({ kind: 'readMarkers', rooms: [shown] });
  // The account's other devices are in it too (docs/protocol.md, "Your account").
  if (joined.others !== undefined && joined.others.length > 0) {
    const members = joined.others;
    actions.push(
      { kind: 'devicesJoined', members, room: shown },
      { kind: 'readMarkers', rooms: [shown], members },
      { kind: 'devicesListed', members, room: shown },
    );
  }
  return actions;
}
