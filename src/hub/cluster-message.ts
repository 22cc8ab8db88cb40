/**
 * What servers publish to each other through Redis, as pure functions: a header line, then
 * the wire bytes to deliver as they are.
 *
 *   ORIGIN COUNTER * ROOM\n<bytes>     room ROOM (a room key): its users on the receiving server
 *   ORIGIN COUNTER *ID ROOM\n<bytes>   the same, but not for server ID (it is about ID's users)
 *   ORIGIN COUNTER KEY\n<bytes>        direct: the user whose name key is KEY
 *   ORIGIN COUNTER !KEY\n              evict: the user whose name key is KEY has lost it to a
 *                                      newer login of its account, on the origin server
 *
 * ORIGIN is the publishing server's id and COUNTER its message number, one sequence over
 * all its messages: with the two, a receiver tells a duplicate from a new message.
 */
export interface ClusterMessage {
  origin: string;
  counter: number;
  /** The name key of a direct message's recipient; undefined for the room. */
  to: string | undefined;
  /** A room message not to deliver on this server: it announces the server's users as gone. */
  skip: string | undefined;
  /** The room key of a room message. */
  room: string | undefined;
  /** The name key of a user of the receiving server to disconnect (logged in elsewhere). */
  evict: string | undefined;
  body: Buffer;
}

const ROOM = '*';
const EVICT = '!';
const LF = 0x0a;

/** TO: a name key, or undefined for ROOM (a room key); SKIP: a server the room message is not for. */
export function encodeMessage(origin: string, counter: number, to: string | undefined, body: Buffer, skip = '', room = ''): Buffer {
  const target = to ?? `${ROOM}${skip} ${room}`;
  return Buffer.concat([Buffer.from(`${origin} ${counter} ${target}\n`), body]);
}

/** The message that tells a server to disconnect its user KEY, who logged in elsewhere. */
export function encodeEviction(origin: string, counter: number, key: string): Buffer {
  return Buffer.from(`${origin} ${counter} ${EVICT}${key}\n`);
}

/** Undefined for anything that is not one of our messages (another program on the channel). */
export function decodeMessage(bytes: Buffer): ClusterMessage | undefined {
  const end = bytes.indexOf(LF);
  if (end < 0) return undefined;
  const [origin, counter, to, roomKey, ...rest] = bytes.subarray(0, end).toString('latin1').split(' ');
  if (origin === undefined || counter === undefined || to === undefined || rest.length > 0) return undefined;
  // At most 15 digits: a safe integer, which the window can count on.
  if (!/^[1-9][0-9]{0,14}$/.test(counter)) return undefined;
  const room = to.startsWith(ROOM);
  if (room !== (roomKey !== undefined && roomKey !== '')) return undefined;
  const evict = to.startsWith(EVICT);
  if (evict && to.length === 1) return undefined;
  return {
    origin,
    counter: Number(counter),
    to: room || evict ? undefined : to,
    skip: room && to.length > 1 ? to.slice(1) : undefined,
    room: room ? roomKey : undefined,
    evict: evict ? to.slice(1) : undefined,
    body: bytes.subarray(end + 1),
  };
}

/** How far back a message may arrive out of order and still be told from a duplicate. */
export const DEDUPE_WINDOW = 4096;

/**
 * Exactly once: remembers, per origin, which of the last DEDUPE_WINDOW counters have been
 * seen (a sliding bitmap, as IPsec's anti-replay window), and drops a message seen before.
 * Messages may arrive out of order: ioredis resends a script as EVAL after NOSCRIPT (a
 * restarted Redis), while a later PUBLISH overtakes it. Older than the window: dropped.
 * About 600 bytes per server start ever heard from.
 */
export class Dedupe {
  readonly #origins = new Map<string, { top: number; seen: Uint8Array }>();

  accept(origin: string, counter: number): boolean {
    let state = this.#origins.get(origin);
    if (state === undefined) {
      state = { top: 0, seen: new Uint8Array(DEDUPE_WINDOW / 8) };
      this.#origins.set(origin, state);
    }
    if (counter > state.top) {
      // Slide: forget the bits that fall out of the window (all of them, for a long jump).
      if (counter - state.top >= DEDUPE_WINDOW) state.seen.fill(0);
      else for (let c = state.top + 1; c <= counter; c++) clear(state.seen, c);
      state.top = counter;
    } else if (counter <= state.top - DEDUPE_WINDOW) {
      return false;
    }
    if (isSet(state.seen, counter)) return false;
    set(state.seen, counter);
    return true;
  }

  /** A server gone for good: its ids are never used again (a new one is made at each start). */
  forget(origin: string): void {
    this.#origins.delete(origin);
  }
}

const bit = (c: number): [number, number] => [(c % DEDUPE_WINDOW) >> 3, 1 << (c & 7)];
const isSet = (bits: Uint8Array, c: number): boolean => {
  const [i, m] = bit(c);
  return (bits[i]! & m) !== 0;
};
const set = (bits: Uint8Array, c: number): void => {
  const [i, m] = bit(c);
  bits[i]! |= m;
};
const clear = (bits: Uint8Array, c: number): void => {
  const [i, m] = bit(c);
  bits[i]! &= ~m;
};
