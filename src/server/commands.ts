import type { Delivery, Part } from '../hub/hub.js';
import { after, isPromise } from '../protocol/awaitable.js';
import { maskMatches } from '../protocol/glob.js';
import { TooManyWaitingError } from '../accounts/authenticator.js';
import type { RefusalCode } from '../protocol/codes.js';
import type { Command, CommandKind } from './command.js';
import type { Words } from './dialect.js';
import { isReservedName, isValidName, nameKey } from '../protocol/names.js';
import { stripControls } from '../protocol/sanitize.js';
import { reject, reply, type Action } from './actions.js';
import type { CommandContext, Outcome } from './command-context.js';
import { guarded, isRoomOperator, isServerOperator, joinedAs, mayView, roomView } from './room-access.js';
import { invite, removeFromRoom, renamedInRooms, roomMode, topic } from './room-commands.js';
import { join } from './room-entry.js';
import { passwd } from './account-commands.js';
import { historyTargets, historyWindow } from './history-window.js';
import { readMarker } from './read-markers.js';
import { HISTORY_DEFAULT, HISTORY_MAX } from '../protocol/history-limits.js';
import { AWAY_MAX } from '../protocol/away.js';
import { cutToBytes, shownReason } from '../protocol/cut-to-bytes.js';

export type { CommandContext, Outcome } from './command-context.js';

type Handler<K extends CommandKind> = (ctx: CommandContext, cmd: Extract<Command, { kind: K }>) => Outcome;

interface CommandSpec<K extends CommandKind> {
  /** docs/protocol.md: only registered connections send or receive messages. */
  needsName: boolean;
  run: Handler<K>;
}

/** The command table (STYLE.md, point 4): what each command needs, and who handles it. */
const COMMANDS: { [K in CommandKind]: CommandSpec<K> } = {
  empty: { needsName: false, run: () => [] },
  register: { needsName: false, run: register },
  direct: { needsName: true, run: direct },
  directMalformed: {
    needsName: true,
    run: (ctx, cmd) => [
      reply(cmd.to !== undefined && cmd.text !== undefined && isValidName(cmd.to) ? ctx.w.directNeedsColon(cmd.to, cmd.text) : ctx.w.directNeedsColon()),
    ],
  },
  // docs/protocol.md, "Bytes and lines": on a connection that has never sent an LF, `hello`
  // and `@bob:my pin` sent apart can arrive as one read. Refused, never delivered.
  unframedAddress: { needsName: true, run: (ctx) => [reply(ctx.w.endWithNewline()), reject('unframed-address')] },
  room: { needsName: true, run: room },
  history: { needsName: true, run: history },
  historyWindow: { needsName: true, run: historyWindow },
  historyTargets: { needsName: true, run: historyTargets },
  readMarker: { needsName: true, run: readMarker },
  kick: { needsName: true, run: kick },
  ban: { needsName: true, run: ban },
  unban: { needsName: true, run: unban },
  bans: { needsName: true, run: bans },
  who: { needsName: false, run: who },
  join: { needsName: true, run: join },
  topic: { needsName: true, run: topic },
  roomMode: { needsName: true, run: roomMode },
  removeFromRoom: { needsName: true, run: removeFromRoom },
  invite: { needsName: true, run: invite },
  part: { needsName: true, run: part },
  mine: { needsName: true, run: (ctx) => [reply(ctx.w.yourRooms(ctx.hub.roomsOf(ctx.self)))] },
  rooms: { needsName: false, run: rooms },
  whois: { needsName: false, run: whois },
  authenticate: { needsName: false, run: authenticate },
  answer: { needsName: false, run: (_ctx, cmd) => [reply(cmd.text)] },
  // The session takes a line's several commands one at a time (Session.line): one here is nested.
  several: { needsName: false, run: () => [] },
  ping: { needsName: false, run: (ctx, cmd) => [reply(ctx.w.pong(cmd.token))] },
  away: { needsName: false, run: away },
  help: {
    needsName: false,
    run: (ctx) => [...ctx.w.help(), ...(ctx.self.name !== undefined && ctx.auth?.isOperator(ctx.self.name) ? ctx.w.helpOperators() : [])].map(reply),
  },
  quit: { needsName: false, run: (_ctx, cmd) => [{ kind: 'quit', reason: cmd.reason }] },
  passwd: { needsName: true, run: passwd },
  unknown: {
    needsName: false,
    run: (ctx, cmd) => [reply(ctx.w.unknownCommand(cmd.word)), reject('unknown-command', cmd.word)],
  },
};

