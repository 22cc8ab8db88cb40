/**
 * How every connection of ours to Redis behaves (the hub's and the store's): a user gets an
 * error now rather than a hang, and the connection comes back by itself.
 */

import { Redis } from './ioredis.js';

/** The longest wait between two attempts to reconnect to Redis. */
export const RECONNECT_MAX_MS = 2000;
export const CONNECT_TIMEOUT_MS = 5000;
/** A command unanswered this long counts as lost: a Redis that accepts and never answers. */
export const COMMAND_TIMEOUT_MS = 2000;

/** ioredis options for a connection named NAME in CLIENT LIST. */
/** How long ioredis waits before its TIMES-th reconnect: doubling from 200 ms, at most RECONNECT_MAX_MS. */
export const reconnectDelay = (times: number): number => Math.min(100 * 2 ** Math.min(times, 5), RECONNECT_MAX_MS);

export function connectionOptions(name: string) {
  return {
    lazyConnect: true,
    // Never queue a command while Redis is away: the user gets an error now, not a hang.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectDelay,
    // A primary that became a replica (a failover) answers READONLY: reconnect, which
    // finds the new primary where the address follows it (a managed Redis endpoint).
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
    // Named in CLIENT LIST; no CLIENT SETINFO, one command fewer for the ACL (docs/cluster.md).
    connectionName: name,
    disableClientInfo: true,
  };
}

/** The URL with any password replaced, for logs (a Sentinel URL's list of hosts is no URL to `URL`). */
export function redactUrl(url: string): string {
  // Up to the last @ before the path: ioredis splits there, and a password may hold an @.
  return url.replace(/^([a-z+]+:\/\/[^:@/]*:)[^/]*@/i, '$1***@');
}

/** The database number of a Redis URL (redis://HOST:PORT/2), 0 when it has none; undefined when it is not a number. */
export function databaseOf(url: string): number | undefined {
  const target = redisTarget(url);
  return target === undefined ? undefined : target.db;
}

/** A Sentinel URL: redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]. */
const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/@]+)\/([^/]+)(?:\/([^/]*))?$/i;

/** What ioredis is given for a Redis URL (connectionOptions are added to it), and the database to select. */
export interface RedisTarget {
  options: Record<string, unknown>;
  db: number | undefined;
  /** Through Sentinel: ioredis asks the sentinels where the primary is, at every (re)connect. */
  sentinel: boolean;
}

/**
 * Reads redis://, rediss:// and redis+sentinel:// URLs; undefined for anything else. The
 * user and password of a Sentinel URL are the data nodes'; the sentinels are asked without
 * them (docs/cluster.md, "Redis with Sentinel").
 */
export function redisTarget(url: string): RedisTarget | undefined {
  const sentinel = SENTINEL_URL.exec(url);
  if (sentinel !== null) {
    const [, user, password, hosts, master, dbText] = sentinel;
    // HOST:PORT, [IPV6]:PORT, or a host alone (Sentinel's port).
    const sentinels = hosts!.split(',').map((hostPort) => {
      const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(hostPort);
      return m === null ? undefined : { host: m[1] ?? m[2]!, port: m[3] === undefined ? 26379 : Number(m[3]) };
    });
    if (sentinels.some((s) => s === undefined || s.port < 1 || s.port > 65535)) return undefined;
    const db = databaseNumber(dbText ?? '');
    let options: Record<string, unknown>;
    try {
      options = { sentinels, name: decodeURIComponent(master!), db: db ?? 0 };
      if (user) options['username'] = decodeURIComponent(user);
      if (password) options['password'] = decodeURIComponent(password);
    } catch {
      return undefined; // a malformed %-escape
    }
    return { options, db, sentinel: true };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if ((parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '') return undefined;
  return { options: { url }, db: databaseNumber(parsed.pathname.slice(1)), sentinel: false };
}

/** A URL's database: 0 when none is given, undefined when it is not a number Redis could have. */
function databaseNumber(text: string): number | undefined {
  if (text === '') return 0;
  const db = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(db) ? db : undefined;
}

/** A connection (not connected yet) to the Redis URL names, with OPTIONS; a Sentinel URL follows the primary. */
export function openRedis(url: string, options: Record<string, unknown>): Redis {
  const target = redisTarget(url);
  if (target === undefined) throw new Error(`not a Redis URL: ${redactUrl(url)}`);
  if (!target.sentinel) return new Redis(url, options);
  // A sentinel that does not answer costs a command timeout, then the next is asked. A
  // failover is followed by SentinelWatch (the hub's), not ioredis's detector.
  return new Redis({ ...target.options, ...options, sentinelCommandTimeout: COMMAND_TIMEOUT_MS });
}
