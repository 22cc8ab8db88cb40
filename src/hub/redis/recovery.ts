import { randomBytes } from 'node:crypto';
import { nameKey } from '../../protocol/names.js';
import { namesByRooms } from '../../protocol/name-order.js';
import { CONNECT_TIMEOUT_MS, RECONNECT_MAX_MS, redactUrl } from '../../redis/connection.js';
import type { HubEvents } from '../hub.js';
import { compareIds } from './holders.js';
import { ClusterMismatchError, usable, type Link } from './link.js';
import type { Routing } from './routing.js';
import type { HubState } from './state.js';
import { CANARY_FIELD } from './canary.js';
import { GAP_FIELD } from './cluster-message.js';

/**
 * Arguments of one call of a room script (REENTER, VACATE) at most: a whole server's users in
 * one call (10,000 users in 50 rooms each) was 1.5 million arguments, which cannot be spread
 * into a call, and 2.4 s of Lua, past the command timeout: it failed, and was retried at
 * every tick. In calls of this size each runs for milliseconds, others' commands between.
 */
export const ROOM_CALL_ARGS = 4096;

/** Users per VACATE call: each may be in --max-rooms-per-user rooms, which the script leaves one by one. */
const VACATE_USERS = 256;

/** SERVERID, NAME pairs (TICK's answer) grouped by server. */
function byServer(pairs: string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const server = pairs[i]!;
    const names = groups.get(server) ?? [];
    names.push(pairs[i + 1]!);
    groups.set(server, names);
  }
  return groups;
}

/**
 * This server's place in the chat: joining it (agree, sync), the lease renewed every
 * lease/3 and the names of dead servers freed, and the way back after an outage (resync).
 */
export class Recovery {
  readonly #s: HubState;
  readonly #link: Link;
  readonly #routing: Routing;
  #syncing: Promise<void> | undefined;
  #tick: NodeJS.Timeout | undefined;
  /** Redis's data as we know it (SYNC): another one means Redis lost it, stream and all. */
  #epoch: string | undefined;

  constructor(s: HubState, link: Link, routing: Routing) {
    this.#s = s;
    this.#link = link;
    this.#routing = routing;
  }

