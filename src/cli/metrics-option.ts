import { InvalidArgumentError } from 'commander';
import type { BoundAddress } from '../protocol/host-port.js';

const USAGE = '--metrics must be HOST:PORT, such as 127.0.0.1:9464 ([::1]:9464 for IPv6; port 0 picks a free one).';

/** `--metrics HOST:PORT`: an IPv6 address in brackets, a port from 0 to 65535. */
export function metricsAddress(value: string): BoundAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new InvalidArgumentError(USAGE);
  return { host: (m[1] ?? m[2])!, port };
}