export function dispatch(ctx: CommandContext, cmd: Command): Outcome {
  const spec = COMMANDS[cmd.kind] as CommandSpec<CommandKind>;
  if (spec.needsName && ctx.self.name === undefined) {
    return [reply(ctx.w.registerFirst()), reject('not-registered')];
  }
  return spec.run(ctx, withoutControls(cmd) as never);
}

/**
 * What others are shown of a user's words (a message, a reason) holds no control character
 * (docs/protocol.md), whichever dialect it came in: one that passes lines raw (IRC) must not
 * let an escape sequence reach an nc user's terminal, nor a frame the cluster refuses. A
 * reason is cut at REASON_MAX bytes, so that an IRC user's QUIT, PART or KICK line holds it.
 */
function withoutControls(cmd: Command): Command {
  if ('reason' in cmd) {
    const reason = shownReason(cmd.reason);
    if (reason !== cmd.reason) return { ...cmd, reason };
  } else if ('text' in cmd && (cmd.kind === 'room' || cmd.kind === 'direct' || cmd.kind === 'topic') && cmd.text !== undefined) {
    const text = stripControls(cmd.text);
    if (text !== cmd.text) return { ...cmd, text };
  }
  return cmd;
}

/**
 * docs/protocol.md, "Away": away with TEXT (at most AWAY_MAX bytes of UTF-8, as IRC's AWAYLEN
 * says), or back without. A direct message to the user is answered with it (core.ts).
 */
function away(ctx: CommandContext, cmd: Extract<Command, { kind: 'away' }>): Action[] {
  const text = cutToBytes(stripControls(cmd.text).trim(), AWAY_MAX).trimEnd();
  return text === '' ? [{ kind: 'away', text: undefined }, reply(ctx.w.youAreBack())] : [{ kind: 'away', text }, reply(ctx.w.youAreAway(text))];
}

function nameOf(ctx: CommandContext): string {
  // Only reached through needsName, which guarantees a name.
  return ctx.self.name ?? '';
}

/** A plain line: to the current room, taken when the line is read (docs/protocol.md, "Rooms"). */
function room(ctx: CommandContext, cmd: Extract<Command, { kind: 'room' }>): Outcome {
  return after(roomActions(ctx, cmd), (actions) => unlessNotice(cmd, actions));
}

function roomActions(ctx: CommandContext, cmd: Extract<Command, { kind: 'room' }>): Outcome {
  const notice = cmd.notice === true ? { notice: true } : {};
  if (cmd.room !== undefined) {
    const asked = cmd.room;
    const named = isValidName(asked) ? joinedAs(ctx, asked) : undefined;
    if (named !== undefined) return say(ctx, named, cmd.text, notice);
    const refused: Action[] = [reply(ctx.w.cannotSendTo(asked)), reject('not-in-room', asked)];
    if (!isValidName(asked)) return refused;
    // IRC's -n: a room may take messages from outside. Only a room that says so.
    return after(ctx.hub.roomState(asked), (info): Action[] =>
      typeof info === 'object' && info.state.external === true ? say(ctx, info.room, cmd.text, notice) : refused,
    );
  }
  const where = ctx.hub.roomsOf(ctx.self)[0];
  if (where === undefined) return [reply(ctx.w.inNoRoom()), reject('in-no-room')];
  return say(ctx, where, cmd.text, notice);
}

/**
 * TEXT to ROOM, as the room allows: in a moderated room (IRC's +m) only its operators and
 * voiced members speak, and nobody a ban matches (IRC's +b). A private room nobody owns keeps
 * no history: once it empties its name is anyone's, and so would its conversation be. The
 * member's own server knows its rooms' state at once.
 */
