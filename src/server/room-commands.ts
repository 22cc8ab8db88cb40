import type { RoomChange, StateWrite } from '../hub/hub.js';
import { LOBBY } from '../hub/hub.js';
import { after, type Awaitable } from '../protocol/awaitable.js';
import { isValidName, nameKey } from '../protocol/names.js';
import { ROOM_LIST_MAX, setList, TOPIC_MAX, without, type Mutable, type RoomState } from '../protocol/room-state.js';
import { cutToBytes } from '../protocol/cut-to-bytes.js';
import { reject, reply, type Action } from './actions.js';
import type { Command, ModeRequest } from './command.js';
import type { CommandContext, Outcome } from './command-context.js';
import { guarded, isAccount, isRoomOperator, isServerOperator, joinedAs, mayView, nameOf } from './room-access.js';

/**
 * docs/protocol.md, "Rooms people own": its operators' commands. Every change is read,
 * checked and written over the version it read (Hub.setRoomState): two operators acting at
 * once on two servers are taken one after the other, the second checked against the first's
 * result. Joining is room-entry.ts; who may do what, room-access.ts.
 */

type Cmd<K extends Command['kind']> = Extract<Command, { kind: K }>;

/** A key is what IRC allows (RFC 2812): 1 to 23 characters, no space, no control, no comma. */
const KEY = /^[\x21-\x2b\x2d-\x7e]{1,23}$/;
/** Tries of a change that finds the state changed under it (Hub.setRoomState) before it gives up. */
const TRIES = 4;

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
      // TOPICLEN (ISUPPORT), in bytes as IRC counts it: a longer topic is cut there, never
      // inside a character, as IRC servers do (the 332 an IRC user gets fits its 512 bytes).
      const cut = cutToBytes(text, TOPIC_MAX);
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
      // The owner is an operator whenever they are in the room: a /deop of them would change nothing.
      if (c.what === 'op' && !c.on && next.owner !== undefined && nameKey(next.owner) === key && isAccount(ctx, shown))
        return ctx.w.ownerStaysOperator(shown, room);
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
