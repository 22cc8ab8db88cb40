import type { Join, RoomChange, StateWrite } from '../hub/hub.js';
import { after, isPromise, type Awaitable } from '../protocol/awaitable.js';
import { maskMatches } from '../protocol/glob.js';
import { isValidName, nameKey } from '../protocol/names.js';
import { freshState, ROOM_LIST_MAX, setList, TOPIC_MAX, without, type Mutable, type RoomState } from '../protocol/room-state.js';
import { reject, reply, type Action } from './actions.js';
import type { Command, ModeRequest } from './command.js';
import type { CommandContext, Outcome } from './command-context.js';
import type { RoomView } from './dialect.js';
import { LOBBY } from '../hub/hub.js';

/**
 * docs/protocol.md, "Rooms people own": joining a room past its privacy, key, limit and
 * bans; its operators' commands. Every change is read, checked and written over the version
 * it read (Hub.setRoomState): two operators acting at once on two servers are taken one after
 * the other, the second checked against the first's result.
 */

type Cmd<K extends Command['kind']> = Extract<Command, { kind: K }>;

/** A key is what IRC allows (RFC 2812): 1 to 23 characters, no space, no control, no comma. */
const KEY = /^[\x21-\x2b\x2d-\x7e]{1,23}$/;
/** Tries of a change that finds the state changed under it (Hub.setRoomState) before it gives up. */
const TRIES = 4;

function nameOf(ctx: CommandContext): string {
  return ctx.self.name ?? '';
}

/** Whether NAME is an account's (then it is its account's, logged in with its password). */
function isAccount(ctx: CommandContext, name: string): boolean {
  return ctx.auth?.has(name) === true;
}

/** docs/protocol.md "Moderation": server operators may do everything in every room. */
export function isServerOperator(ctx: CommandContext): boolean {
  const oper = ctx.operator();
  return ctx.auth?.isOperator(nameOf(ctx)) === true || (oper !== undefined && ctx.auth?.isOperator(oper) === true);
}

/**
 * Whether NAME is one of the room's operators: listed (RoomState.ops), or its owner (while
 * the owner is an account: a removed account's name may be anyone's now).
 */
export function isRoomOperator(ctx: CommandContext, state: RoomState, name: string): boolean {
  const key = nameKey(name);
  return state.ops.includes(key) || (state.owner !== undefined && nameKey(state.owner) === key && isAccount(ctx, name));
}

/** What a listing shows of the room (Words.inRoom). */
export function roomView(ctx: CommandContext, state: RoomState): RoomView {
  const name = ctx.self.name;
  return {
    state,
    isOp: (n) => isRoomOperator(ctx, state, n),
    isVoiced: (n) => state.voiced?.includes(nameKey(n)) === true,
    seesKey: name !== undefined && (isRoomOperator(ctx, state, name) || isServerOperator(ctx)),
  };
}

/** Whether ROOM is the asker's, or seen by everyone: a hidden room is to everyone else as one that does not exist. */
export function mayView(ctx: CommandContext, room: string, state: RoomState): boolean {
  if (state.private !== true && state.secret !== true) return true;
  const key = nameKey(room);
  return ctx.hub.roomsOf(ctx.self).some((r) => nameKey(r) === key) || isServerOperator(ctx);
}

/** Whether member is in ROOM (any case), and ROOM as shown if so. */
export function joinedAs(ctx: CommandContext, room: string): string | undefined {
  const key = nameKey(room);
  return ctx.hub.roomsOf(ctx.self).find((r) => nameKey(r) === key);
}

/**
 * Runs a step that may fail (throw, or reject): THEN with its value, or FAILED. The store's
 * room steps must not fail quietly: a private room must not open because the store is away.
 */
