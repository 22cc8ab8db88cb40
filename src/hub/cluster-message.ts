/**
 * What servers send each other through the chat's Redis stream, as pure functions: a header
 * line, then the wire bytes to deliver as they are.
 *
 *   ORIGIN * ROOM\n<bytes>         room ROOM (a room key): its users on every server but ORIGIN
 *   ORIGIN *ID ROOM\n<bytes>       the same, but not for server ID (it is about ID's users)
 *   ORIGIN @ID KEY\n<bytes>        direct: the user whose name key is KEY, on server ID
 *   ORIGIN !ID KEY\n               evict: server ID's user KEY has lost the name to a newer
 *                                  login of its account, on server ORIGIN
 *   ORIGIN ~ID KEY\n<json>         remove: an operator of server ORIGIN kicked or banned server
 *                                  ID's user KEY; JSON is the Removal (what it is told, shown)
 *
 * ORIGIN is the sending server's id. The scripts that find the recipient's server (BATCH,
 * CLAIM in redis-scripts.ts) write the last two themselves, in this same form. Each entry of
 * the stream is read once by each server (it reads on from the last id it has seen), so no
 * counter is needed to tell a duplicate.
 */
export interface ClusterMessage {
  origin: string;
  /** The room key of a room message. */
  room: string | undefined;
  /** A room message not to deliver on this server: it announces the server's users as gone. */
  skip: string | undefined;
  /** The server of a direct message's recipient, or of the user to evict. */
  server: string | undefined;
  /** The name key of a direct message's recipient. */
  to: string | undefined;
  /** The name key of a user of server `server` to disconnect (logged in elsewhere). */
  evict: string | undefined;
  /** The name key of a user of server `server` an operator removed; the body is the Removal as JSON. */
  remove: string | undefined;
  body: Buffer;
}

const ROOM = '*';
const DIRECT = '@';
const EVICT = '!';
/** The mark of an operator's removal, as the BATCH script writes it. */
export const REMOVE = '~';
const LF = 0x0a;

/** A room message; SKIP: a server the message is not for. */
export function encodeRoom(origin: string, room: string, body: Buffer, skip = ''): Buffer {
  return Buffer.concat([Buffer.from(`${origin} ${ROOM}${skip} ${room}\n`), body]);
}

/** A direct message to KEY on SERVER (the BATCH script writes the same). */
export function encodeDirect(origin: string, server: string, key: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${origin} ${DIRECT}${server} ${key}\n`), body]);
}

/** Tells SERVER to disconnect its user KEY, who logged in elsewhere (the CLAIM script writes the same). */
export function encodeEviction(origin: string, server: string, key: string): Buffer {
  return Buffer.from(`${origin} ${EVICT}${server} ${key}\n`);
}

/** An operator's removal of KEY on SERVER (the BATCH script writes the same). */
export function encodeRemoval(origin: string, server: string, key: string, removal: { line: string; shown: string }): Buffer {
  return Buffer.from(`${origin} ${REMOVE}${server} ${key}\n${JSON.stringify(removal)}`);
}

/** Undefined for anything that is not one of our messages (another program writing to the stream). */
export function decodeMessage(bytes: Buffer): ClusterMessage | undefined {
  const end = bytes.indexOf(LF);
  if (end < 0) return undefined;
  const [origin, target, key, ...rest] = bytes.subarray(0, end).toString('latin1').split(' ');
  if (!origin || target === undefined || !key || rest.length > 0) return undefined;
  const kind = target[0];
  const id = target.slice(1);
  const body = bytes.subarray(end + 1);
  const none = { origin, room: undefined, skip: undefined, server: undefined, to: undefined, evict: undefined, remove: undefined, body };
  if (kind === ROOM) return { ...none, room: key, skip: id === '' ? undefined : id };
  if (id === '') return undefined;
  if (kind === DIRECT) return { ...none, server: id, to: key };
  if (kind === EVICT && body.length === 0) return { ...none, server: id, evict: key };
  if (kind === REMOVE) return { ...none, server: id, remove: key };
  return undefined;
}
