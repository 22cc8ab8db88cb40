/**
 * What a user asks of the chat, whatever the dialect it was said in: a dialect's parser makes
 * these (src/dialects/line/parse.ts), the command table handles them. Names are validated by
 * the handlers, not the parsers.
 */
export type Command =
  | { kind: 'empty' }
  | { kind: 'register'; name: string; password: string | undefined }
  | { kind: 'direct'; to: string; text: string }
  | { kind: 'directMalformed' }
  | { kind: 'room'; text: string }
  | { kind: 'who'; room: string | undefined }
  | { kind: 'join'; room: string }
  /** `/part [ROOM] [REASON]`: ROOM '' for the current room. */
  | { kind: 'part'; room: string; reason: string }
  | { kind: 'mine' }
  | { kind: 'rooms' }
  | { kind: 'ping'; token: string }
  | { kind: 'help' }
  | { kind: 'quit'; reason: string }
  /**
   * `/history [ROOM] [N]`: ROOM undefined for the current room, COUNT as typed ('' for the
   * default; the handler checks it).
   */
  | { kind: 'history'; room: string | undefined; count: string }
  | { kind: 'kick'; name: string; reason: string }
  /** `/ban NAME [MINUTES] [REASON]`: MINUTES is the second word when it starts like a number. */
  | { kind: 'ban'; name: string; minutes: string | undefined; reason: string }
  | { kind: 'unban'; name: string }
  | { kind: 'bans' }
  | { kind: 'unknown'; word: string }
  /** A line of a connection without LF that holds `@NAME:` past its start: maybe two messages, one private. */
  | { kind: 'unframedAddress' };

export type CommandKind = Command['kind'];
