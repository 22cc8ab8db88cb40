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
  /** Needed to join (IRC's +k): compared exactly, case included. */
  readonly key?: string;
  /** Members at most (IRC's +l). */
  readonly limit?: number;
  /** IRC ban masks (`NICK!USER@HOST`, `*` and `?` wildcards): who may not join. */
  readonly bans?: readonly string[];
  /** Names invited (name keys): valid until they join or the room empties. */
  readonly invited?: readonly string[];
}

/** A room's state when it is made by its first member, FIRST (a name key). */
export function freshState(first: string, owner?: string): RoomState {
  return owner === undefined ? { v: 1, ops: [first] } : { v: 1, owner, ops: [first] };
}

/** Whether non-members see nothing of the room: not listed, no /who, no history. */
export function isHidden(state: RoomState | undefined): boolean {
  return state?.private === true || state?.secret === true;
}
