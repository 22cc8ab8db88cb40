import type { Duplex } from 'node:stream';
import type { DirectMessage, Hub, HubEvents, Member, RoomEvent } from '../hub/hub.js';
import { addressKey } from '../protocol/address-key.js';
import type { RefusalCode } from '../protocol/codes.js';
import { formatHostPort } from '../protocol/host-port.js';
import { namesByRooms } from '../protocol/name-order.js';
import { nameKey } from '../protocol/names.js';
import { TokenBucket } from '../protocol/token-bucket.js';
import type { Dialect, Words } from './dialect.js';
import type { Peer, SessionHost } from './host.js';
import { Later } from './later.js';
import { coreOptions, type CoreOptions } from './options.js';
import type { Outbox } from './outbox.js';
import { Session } from './session.js';
import { presence } from './effects.js';
import { applyAll } from './apply.js';
import { tellDevicesLeft } from './commands.js';
import { AuthThrottle, sleep } from '../accounts/login-throttle.js';
import type { KeyTries } from './command-context.js';
import { ServerStats } from './stats.js';

/** How long a presence notice may wait to go out with a connection's other output (Session.notify). */
export const NOTICE_DELAY_MS = 10;

/** How long a wrong room key takes, as a wrong password does (the accounts' failure delay). */
export const KEY_FAILURE_MS = 1000;

/** Rooms nobody is in that one address may open at once, and then a minute (ChatCore.mayOpenRoom). */
export const NEW_ROOMS_BURST = 20;
export const NEW_ROOMS_PER_MINUTE = 10;
/** Addresses whose allowance is remembered: past it, one whose allowance is whole is forgotten. */
const NEW_ROOM_ADDRESSES = 10_000;

/**
 * The chat itself: sessions, users and routing. It is handed duplex streams and opens no
 * sockets (STYLE.md, point 1), so the same core serves TCP, TLS or an in-memory pair.
 */
