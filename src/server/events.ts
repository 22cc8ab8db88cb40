import type { CloseCode, RefusalCode } from '../protocol/codes.js';

/**
 * What the core reports to whoever runs it; it formats nothing and writes no logs itself.
 * Refusals and closes carry a code (src/protocol/codes.ts) and what varies as `detail`.
 */
export type ServerEvent =
  | { type: 'connect'; peer: string }
  | { type: 'register'; peer: string; name: string }
  | { type: 'rename'; peer: string; from: string; to: string }
  | { type: 'leave'; peer: string; name: string | undefined; code: CloseCode; detail?: string }
  | { type: 'reject'; peer: string; name: string | undefined; code: RefusalCode; detail?: string }
  /** An operator's /kick, /ban or /unban (docs/operations.md, "Moderation"). */
  | { type: 'moderation'; action: 'kick' | 'ban' | 'unban'; by: string; name: string; reason: string; until?: number }
  /** Something an operator should know: a reload, a warning. */
  | { type: 'notice'; message: string }
  | { type: 'error'; message: string };
