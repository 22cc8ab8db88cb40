import { nameKey } from '../../protocol/names.js';
import { LOBBY, type Claim, type HubEvents, type Join, type JoinEntry, type Member, type Part, type RoomInfo, type StateWrite } from '../hub.js';
import { NO_STATE, parseState, type RoomState } from '../../protocol/room-state.js';
import type { Outbox } from './outbox.js';
import type { Recovery } from './recovery.js';
import type { Routing } from './routing.js';
import type { HubState } from './state.js';

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
  claim(member: Member, name: string, oldName: string | undefined, takeOver: boolean, lobby = true): Claim | Promise<Claim> {
    const s = this.#s;
    const key = nameKey(name);
    const claimant = s.claiming.get(key)?.member;
    const holder = s.local.get(key);
    // One claim of a name at a time here, a takeover too: the second is answered `taken`.
    if (claimant !== undefined && claimant !== member) return 'taken';
    if (holder !== undefined && holder !== member && !takeOver) return 'taken';
    if (!s.up) return 'unavailable';
    s.claiming.set(key, { member, name });
    const oldKey = oldName === undefined ? '' : nameKey(oldName);
    // The eviction CLAIM may add goes behind the room messages sent before it.
    this.#outbox.flush();
    const claimed = s.lua.chatClaim(s.prefix, s.id, key, name, oldKey, takeOver ? '1' : '0', s.minId());
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
    return claimed
      .then(async ([answer, took = '']): Promise<Claim> => {
        const { left: leftRooms, since } = await entered;
        if (answer === -1) return 'taken';
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
          s.forget(key);
          this.#events?.evicted(local, 'logged in elsewhere');
        }
        // Before the newcomer is a member, and before its "joined": everywhere, in this order.
        if (tookOver !== undefined && tookRooms.length > 0) {
          const told = this.#events?.presence(tookRooms, [tookOver], 'left', 'elsewhere');
          if (told) void this.#routing.toRooms(told.rooms, told.event, member, true);
        }
        if (oldName === undefined && lobby) s.rooms.enter(member, name, LOBBY, since);
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
  }

  /** Redis may hold KEY for us, for nobody: the next sync removes it, without a "left". */
  #doubt(key: string): void {
    this.#s.needsSync = true;
    this.#s.doubtful.add(key);
  }

  release(name: string, member: Member): void {
    const s = this.#s;
    const key = nameKey(name);
    if (s.local.get(key) !== member) return;
    s.forget(key);
    s.size = Math.max(0, s.size - 1);
    // Down: the sync after the outage drops the names nobody has any more.
    if (!s.up) return;
    s.lua.chatRelease(s.prefix, s.id, key, s.minId()).then(
      (size) => (s.size = size),
      () => (s.needsSync = true),
    );
    // Behind the release on the same connection, so it finds the name free.
    s.lua.chatVacate(s.prefix, key).catch(() => (s.needsSync = true));
  }

  join(member: Member, room: string, maxRooms: number, entry?: JoinEntry): Join | Promise<Join> {
    const s = this.#s;
    const name = member.name;
    if (name === undefined) return 'unavailable';
    const key = nameKey(name);
    if (s.local.get(key) !== member) return 'unavailable';
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
        if (s.local.get(key) !== member) return 'unavailable';
        s.changed();
        const entered = s.rooms.enter(member, name, shown, since, parseState(json));
        return { ...entered, created: created === 1 };
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
  part(member: Member, room: string): Part {
    const s = this.#s;
    const left = s.rooms.leave(member, room);
    if (left === undefined) return 'not in room';
    s.changed();
    const name = member.name;
    const size = s.roomSizes.get(nameKey(left.room));
    if (size !== undefined) s.roomSizes.set(nameKey(left.room), Math.max(0, size - 1));
    if (name !== undefined) {
      if (s.up) s.lua.chatPart(s.prefix, s.id, nameKey(name), nameKey(left.room)).catch(() => (s.needsSync = true));
      else s.needsSync = true;
    }
    return { ...left, current: left.wasCurrent ? s.rooms.roomsOf(member)[0] : undefined };
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
