import { isValidName, nameKey } from '../protocol/names.js';
import type { RoomState } from '../protocol/room-state.js';

/**
 * What every store does alike for owned rooms (Store.ownedRoom, saveRoom): the checks on a
 * state before it is kept, the JSON text it is kept as, and the checks on that text when it
 * is read back.
 */

/** Bytes an owned room's state may take as JSON (UTF-8): a room's state is small, and a store is no place for a blob. */
export const ROOM_STATE_MAX = 64 * 1024;

/** A state as a store keeps it: the keys it is found by, its version, and its JSON. */
export interface KeptRoom {
  /** The room's name key. */
  room: string;
  /** The owner's name key: what ownedRooms counts by. */
  owner: string;
  v: number;
  json: string;
}

/**
 * STATE as ROOM's to keep, or a thrown Error saying why it cannot be (a caller's mistake, not
 * the store's: nothing is written). Invitations are left out: they last until the room
 * empties (room-state.ts), and a kept room is an empty one.
 */
export function roomToKeep(room: string, state: RoomState): KeptRoom {
  if (!isValidName(room)) throw new Error(`cannot keep the state of the room ${JSON.stringify(room.slice(0, 40))}: it is not a room name`);
  const { invited: _, ...kept } = state;
  const problem = stateProblem(kept);
  if (problem !== undefined) throw new Error(`cannot keep the state of the room ${room}: ${problem}`);
  const json = JSON.stringify(kept);
  const bytes = Buffer.byteLength(json);
  if (bytes > ROOM_STATE_MAX) throw new Error(`cannot keep the state of the room ${room}: ${bytes} bytes as JSON, over ${ROOM_STATE_MAX}`);
  return { room: nameKey(room), owner: nameKey(state.owner!), v: state.v, json };
}

/**
 * The state kept as JSON for ROOM, checked. Text that is not a sound state (a row or field
 * damaged, or written by hand) throws, as a store that cannot be read does, rather than
 * answering "owned by nobody": that answer would open a private room to all, lose its key,
 * and let anyone claim it. The operator mends or deletes it (docs/storage.md). A newer state
 * saved over it mends it in SQLite, which keeps the version and the owner beside the JSON;
 * Redis keeps them only in the JSON, so there saveRoom fails too until it is mended.
 */
export function keptRoom(room: string, json: string): RoomState {
  let state: unknown;
  try {
    state = JSON.parse(json);
  } catch {
    state = undefined;
  }
  const problem = stateProblem(state);
  if (problem !== undefined) throw new Error(`the kept state of the room ${nameKey(room)} is damaged: ${problem}`);
  return state as RoomState;
}

const isStrings = (list: unknown): boolean => Array.isArray(list) && list.every((name) => typeof name === 'string');
const isCount = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/**
 * What is wrong with STATE as an owned room's, or undefined when nothing is. Fields this
 * version does not know are let through: a newer server of a cluster may have written them.
 */
function stateProblem(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return 'not a JSON object';
  const s = state as Record<string, unknown>;
  if (!isCount(s['v']) || (s['v'] as number) < 1) return 'its version (v) is not a whole number from 1';
  if (typeof s['owner'] !== 'string' || !isValidName(s['owner'])) return 'it has no owner, or one that is no name';
  if (!isStrings(s['ops'])) return 'its operators (ops) are not a list of names';
  for (const list of ['voiced', 'bans', 'invited']) if (s[list] !== undefined && !isStrings(s[list])) return `its ${list} are not a list of strings`;
  const topic = s['topic'] as Record<string, unknown> | undefined;
  if (
    topic !== undefined &&
    (typeof topic !== 'object' || topic === null || typeof topic['text'] !== 'string' || typeof topic['by'] !== 'string' || !isCount(topic['at']))
  )
    return 'its topic is not a text, a name and a time';
  for (const flag of ['private', 'secret', 'moderated']) if (s[flag] !== undefined && s[flag] !== true) return `its ${flag} is not true`;
  if (s['key'] !== undefined && typeof s['key'] !== 'string') return 'its key is not a string';
  if (s['limit'] !== undefined && !isCount(s['limit'])) return 'its limit is not a whole number';
  return undefined;
}
