/** Where a server listens and a client connects when nothing else is said. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 12345;
/** Longest line in bytes, terminator excluded (docs/protocol.md). */
export const DEFAULT_MAX_LINE = 4096;
