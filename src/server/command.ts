/**
 * What a user asks of the chat, whatever the dialect it was said in: a dialect's parser makes
 * these (src/dialects/line/parse.ts), the command table handles them. Names are validated by
 * the handlers, not the parsers.
 */
export type Command =
  | { kind: 'empty' }
  /** LOBBY false: the new user starts in no room (IRC's users pick theirs). */
  /** DEVICE: the name a device of an account gives itself, for its catch-up (docs/protocol.md, "Your account"). */
  | { kind: 'register'; name: string; password: string | undefined; lobby?: boolean; device?: string }
  /**
   * NOTICE (IRC's): a message that is never answered, not even with an error (RFC 2812: no
   * automatic reply to a notice), and that receivers who can tell see as a notice.
   */
  | { kind: 'direct'; to: string; text: string; notice?: boolean; ctcp?: boolean }
  /** `@NAME` without a colon; TO and TEXT when a name and words followed (`@carol thanks`). */
  | { kind: 'directMalformed'; to?: string; text?: string }
  /** To ROOM when given (a member's other room, as IRC names one), else to the current room. */
  | { kind: 'room'; text: string; room?: string; notice?: boolean }
  /** AS: the dialect's own mark for what the listing answers, handed back to its words (Words.inRoom). */
  | { kind: 'who'; room: string | undefined; as?: string }
  /** Whether NAME is online, and in which rooms where this server knows them. */
  | { kind: 'whois'; name: string }
  /** Checks an account's password without taking its name (IRC's SASL, before registration). */
  | { kind: 'authenticate'; name: string; password: string }
  /** An answer the dialect made itself (IRC's capability negotiation): sent as it is, charged by its size. */
  | { kind: 'answer'; text: string }
  /** A password checked as OPERATOR: an operator account's makes this connection an operator (IRC's OPER). */
  | { kind: 'authenticate'; name: string; password: string; operator: true }
  /** Several commands from one line (IRC's `JOIN #a,#b`), handled in order and charged one line each. */
  | { kind: 'several'; commands: readonly Command[] }
  /** KEY: the room's key, when it has one (docs/protocol.md, "Rooms people own"). */
  | { kind: 'join'; room: string; key?: string }
  /** ROOM undefined: the current room. TEXT undefined asks for the topic; '' clears it. */
  | { kind: 'topic'; room: string | undefined; text: string | undefined }
  /** /op, /deop, /private, /public, /key and IRC's MODE: WORD names the command for refusals. */
  | { kind: 'roomMode'; room: string | undefined; word: string; changes: readonly ModeRequest[] }
  /** /remove and IRC's KICK: NAME leaves ROOM (undefined: the current room). */
  | { kind: 'removeFromRoom'; room: string | undefined; name: string; reason: string }
  | { kind: 'invite'; room: string | undefined; name: string }
  /** `/part [ROOM] [REASON]`: ROOM '' for the current room. */
  | { kind: 'part'; room: string; reason: string }
  | { kind: 'mine' }
  | { kind: 'rooms' }
  | { kind: 'ping'; token: string }
  /** `/away [TEXT]`, IRC's AWAY: away with TEXT, or ('') back (docs/protocol.md, "Away"). */
  | { kind: 'away'; text: string }
  | { kind: 'help' }
  | { kind: 'quit'; reason: string }
  /**
   * `/history [ROOM] [N]`: ROOM undefined for the current room, COUNT as typed ('' for the
   * default; the handler checks it).
   */
  | { kind: 'history'; room: string | undefined; count: string }
  /**
   * A window of a conversation's history (IRC's CHATHISTORY, docs/irc.md): at most LIMIT
   * messages of a room one is in, or of one's direct messages with a name. AS: the dialect's
   * own mark for the answer, handed back to its words.
   */
  | { kind: 'historyWindow'; target: Conversation; window: HistoryWindow; limit: number; as: string }
  /**
   * The conversations whose latest message was said between FROM and TO, both excluded, at
   * most LIMIT counted from FROM (IRC's CHATHISTORY TARGETS). AS: as for historyWindow.
   */
  | { kind: 'historyTargets'; from: number; to: number; limit: number; as: string }
  /**
   * A read marker (IRC's MARKREAD): the time of the last message of TARGET that the user has
   * read. AT sets it (never back); without it, it is asked. AS: the target as the user wrote
   * it, for the answer.
   */
  | { kind: 'readMarker'; target: Conversation; at?: number; as?: string }
  | { kind: 'kick'; name: string; reason: string }
  /** `/ban NAME [MINUTES] [REASON]`: MINUTES is the second word when it starts like a number. */
  | { kind: 'ban'; name: string; minutes: string | undefined; reason: string }
  | { kind: 'unban'; name: string }
  | { kind: 'bans' }
  | { kind: 'unknown'; word: string }
  /** A line of a connection without LF that holds `@NAME:` past its start: maybe two messages, one private. */
  | { kind: 'unframedAddress' }
  /** `/passwd OLD NEW`: change one's own password (docs/protocol.md, "Your account"); '' for what is missing. */
  | { kind: 'passwd'; old: string; new: string };

export type CommandKind = Command['kind'];

/** What one has a history with: a room, or the direct messages with the user NAME. */
export type Conversation = { readonly room: string } | { readonly name: string };

/**
 * Which messages of a conversation, by their times in ms (history-window.ts): the latest
 * (after SINCE, excluded, when given), those just before or just after AT (excluded), those
 * around AT, or those between FROM and TO (both excluded) counted from FROM, which may be the
 * later of the two.
 */
export type HistoryWindow =
  | { readonly kind: 'latest'; readonly since?: number }
  | { readonly kind: 'before' | 'after' | 'around'; readonly at: number }
  | { readonly kind: 'between'; readonly from: number; readonly to: number };

/** A change a room operator asks for (Command `roomMode`); KEY '' with ON false removes the key. */
export type ModeRequest =
  | { readonly what: 'op' | 'voice'; readonly on: boolean; readonly name: string }
  | { readonly what: 'private' | 'secret' | 'moderated' | 'noExternal' | 'topicLock'; readonly on: boolean }
  | { readonly what: 'key'; readonly on: boolean; readonly key: string }
  | { readonly what: 'limit'; readonly limit: number | undefined }
  | { readonly what: 'ban'; readonly on: boolean; readonly mask: string };
