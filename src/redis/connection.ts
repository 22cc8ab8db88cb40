/**
 * How every connection of ours to Redis behaves (the hub's and the store's): a user gets an
 * error now rather than a hang, and the connection comes back by itself.
 */

/** The longest wait between two attempts to reconnect to Redis. */
export const RECONNECT_MAX_MS = 2000;
export const CONNECT_TIMEOUT_MS = 5000;
/** A command unanswered this long counts as lost: a Redis that accepts and never answers. */
export const COMMAND_TIMEOUT_MS = 2000;

/** ioredis options for a connection named NAME in CLIENT LIST. */
export function connectionOptions(name: string) {
  return {
    lazyConnect: true,
    // Never queue a command while Redis is away: the user gets an error now, not a hang.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), RECONNECT_MAX_MS),
    // A primary that became a replica (a failover) answers READONLY: reconnect, which
    // finds the new primary where the address follows it (a managed Redis endpoint).
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
    // Named in CLIENT LIST; no CLIENT SETINFO, one command fewer for the ACL (docs/cluster.md).
    connectionName: name,
    disableClientInfo: true,
  };
}

/** The URL with any password replaced, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** The database number of a redis:// URL (redis://HOST:PORT/2), 0 when it has none; undefined when it is not a number. */
export function databaseOf(url: string): number | undefined {
  const db = Number(new URL(url).pathname.slice(1) || 0);
  return Number.isSafeInteger(db) && db >= 0 ? db : undefined;
}
