import { isValidName, nameKey } from '../protocol/names.js';
import { stateOf, type RoomState } from '../protocol/room-state.js';

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

/**
 * What is wrong with STATE as an owned room's, or undefined when nothing is: a room's state
 * as every server checks one (stateOf), with an owner and a version from 1. Fields this
 * version does not know are let through: a newer server of a cluster may have written them.
 */
function stateProblem(state: unknown): string | undefined {
  const checked = stateOf(state);
  if (checked === undefined) return 'a field is missing, of the wrong type, or holds a control character';
  if (checked.v < 1) return 'its version (v) is not a whole number from 1';
  if (checked.owner === undefined) return 'it has no owner, or one that is no name';
  return undefined;
}
