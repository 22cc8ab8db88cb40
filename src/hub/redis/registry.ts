import { nameKey } from '../../protocol/names.js';
import { LOBBY, type Claim, type HubEvents, type Join, type JoinEntry, type Member, type Part, type RoomInfo, type StateWrite } from '../hub.js';
import { NO_STATE, parseState, type RoomState } from '../../protocol/room-state.js';
import type { Outbox } from './outbox.js';
import type { Recovery } from './recovery.js';
import type { Routing } from './routing.js';
import type { HubState } from './state.js';
import { addDevice, othersEnter, partDevices } from '../devices.js';
import { byteLength, movedBody, userHeader } from './cluster-message.js';

/** Names and rooms in Redis: claiming a name (a rename, a takeover), giving it back, moving to another room. */
export class Registry {
  readonly #s: HubState;
  readonly #outbox: Outbox;
  readonly #routing: Routing;
  readonly #recovery: Recovery;

  constructor(s: HubState, outbox: Outbox, routing: Routing, recovery: Recovery) {
    this.#s = s;
    this.#outbox = outbox;
    this.#routing = routing;
    this.#recovery = recovery;
  }

  /** Whom the hub tells (HubState.events). */
  get #events(): HubEvents | undefined {
    return this.#s.events;
  }

  /** Takes NAME for MEMBER, in place of OLDNAME for a rename (Hub.claim, Hub.rename). */
  claim(member: Member, name: string, oldName: string | undefined, takeOver: boolean, lobby = true, maxDevices = 1): Claim | Promise<Claim> {
    const s = this.#s;
    const key = nameKey(name);
    const claimant = s.claiming.get(key);
    const holder = s.local.get(key);
    // One more device of an account this server holds: Redis knows the name is ours already.
    if (holder !== undefined && holder !== member && takeOver && maxDevices > 1 && oldName === undefined) {
      const added = addDevice(s.devices, s.rooms, key, holder, member, maxDevices);
      if (added === 'device') s.changed();
      return added;
    }
    // Its first device's claim is on its way: this one waits for it, and is then one more.
    if (claimant !== undefined && claimant.member !== member && takeOver && maxDevices > 1 && oldName === undefined && claimant.done !== undefined) {
      return claimant.done.then(() => this.claim(member, name, oldName, takeOver, lobby, maxDevices));
    }
    // One claim of a name at a time here, a takeover too: the second is answered `taken`.
    if (claimant !== undefined && claimant.member !== member) return 'taken';
    if (holder !== undefined && holder !== member && !takeOver) return 'taken';
    if (!s.up) return 'unavailable';
    const claiming: { member: Member; name: string; done?: Promise<unknown> } = { member, name };
    s.claiming.set(key, claiming);
    const oldKey = oldName === undefined ? '' : nameKey(oldName);
    // The eviction CLAIM may add goes behind the room messages sent before it.
    this.#outbox.flush();
    // With devices (maxDevices above 1), beside the servers holding it, if any (HOLDERS).
    const share = takeOver && maxDevices > 1 && oldName === undefined;
    const claimed = s.lua.chatClaim(s.prefix, s.id, key, name, oldKey, share ? '2' : takeOver ? '1' : '0', s.minId());
    // The room entries are sent right behind the claim, in the same round trip: they take
    // effect only if the claim did (ENTER checks that we hold the name). A new name enters the
    // lobby, a rename keeps its rooms. After a takeover ENTER finds the old holder's entries
    // under the same name, and answers the rooms they leave: those to tell the old holder left.
    const entered = s.lua.chatEnter(s.prefix, s.id, key, name, lobby ? nameKey(LOBBY) : '', LOBBY, oldKey).then(
      (answer): { left: string[]; since?: string } => {
        if (!Array.isArray(answer)) return { left: [] };
        const [lobby, size, since, ...left] = answer;
        if (lobby !== '') s.roomSizes.set(nameKey(lobby), size);
        return since === '' ? { left } : { left, since };
      },
      (): { left: string[]; since?: string } => {
        s.needsSync = true; // the sync after an outage writes every room entry again
        return { left: [] };
      },
    );
    const done = claimed
      .then(async ([answer, took = '', beside = '']): Promise<Claim> => {
        const { left: leftRooms, since } = await entered;
        if (answer === -1) return 'taken';
        if (answer === -4) return 'shared';
        if (beside === '1') return this.#beside(member, key, took, answer, maxDevices);
        if (answer === -2 || answer === -3) {
          // -3: Redis restarted empty a moment ago, and names wait until every server has
          // reclaimed its own. -2: we were counted as dead, and rejoin before taking new names.
          // A sync running meanwhile may have written this name for us: the next removes it.
          this.#doubt(key);
          if (answer === -2) void this.#recovery.resync();
          return 'unavailable';
        }
        s.size = answer;
        if (oldName !== undefined && s.local.get(oldKey) === member) {
          s.local.delete(oldKey);
          s.shown.delete(oldKey);
          s.rooms.rename(member, name);
        }
        // TOOK: a user of another server held it; that server is told (CLAIM adds the eviction to the stream).
        let tookOver = took === '' ? undefined : took;
        // Its rooms: those ENTER took it out of.
        let tookRooms: readonly string[] = tookOver === undefined ? [] : leftRooms;
        const local = s.local.get(key);
        if (local !== undefined && local !== member) {
          tookOver ??= s.shown.get(key) ?? name;
          tookRooms = s.rooms.roomsOf(local);
          // Both: ours had lost it to that user already, and its eviction is on its way.
          if (took !== '') s.evictionsDue.add(key);
          for (const device of s.forget(key)) this.#events?.evicted(device, 'logged in elsewhere');
        }
        // Before the newcomer is a member, and before its "joined": everywhere, in this order.
        if (tookOver !== undefined && tookRooms.length > 0) {
          const told = this.#events?.presence(tookRooms, [tookOver], 'left', 'elsewhere');
          if (told) void this.#routing.toRooms(told.rooms, told.event, member, true);
        }
        if (oldName === undefined && lobby) s.rooms.enter(member, name, LOBBY, since);
        if (share) s.sharable.add(key);
        s.local.set(key, member);
        s.shown.set(key, name);
        s.changed();
        return 'claimed';
      })
      .catch((): Claim => {
        // Timed out or cut off: Redis may have done the claim all the same.
        this.#doubt(key);
        return 'unavailable';
      })
      .finally(() => {
        if (s.claiming.get(key)?.member === member) s.claiming.delete(key);
      });
    claiming.done = done;
    return done;
  }

  /**
   * MEMBER is the first device here of the account KEY, shown as NAME, which other servers
   * hold (CLAIM's '2'): it takes the account's rooms from Redis, and the others' messages
   * through the stream (HubState.shared). SIZE: names in the chat. A connection that closes
   * meanwhile gives it back as any claim answered after a close does (apply.ts, giveBack).
   */
  async #beside(member: Member, key: string, name: string, size: number, maxDevices: number): Promise<Claim> {
    const s = this.#s;
    s.size = size;
    const [since = '0-0', ...rooms] = await s.lua.chatRoomsOf(s.prefix, key);
    // Another device of ours came first meanwhile: one more beside it.
    const first = s.local.get(key);
    if (first !== undefined) return addDevice(s.devices, s.rooms, key, first, member, maxDevices);
    s.local.set(key, member);
    s.shown.set(key, name);
    s.share(key);
    s.sharable.add(key);
    for (const room of rooms) s.rooms.enter(member, name, room, since, undefined, true);
    s.changed();
    return 'device';
  }

  /** Redis may hold KEY for us, for nobody: the next sync removes it, without a "left". */
  #doubt(key: string): void {
    this.#s.needsSync = true;
    this.#s.doubtful.add(key);
  }

  release(name: string, member: Member): boolean | Promise<boolean> {
    const s = this.#s;
    const key = nameKey(name);
    const holder = s.local.get(key);
    // One of several devices: the name stays this server's, held by the next.
    const next = s.devices.remove(key, member, holder);
    if (next !== undefined) {
      s.rooms.leaveAll(member);
      if (member === holder) s.local.set(key, next);
      s.changed();
      return false;
    }
    if (holder !== member) return false;
    // Other servers may hold devices of it (or be about to: a % frame not read yet): Redis says.
    const shared = s.shared.has(key) || s.sharable.has(key);
    s.forget(key);
    s.size = Math.max(0, s.size - 1);
    // Down: the sync after the outage drops the names nobody has any more.
    if (!s.up) return true;
    const released = s.lua.chatRelease(s.prefix, s.id, key, s.minId()).then(
      ([size, still]) => {
        s.size = size;
        return still === 0;
      },
      () => {
        s.needsSync = true;
        return true;
      },
    );
    // Behind the release on the same connection, so it finds the name free (held elsewhere, it does nothing).
    s.lua.chatVacate(s.prefix, key).catch(() => (s.needsSync = true));
    // Devices of the account on other servers: it left the chat only if Redis says none is left.
    return shared ? released : true;
  }

  join(member: Member, room: string, maxRooms: number, entry?: JoinEntry): Join | Promise<Join> {
    const s = this.#s;
    const name = member.name;
    if (name === undefined) return 'unavailable';
    const key = nameKey(name);
    // The account's first device holds the name in Redis, for the others too.
    if (!s.all(key).includes(member)) return 'unavailable';
    // Already in it: it only becomes current, which is ours alone to know.
    if (s.rooms.isIn(member, room)) return s.rooms.enter(member, name, room);
    if (!s.up) return 'unavailable';
    const fresh = entry === undefined ? '' : JSON.stringify(entry.fresh);
    const account = entry === undefined ? '' : entry.account ? '1' : '0';
    return s.lua.chatJoin(s.prefix, s.id, key, name, nameKey(room), room, String(maxRooms), fresh, account).then(
      (answer): Join => {
        if (answer === -1) return 'full';
        if (!Array.isArray(answer)) return 'unavailable'; // -2: our name is not ours in Redis; the sync repairs it
        const [shown, count, since, json, created] = answer;
        s.roomSizes.set(nameKey(shown), count);
        // Left meanwhile (the connection closed while Redis answered): VACATE will follow.
        if (!s.all(key).includes(member)) return 'unavailable';
        s.changed();
        const entered = s.rooms.enter(member, name, shown, since, parseState(json));
        const others = othersEnter(s.rooms, s.all(key), member, name, shown, since);
        // The account's devices on other servers go in too (cluster-message.ts, `+`).
        if (!entered.already) this.#moved(key, shown, true);
        return { ...entered, created: created === 1, ...(others === undefined ? {} : { others }) };
      },
      (): Join => {
        // Timed out: Redis may have put us in. The sync writes every room entry again.
        s.needsSync = true;
        return 'unavailable';
      },
    );
  }

  /**
   * Leaves at once, here; Redis is told behind it. Down, or failing, the sync after the
   * outage writes our users' rooms again, and this one is no longer among them.
   */
  part(member: Member, room: string, removedBy?: { by: string; reason: string }): Part {
    const s = this.#s;
    const name = member.name;
    const left = partDevices(s.rooms, name === undefined ? [member] : s.all(nameKey(name)), member, room);
    if (left === 'not in room') return left;
    s.changed();
    const size = s.roomSizes.get(nameKey(left.room));
    if (size !== undefined) s.roomSizes.set(nameKey(left.room), Math.max(0, size - 1));
    if (name !== undefined) {
      if (s.up) s.lua.chatPart(s.prefix, s.id, nameKey(name), nameKey(left.room)).catch(() => (s.needsSync = true));
      else s.needsSync = true;
      this.#moved(nameKey(name), left.room, false, removedBy);
    }
    return left;
  }

  /** Tells the servers holding devices of the account KEY that it JOINED (or left) ROOM. */
  #moved(key: string, room: string, joined: boolean, removedBy?: { by: string; reason: string }): void {
    const s = this.#s;
    if (!s.shared.has(key) || !s.up) return;
    const body = movedBody(room, removedBy);
    const size = byteLength(body);
    void this.#outbox.queue(userHeader(joined ? '+' : '-', key, size), body, size, key);
  }

  /**
   * ROOM's state: this server's copy while it has members in it (kept up to date by the
   * room's events), else, or when FRESH, Redis's.
   */
  roomState(room: string, fresh = false): RoomInfo | Promise<RoomInfo | undefined> | undefined {
    const s = this.#s;
    if (!fresh) {
      const here = s.rooms.stateOf(room);
      if (here !== 'no such room') return { ...here, size: Math.max(here.size, s.roomSizes.get(nameKey(room)) ?? 0) };
    }
    if (!s.up) return undefined;
    return s.lua.chatRoomState(s.prefix, nameKey(room)).then(
      (answer): RoomInfo => {
        if (answer.length === 0) return 'no such room';
        const [shown, json, size] = answer;
        const state = parseState(json) ?? NO_STATE;
        s.rooms.keep(shown, state);
        return { room: shown, state, size };
      },
      () => undefined,
    );
  }

  setRoomState(room: string, from: number, state: RoomState): StateWrite | Promise<StateWrite> {
    const s = this.#s;
    if (!s.up) return 'unavailable';
    return s.lua.chatSetState(s.prefix, nameKey(room), String(from), JSON.stringify(state)).then(
      (answer): StateWrite => {
        if (answer === -1) return 'no such room';
        if (answer === 0) return 'changed';
        s.rooms.keep(room, state);
        s.changed();
        return 'set';
      },
      (): StateWrite => 'unavailable',
    );
  }
}
