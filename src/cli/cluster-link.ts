import type { PeerOptions } from '../hub/redis/peers.js';
import type { BoundAddress } from '../protocol/host-port.js';
import { hostPort } from './metrics-option.js';

const clusterAddress = hostPort('--cluster-link', '10.0.0.5:7000');

/** `--cluster-link HOST:PORT`, or `off`. */
export function clusterLink(value: string): BoundAddress | 'off' {
  return value.trim() === 'off' ? 'off' : clusterAddress(value);
}

/**
 * The direct links between servers (--cluster-link LINK) of a server on REDIS listening on
 * HOST: by default on HOST, any free port; none with a Redis reached over TLS, whose operator
 * chose encryption between the servers, unless asked for.
 */
export function peerLinks(link: BoundAddress | 'off' | undefined, redis: string, host: string): PeerOptions | undefined {
  if (link === 'off') return undefined;
  if (link !== undefined) return link;
  return /^rediss:/i.test(redis) ? undefined : { host, port: 0 };
}
