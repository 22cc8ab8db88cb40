import { nameKey } from '../../protocol/names.js';
import { LOBBY, type Claim, type HubEvents, type Join, type Member } from '../hub.js';
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
  claim(member: Member, name: string, oldName: string | undefined, takeOver: boolean): Claim | Promise<Claim> {
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
    // The room entry is sent right behind the claim, in the same round trip: it takes effect
    // only if the claim did (MOVE checks that we hold the name). A rename keeps the room.
    // After a takeover MOVE finds the old holder's entry under the same name, and answers
    // the room it leaves: the one to tell that the old holder left.
    const room = oldName === undefined ? LOBBY : (s.rooms.roomOf(member) ?? LOBBY);
    const moved = s.lua.chatMove(s.prefix, s.id, key, name, nameKey(room), room, '0', oldKey).then(
      (answer) => {
        if (!Array.isArray(answer)) return undefined;
        s.roomSizes.set(nameKey(answer[0]), answer[2]);
        return answer[1] === '' ? undefined : answer[1];
      },
      () => {
        s.needsSync = true; // the sync after an outage writes every room entry again
        return undefined;
      },
    );
    return claimed
      .then(async ([answer, took = '']): Promise<Claim> => {
        const leftRoom = await moved;
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
          s.rooms.rename(member, oldName, name);
        }
        // TOOK: a user of another server held it; that server is told (CLAIM adds the eviction to the stream).
        let tookOver = took === '' ? undefined : took;
        // Its room: the one MOVE left, or none left because it is the room we enter.
        let tookRoom = tookOver === undefined ? undefined : (leftRoom ?? room);
        const local = s.local.get(key);
        if (local !== undefined && local !== member) {
          tookOver ??= s.shown.get(key) ?? name;
          tookRoom ??= s.rooms.roomOf(local);
          // Both: ours had lost it to that user already, and its eviction is on its way.
          if (took !== '') s.evictionsDue.add(key);
          s.forget(key);
          this.#events?.evicted(local, 'logged in elsewhere');
        }
        // Before the newcomer is a member, and before its "joined": everywhere, in this order.
        if (tookOver !== undefined && tookRoom !== undefined) {
          const left = this.#events?.presence(tookRoom, [tookOver], 'left', 'elsewhere');
          if (left) void this.#routing.toRoom(tookRoom, left, member);
        }
        if (oldName === undefined) s.rooms.enter(member, name, LOBBY);
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

  join(member: Member, room: string, maxRooms: number): Join | Promise<Join> {
    const s = this.#s;
    const current = s.rooms.roomOf(member);
    const name = member.name;
    if (current === undefined || name === undefined) return 'unavailable';
    if (nameKey(current) === nameKey(room)) return { room: current, from: undefined };
    if (!s.up) return 'unavailable';
    const key = nameKey(name);
    return s.lua.chatMove(s.prefix, s.id, key, name, nameKey(room), room, String(maxRooms), '').then(
      (answer): Join => {
        if (answer === -1) return 'full';
        if (!Array.isArray(answer)) return 'unavailable'; // -2: our name is not ours in Redis; the sync repairs it
        const [shown, , count] = answer;
        s.roomSizes.set(nameKey(shown), count);
        // Left meanwhile (the connection closed while Redis answered): VACATE will follow.
        if (s.local.get(key) !== member) return 'unavailable';
        s.rooms.leave(member, name);
        s.rooms.enter(member, name, shown);
        s.changed();
        return { room: shown, from: current };
      },
      (): Join => {
        // Timed out: Redis may have moved us. The sync writes every room entry again.
        s.needsSync = true;
        return 'unavailable';
      },
    );
  }
}