function say(ctx: CommandContext, room: string, text: string, notice: { notice?: boolean }): Action[] {
  const action: Action = { kind: 'room', room, from: nameOf(ctx), text, ...notice };
  const info = ctx.hub.roomState(room);
  if (info === undefined || isPromise(info) || info === 'no such room') return [action];
  const { state } = info;
  if (state.moderated === true || state.bans !== undefined) {
    const name = nameOf(ctx);
    const above = isRoomOperator(ctx, state, name) || isServerOperator(ctx);
    if (!above && state.moderated === true && state.voiced?.includes(nameKey(name)) !== true) {
      return [reply(ctx.w.cannotSendTo(room, true)), reject('not-in-room', `${room} (moderated)`)];
    }
    if (!above && state.bans?.some((mask) => maskMatches(mask, name)) === true)
      return [reply(ctx.w.cannotSendTo(room)), reject('not-in-room', `${room} (banned)`)];
  }
  return state.private === true && state.owner === undefined ? [{ ...action, unkept: true }] : [action];
}

/** A notice is never answered (RFC 2812: no automatic reply to a NOTICE), not even with an error. */
function unlessNotice(cmd: { notice?: boolean }, actions: Action[]): Action[] {
  return cmd.notice === true ? actions.filter((a) => a.kind !== 'reply') : actions;
}

/** On a server with accounts, only users who logged in may see who is online, or where. */
function mustLogIn(ctx: CommandContext): Action[] | undefined {
  return ctx.auth && ctx.self.name === undefined ? [reply(ctx.w.registerFirst()), reject('not-registered')] : undefined;
}

function who(ctx: CommandContext, cmd: Extract<Command, { kind: 'who' }>): Outcome {
  const refused = mustLogIn(ctx);
  if (refused) return refused;
  const { room, as } = cmd;
  if (room === undefined) return after(ctx.hub.names(), (names) => [reply(names ? ctx.w.online(names, as) : ctx.w.whoUnavailable())]);
  if (!isValidName(room)) return [reply(ctx.w.invalidRoom()), reject('invalid-room')];
  return after(ctx.hub.roomNames(room), (listing) => [
    reply(
      listing === undefined
        ? ctx.w.whoUnavailable()
        : listing === 'no such room' || !mayView(ctx, listing.room, listing.state)
          ? ctx.w.noSuchRoom(room, as)
          : ctx.w.inRoom(listing.room, listing.names, as, roomView(ctx, listing.state)),
    ),
  ]);
}

/** Whether NAME is online (over the whole chat), and its rooms when it is a user of this server. */
function whois(ctx: CommandContext, cmd: Extract<Command, { kind: 'whois' }>): Outcome {
  const refused = mustLogIn(ctx);
  if (refused) return refused;
  const { name } = cmd;
  if (!isValidName(name)) return [reply(ctx.w.whoisNobody(name))];
  const key = nameKey(name);
  return after(ctx.hub.names(), (names): Action[] => {
    if (names === undefined) return [reply(ctx.w.whoUnavailable())];
    const shown = names.find((n) => nameKey(n) === key);
    if (shown === undefined) return [reply(ctx.w.whoisNobody(name))];
    const member = ctx.hub.lookup(shown);
    if (member === undefined) return [reply(ctx.w.whois(shown, undefined))];
    const opIn = (room: string): boolean => {
      const info = ctx.hub.roomState(room);
      return typeof info === 'object' && !isPromise(info) && isRoomOperator(ctx, info.state, shown);
    };
    return [
      reply(
        ctx.w.whois(
          shown,
          ctx.hub.roomsOf(member).filter((room) => seen(ctx, room)),
          opIn,
        ),
      ),
    ];
  });
}

/** Whether ROOM, a room of this server's member, is seen by the asker: a hidden one only by its members. */
function seen(ctx: CommandContext, room: string): boolean {
  const info = ctx.hub.roomState(room);
  // The member's own server knows its rooms' state at once; should it not, the room is not shown.
  return info !== undefined && !isPromise(info) && info !== 'no such room' && mayView(ctx, info.room, info.state);
}

