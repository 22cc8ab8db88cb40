import { WAIT_MS } from './lines.js';

/**
 * Waits until COND holds, checking after each turn of the event loop and each millisecond:
 * for state that no line announces (bytes the server has read). Fails after WAIT_MS with WHAT.
 */
export async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`waited ${WAIT_MS} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
