import { InvalidArgumentError } from 'commander';
import { formatHostPort } from '../dialects/line/wording.js';

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

/** With several servers, one that drops packets must not hold us for the system's minutes. */
export const ATTEMPT_MS = 10_000;

/**
 * Connects to the first of HOSTS that answers, trying them in order from START (a reconnect
 * starts after the one it lost, so that another server of the chat is tried first), TRIES of
 * them (1: START alone, the server that asked for a password). With several, each gets
 * ATTEMPT_MS; a connection that comes later is handed to DISCARD. Rejects with every
 * failure, in order, when none answers.
 */
export async function connectFirst<C>(
  hosts: readonly { host: string; port: number }[],
  start: number,
  connect: (host: string, port: number) => Promise<C>,
  discard: (late: C) => void = () => {},
  tries = hosts.length,
): Promise<{ conn: C; index: number }> {
  const failures: string[] = [];
  for (let k = 0; k < Math.min(tries, hosts.length); k++) {
    const index = (start + k) % hosts.length;
    const { host, port } = hosts[index]!;
    if (hosts.length === 1) return { conn: await connect(host, port), index };
    try {
      return { conn: await bounded(connect(host, port), `${formatHostPort(host, port)} did not answer within ${ATTEMPT_MS / 1000} s.`, discard), index };
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (failures.length === 1) throw new Error(failures[0]);
  throw new Error(`none of the ${failures.length} servers answered. ${failures.join(' ')}`);
}

function bounded<C>(attempt: Promise<C>, late: string, discard: (c: C) => void): Promise<C> {
  return new Promise((resolve, reject) => {
    let over = false;
    const timer = setTimeout(() => {
      over = true;
      reject(new Error(late));
    }, ATTEMPT_MS);
    attempt.then(
      (c) => {
        clearTimeout(timer);
        if (over) discard(c);
        else resolve(c);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (!over) reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
