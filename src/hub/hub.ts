/**
 * Routing between the users of a chat, behind a small interface (STYLE.md, point 8): the
 * in-memory hub serves one process; a hub spanning several servers can replace it.
 */
export interface Member {
  /** The registered name, in the case it was registered; undefined before registration. */
  readonly name: string | undefined;
  /** Queues wire bytes (one or more LF-terminated lines) for this member's connection. */
  deliver(bytes: Buffer): void;
}

export interface Hub {
  /** Takes NAME for member; false when another member holds it (in any case). */
  claim(name: string, member: Member): boolean;
  /** Moves member from oldName to newName; false when another member holds newName. */
  rename(member: Member, oldName: string, newName: string): boolean;
  /** Gives NAME back, if member holds it. */
  release(name: string, member: Member): void;
  lookup(name: string): Member | undefined;
  /** Sends the same bytes to every member but `except`. */
  broadcast(bytes: Buffer, except: Member | undefined): void;
  /** Registered names, sorted without regard to case. */
  names(): string[];
  readonly size: number;
}
