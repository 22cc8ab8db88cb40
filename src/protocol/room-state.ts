import { isValidName } from './names.js';

/**
 * What a room is besides its members (docs/protocol.md, "Rooms people own"): its operators,
 * topic, privacy, key and the rest of what IRC's channel modes can say. The hub keeps it
 * while somebody is in the room (it is gone when the room empties); the store keeps an owned
 * room's across the room emptying and restarts. Plain JSON: it crosses Redis as it is.
 *
 * Names in it are name keys (nameKey), but `owner`, `topic.by` (as shown).
 */
export interface Topic {
  readonly text: string;
  /** Who set it, as shown. */
  readonly by: string;
  /** When, in ms since the epoch. */
  readonly at: number;
}

export interface RoomState {
  /**
   * Bumped by each change: a change is written only over the version it was made from, so
   * that two operators acting at once (on two servers) never lose one's change silently.
   * An owned room's is kept with it, so that it only grows.
   */
  readonly v: number;
  /** The account that owns the room, as shown; none for a room nobody owns. */
  readonly owner?: string;
  /**
   * Room operators, as name keys. An account's stays one while away; a name that is no
   * account's (a guest, or any name on a server without accounts) is one only until its user
   * leaves the room: whoever joins later under that name is not.
   */
  readonly ops: readonly string[];
  /** May speak in a moderated room (IRC's +v), as name keys. */
  readonly voiced?: readonly string[];
  readonly topic?: Topic;
  /** Joined by invitation only, and invisible to non-members (IRC's +i). */
  readonly private?: true;
  /** Invisible to non-members, but open (IRC's +s). */
  readonly secret?: true;
  /** Only operators and voiced members speak (IRC's +m). */
  readonly moderated?: true;
  /** Non-members may send to it (IRC's -n; +n, the default, is members only). */
  readonly external?: true;
  /** Any member sets the topic (IRC's -t; +t, the default, is operators only). */
  readonly topicOpen?: true;
  /** Needed to join (IRC's +k): compared exactly, case included. */
  readonly key?: string;
  /** Members at most (IRC's +l). */
  readonly limit?: number;
  /** IRC ban masks (`NICK!USER@HOST`, `*` and `?` wildcards): who may not join. */
  readonly bans?: readonly string[];
  /** Names invited (name keys): valid until they join or the room empties. */
  readonly invited?: readonly string[];
  /** When the room was first made, in ms since the epoch (IRC's 329); an owned room keeps its first. */
  readonly created?: number;
}

/** Ban masks a room keeps at most (IRC's MAXLIST), and invitations: the state stays small. */
export const ROOM_LIST_MAX = 100;
/** A topic's bytes of UTF-8 at most (IRC's TOPICLEN): a longer one is cut there, never inside a character. */
export const TOPIC_MAX = 390;

/** The state of a room nobody has set anything of: the lobby, or a room the cluster lost track of. */
export const NO_STATE: RoomState = Object.freeze({ v: 0, ops: Object.freeze([]) as readonly string[] });

/** A room's state when it is made by its first member, FIRST (a name key). */
export function freshState(first: string, at: number, owner?: string): RoomState {
  return owner === undefined ? { v: 1, ops: [first], created: at } : { v: 1, owner, ops: [first], created: at };
}

/**
 * STATE once KEY (a name key; ACCOUNT: an account's name) has joined the room: its
 * invitation used up, and, for a name that is no account's, not an operator (whoever was made
 * one under that name has left). STATE itself when nothing changes.
 */
export function enteredBy(state: RoomState, key: string, account: boolean): RoomState {
  const invited = state.invited?.includes(key) === true;
  const op = !account && state.ops.includes(key);
  const voiced = !account && state.voiced?.includes(key) === true;
  if (!invited && !op && !voiced) return state;
  const next: Mutable<RoomState> = { ...state, v: state.v + 1 };
  if (invited) setList(next, 'invited', without(state.invited, key));
  if (op) next.ops = state.ops.filter((k) => k !== key);
  if (voiced) setList(next, 'voiced', without(state.voiced, key));
  return next;
}

