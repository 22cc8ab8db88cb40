/**
 * What servers publish to each other through Redis, as pure functions: a header line, then
 * the wire bytes to deliver as they are.
 *
 *   ORIGIN COUNTER *\n<bytes>      room: every user of the receiving server
 *   ORIGIN COUNTER *ID\n<bytes>    room, but not for server ID (it is about ID's users)
 *   ORIGIN COUNTER KEY\n<bytes>    direct: the user whose name key is KEY
 *
 * ORIGIN is the publishing server's id and COUNTER its message number, one sequence over
 * all its messages. A server's messages reach a subscriber in the order they were
 * published, so a counter not above the last one seen from that origin is a duplicate.
 */
export interface ClusterMessage {
  origin: string;
  counter: number;
  /** The name key of a direct message's recipient; undefined for the room. */
  to: string | undefined;
  /** A room message not to deliver on this server: it announces the server's users as gone. */
  skip: string | undefined;
  body: Buffer;
}

const ROOM = '*';
const LF = 0x0a;

/** TO: a name key, or undefined for the room; SKIP: a server the room message is not for. */
export function encodeMessage(origin: string, counter: number, to: string | undefined, body: Buffer, skip = ''): Buffer {
  return Buffer.concat([Buffer.from(`${origin} ${counter} ${to ?? ROOM + skip}\n`), body]);
}

/** Undefined for anything that is not one of our messages (another program on the channel). */
export function decodeMessage(bytes: Buffer): ClusterMessage | undefined {
  const end = bytes.indexOf(LF);
  if (end < 0) return undefined;
  const [origin, counter, to, ...rest] = bytes.subarray(0, end).toString('latin1').split(' ');
  if (origin === undefined || counter === undefined || to === undefined || rest.length > 0) return undefined;
  if (!/^[1-9][0-9]*$/.test(counter)) return undefined;
  const room = to.startsWith(ROOM);
  return {
    origin,
    counter: Number(counter),
    to: room ? undefined : to,
    skip: room && to.length > 1 ? to.slice(1) : undefined,
    body: bytes.subarray(end + 1),
  };
}

/**
 * Exactly once: drops a message whose counter is not above the last one from its origin.
 * One entry per server start ever seen, a few dozen bytes each: not worth expiring.
 */
export class Dedupe {
  readonly #last = new Map<string, number>();

  accept(origin: string, counter: number): boolean {
    if (counter <= (this.#last.get(origin) ?? 0)) return false;
    this.#last.set(origin, counter);
    return true;
  }
}