/**
 * An account's password checked without logging in (IRC's SASL comes before the name is
 * taken): charged and throttled as a login is.
 */
function authenticate(ctx: CommandContext, cmd: Extract<Command, { kind: 'authenticate' }>): Outcome {
  const { auth, self } = ctx;
  const { name, password } = cmd;
  // Made only when it is the answer: a dialect's words may note what they said (IRC's do).
  // The name is logged only when it is an account's: anything else may be a password typed in the wrong place.
  const failed = (): Action[] => [
    reply(ctx.w.authenticationFailed()),
    { kind: 'authFailed' },
    reject('auth-failed', isValidName(name) && auth?.has(name) ? name : undefined),
  ];
  if (auth === undefined || !isValidName(name)) return failed();
  const operator = 'operator' in cmd;
  return auth.authenticate(name, password, ctx.address, self.signal).then(
    (ok): Action[] => {
      if (self.signal?.aborted) return [];
      if (!ok || !auth.has(name)) return failed();
      if (!operator) return [reply(ctx.w.authenticated(name))];
      if (!auth.isOperator(name)) return [reply(ctx.w.notOperator('oper')), reject('not-operator', `oper ${name}`)];
      return [{ kind: 'operator', account: name }, reply(ctx.w.authenticated(name))];
    },
    (err: unknown) => {
      if (!(err instanceof TooManyWaitingError)) throw err;
      return [reply(ctx.w.loginsWaiting()), reject('logins-waiting', ctx.address)];
    },
  );
}

function rooms(ctx: CommandContext): Outcome {
  const refused = mustLogIn(ctx);
  if (refused) return refused;
  return after(ctx.hub.rooms(), (list) => {
    if (list === undefined) return [reply(ctx.w.roomsUnavailable())];
    // docs/protocol.md, "Rooms people own": a private room is listed to its members only.
    const seen =
      list.some((r) => r.hidden === true) && !isServerOperator(ctx) ? list.filter((r) => r.hidden !== true || joinedAs(ctx, r.name) !== undefined) : list;
    return [reply(ctx.w.roomList(seen))];
  });
}

/**
 * docs/protocol.md "Rooms": ROOM (default: the current room) is left, its others see it;
 * when it was current, the room made current most recently before it becomes current.
 */
function part(ctx: CommandContext, cmd: Extract<Command, { kind: 'part' }>): Action[] {
  const room = cmd.room === '' ? ctx.hub.roomsOf(ctx.self)[0] : cmd.room;
  if (room === undefined) return [reply(ctx.w.inNoRoom()), reject('in-no-room')];
  if (!isValidName(room)) return [reply(ctx.w.invalidRoom()), reject('invalid-room')];
  const left = ctx.hub.part(ctx.self, room);
  if (left === 'not in room') return [reply(ctx.w.notInRoom(room)), reject('not-in-room', room)];
  const actions: Action[] = [
    reply(ctx.w.youLeft(left.room, cmd.reason)),
    { kind: 'presence', event: { kind: 'left', names: [nameOf(ctx)], reason: cmd.reason }, rooms: [left.room], leaving: true },
  ];
  if (left.current !== undefined) actions.push(reply(ctx.w.youAreIn(left.current)));
  actions.push(...tellDevicesLeft(left, (w) => w.youLeft(left.room, cmd.reason)));
  return actions;
}

/** The account's other devices left the room too: each is told so in SAID, and of its current room when it moved. */
export function tellDevicesLeft(left: Exclude<Part, 'not in room'>, said: (w: Words) => string): Action[] {
  return (left.others ?? []).map(
    ({ member, current }): Action => ({ kind: 'tell', members: [member], say: (w) => (current === undefined ? [said(w)] : [said(w), w.youAreIn(current)]) }),
  );
}

/**
 * docs/protocol.md, "History": the last N messages of a room one is in, oldest first, as one
 * reply, so that flood control charges it by its size like any listing.
 */
