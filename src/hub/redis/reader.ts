import { compareIds } from './holders.js';
import { decodeEntry, FIELD, GAP_FIELD, NAMES_FIELD, type Received } from './cluster-message.js';
import { usable, type Link } from './link.js';
import type { HubState } from './state.js';
import { partDevices } from '../devices.js';
import { CANARY_FIELD } from './canary.js';

/** Entries a read of the stream takes at most. */
const READ_COUNT = 1000;
/** After a read that found entries, the next one waits this long (see #read). */
const READ_PAUSE_MS = 1;
const FIELD_BYTE = FIELD.charCodeAt(0);
const NAMES_BYTE = NAMES_FIELD.charCodeAt(0);
const CANARY_BYTE = CANARY_FIELD.charCodeAt(0);
const GAP_BYTE = GAP_FIELD.charCodeAt(0);

/** What other servers send this one: the stream, read on its own connection (HubState.reader). */
export class Reader {
  readonly #s: HubState;
  readonly #link: Link;
  #reading: Promise<void> | undefined;

  constructor(s: HubState, link: Link) {
    this.#s = s;
    this.#link = link;
  }

  /** Nothing before our start is for us: reading starts at the stream's end. */
  async fromEnd(): Promise<void> {
    const [last] = await this.#s.cmd.xrevrange(this.#s.stream, '+', '-', 'COUNT', 1);
    this.#s.lastId = last?.[0] ?? '0-0';
  }

  start(): void {
    this.#reading = this.#read();
  }

  /** Settles once reading has stopped (the hub closed). */
  get reading(): Promise<void> | undefined {
    return this.#reading;
  }

