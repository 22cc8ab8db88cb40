import { isValidName, nameKey } from '../protocol/names.js';
import type { DeviceMark, StoreLimits } from './store.js';

/**
 * What every store does alike for the catch-up of named devices (Store.logDirect,
 * markDevice, docs/storage.md "Catch-up of named devices"): when a logged message or a mark
 * has run out, the checks on a mark before it is kept, and on what is read back.
 */

/** Logged direct messages and marks at or before this time have run out (kept: `at > oldest`). */
export function catchupOldest(limits: StoreLimits, now: number): number {
  return now - limits.catchupMs;
}

/** A mark as a store keeps it: the keys it is found by, when the device left, its rooms as JSON. */
export interface MarkToKeep {
  account: string;
  device: string;
  at: number;
  /** The rooms, a JSON array of names as shown. */
  rooms: string;
}

/**
 * MARK of ACCOUNT's DEVICE as a store keeps it, or a thrown Error saying why it cannot be (a
 * caller's mistake: nothing is written). Names only: the account and the device are parts of
 * Redis keys and fields, and a room that is no name is no room to catch up on.
 */
export function markToKeep(account: string, device: string, mark: DeviceMark): MarkToKeep {
  const what = `cannot remember the device ${JSON.stringify(device.slice(0, 40))} of ${JSON.stringify(account.slice(0, 40))}`;
  if (!isValidName(account) || !isValidName(device)) throw new Error(`${what}: the account and the device must be names`);
  if (!Number.isSafeInteger(mark.at)) throw new Error(`${what}: its time is not a whole number of ms`);
  const problem = roomsProblem(mark.rooms);
  if (problem !== undefined) throw new Error(`${what}: ${problem}`);
  return { account: nameKey(account), device: nameKey(device), at: mark.at, rooms: JSON.stringify(mark.rooms) };
}

/**
 * The mark kept for DEVICE, checked: AT and ROOMS as read (ROOMS parsed from JSON, parseJson).
 * A damaged one (edited by hand, written by something else) throws, as a store that cannot
 * be read does, rather than answering with rooms that are no rooms.
 */
export function keptMark(device: string, at: unknown, rooms: unknown): DeviceMark {
  const problem = typeof at !== 'number' || !Number.isSafeInteger(at) ? 'its time is not a whole number' : roomsProblem(rooms);
  if (problem !== undefined) throw new Error(`the kept mark of the device ${nameKey(device)} is damaged: ${problem}`);
  return { at: at as number, rooms: rooms as string[] };
}

/** TEXT parsed as JSON; undefined when it is not JSON (keptMark then says it is damaged). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function roomsProblem(rooms: unknown): string | undefined {
  if (!Array.isArray(rooms)) return 'its rooms are not a list';
  if (!rooms.every((room) => typeof room === 'string' && isValidName(room))) return 'one of its rooms is not a room name';
  return undefined;
}