function history(ctx: CommandContext, cmd: Extract<Command, { kind: 'history' }>): Outcome {
  const n = cmd.count === '' ? HISTORY_DEFAULT : /^[0-9]{1,4}$/.test(cmd.count) ? Number(cmd.count) : 0;
  if (n < 1 || n > HISTORY_MAX) return [reply(ctx.w.historyUsage(HISTORY_MAX)), reject('bad-history-count')];
  let room: string | undefined;
  if (cmd.room === undefined) {
    room = ctx.hub.roomsOf(ctx.self)[0];
    if (room === undefined) return [reply(ctx.w.inNoRoom()), reject('in-no-room')];
  } else {
    if (!isValidName(cmd.room)) return [reply(ctx.w.invalidRoom()), reject('invalid-room')];
    // Members only: a room's history is its members' conversation. Of a private room, and
    // of one nobody is in, a non-member learns nothing: it is no room to them.
    room = joinedAs(ctx, cmd.room);
    if (room === undefined) {
      const asked = cmd.room;
      return after(ctx.hub.roomState(asked), (info): Action[] => [
        reply(info === undefined || info === 'no such room' || !mayView(ctx, info.room, info.state) ? ctx.w.noSuchRoom(asked) : ctx.w.historyNotMember(asked)),
        reject('not-in-room', asked),
      ]);
    }
  }
  return after(ctx.store.history(room, n), (entries): Action[] => {
    if (entries === undefined) return [reply(ctx.w.historyUnavailable())];
    const lines = entries.map((e) => ctx.w.historyEntry(e.at, e.from, e.text));
    lines.push(ctx.w.endOfHistory(entries.length));
    return [reply(lines.join('\n'))];
  });
}

/** docs/protocol.md, "Moderation": the refusal for anyone but an operator, or undefined. */
function notOperator(ctx: CommandContext, word: string): Action[] | undefined {
  // The account OPER proved is asked again each time: an operator mark removed is removed now.
  const oper = ctx.operator();
  const ok = ctx.auth?.isOperator(nameOf(ctx)) || (oper !== undefined && ctx.auth?.isOperator(oper) === true);
  return ok ? undefined : [reply(ctx.w.notOperator(word)), reject('not-operator', word)];
}

/** Checks NAME for /kick and /ban: the refusal, or undefined when the command may go on. */
function target(ctx: CommandContext, word: string, name: string): Action[] | undefined {
  if (name === '') return [reply(ctx.w.moderationNeedsName(word))];
  if (!isValidName(name)) return [reply(ctx.w.noSuchUser(name))];
  if (nameKey(name) === nameKey(nameOf(ctx))) return [reply(ctx.w.notYourself(word))];
  return undefined;
}

function kick(ctx: CommandContext, cmd: Extract<Command, { kind: 'kick' }>): Outcome {
  const refused = notOperator(ctx, 'kick') ?? target(ctx, 'kick', cmd.name);
  if (refused) return refused;
  const how = ctx.w.kickedBy(nameOf(ctx), cmd.reason);
  return after(ctx.hub.remove(cmd.name, { shown: how }), (delivery): Action[] => {
    const error = deliveryError(ctx.w, delivery, cmd.name);
    if (error !== undefined) return [reply(error)];
    return [reply(ctx.w.youKicked(cmd.name)), { kind: 'moderation', action: 'kick', name: cmd.name, reason: cmd.reason }];
  });
}

/** Bans run a hundred years at most: MINUTES beyond would overflow a date. */
export const BAN_MAX_MINUTES = 100 * 365 * 24 * 60;

/**
 * docs/protocol.md, "Moderation": the ban is kept first, so that the user cannot log in again
 * between being disconnected and the ban being written; then its user, if online, is removed.
 */