export class ChatCore implements SessionHost<Session> {
  readonly options: CoreOptions;
  readonly hub: Hub;
  /** The dialect's words for what the core says (options.dialect). */
  readonly words: Words;
  readonly #greeting: string;
  /** Counters for the operator's metrics. */
  readonly stats = new ServerStats();
  /** Room keys tried, per address: guessed no faster than passwords (docs/protocol.md, "Rooms people own"). */
  readonly keys: KeyTries;
  readonly #sessions = new Set<Session>();
  /** Open sessions per remote address (an IPv6 /64 counts as one), for maxPerIp. */
  readonly #perHost = new Map<string, number>();
  /** Rooms each address may still open (see mayOpenRoom), at most NEW_ROOM_ADDRESSES addresses. */
  readonly #newRooms = new Map<string, TokenBucket>();
  /** The flood allowance of each account logged in, shared by its devices (accountBucket). */
  readonly #accountBuckets = new Map<string, { bucket: TokenBucket; devices: number }>();
  readonly #uncorks = new Later<Outbox>(
    (run) => setImmediate(run),
    (o) => o.uncork(),
  );
  readonly #notices = new Later<Outbox>(
    // Unref'd: a notice waiting to share a write keeps no process alive (its connections do).
    (run) => void setTimeout(run, this.options.noticeDelayMs ?? NOTICE_DELAY_MS).unref(),
    (o) => o.flushNotices(),
  );
  #closing: Promise<void> | undefined;
  /** Set as the shutdown starts (#closing is set only once its first, synchronous part is done). */
  #stopping = false;
  #drained: (() => void) | undefined;
  /** The dialects connections speak, each with its first form (Member.form): the default's is 0. */
  readonly #forms = new Map<Dialect, number>();
  /** By account key, the away text its rooms were last told (tellAway); absent: here. */
  readonly #toldAway = new Map<string, string>();
  /** By form: its dialect, and its number within the dialect's forms. */
  readonly #formDialect: { dialect: Dialect; form: number }[] = [];

  constructor(options: Partial<CoreOptions> & Pick<CoreOptions, 'store' | 'dialect'>, hub: Hub) {
    this.options = coreOptions(options);
    const { timers, keyFailureMs = KEY_FAILURE_MS } = this.options;
    const tries = new AuthThrottle(timers);
    this.keys = {
      run: (address, attempt, signal) => tries.run(address, attempt, signal),
      failed: (address) => tries.failed(address),
      pad: (signal) => sleep(timers, keyFailureMs, signal),
    };
    this.hub = hub;
    this.words = this.options.dialect.words;
    this.#greeting = this.words.greeting();
    this.formOf(this.options.dialect);
    hub.attach(this.#hubEvents());
  }

  /** SessionHost.formOf: DIALECT's first form, its forms numbered on first sight. */
  formOf(dialect: Dialect): number {
    let first = this.#forms.get(dialect);
    if (first === undefined) {
      first = this.#formDialect.length;
      this.#forms.set(dialect, first);
      for (let form = 0; form < (dialect.forms ?? 1); form++) this.#formDialect.push({ dialect, form });
    }
    return first;
  }

  /** The words of MEMBER, a session of this core (else the default dialect's). */
  wordsOf(member: Member): Words {
    return member instanceof Session ? member.words : this.words;
  }

  accountBucket(name: string): TokenBucket | undefined {
    const { rate, burst, timers } = this.options;
    if (rate <= 0) return undefined;
    const key = nameKey(name);
    let shared = this.#accountBuckets.get(key);
    if (shared === undefined) this.#accountBuckets.set(key, (shared = { bucket: new TokenBucket(rate, burst, () => timers.now()), devices: 0 }));
    shared.devices++;
    return shared.bucket;
  }

  deviceJoined(member: Member, room: string, listing = true): void {
    const line = this.wordsOf(member).joinedFromOtherDevice(room);
    if (line !== '') member.deliver(`${line}\n`);
    if (listing) this.deviceListing(member, room);
  }

  deviceListing(member: Member, room: string): void {
    // IRC: a JOIN without its NAMES would leave the client's nick list empty.
    if (this.wordsOf(member).namesOnJoin === true && member instanceof Session) void member.perform({ kind: 'who', room, as: 'join' });
  }

  replaceDevice(name: string, device: string, newcomer: Session, onlyCount = false): number {
    const key = nameKey(device);
    let n = 0;
    for (const member of this.hub.devices(name)) {
      if (!(member instanceof Session) || member === newcomer || member.device === undefined || nameKey(member.device) !== key) continue;
      n++;
      if (onlyCount) continue;
      // Its newer login is in its place already: nobody is told anything.
      member.replaced = true;
      member.send(member.words.loggedInElsewhere());
      member.close('logged-in-elsewhere', { detail: name, announce: false });
    }
    return n;
  }

  releaseAccountBucket(name: string): void {
    const key = nameKey(name);
    const shared = this.#accountBuckets.get(key);
    if (shared !== undefined && --shared.devices <= 0) this.#accountBuckets.delete(key);
  }

  /**
   * docs/protocol.md, "Away": the away text of NAME, held here, when every one of its devices
   * here is away (the first one's), else undefined: one device in use is somebody there. An
   * account with devices on other servers too is never said to be away: this server cannot
   * know that those are, and "away" said of someone at their phone is worse than silence.
   */
  awayOf(name: string): string | undefined {
    if (this.hub.heldElsewhere?.(name) === true) return undefined;
    const devices = this.hub.devices(name);
    let text: string | undefined;
    for (const device of devices) {
      if (!(device instanceof Session) || device.away === undefined) return undefined;
      text ??= device.away;
    }
    return text;
  }

  /**
   * docs/irc.md, "away-notify": NAME's rooms (those where presence is told) learn that it is
   * away or back when awayOf no longer says what they were last told: after its /away, a
   * device of it that came or went (a login given back unused too), a rename, or its devices
   * found on another server as well. Only a receiver that asked shows it; the others' words
   * for it are nothing. What was told is kept per account while it is away, and forgotten
   * once it is back or gone.
   */
  tellAway(name: string): void {
    // Shutting down: the others were told everyone left; an AWAY after that would be news of nobody.
    if (this.#stopping) return;
    const key = nameKey(name);
    const text = this.awayOf(name);
    if (text === this.#toldAway.get(key)) return;
    if (text === undefined) this.#toldAway.delete(key);
    else this.#toldAway.set(key, text);
    const member = this.hub.lookup(name);
    if (member?.name === undefined) return;
    const rooms = this.announced(this.hub.roomsOf(member), 0);
    const event: RoomEvent = text === undefined ? { kind: 'away', name: member.name } : { kind: 'away', name: member.name, text };
    // Not waited for, as presence is not.
    if (rooms.length > 0) void this.hub.toRooms(rooms, event, undefined, true);
  }

  /**
   * FROM is called TO now: its rooms, told it was away under the old name, are not told again
   * (an IRC client keeps a user's away across its NICK).
   */
  awayRenamed(from: string, to: string): void {
    const text = this.#toldAway.get(nameKey(from));
    if (text === undefined) return;
    this.#toldAway.delete(nameKey(from));
    this.#toldAway.set(nameKey(to), text);
  }

  /** NAME's away text for rooms it has just joined (JOIN, then AWAY), counted as told (tellAway). */
  awayToTell(name: string): string | undefined {
    const text = this.awayOf(name);
    if (text !== undefined) this.#toldAway.set(nameKey(name), text);
    return text;
  }

  /**
   * Who writes to a user who is away is told so, by the user's server, once (at its first
   * device), wherever the sender is: the answer goes back as a direct message of its own
   * kind. Never to a notice, a CTCP, an invitation, one's own devices, or an answer itself:
   * two away users must not answer each other for ever.
   */
  #answerAway(member: Member, message: DirectMessage): void {
    if (message.notice === true || message.ctcp === true || message.invite === true || message.sentTo !== undefined || message.away === true) return;
    const name = member.name;
    if (name === undefined || nameKey(name) === nameKey(message.from) || this.hub.lookup(name) !== member) return;
    const text = this.awayOf(name);
    if (text !== undefined) void this.hub.direct(message.from, { from: name, text, away: true });
  }

  /** What the cluster asks and tells: presence no session saw, evictions, outages. */
  #hubEvents(): HubEvents {
    const { onEvent } = this.options;
    const w = this.words;
    return {
      presence: (rooms, names, change, why) => {
        const told = this.announced(rooms, change === 'left' ? names.length : 0);
        if (told.length === 0 || names.length === 0) return undefined;
        const event: RoomEvent = change === 'left' ? { kind: 'left', names, reason: why ? w.leftBecause(why) : '', quit: true } : { kind: 'joined', names };
        return { rooms: told, event };
      },
      render: (event, room, tagged, form) => {
        const f = this.#formDialect[form] ?? this.#formDialect[0]!;
        return f.dialect.render(event, room, tagged, f.form);
      },
      namesRoom: (form) => this.#formDialect[form]?.dialect.namesRoom === true,
      direct: (member, message) => {
        const words = this.wordsOf(member);
        const line =
          message.invite === true
            ? words.invitation(message.from, message.text)
            : message.sentTo !== undefined
              ? words.sentFromOtherDevice(message.from, message.sentTo, message.text, message.notice === true)
              : message.away === true
                ? words.isAway(message.from, message.text)
                : words.directMessage(message.from, message.text, message.notice === true, message.ctcp === true);
        // '': the receiver's dialect has no such thing (CTCP for a line-protocol user).
        if (line !== '') member.deliver(`${line}\n`);
        this.#answerAway(member, message);
      },
      evicted: (member: Member, why) => {
        if (!(member instanceof Session) || member.name === undefined) return;
        // The hub has told whom it had to; elsewhere the name is someone else's now.
        if (why === 'logged in elsewhere') {
          member.send(member.words.loggedInElsewhere());
          member.close('logged-in-elsewhere', { detail: member.name, announce: false });
          return;
        }
        member.send(member.words.evicted(member.name));
        member.close('name-taken-in-outage', { detail: member.name, announce: false });
      },
      moved: (member, room, joined, current, removedBy) => {
        if (joined) return this.deviceJoined(member, room);
        const words = this.wordsOf(member);
        const left = removedBy === undefined ? words.youLeft(room) : words.removedFromRoom(room, removedBy.by, removedBy.reason);
        const lines = [left, ...(current === undefined ? [] : [words.youAreIn(current)])].filter((l) => l !== '');
        if (lines.length > 0) member.deliver(`${lines.join('\n')}\n`);
      },
      removed: (member: Member, removal) => {
        if (!(member instanceof Session) || member.name === undefined) return;
        if ('room' in removal) return this.#removedFromRoom(member, removal);
        member.send(member.words.removed(removal.shown));
        member.close('removed', { detail: removal.shown, shown: removal.shown });
      },
      // Not an answer of the member's own (Outbox.answer): chat-like, it is not written to a
      // peer that has finished sending and gone.
      undelivered: (member: Member, to) => member.deliver(`${this.wordsOf(member).mayNotBeDelivered(to)}\n`),
      lost: (member: Member) => member.deliver(`${this.wordsOf(member).mayHaveLost()}\n`),
      shared: (name) => this.tellAway(name),
      log: (message, level) => onEvent({ type: level, message }),
    };
  }

  /**
   * Those of ROOMS where presence is announced: rooms of at most announceMax users
   * (docs/protocol.md), counting LEAVING users more in each. The one place that rule lives.
   */
  announced(rooms: readonly string[], leaving: number): string[] {
    const max = this.options.announceMax;
    return rooms.filter((room) => this.hub.roomSize(room) + leaving <= max);
  }

  /**
   * Whether a connection from HOST may open one more room nobody is in: each room is history
   * to keep (a user walking through thousands of rooms, a thousand lines each, once grew
   * Redis by 261 MB in 40 s). Part of flood control: NEW_ROOMS_BURST at once per address
   * (an IPv6 /64 counts as one), then NEW_ROOMS_PER_MINUTE; always yes with --rate 0.
   */
  mayOpenRoom(host: string): boolean {
    if (this.options.rate <= 0) return true;
    const key = addressKey(host);
    let bucket = this.#newRooms.get(key);
    if (bucket === undefined) {
      // Only an address that has its whole allowance back is forgotten: one with many
      // addresses (an IPv6 /48) must not push its own spent allowance out. None: refused.
      if (this.#newRooms.size >= NEW_ROOM_ADDRESSES && !this.#forgetFullRoomBucket()) return false;
      const { timers } = this.options;
      bucket = new TokenBucket(NEW_ROOMS_PER_MINUTE / 60, NEW_ROOMS_BURST, () => timers.now());
      this.#newRooms.set(key, bucket);
    }
    return bucket.take();
  }

  /** Forgets the longest-known address whose room allowance is whole, among the first 64; false when none is. */
  /**
   * A room operator took MEMBER out of a room (docs/protocol.md, "Rooms people own"): it is
   * told, and its room sees it leave; the current room moves on as after a /part.
   */
  #removedFromRoom(member: Session, removal: { room: string; by: string; reason: string }): void {
    const left = this.hub.part(member, removal.room, { by: removal.by, reason: removal.reason });
    if (left === 'not in room' || member.name === undefined) return;
    member.send(member.words.removedFromRoom(left.room, removal.by, removal.reason));
    if (left.current !== undefined) member.send(member.words.youAreIn(left.current));
    void applyAll(
      member,
      tellDevicesLeft(left, (w) => w.removedFromRoom(left.room, removal.by, removal.reason)),
    );
    presence(member, { kind: 'left', names: [member.name], reason: removal.reason, removedBy: removal.by }, [left.room], true);
  }

  #forgetFullRoomBucket(): boolean {
    let looked = 0;
    for (const [key, bucket] of this.#newRooms) {
      if (bucket.full) return this.#newRooms.delete(key);
      if (++looked >= 64) break;
    }
    return false;
  }

  /** Takes a new connection. Beyond maxClients it is told and closed at once. */
  accept(stream: Duplex, peer: Peer): Session | undefined {
    const { maxClients, maxPerIp } = this.options;
    const hostKey = addressKey(peer.host);
    const fromHost = this.#perHost.get(hostKey) ?? 0;
    const w = peer.dialect?.words ?? this.words;
    const refusal: { line: string; code: RefusalCode; detail?: string } | undefined =
      this.#closing !== undefined
        ? { line: w.shuttingDown(), code: 'shutting-down' }
        : this.#sessions.size >= maxClients
          ? { line: w.serverFull(), code: 'server-full' }
          : maxPerIp > 0 && fromHost >= maxPerIp
            ? { line: w.tooManyFromAddress(maxPerIp), code: 'too-many-from-address', detail: peer.host }
            : undefined;
    if (refusal) {
      const { code, detail } = refusal;
      this.options.onEvent({ type: 'reject', peer: formatHostPort(peer.host, peer.port), name: undefined, code, ...(detail === undefined ? {} : { detail }) });
      stream.on('error', () => {});
      // Read and drop what it sends, so its FIN is seen and the socket closes at once.
      stream.resume();
      stream.end(`${refusal.line}\n`);
      setTimeout(() => stream.destroy(), 1000).unref();
      return undefined;
    }
    const session = new Session(this, stream, peer);
    this.#sessions.add(session);
    this.#perHost.set(hostKey, fromHost + 1);
    const where = session.peer;
    this.options.onEvent({ type: 'connect', peer: where });
    // One write for both lines: every connection gets them, at thousands a second. Sent as
    // an answer: a peer that closes in this same turn still gets them (CloseOptions.answersOnly).
    // A dialect that greets nobody (IRC: the client speaks first) says '' for both.
    const hello = `${w.connected(peer.host, peer.port)}\n${peer.dialect === undefined ? this.#greeting : w.greeting()}`;
    if (hello !== '\n') session.send(hello);
    return session;
  }

  /** Called by a session whose stream has closed. */
  forget(session: Session): void {
    if (!this.#sessions.delete(session)) return;
    const hostKey = addressKey(session.address.host);
    const left = (this.#perHost.get(hostKey) ?? 1) - 1;
    if (left > 0) this.#perHost.set(hostKey, left);
    else this.#perHost.delete(hostKey);
    if (this.#sessions.size === 0) this.#drained?.();
  }

  /**
   * A session holding a presence notice, written within NOTICE_DELAY_MS (Session.notify): one
   * timer for all of them. Real time, not the injected clock: a delay in writing, which a
   * test's clock must not hold back.
   */
  flushSoon(outbox: Outbox): void {
    this.#notices.add(outbox);
  }

  /** Batches uncorks: one setImmediate per event-loop turn, however many sessions wrote. */
  uncorkLater(outbox: Outbox): void {
    this.#uncorks.add(outbox);
  }

  /** Open connections from HOST, or from anywhere in its IPv6 /64. */
  connectionsFrom(host: string): number {
    return this.#perHost.get(addressKey(host)) ?? 0;
  }

  /** Memory held for input over all connections (see Session.heldBytes). */
  get heldBytes(): number {
    let total = 0;
    for (const s of this.#sessions) total += s.heldBytes;
    return total;
  }

  /** The open sessions, for tests and the operator's tools. */
  get sessions(): ReadonlySet<Session> {
    return this.#sessions;
  }

  get connections(): number {
    return this.#sessions.size;
  }

  /** Bytes held for unfinished lines over all connections: bounded by maxLine + 1 each. */
  get pendingBytes(): number {
    let total = 0;
    for (const s of this.#sessions) total += s.pendingBytes;
    return total;
  }

  /**
   * Disconnects, with a notice, the users of REMOVED accounts (after a users-file reload). By
   * name, not by "no account now": a guest's name never was one (--guests).
   */
  dropRemovedAccounts(removed: readonly string[]): void {
    if (removed.length === 0) return;
    const gone = new Set(removed.map(nameKey));
    for (const s of this.#sessions) {
      if (s.name !== undefined && gone.has(nameKey(s.name))) {
        s.deliver(`${s.words.accountRemoved()}\n`);
        s.close('account-removed', { shown: 'account removed' });
      }
    }
  }

  /** Bytes written to connections and not yet taken by their peers. */
  get queuedBytes(): number {
    let total = 0;
    for (const s of this.#sessions) total += s.queuedBytes;
    return total;
  }

  /**
   * Tells everyone, closes every connection, and resolves once all of them are closed and
   * the hub has left the chat.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  #close(): Promise<void> {
    this.#stopping = true;
    const drained = new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    // Our users get the shutdown notice, not n "left" lines each; other servers' users are
    // told who left, once each, users of the same rooms together.
    const reason = this.words.leftBecause('server-shutdown');
    const users = [...this.#sessions].flatMap((s) => (s.name === undefined ? [] : [{ name: s.name, rooms: this.announced(this.hub.roomsOf(s), 1) }]));
    for (const { rooms, names } of namesByRooms(users)) this.hub.elsewhere(rooms, { kind: 'left', names, reason, quit: true });
    const bye = Buffer.from(`${this.words.shuttingDown()}\n`);
    for (const s of this.#sessions) {
      s.deliver(s.words === this.words ? bye : `${s.words.shuttingDown()}\n`);
      s.close('shutting-down', { announce: false });
    }
    const closed = this.#sessions.size === 0 ? Promise.resolve() : drained;
    // The store first: its last writes may go over the hub's connection (Redis).
    const left = this.options.store.close().then(() => this.hub.close());
    return Promise.all([closed, left]).then(() => {});
  }
}
