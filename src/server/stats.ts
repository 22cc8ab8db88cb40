/**
 * Counters the server keeps for its operator, as plain numbers: incrementing one costs
 * nothing on the message path, and the metrics endpoint (src/ops/) reads them when scraped.
 * What an event already tells (connections, refusals, failed logins, kicks) is counted from
 * the events instead.
 */
export class ServerStats {
  /** Room messages sent, one per message (not per recipient). */
  roomMessages = 0;
  /** Direct messages delivered to a user online. */
  directMessages = 0;
  /** Direct messages kept for an account that was offline. */
  keptMessages = 0;
  /** Kept messages written to their addressee at login. */
  keptDelivered = 0;
  /** Bytes read from connections. */
  bytesIn = 0;
  /** Bytes queued to connections. */
  bytesOut = 0;
  /** Times a connection's input waited for flood control. */
  floodPauses = 0;
}
