/**
 * The wait before reconnection attempt ATTEMPT (0 first): 1, 2, 4 ... up to 30 seconds, each
 * spread by +-20 % so that pages dropped together by a restart do not all come back at once
 * (chat-client takes it from here too: src/client/backoff.ts).
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * random()));
}
