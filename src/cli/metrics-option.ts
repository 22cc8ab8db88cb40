import { InvalidArgumentError } from 'commander';
import type { BoundAddress } from '../protocol/host-port.js';

/** A parser for OPTION HOST:PORT (an IPv6 address in brackets, a port from 0 to 65535), EXAMPLE in its error. */
export function hostPort(option: string, example: string): (value: string) => BoundAddress {
  return (value) => {
    const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
    const port = Number(m?.[3]);
    if (!m || port > 65535)
      throw new InvalidArgumentError(`${option} must be HOST:PORT, such as ${example} ([::1]:${example.split(':')[1]} for IPv6; port 0 picks a free one).`);
    return { host: (m[1] ?? m[2])!, port };
  };
}

/** `--metrics HOST:PORT`. */
export const metricsAddress = hostPort('--metrics', '127.0.0.1:9464');