  /**
   * Reads the stream, from the entry after the last one read, for as long as we are in the
   * chat. While we are not (an outage, a sync under way) it waits: after the sync, reading
   * goes on where it stopped, so what was sent meanwhile is delivered, once.
   */
  async #read(): Promise<void> {
    const s = this.#s;
    const ownId = Buffer.from(s.id, 'latin1');
    while (!s.closed) {
      if (!s.up || !usable(s.reader)) {
        await this.#link.untilUp();
        continue;
      }
      let reply: [Buffer, [Buffer, Buffer[]][]][] | null;
      try {
        reply = (await s.reader.xreadBuffer('COUNT', READ_COUNT, 'BLOCK', s.renewMs, 'STREAMS', s.stream, s.lastId)) as typeof reply;
      } catch (err) {
        if (s.closed) return;
        const why = (err as Error).message;
        // No answer: a stall, or a silent network: we count Redis as lost ourselves and make
        // the connection again. Closed: its close event has said so. Refused (an ACL): lost too.
        if (/timed out/i.test(why)) {
          this.#link.down('no answer on the stream connection');
          s.reader.disconnect(true);
        } else if (usable(s.reader)) {
          this.#link.down(why);
        }
        continue;
      }
      const entries = reply?.[0]?.[1] ?? [];
      s.behind = entries.length >= READ_COUNT;
      s.canary.answered(entries.length > 0);
      // Ids rise within a read: the last is the highest, unless a reposition went back.
      const readTo = entries.at(-1)?.[0].toString('latin1');
      if (readTo !== undefined && compareIds(readTo, s.readMax) > 0) s.readMax = readTo;
      for (const [id, fields] of entries) {
        // What came by link behind the entry just read goes before the next (peers.ts).
        s.peers?.readTo(s.lastId);
        s.lastId = id.toString('latin1');
        // Another program's entry (not our one field) is skipped, as is one we cannot read whole.
        if (fields.length !== 2 || fields[0]!.length !== 1) continue;
        if (fields[0]![0] === NAMES_BYTE) {
          s.lastMessage = s.lastId;
          s.holders.changed(s.lastId, fields[1]!.toString('latin1').split(' '));
          continue;
        }
        if (fields[0]![0] === CANARY_BYTE) {
          // `SERVER SEQ`: ours when it starts with our id and a space.
          const value = fields[1]!;
          if (value[ownId.length] === 0x20 && value.subarray(0, ownId.length).equals(ownId)) {
            s.canary.read(Number(value.subarray(ownId.length + 1).toString('latin1')));
          }
          continue;
        }
        if (fields[0]![0] === GAP_BYTE) {
          this.#gap(fields[1]!.toString('latin1'));
          continue;
        }
        if (fields[0]![0] !== FIELD_BYTE) continue;
        s.lastMessage = s.lastId;
        for (const message of decodeEntry(fields[1]!, s.id) ?? []) {
          try {
            this.#receive(message, s.lastId);
          } catch (err) {
            // A bug in delivering one message must not stop the reading of all the others.
            s.events?.log(`could not deliver a message from the stream: ${(err as Error).message}`, 'error');
          }
        }
      }
      s.peers?.readTo(s.lastId);
      // Busy (the last read found entries): the next waits a millisecond, and so takes many
      // at once rather than one read per entry. Idle, a read waits in Redis, and an entry
      // added is delivered at once.
      if (entries.length > 0) await new Promise((resolve) => setTimeout(resolve, READ_PAUSE_MS));
    }
  }

  /** An entry another server sent by its direct link (peers.ts): delivered as one read from the stream. */
  fromPeer(entry: Buffer): void {
    const s = this.#s;
    for (const message of decodeEntry(entry, s.id) ?? []) {
      try {
        this.#receive(message, s.lastId);
      } catch (err) {
        s.events?.log(`could not deliver a message from a direct link: ${(err as Error).message}`, 'error');
      }
    }
  }

  /**
   * Another server found entry ID gone after a failover (GAP_FIELD): had this one not read
   * up to it when Redis was lost, what was there is lost for its users too.
   */
  #gap(value: string): void {
    const s = this.#s;
    const [server, id] = value.split(' ');
    if (server === s.id || id === undefined || !/^\d+-\d+$/.test(id)) return;
    if (compareIds(s.readAtOutage ?? s.readMax, id) < 0) s.tellLoss('lost');
  }

  /** A message from another server for this one (decodeEntry has left out the rest). */
  #receive(m: Received, id: string): void {
    const s = this.#s;
    switch (m.kind) {
      case 'room':
        // A presence event is a notice (Member.notify), as it is on the server it came from.
        // Not to who entered the room after it was said (RoomTable.deliver's AFTER).
        if (s.events !== undefined) s.rooms.deliver(m.rooms, m.event, undefined, s.events, m.event.kind !== 'message', (since) => compareIds(id, since) > 0);
        return;
      // Gone meanwhile: a direct message is delivered at most once, maybe not at all.
      case 'direct': {
        for (const member of s.all(m.to)) s.events?.direct(member, m.message);
        return;
      }
      case 'evict':
        return this.#evict(m.key);
      case 'shared':
        // Another server holds devices of this account now: what is for it goes there too.
        return s.share(m.key);
      case 'moved':
        return this.#moved(m.key, m.room, m.joined, id, m.removedBy);
      case 'remove': {
        const all = s.all(m.key);
        // A room removal is carried out by the account's first server, whose part tells the
        // others (a `-` frame): the room is told once. Any other removal: every device here.
        if ('room' in m.removal) {
          if (m.first && all[0] !== undefined) s.events?.removed(all[0], m.removal);
          return;
        }
        for (const member of all) s.events?.removed(member, m.removal);
        return;
      }
    }
  }

  /**
   * A device of the account KEY on another server joined (or left) ROOM: ours are in it (or
   * out of it) too, and told so. What the room said before entry ID is not theirs.
   */
  #moved(key: string, room: string, joined: boolean, id: string, removedBy?: { by: string; reason: string }): void {
    const s = this.#s;
    const all = s.all(key);
    const name = s.shown.get(key);
    if (all.length === 0 || name === undefined) return;
    s.share(key);
    if (joined) {
      const entered = all.filter((member) => !s.rooms.isIn(member, room));
      for (const member of entered) s.rooms.enter(member, name, room, id, undefined, true);
      for (const member of entered) s.events?.moved?.(member, room, true, undefined);
      return s.changed();
    }
    const left = partDevices(s.rooms, all, all[0]!, room);
    if (left === 'not in room') return;
    s.events?.moved?.(all[0]!, left.room, false, left.current, removedBy);
    for (const other of left.others ?? []) s.events?.moved?.(other.member, left.room, false, other.current, removedBy);
    s.changed();
  }

  /** A newer login of the account, on another server, took KEY from our member. */
  #evict(key: string): void {
    const s = this.#s;
    if (s.evictionsDue.delete(key)) return;
    // Redis holds the name for the newcomer's server already: nothing to release there.
    for (const member of s.forget(key)) s.events?.evicted(member, 'logged in elsewhere');
  }
}
