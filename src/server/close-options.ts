/** How a connection is closed (Session.close). */
export interface CloseOptions {
  /** For the log: what varies with the code (a socket error's code, a /quit message). */
  detail?: string;
  /** Shown to the others: "* NAME left (shown)". */
  shown?: string;
  /** False at shutdown, where n users would otherwise get n "left" notices each. */
  announce?: boolean;
  /** Drop what is queued: a peer that stopped reading would never take it. */
  abort?: boolean;
  /**
   * The peer has finished sending and every line of it is answered: of what is queued, only
   * those answers still go. Chat that came for it in this last turn does not: most such
   * peers have closed altogether, and a write to them only fails (an error and its stack
   * trace, at thousands of connections a second).
   */
  answersOnly?: boolean;
}