function ban(ctx: CommandContext, cmd: Extract<Command, { kind: 'ban' }>): Outcome {
  const refused = notOperator(ctx, 'ban') ?? target(ctx, 'ban', cmd.name);
  if (refused) return refused;
  const { name, reason } = cmd;
  const minutes = cmd.minutes === undefined ? undefined : Number(cmd.minutes);
  if (minutes !== undefined && !(Number.isInteger(minutes) && minutes >= 1 && minutes <= BAN_MAX_MINUTES)) {
    return [reply(ctx.w.banMinutes(BAN_MAX_MINUTES))];
  }
  if (!ctx.auth?.has(name)) return [reply(ctx.w.noSuchAccount(name))];
  const now = ctx.now();
  const until = minutes === undefined ? undefined : now + minutes * 60_000;
  const op = nameOf(ctx);
  const how = ctx.w.bannedBy(op, reason);
  return guarded(
    () => ctx.store.ban({ name, by: op, reason, at: now, until }),
    () =>
      after(ctx.hub.remove(name, { shown: how }), (): Action[] => [
        reply(ctx.w.youBanned(name, until)),
        { kind: 'moderation', action: 'ban', name, reason, ...(until === undefined ? {} : { until }) },
      ]),
    () => [reply(ctx.w.moderationUnavailable()), reject('bans-unavailable', `/ban ${name}: the ban could not be written`)],
  );
}

function unban(ctx: CommandContext, cmd: Extract<Command, { kind: 'unban' }>): Outcome {
  const refused = notOperator(ctx, 'unban');
  if (refused) return refused;
  const { name } = cmd;
  if (name === '') return [reply(ctx.w.moderationNeedsName('unban'))];
  if (!isValidName(name)) return [reply(ctx.w.notBanned(name))];
  return guarded(
    () => ctx.store.unban(name),
    (lifted): Action[] =>
      lifted ? [reply(ctx.w.mayLogInAgain(name)), { kind: 'moderation', action: 'unban', name, reason: '' }] : [reply(ctx.w.notBanned(name))],
    () => [reply(ctx.w.moderationUnavailable()), reject('bans-unavailable', `/unban ${name}: the ban could not be lifted`)],
  );
}

function bans(ctx: CommandContext): Outcome {
  const refused = notOperator(ctx, 'bans');
  if (refused) return refused;
  return after(ctx.store.bans(ctx.now()), (list) => [reply(list === undefined ? ctx.w.moderationUnavailable() : ctx.w.bansList(list))]);
}

function register(ctx: CommandContext, cmd: Extract<Command, { kind: 'register' }>): Outcome {
  const { name, password } = cmd;
  if (!isValidName(name)) return [reply(ctx.w.invalidName()), reject('invalid-name')];
  if (cmd.device !== undefined && !isValidName(cmd.device)) return [reply(ctx.w.invalidDevice()), reject('invalid-device')];
  // IRC clients talk to NickServ and the like by themselves, passwords included: nobody is one here.
  if (isReservedName(name) && !ctx.auth?.has(name)) return [reply(ctx.w.nameTaken(name)), reject('name-taken', name)];
  const { auth } = ctx;
  // docs/running.md, "Guests": a name that is no account is open, an account's needs its password.
  const lobby = cmd.lobby !== false;
  if (auth === undefined || (ctx.guests && !auth.has(name))) return claim(ctx, name, false, lobby);
  // Asking for the password gives nothing away: every name needs one on this server.
  if (password === undefined || password === '') return [reply(ctx.w.passwordRequired()), reject('no-password')];
  // has() again: the account may have been removed (a reload) while the password was checked.
  // The right password makes the name its own: an older login holding it (a dead laptop, a
  // lingering session), here or on another server, is disconnected (docs/running.md, "Accounts").
  const { self } = ctx;
  return auth.authenticate(name, password, ctx.address, self.signal).then(
    (ok): Outcome =>
      // Gone while its password was checked: a login nobody is left to use must not take the
      // name from the owner's live one.
      self.signal?.aborted
        ? []
        : ok && auth.has(name)
          ? unlessBanned(ctx, name, lobby, cmd.device)
          : [reply(ctx.w.authenticationFailed()), { kind: 'authFailed' }, reject('auth-failed', name)],
    (err: unknown) => {
      if (!(err instanceof TooManyWaitingError)) throw err;
      return [reply(ctx.w.loginsWaiting()), reject('logins-waiting', ctx.address)];
    },
  );
}