  /** Whom the hub tells (HubState.events). */
  get #events(): HubEvents | undefined {
    return this.#s.events;
  }

  /** The sync under way, if any (close waits for it). */
  get syncing(): Promise<void> | undefined {
    return this.#syncing;
  }

  /** At start: joins the chat, once it agrees with this server (#agree). */
  async join(): Promise<void> {
    await this.#agree();
    await this.#sync();
  }

  /** What this server says of itself in P accounts (#agree): every sync writes it, after a FLUSHALL too. */
  get #mode(): 'accounts' | 'open' {
    return this.#s.accounts ? 'accounts' : 'open';
  }

  /**
   * Refuses to join a chat whose servers check passwords when this one does not, or the
   * other way round, naming the difference; #sync then says how this one runs. (Two
   * servers that start in the same moment both pass: the check is for a server started
   * wrongly later. A server of an older release says nothing, and is not checked.)
   */
  async #agree(): Promise<void> {
    const s = this.#s;
    const mine = this.#mode;
    const key = `${s.prefix}accounts`;
    const servers = await s.cmd.smembers(`${s.prefix}servers`);
    const others = servers.filter((id) => id !== s.id);
    const theirs = others.length === 0 ? [] : await s.cmd.hmget(key, ...others);
    const differs = theirs.find((mode) => mode !== null && mode !== mine);
    if (differs !== undefined) {
      const them = differs === 'accounts' ? 'with accounts (--users)' : 'without accounts';
      const me = mine === 'accounts' ? 'with --users' : 'without --users';
      const fix = mine === 'accounts' ? 'start it without --users, as they run' : 'start it with --users and the same users file';
      throw new ClusterMismatchError(
        `cannot join the chat at ${redactUrl(s.url)}: its servers run ${them} and this one ${me}; ${fix}, or use another Redis database`,
      );
    }
  }

  /** Starts renewing the lease (#renew), every renewMs. */
  renewEvery(): void {
    this.#tick = setInterval(() => void this.#renew(), this.#s.renewMs);
    this.#tick.unref();
  }

  stopRenewing(): void {
    clearInterval(this.#tick);
  }

  /** Our users leave now, not when the lease runs out, and their room entries with them. */
  async leave(): Promise<void> {
    const s = this.#s;
    try {
      await s.lua.chatLeave(s.prefix, s.id, s.minId());
      const keys = [...s.local.keys()];
      for (let i = 0; i < keys.length; i += VACATE_USERS) await s.lua.chatVacate(s.prefix, ...keys.slice(i, i + VACATE_USERS));
    } catch {
      // Redis went away as we left: the lease frees the names, and VACATE or a listing the rooms.
    }
  }

  /** Renews the lease and frees the names of dead servers, every lease/3. */
  async #renew(): Promise<void> {
    const s = this.#s;
    if (this.#syncing || s.closed) return;
    // Connected again but not back in the chat (a sync that failed): try again.
    if (!s.up) return this.maybeUp();
    try {
      const [member, size, freed] = await s.lua.chatTick(s.prefix, s.id, String(s.leaseMs), String(s.renewMs), s.minId());
      s.size = size;
      for (const [server, names] of byServer(freed)) {
        this.#events?.log(`server ${server} stopped answering: freed ${names.length === 1 ? 'its name' : `its ${names.length} names`}`, 'notice');
        void this.#announceGone(server, names);
      }
      // Not in the chat (Redis lost its data, or we stalled past our lease): rejoin.
      if (member === 0 || s.needsSync) await this.resync();
      else this.#canary();
    } catch (err) {
      // A closed connection has reported it already; a Redis that stopped answering (a
      // stall, a silent network) has not: from now on we answer at once, not after a timeout.
      this.#link.down((err as Error).message);
    }
  }

  /**
   * Writes this renewal's canary (canary.ts), or, when the last ones have not come back
   * within half a lease and the reader is stuck (not merely behind: its reads bring
   * nothing, or do not come back), makes the reader again: the way back (resync) finds
   * where reading must go on, and tells the users if messages were lost. A reader that no
   * restart mends is made again less and less often (Canary.mayRestart).
   */
  #canary(): void {
    const s = this.#s;
    const late = s.canary.late();
    if (late !== undefined && s.canary.lateness() === 'stuck' && s.canary.mayRestart(s.leaseMs)) {
      const since = s.canary.oldest();
      this.#link.down(`the stream delivered nothing to this server for ${(late / 1000).toFixed(1)} s: its reader is made again`);
      s.reader.disconnect(true);
      s.canary.restarted(since);
      return;
    }
    const { seq, takeBack } = s.canary.written();
    s.cmd.xadd(s.stream, 'MINID', '~', s.minId(), '*', CANARY_FIELD, `${s.id} ${seq}`).catch(takeBack);
  }

  /**
   * The users of a dead server, told once to everyone in their rooms but that server: were it
   * only stalled, its users are still connected to it, and it must not tell them they left.
   */
  async #announceGone(server: string, names: string[]): Promise<void> {
    for (const { rooms, names: gone } of namesByRooms(await this.#vacate(names))) {
      const told = this.#events?.presence(rooms, gone, 'left', 'server-lost');
      if (told === undefined) continue;
      this.#routing.here(told.rooms, told.event, undefined, true);
      this.#routing.elsewhere(told, server);
    }
  }

  /** Takes NAMES, which nobody holds any more, out of their rooms: each with the rooms it left. */
  async #vacate(names: string[]): Promise<{ name: string; rooms: string[] }[]> {
    const flat: (string | string[])[] = [];
    try {
      for (let i = 0; i < names.length; i += VACATE_USERS) {
        flat.push(...(await this.#s.lua.chatVacate(this.#s.prefix, ...names.slice(i, i + VACATE_USERS).map(nameKey))));
      }
    } catch {
      this.#s.needsSync = true;
    }
    const out: { name: string; rooms: string[] }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = flat[i];
      const rooms = flat[i + 1];
      if (typeof name === 'string' && Array.isArray(rooms)) out.push({ name, rooms });
    }
    return out;
  }

  /** Both connections are up again: rejoin the chat (also retried every tick until it works). */
  maybeUp(): void {
    const s = this.#s;
    if (!s.started || s.up || s.closed) return;
    if (!usable(s.cmd) || !usable(s.reader)) return;
    void this.resync();
  }

  /** Rejoins after an outage: reclaims our users' names and tells who could not keep theirs. */
  resync(): Promise<void> {
    const s = this.#s;
    if (this.#syncing) return this.#syncing;
    if (s.closed) return Promise.resolve();
    const doubtful = new Set(s.doubtful);
    s.doubtful.clear();
    // Claims under way announce their own "joined" if they succeed.
    const claiming = new Set(s.claiming.keys());
    const addedTo = s.lastAdded;
    this.#syncing = this.#sync()
      .then(async ({ lost, back, stale, emptied }) => {
        if (s.closed) return;
        const wasDown = !s.up;
        // Before the reader goes on: it may have to go on from elsewhere (#gaps).
        const gaps = wasDown && !emptied ? await this.#gaps(s.lastId, s.lastMessage, addedTo) : { missing: undefined, trimmed: false };
        if (emptied || gaps.missing !== undefined) s.tellLoss(gaps.trimmed ? 'trimmed' : 'lost');
        s.canary.resumed();
        // The other servers may have read less than we did when the primary went: those that
        // had not read up to what is gone lost it too, and are told by this entry.
        if (gaps.missing !== undefined && !gaps.trimmed) {
          await s.cmd.xadd(s.stream, 'MINID', '~', s.minId(), '*', GAP_FIELD, `${s.id} ${gaps.missing}`).catch(() => {});
        }
        s.up = true;
        this.#link.wakeReader();
        this.#link.lastError = '';
        for (const key of lost) {
          const member = s.local.get(key);
          const shown = s.shown.get(key) ?? key;
          const rooms = member === undefined ? [] : s.rooms.roomsOf(member);
          const devices = s.forget(key);
          if (member === undefined) continue;
          // Told here only: elsewhere the name is in use, by its new holder.
          const told = this.#events?.presence(rooms, [shown], 'left', 'name-taken');
          if (told) this.#routing.here(told.rooms, told.event, undefined, true);
          for (const device of devices) this.#events?.evicted(device, 'taken during an outage');
        }
        // Where our users are, written again: Redis may have lost it, or freed them as ours.
        await this.#reenter();
        // Our users saw these leave, and never saw those go: only the other servers' users are told.
        const left = stale.filter((name) => !doubtful.has(nameKey(name)));
        for (const { rooms, names } of namesByRooms(await this.#vacate(left))) this.#routing.elsewhere(this.#events?.presence(rooms, names, 'left'));
        const returned = back.flatMap((name) => {
          const member = s.local.get(nameKey(name));
          return member === undefined || claiming.has(nameKey(name)) ? [] : [{ name, rooms: s.rooms.roomsOf(member) }];
        });
        for (const { rooms, names } of namesByRooms(returned)) this.#routing.elsewhere(this.#events?.presence(rooms, names, 'joined'));
        if (wasDown || emptied) {
          const kept = s.local.size;
          const lostNote = lost.length > 0 ? `; ${lost.length} taken meanwhile on other servers` : '';
          // Emptied without an outage: a FLUSHALL, or a restart quicker than a reconnect.
          // Through Sentinel, where the primary is now: after a failover, another node.
          const at = s.sentinel ? ` (primary at ${this.#link.address ?? 'an unknown address'})` : '';
          const what = wasDown ? `Redis is back${at}` : `Redis had lost its data (emptied, or restarted without it)${at}`;
          this.#events?.log(`${what}: ${kept} ${kept === 1 ? 'name' : 'names'} reclaimed${lostNote}`, 'notice');
        }
      })
      .catch(() => {
        // Down again, or timed out: the next ready event or tick tries again. (A SYNC that
        // timed out may still run; what it would have announced is lost, as docs/cluster.md says of
        // presence across outages.)
        s.needsSync = true;
        for (const key of doubtful) s.doubtful.add(key);
      })
      .finally(() => (this.#syncing = undefined));
    return this.#syncing;
  }

  /**
   * Back after an outage: whether the stream still holds the last entry read here (READ) and
   * the last one this server added (ADDED). The stream keeps its order and loses entries only
   * at its ends, so while both are there, nothing this server read or sent since is gone.
   * - READ is gone because the stream was trimmed past it (TRIMMED): we were cut off for
   *   longer than it keeps entries (keepMs);
   * - READ or ADDED is gone from the stream's end: a failover to a replica that had not got
   *   them yet (replication is asynchronous). Entries added since the failover may have ids
   *   below READ (the new primary's clock), so reading goes on after what is left of what we
   *   read, not after READ, or they would never be delivered here.
   * An ADDED trimmed by age is no loss: the other servers had the stream's whole keep to read it.
   */
  async #gaps(read: string, message: string, added: string): Promise<{ missing: string | undefined; trimmed: boolean }> {
    const s = this.#s;
    const ids = [read, message, added].filter((id) => id !== '' && id !== '0-0');
    if (ids.length === 0) return { missing: undefined, trimmed: false };
    const [[first], [last], ...found] = await Promise.all([
      s.cmd.xrange(s.stream, '-', '+', 'COUNT', 1),
      s.cmd.xrevrange(s.stream, '+', '-', 'COUNT', 1),
      ...ids.map((id) => s.cmd.xrange(s.stream, id, id)),
    ]);
    const gone = (id: string): boolean => found[ids.indexOf(id)]?.length === 0;
    const before = (id: string): boolean => first !== undefined && compareIds(first[0], id) > 0;
    // A canary lost (the last entry read may be one) is no message lost.
    const messageGone = message !== '0-0' && gone(message);
    const addedGone = added !== '' && gone(added) && !before(added);
    if (read !== '0-0' && (last === undefined || compareIds(last[0], read) < 0)) {
      const [kept] = await s.cmd.xrevrange(s.stream, read, '-', 'COUNT', 1);
      if (s.lastId === read) s.lastId = kept?.[0] ?? '0-0';
    }
    const lostUpTo = [messageGone ? message : '', addedGone ? added : ''].reduce((a, b) => (compareIds(a || '0-0', b || '0-0') >= 0 ? a : b));
    // Told once: a later outage must not find the same entries gone and tell it again.
    if (addedGone) s.lastAdded = '';
    if (messageGone) s.lastMessage = '0-0';
    return { missing: lostUpTo === '' ? undefined : lostUpTo, trimmed: messageGone && before(message) };
  }

  /** Writes again which rooms each of our users is in, in calls of ROOM_CALL_ARGS arguments at most. */
  async #reenter(): Promise<void> {
    const s = this.#s;
    let args: string[] = [];
    // A user in no room too: rooms it left while Redis was away are taken out.
    for (const [key, member] of s.local) {
      const name = s.shown.get(key);
      if (name === undefined) continue;
      const rooms = s.rooms.roomsOf(member);
      if (args.length > 0 && args.length + 3 + 2 * rooms.length > ROOM_CALL_ARGS) {
        await s.lua.chatReenter(s.prefix, s.id, ...args);
        args = [];
      }
      args.push(key, name, String(rooms.length));
      for (const room of rooms) args.push(nameKey(room), room);
    }
    if (args.length > 0) await s.lua.chatReenter(s.prefix, s.id, ...args);
  }

  async #sync(): Promise<{ lost: string[]; back: string[]; stale: string[]; emptied: boolean }> {
    const s = this.#s;
    // Names being claimed too: a claim Redis has done must not be dropped as stale.
    // An account's name that devices may share (HubState.sharable) is marked `+`: held
    // meanwhile by a device of it elsewhere, ours are devices of it too (SYNC).
    const pairs = [
      ...[...s.shown].flatMap(([key, name]) => [key, s.sharable.has(key) ? `+${name}` : name]),
      ...[...s.claiming].flatMap(([key, { name }]) => [key, name]),
    ];
    s.needsSync = false;
    // Not our first sync, and Redis has lost its data (a restart): new names wait until
    // every server has had time to reconnect (a connect timeout and a wait between
    // attempts) and reclaim its users' names.
    const settleMs = s.leaseMs + CONNECT_TIMEOUT_MS + 2 * RECONNECT_MAX_MS;
    const args = [s.prefix, s.id, String(s.leaseMs), s.started ? '1' : '0', String(settleMs), String(s.renewMs)];
    const [lost, back, stale, size, epoch, shared = []] = await s.lua.chatSync(...args, randomBytes(8).toString('hex'), s.minId(), ...pairs);
    s.size = size;
    // Devices of these accounts are on other servers too: what is for them goes there as well.
    for (const key of shared) s.share(key);
    // Lost with the rest when Redis is emptied, or removed with our lease: said again.
    await s.cmd.hset(`${s.prefix}accounts`, s.id, this.#mode);
    // Redis lost its data (a restart without persistence): the stream began again, its ids
    // from Redis's clock, which need not be past the last id we read. All of it is new to us.
    const emptied = this.#epoch !== undefined && epoch !== this.#epoch;
    if (emptied) {
      s.lastId = '0-0';
      s.lastMessage = '0-0';
      s.readMax = '0-0';
      s.readAtOutage = undefined;
      s.holders.restart();
    } else {
      // Names taken while we were away (SYNC's lost) moved without a word to us.
      s.holders.clear();
    }
    this.#epoch = epoch;
    return { lost, back, stale, emptied };
  }
}