/** Sets STATE's list FIELD, or leaves it out when LIST is undefined (an empty list is not written). */
export function setList(state: Mutable<RoomState>, field: 'voiced' | 'bans' | 'invited', list: readonly string[] | undefined): void {
  if (list === undefined) delete state[field];
  else state[field] = list;
}

/** Whether non-members see nothing of the room: not listed, no /who, no history. */
export function isHidden(state: RoomState | undefined): boolean {
  return state?.private === true || state?.secret === true;
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** LIST without ITEM; undefined for an empty list, so that the state's JSON stays small. */
export function without(list: readonly string[] | undefined, item: string): readonly string[] | undefined {
  const out = list?.filter((k) => k !== item);
  return out === undefined || out.length === 0 ? undefined : out;
}

/**
 * JSON (a room's state as Redis or a database keeps it, or another server sent) as a
 * RoomState; undefined when it is none, or holds what no server of ours writes: a field of
 * the wrong type, a name that is no name, a text with a control character. What another
 * program put in Redis must neither crash a server nor reach its users. Lists are made lists
 * again: Redis's Lua writes an empty one as `{}`.
 */
export function parseState(json: string): RoomState | undefined {
  if (json === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return undefined;
  }
  return stateOf(raw);
}

/** RAW (parsed JSON) as a RoomState, checked as parseState says; undefined when it is none. */
export function stateOf(raw: unknown): RoomState | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  if (!isCount(r.v, 0)) return undefined;
  const state: Mutable<RoomState> = { ...(r as object), v: r.v as number, ops: [] };
  const ops = names(r.ops);
  if (ops === null) return undefined;
  state.ops = ops ?? [];
  for (const field of ['voiced', 'invited'] as const) {
    const list = names(r[field]);
    if (list === null) return undefined;
    setList(state, field, list);
  }
  const bans = texts(r.bans);
  if (bans === null) return undefined;
  setList(state, 'bans', bans);
  if (r.owner !== undefined && !(typeof r.owner === 'string' && isValidName(r.owner))) return undefined;
  for (const flag of ['private', 'secret', 'moderated', 'external', 'topicOpen'] as const) {
    if (r[flag] !== undefined && r[flag] !== true) return undefined;
  }
  if (r.key !== undefined && !(typeof r.key === 'string' && /^[\x21-\x7e]{1,23}$/.test(r.key))) return undefined;
  if (r.limit !== undefined && !isCount(r.limit, 1)) return undefined;
  if (r.created !== undefined && !isCount(r.created, 0)) return undefined;
  if (r.topic !== undefined) {
    const t = r.topic as Record<string, unknown> | null;
    if (typeof t !== 'object' || t === null || typeof t.text !== 'string' || hasControl(t.text)) return undefined;
    if (typeof t.by !== 'string' || !isValidName(t.by) || !isCount(t.at, 0)) return undefined;
    state.topic = { text: t.text, by: t.by, at: t.at as number };
  }
  return state;
}

const isCount = (n: unknown, least: number): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= least;

/** A control character (C0, DEL, C1): never in what a room shows. */
export const hasControl = (text: string): boolean => /[\x00-\x1f\x7f-\x9f]/.test(text);

/** A list of names: the list (undefined when empty or absent), or null when it holds anything else. */
function names(list: unknown): string[] | undefined | null {
  const out = texts(list);
  return out === null || out?.every(isValidName) !== false ? out : null;
}

function texts(list: unknown): string[] | undefined | null {
  if (list === undefined) return undefined;
  // Redis's Lua writes an empty list as an empty object.
  if (typeof list === 'object' && list !== null && !Array.isArray(list) && Object.keys(list).length === 0) return undefined;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x.length <= 100 && !hasControl(x))) return null;
  return list.length === 0 ? undefined : (list as string[]);
}
