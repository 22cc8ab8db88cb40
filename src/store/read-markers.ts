import { isValidName, nameKey } from '../protocol/names.js';

/**
 * What every store does alike for read markers (Store.readMarker, setReadMarker; docs/storage.md
 * "Read markers"): the checks on what a marker is kept under, before anything is read or kept.
 */

/** A marker's account and target as a store keeps them: in lower case, the target `#ROOM` or NAME. */
export interface MarkerKeys {
  account: string;
  target: string;
}

/**
 * ACCOUNT and TARGET as a store keys them, or a thrown Error saying why they cannot be (a
 * caller's mistake: nothing is read or written). Names only: both are parts of Redis keys and
 * fields, and a target that is neither a room nor a name is no conversation. AT, when given,
 * must be a whole number of ms.
 */
export function markerKeys(account: string, target: string, at?: number): MarkerKeys {
  const what = `cannot keep the read marker ${JSON.stringify(target.slice(0, 40))} of ${JSON.stringify(account.slice(0, 40))}`;
  const conversation = target.startsWith('#') ? target.slice(1) : target;
  if (!isValidName(account) || !isValidName(conversation)) throw new Error(`${what}: the account and the target must be names (a room as #NAME)`);
  if (at !== undefined && !Number.isSafeInteger(at)) throw new Error(`${what}: its time is not a whole number of ms`);
  return { account: nameKey(account), target: nameKey(target) };
}

/** A kept marker's time as read (a number, or the text Redis holds), checked: a damaged one throws, as a store that cannot be read does. */
export function keptMarker(target: string, at: unknown): number {
  const ms = typeof at === 'string' && /^[0-9]{1,16}$/.test(at) ? Number(at) : at;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms)) throw new Error(`the kept read marker ${target} is damaged: its time is not a whole number`);
  return ms;
}

/**
 * The targets to drop from MARKERS (target -> time) to keep READ_MARKERS_MAX: the oldest, by
 * time and then by target, as SQLite and Redis order them.
 */
export function oldestMarkers(markers: ReadonlyMap<string, number>, max: number): string[] {
  if (markers.size <= max) return [];
  return [...markers]
    .sort(([a, at], [b, bt]) => at - bt || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, markers.size - max)
    .map(([target]) => target);
}
