/**
 * Waits between reconnection attempts: one rule for chat-client and the web page. It lives
 * with the page, whose build takes no file outside src/web; the main build compiles it too.
 */
export { backoffMs } from '../web/backoff.js';
