import type { PeerOptions } from '../hub/redis/peers.js';
import type { BoundAddress } from '../protocol/host-port.js';
import { hostPort } from './metrics-option.js';

const listenAt = hostPort('--cluster-link', '10.0.0.5:7000');

/** `--cluster-link HOST:PORT`, or `off`. */
export function clusterLink(value: string): BoundAddress | 'off' {
  return value.trim() === 'off' ? 'off' : listenAt(value);
}

/** `--cluster-address HOST:PORT`: where the others reach this server's links. */
export const clusterAddress = hostPort('--cluster-address', '203.0.113.5:7000');

/**
 * The direct links between servers (--cluster-link LINK) of a server on REDIS listening on
 * HOST: by default on HOST, any free port; none with a Redis reached over TLS, whose operator
 * chose encryption between the servers, unless asked for (either option). ADDRESS
 * (--cluster-address): where the others reach them, when not where they listen.
 */
export function peerLinks(link: BoundAddress | 'off' | undefined, redis: string, host: string, address?: BoundAddress): PeerOptions | undefined {
  if (link === 'off') return undefined;
  if (link === undefined && address === undefined && /^rediss:/i.test(redis)) return undefined;
  const at = link ?? { host, port: 0 };
  return address === undefined ? at : { ...at, address };
}