export function guarded<T>(step: () => Awaitable<T>, then: (value: T) => Outcome, failed: () => Outcome): Outcome {
  let value: Awaitable<T>;
  try {
    value = step();
  } catch {
    return failed();
  }
  return isPromise(value) ? value.then(then, failed) : then(value);
}

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
  return ctx.keys
    .run(async () => {
      if (given === wanted) return true;
      await ctx.keys.pad();
      return false;
    })
    .then(
      (right): Outcome => {
        if (ctx.self.signal?.aborted === true) return [];
        if (right) return join(ctx, cmd, true);
        ctx.keys.failed();
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
  return actions;
}

/**
 * The room a room operator's command acts on: ROOM when given (the asker must be in it),
 * else the current room; then THEN. A refusal when there is none: a room the asker is not in
 * is no such room when it is hidden or nobody is in it, as for IRC's 403 and 442.
 */
function managed(ctx: CommandContext, room: string | undefined, then: (room: string) => Outcome): Outcome {
  if (room === undefined) {
    const current = ctx.hub.roomsOf(ctx.self)[0];
    return current === undefined ? [reply(ctx.w.inNoRoom()), reject('in-no-room')] : then(current);
  }
  if (!isValidName(room)) return [reply(ctx.w.noSuchRoom(room)), reject('invalid-room')];
  const joined = joinedAs(ctx, room);
  if (joined !== undefined) return then(joined);
  return after(ctx.hub.roomState(room), (info): Action[] =>
    info === undefined || info === 'no such room' || !mayView(ctx, info.room, info.state)
      ? [reply(ctx.w.noSuchRoom(room)), reject('not-in-room', room)]
      : [reply(ctx.w.notInRoom(info.room)), reject('not-in-room', room)],
  );
}

/**
 * A change of a room's state: the state after it, what its members are told, the answers,
 * and what is done once it is written (AFTER); or a refusal.
 */
type Plan = { state: RoomState; changes: RoomChange[]; answers?: string[]; after?: Action[] } | Action[];

/**
 * Reads ROOM's state, lets PLAN make the change (operators only, unless OPEN), writes it over
 * the version read and tells the room; read again and tried again when another change came
 * first. An owned room's new state is kept by the store.
 */
function change(
  ctx: CommandContext,
  room: string,
  word: string,
  plan: (state: RoomState, room: string) => Plan,
  open: (state: RoomState) => boolean = () => false,
  tries = TRIES,
  fresh = false,
): Outcome {
  const unavailable = (): Action[] => [reply(ctx.w.roomUnavailable(room)), reject('cluster-unavailable', `could not change ${room}`)];
  return after(ctx.hub.roomState(room, fresh), (info): Outcome => {
    if (info === undefined) return unavailable();
    if (info === 'no such room') return [reply(ctx.w.noSuchRoom(room)), reject('not-in-room', room)];
    const { state } = info;
    if (!open(state) && !isRoomOperator(ctx, state, nameOf(ctx)) && !isServerOperator(ctx)) {
      return [reply(ctx.w.notRoomOperator(word, info.room)), reject('not-room-operator', `/${word} in ${info.room}`)];
    }
    const planned = plan(state, info.room);
    if (Array.isArray(planned)) return planned;
    if (planned.changes.length === 0 && planned.after === undefined) return (planned.answers ?? []).map(reply);
    const next = { ...planned.state, v: state.v + 1 };
    return after(ctx.hub.setRoomState(info.room, state.v, next), (written: StateWrite): Outcome => {
      if (written === 'changed') return tries > 1 ? change(ctx, room, word, plan, open, tries - 1, true) : unavailable();
      if (written !== 'set') return written === 'no such room' ? [reply(ctx.w.noSuchRoom(room))] : unavailable();
      const actions: Action[] = (planned.answers ?? []).map(reply);
      if (planned.changes.length > 0) {
        actions.push({ kind: 'roomEvent', room: info.room, event: { kind: 'changed', by: nameOf(ctx), changes: planned.changes, state: next } });
      }
      actions.push(...(planned.after ?? []));
      if (next.owner === undefined) return actions;
      return guarded(
        () =>
          ctx.store.saveRoom(
            info.room,
            keptOf(next, (n) => isAccount(ctx, n)),
          ),
        () => actions,
        () => [...actions, reply(ctx.w.roomUnavailable(info.room))],
      );
    });
  });
}

/**
 * What the store keeps of an owned room: not its invitations (valid while it has people),
 * nor operators and voices that are no account's (valid while their user is in the room).
 */
function keptOf(state: RoomState, account: (key: string) => boolean): RoomState {
  const kept: Mutable<RoomState> = { ...state, ops: state.ops.filter(account) };
  delete kept.invited;
  setList(kept, 'voiced', state.voiced?.filter(account));
  return kept;
}

/** `/topic [TEXT]` and IRC's TOPIC: asked by any member, set by operators only (IRC's +t, always on). */
export function topic(ctx: CommandContext, cmd: Cmd<'topic'>): Outcome {
  const text = cmd.text;
  // An open room's topic is anyone's to read (IRC's TOPIC from outside); a hidden one's, its members'.
  if (text === undefined && cmd.room !== undefined && isValidName(cmd.room) && joinedAs(ctx, cmd.room) === undefined) {
    const asked = cmd.room;
    return after(ctx.hub.roomState(asked), (info): Action[] =>
      info === undefined
        ? [reply(ctx.w.roomUnavailable(asked))]
        : info === 'no such room' || !mayView(ctx, info.room, info.state)
          ? [reply(ctx.w.noSuchRoom(asked))]
          : [reply(ctx.w.topic(info.room, info.state.topic))],
    );
  }
  return managed(ctx, cmd.room, (room) => topicOf(ctx, room, text));
}

function topicOf(ctx: CommandContext, room: string, text: string | undefined): Outcome {
  if (text === undefined) {
    return after(ctx.hub.roomState(room), (info): Action[] => {
      if (info === undefined) return [reply(ctx.w.roomUnavailable(room))];
      if (info === 'no such room') return [reply(ctx.w.noSuchRoom(room))];
      return [reply(ctx.w.topic(info.room, info.state.topic))];
    });
  }
  return change(
    ctx,
    room,
    'topic',
    (state) => {
      const next: Mutable<RoomState> = { ...state };
      // TOPICLEN (ISUPPORT): a longer topic is cut there, as IRC servers do.
      const cut = [...text].slice(0, TOPIC_MAX).join('');
      if (cut === '') delete next.topic;
      else next.topic = { text: cut, by: nameOf(ctx), at: ctx.now() };
      return { state: next, changes: [{ what: 'topic', text: cut }] };
    },
    (state) => state.topicOpen === true,
  );
}

/**
 * `/invite NAME` and IRC's INVITE: NAME, who must be online, may join the room once (past its
 * privacy, key, limit and bans). In a private room only its operators invite; in an open one
 * any member may (IRC's), which only tells NAME.
 */
export function invite(ctx: CommandContext, cmd: Cmd<'invite'>): Outcome {
  const { name } = cmd;
  if (name === '') return [reply(ctx.w.moderationNeedsName('invite'))];
  if (!isValidName(name)) return [reply(ctx.w.noSuchUser(name))];
  return managed(ctx, cmd.room, (room) => inviteTo(ctx, room, name));
}

function inviteTo(ctx: CommandContext, room: string, name: string): Outcome {
  const key = nameKey(name);
  return after(ctx.hub.names(), (names): Outcome => {
    if (names === undefined) return [reply(ctx.w.roomUnavailable(room))];
    const shown = names.find((n) => nameKey(n) === key);
    if (shown === undefined) return [reply(ctx.w.noSuchUser(name))];
    return after(ctx.hub.roomNames(room), (listing): Outcome => {
      if (listing !== undefined && listing !== 'no such room' && listing.names.some((n) => nameKey(n) === key)) {
        return [reply(ctx.w.alreadyInRoom(shown, room))];
      }
      return after(ctx.hub.roomState(room), (info): Outcome => {
        if (info === undefined) return [reply(ctx.w.roomUnavailable(room))];
        if (info === 'no such room') return [reply(ctx.w.noSuchRoom(room))];
        // A member of an open room may tell NAME of it (IRC's INVITE); only an operator's
        // invitation lets NAME past the room's key, limit, bans, or a privacy set later.
        if (!isRoomOperator(ctx, info.state, nameOf(ctx)) && !isServerOperator(ctx)) {
          if (info.state.private === true) return [reply(ctx.w.notRoomOperator('invite', info.room)), reject('not-room-operator', `/invite in ${info.room}`)];
          return [{ kind: 'invitation', to: shown, room: info.room }];
        }
        return change(ctx, room, 'invite', (state, shownRoom) => ({
          state: { ...state, invited: [...(without(state.invited, key) ?? []), key].slice(-ROOM_LIST_MAX) },
          changes: [],
          after: [{ kind: 'invitation', to: shown, room: shownRoom }],
        }));
      });
    });
  });
}

/** `/remove NAME [REASON]` and IRC's KICK: NAME leaves the room, wherever its server. */
export function removeFromRoom(ctx: CommandContext, cmd: Cmd<'removeFromRoom'>): Outcome {
  const { name, reason } = cmd;
  if (name === '') return [reply(ctx.w.moderationNeedsName('remove'))];
  return managed(ctx, cmd.room, (room) => removeFrom(ctx, room, name, reason));
}

function removeFrom(ctx: CommandContext, room: string, name: string, reason: string): Outcome {
  if (!isValidName(name)) return [reply(ctx.w.noSuchUser(name))];
  return after(ctx.hub.roomState(room, true), (info): Outcome => {
    if (info === undefined) return [reply(ctx.w.roomUnavailable(room))];
    if (info === 'no such room') return [reply(ctx.w.noSuchRoom(room))];
    if (!isRoomOperator(ctx, info.state, nameOf(ctx)) && !isServerOperator(ctx)) {
      return [reply(ctx.w.notRoomOperator('remove', info.room)), reject('not-room-operator', `/remove in ${info.room}`)];
    }
    return after(ctx.hub.roomNames(info.room), (listing): Outcome => {
      const key = nameKey(name);
      const target = listing === undefined || listing === 'no such room' ? undefined : listing.names.find((n) => nameKey(n) === key);
      if (target === undefined) return after(ctx.hub.names(), (names) => [reply(missing(ctx, name, info.room, names))]);
      return after(ctx.hub.remove(target, { room: info.room, by: nameOf(ctx), reason }), (delivery): Action[] =>
        delivery === 'delivered' ? [] : [reply(delivery === 'no such user' ? ctx.w.notInThatRoom(name, info.room) : ctx.w.clusterUnavailable())],
      );
    });
  });
}

/** `/op`, `/deop`, `/private`, `/public`, `/key` and IRC's MODE: operators only, each change checked. */
export function roomMode(ctx: CommandContext, cmd: Cmd<'roomMode'>): Outcome {
  if (cmd.changes.length === 0) return [reply(ctx.w.moderationNeedsName(cmd.word))];
  return managed(ctx, cmd.room, (room) => {
    const lobby = nameKey(room) === LOBBY;
    // Whom an op or voice change names must be in the room: asked before the change is planned.
    const named = cmd.changes.some((c) => c.what === 'op' || c.what === 'voice');
    return after(
      named ? ctx.hub.roomNames(room) : undefined,
      (listing): Outcome =>
        after(
          named ? ctx.hub.names() : undefined,
          (online): Outcome =>
            change(ctx, room, cmd.word, (state, shown) => {
              const next: Mutable<RoomState> = { ...state };
              const changes: RoomChange[] = [];
              const answers: string[] = [];
              const members = listing === undefined || listing === 'no such room' ? [] : listing.names;
              for (const c of cmd.changes) {
                const done = apply(ctx, next, c, shown, lobby, members, online);
                if (typeof done === 'string') answers.push(done);
                else if (done !== undefined) changes.push(done);
              }
              return { state: next, changes, answers };
            }),
        ),
    );
  });
}

/** Why NAME, who is not in ROOM, cannot be acted on there: not online at all (IRC's 401), or elsewhere (441). */
function missing(ctx: CommandContext, name: string, room: string, online: readonly string[] | undefined): string {
  const key = nameKey(name);
  return online !== undefined && !online.some((n) => nameKey(n) === key) ? ctx.w.noSuchUser(name) : ctx.w.notInThatRoom(name, room);
}

/** One change to NEXT: what the room is told, a refusal's words, or undefined for no change. */
function apply(
  ctx: CommandContext,
  next: Mutable<RoomState>,
  c: ModeRequest,
  room: string,
  lobby: boolean,
  members: readonly string[],
  online: readonly string[] | undefined,
): RoomChange | string | undefined {
  switch (c.what) {
    case 'op':
    case 'voice': {
      const key = nameKey(c.name);
      const shown = members.find((n) => nameKey(n) === key);
      if (shown === undefined) return missing(ctx, c.name, room, online);
      const list = c.what === 'op' ? next.ops : (next.voiced ?? []);
      if (list.includes(key) === c.on) return undefined;
      const changed = c.on ? [...list, key] : list.filter((k) => k !== key);
      if (c.what === 'op') next.ops = changed;
      else setList(next, 'voiced', changed.length === 0 ? undefined : changed);
      return { what: c.what, on: c.on, name: shown };
    }
    case 'private':
    case 'secret':
    case 'moderated': {
      if (lobby && c.on && c.what !== 'moderated') return ctx.w.lobbyIsOpen();
      if ((next[c.what] === true) === c.on) return undefined;
      if (c.on) next[c.what] = true;
      else delete next[c.what];
      return { what: c.what, on: c.on };
    }
    case 'noExternal':
    case 'topicLock': {
      // Kept as what differs from the default (+n, +t): the flag is the mode taken off.
      const flag = c.what === 'noExternal' ? 'external' : 'topicOpen';
      if ((next[flag] !== true) === c.on) return undefined;
      if (c.on) delete next[flag];
      else next[flag] = true;
      return { what: c.what, on: c.on };
    }
    case 'key': {
      if (!c.on) {
        if (next.key === undefined) return undefined;
        delete next.key;
        return { what: 'key', on: false };
      }
      if (lobby) return ctx.w.lobbyIsOpen();
      if (!KEY.test(c.key)) return ctx.w.badModeParameter('key', c.key, room);
      next.key = c.key;
      return { what: 'key', on: true };
    }
    case 'limit': {
      if (c.limit === undefined) {
        if (next.limit === undefined) return undefined;
        delete next.limit;
        return { what: 'limit', limit: undefined };
      }
      if (lobby) return ctx.w.lobbyIsOpen();
      if (!Number.isInteger(c.limit) || c.limit < 1 || c.limit > 1_000_000) return ctx.w.badModeParameter('limit', String(c.limit), room);
      if (next.limit === c.limit) return undefined;
      next.limit = c.limit;
      return { what: 'limit', limit: c.limit };
    }
    case 'ban': {
      const mask = c.mask;
      // No blank, no control character (C0, DEL, C1): a mask is shown to every member.
      if (mask === '' || mask.length > 100 || /[\s\x00-\x1f\x7f-\x9f]/.test(mask)) return ctx.w.badModeParameter('ban', mask, room);
      const bans = next.bans ?? [];
      const has = bans.some((b) => b.toLowerCase() === mask.toLowerCase());
      if (has === c.on) return undefined;
      if (c.on && bans.length >= ROOM_LIST_MAX) return ctx.w.badModeParameter('ban', mask, room);
      setList(next, 'bans', c.on ? [...bans, mask] : bans.filter((b) => b.toLowerCase() !== mask.toLowerCase()));
      return { what: 'ban', on: c.on, mask };
    }
  }
}

/**
 * OLD is now NAME, in each of its rooms: an operator or voice held under a name that is no
 * account's goes with its user, and one left under NAME by someone gone is no longer anyone's
 * (RoomState.ops). Written over the version read, tried again when another change came first.
 */
export function renamedInRooms(ctx: CommandContext, old: string, name: string): Awaitable<void> {
  const from = nameKey(old);
  const to = nameKey(name);
  const moves = !isAccount(ctx, old);
  const stale = !isAccount(ctx, name);
  const renamed = (list: readonly string[] | undefined): readonly string[] | undefined => {
    if (list === undefined) return undefined;
    const had = moves && list.includes(from);
    const out = list.filter((k) => k !== from && !(stale && k === to));
    if (had || (!stale && list.includes(to))) out.push(to);
    return out.length === 0 ? undefined : out;
  };
  const one = (room: string, tries: number, fresh: boolean): Awaitable<void> =>
    after(ctx.hub.roomState(room, fresh), (info): Awaitable<void> => {
      if (info === undefined || info === 'no such room') return;
      const { state } = info;
      const ops = renamed(state.ops) ?? [];
      const voiced = renamed(state.voiced);
      if (ops.join() === state.ops.join() && (voiced ?? []).join() === (state.voiced ?? []).join()) return;
      const next: Mutable<RoomState> = { ...state, v: state.v + 1, ops };
      setList(next, 'voiced', voiced);
      return after(ctx.hub.setRoomState(info.room, state.v, next), (written) => (written === 'changed' && tries > 1 ? one(room, tries - 1, true) : undefined));
    });
  let chain: Awaitable<void> = undefined;
  for (const room of ctx.hub.roomsOf(ctx.self)) chain = after(chain, () => one(room, TRIES, false));
  return chain;
}
