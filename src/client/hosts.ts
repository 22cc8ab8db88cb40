import { InvalidArgumentError } from 'commander';

export interface HostPort {
  host: string;
  /** Undefined: --port's. */
  port: number | undefined;
}

/**
 * --host's value: one or several `HOST[:PORT]` separated by commas (the servers of one chat).
 * An IPv6 address with a port is written in brackets, `[::1]:5000`; a bare IPv6 address
 * takes --port. Throws commander's error, which it prints as a usage error.
 */
export function parseHosts(value: string): HostPort[] {
  const entries = value.split(',').map((e) => e.trim());
  if (entries.some((e) => e === '')) {
    throw new InvalidArgumentError('Give one or several HOST[:PORT] separated by commas, with nothing empty between.');
  }
  return entries.map((entry) => {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    const plain = /^([^:]+):(\d+)$/.exec(entry);
    const [host, port] = bracketed ? [bracketed[1]!, bracketed[2]] : plain ? [plain[1]!, plain[2]] : [entry, undefined];
    if (port === undefined) return { host, port: undefined };
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`The port in "${entry}" must be 1-65535.`);
    return { host, port: n };
  });
}

/**
 * Connects to the first of HOSTS that answers, trying them in order from START (a reconnect
 * starts after the one it lost, so that another server of the chat is tried first). Rejects
 * with every failure, in order, when none answers.
 */
export async function connectFirst<C>(
  hosts: readonly { host: string; port: number }[],
  start: number,
  connect: (host: string, port: number) => Promise<C>,
): Promise<{ conn: C; index: number }> {
  const failures: string[] = [];
  for (let k = 0; k < hosts.length; k++) {
    const index = (start + k) % hosts.length;
    const { host, port } = hosts[index]!;
    try {
      return { conn: await connect(host, port), index };
    } catch (err) {
      if (hosts.length === 1) throw err;
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  throw new Error(`none of the ${hosts.length} servers answered. ${failures.join(' ')}`);
}