/**
 * docs/protocol.md, "Moderation": a banned account is refused after its password was checked,
 * so that nobody learns of a ban without the password.
 */
function unlessBanned(ctx: CommandContext, name: string, lobby: boolean, device: string | undefined): Outcome {
  return guarded(
    () => ctx.store.banOf(name, ctx.now()),
    (banned) =>
      banned
        ? [reply(ctx.w.bannedAtLogin(banned.until, banned.reason)), reject('banned', name)]
        : after(claim(ctx, name, true, lobby, device), (actions) => stillNotBanned(ctx, name, actions)),
    () => [reply(ctx.w.loginUnavailable()), reject('bans-unavailable', `${name} not logged in: the bans could not be read`)],
  );
}

/**
 * Asks again once the name is ours: a ban written while the name was being claimed (on
 * another server, over a slow link) found nobody to disconnect, so this login must see it.
 * A ban written after this check finds the name taken, and disconnects its user.
 */
function stillNotBanned(ctx: CommandContext, name: string, claimed: Action[]): Outcome {
  const won = claimed.find((a) => a.kind === 'registered' || a.kind === 'renamed');
  if (won === undefined) return claimed;
  // The name was won but is not to be used: given back as if this login had never come.
  const refuse = (line: string, code: RefusalCode, detail: string): Action[] => [{ kind: 'giveBack', name }, reply(line), reject(code, detail)];
  return guarded(
    () => ctx.store.banOf(name, ctx.now()),
    (banned) => (banned ? refuse(ctx.w.bannedAtLogin(banned.until, banned.reason), 'banned', name) : claimed),
    () => refuse(ctx.w.loginUnavailable(), 'bans-unavailable', `${name} not logged in: the bans could not be read`),
  );
}

/**
 * Takes NAME for this connection: a registration, or a rename when it has a name. With
 * takeOver (the password of NAME's account was checked), from whoever holds it, or, with
 * maxDevices above 1, beside it: one more device of the account (docs/protocol.md, "Your
 * account"). DEVICE: the name this device gave itself, for its catch-up.
 */
function claim(ctx: CommandContext, asked: string, takeOver = false, lobby = true, device?: string): Outcome {
  let name = asked;
  const { hub, self } = ctx;
  const old = self.name;
  if (old === name) return [reply(ctx.w.youAreNow(name))];
  // One of several devices is not renamed alone: it would take the others' rooms with it.
  if (old !== undefined && hub.devices(old).length > 1) return [reply(ctx.w.renameWithDevices(old)), reject('rename-with-devices', old)];
  // Onto an account that may have devices, a rename takes nothing from them: it is no login
  // of one more device (that is a new connection's `#NAME PASSWORD`), and no takeover.
  const shares = takeOver && ctx.maxDevices > 1;
  // A device that logs in again takes the place of its older connections still open here
  // (ghosts): it comes in beside them, one over the most if need be, and they go.
  const ghosts = old === undefined && shares && device !== undefined ? (ctx.replaceDevice?.(name, device, true) ?? 0) : 0;
  const claim =
    old === undefined ? hub.claim(name, self, takeOver, lobby, takeOver ? ctx.maxDevices + ghosts : 1) : hub.rename(self, old, name, takeOver && !shares);
  return after(claim, (answer): Outcome => {
    // One more device: named as the account is shown, whatever case this login typed.
    if (answer === 'device') name = hub.shown(name) ?? name;
    if (ghosts > 0 && device !== undefined && (answer === 'device' || answer === 'claimed')) ctx.replaceDevice?.(name, device);
    if (answer === 'taken' && old !== undefined && shares) return [reply(ctx.w.renameOntoDevices(name)), reject('name-taken', name)];
    if (answer === 'taken') return [reply(ctx.w.nameTaken(name)), reject('name-taken', name)];
    if (answer === 'unavailable') return [reply(ctx.w.claimUnavailable()), reject('cluster-unavailable', `could not claim ${name}`)];
    if (answer === 'shared' && old !== undefined) return [reply(ctx.w.renameWithDevices(old)), reject('rename-with-devices', old)];
    if (answer === 'too many devices') return [reply(ctx.w.tooManyDevices(name, ctx.maxDevices)), reject('too-many-devices', name)];
    // Taken back from an older login: the hub has announced it as gone, so this comes after.
    // A login to an account gets what was kept for it right after its answer (docs/protocol.md),
    // then, a named device, what it missed (catch-up.ts).
    const kept: Action[] = takeOver ? [{ kind: 'kept', name }] : [];
    // Announced before the catch-up, which may take a while: nobody is in the chat unannounced.
    const catchUp: Action[] = takeOver && device !== undefined ? [{ kind: 'catchUp', name, device, rejoin: answer === 'claimed' }] : [];
    const account = { ...(takeOver ? { account: true } : {}), ...(device === undefined ? {} : { device }) };
    // An operator learns it at login, so that a client offers the operators' commands.
    const op = takeOver && ctx.auth?.isOperator(name) === true ? ctx.w.youAreOperator() : '';
    const operator = op === '' ? [] : [reply(op)];
    // One more device: in the account's rooms already, which nobody is told it joined.
    if (answer === 'device')
      return [{ kind: 'registered', name, ...account }, reply(ctx.w.registered(name)), ...operator, ...deviceRooms(ctx), ...kept, ...catchUp];
    if (old === undefined)
      return [
        { kind: 'registered', name, ...account },
        reply(ctx.w.registered(name)),
        ...operator,
        ...kept,
        { kind: 'presence', event: { kind: 'joined', names: [name] } },
        ...catchUp,
      ];
    const renamed: Action[] = [
      { kind: 'renamed', from: old, to: name, ...account },
      reply(ctx.w.youAreNow(name)),
      ...operator,
      ...kept,
      { kind: 'presence', event: { kind: 'renamed', from: old, to: name } },
      ...catchUp,
    ];
    // Its rooms' operators follow the name before the next line of this connection is read.
    return after(renamedInRooms(ctx, old, name), () => renamed);
  });
}

/**
 * A new device's rooms, the account's: each joined from another device, its current room
 * last, each with its read marker and its listing where a join has them (IRC's MARKREAD
 * and NAMES, in that order, as after a JOIN of its own).
 */
function deviceRooms(ctx: CommandContext): Action[] {
  const rooms = ctx.hub.roomsOf(ctx.self);
  const actions: Action[] = [];
  for (let i = rooms.length - 1; i >= 0; i--) {
    const room = rooms[i]!;
    actions.push(reply(i > 0 ? ctx.w.joinedFromOtherDevice(room) : ctx.w.youAreIn(room)), { kind: 'readMarkers', rooms: [room] });
    if (ctx.w.namesOnJoin === true) actions.push({ kind: 'perform', cmd: { kind: 'who', room, as: 'join' } });
  }
  return actions;
}

function direct(ctx: CommandContext, cmd: Extract<Command, { kind: 'direct' }>): Action[] {
  if (!isValidName(cmd.to)) return unlessNotice(cmd, [reply(ctx.w.noSuchUser(cmd.to))]);
  if (cmd.text === '') return unlessNotice(cmd, [reply(ctx.w.directNeedsText())]);
  return [
    {
      kind: 'direct',
      to: cmd.to,
      from: nameOf(ctx),
      text: cmd.text,
      ...(cmd.notice === true ? { notice: true } : {}),
      ...(cmd.ctcp === true ? { ctcp: true } : {}),
    },
  ];
}

/** The error for a direct message that did not arrive; undefined when it did. */
export function deliveryError(w: Words, delivery: Delivery, to: string): string | undefined {
  switch (delivery) {
    case 'delivered':
      return undefined;
    case 'no such user':
      return w.noSuchUser(to);
    case 'unavailable':
      return w.clusterUnavailable();
  }
}
