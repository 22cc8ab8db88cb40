import type { BoundAddress } from '../protocol/host-port.js';
import net from 'node:net';
import type { ChatCore } from '../server/core.js';
import type { Peer } from '../server/host.js';
import type { Dialect } from '../server/dialect.js';

/** An IPv4 peer on a dual-stack socket shows as ::ffff:1.2.3.4; people know it as 1.2.3.4. */
export function displayHost(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Which listener a connection came through: the metrics count connections by it (Peer.transport). */
export type Transport = 'tcp' | 'tls' | 'udp' | 'web';

/** The peer a transport hands to the core, which keeps it as the session's address. */
export interface TransportPeer extends Peer {
  transport: Transport;
}

/** How the TCP and TLS listeners accept: half-open (no-delay and keepalive: tuneAccepted). */
export const LISTEN_OPTIONS: net.ServerOpts = {
  // Half-open: a client that has finished sending still gets the answers to what it sent.
  allowHalfOpen: true,
};

/**
 * Keepalive finds peers that vanished without a FIN (a pulled cable), which would otherwise
 * hold a name: the first probe after a minute of silence.
 */
const KEEPALIVE_DELAY_MS = 60_000;

/** Listeners whose accepted sockets have no-delay and keepalive from them (tuneListener). */
const passingOn = new WeakSet<net.Server>();

/** What Node's handle of a listening TCP socket offers; each call returns 0 or an error number. */
interface ListenHandle {
  setNoDelay?(on: boolean): number;
  setKeepAlive?(on: boolean, delaySeconds: number): number;
}

/**
 * Sets no-delay and keepalive on the listening socket of SERVER, then calls DONE. Linux copies
 * a listener's TCP options to each connection it accepts: set there once, they cost no
 * system call per connection, where setting them on each socket took five
 * (docs/benchmark.md, "Connects"). Node has no documented call for a listening socket's
 * options; its handle has the same ones as a connection's. Elsewhere, or without them, each
 * socket gets its own (tuneAccepted).
 */
function tuneListener(server: net.Server, done: () => void): void {
  // Listening again: until this is through, its sockets get their own.
  passingOn.delete(server);
  const handle = (server as unknown as { _handle?: ListenHandle })._handle;
  if (
    process.platform !== 'linux' ||
    typeof handle?.setNoDelay !== 'function' ||
    typeof handle.setKeepAlive !== 'function' ||
    handle.setNoDelay(true) !== 0 ||
    handle.setKeepAlive(true, KEEPALIVE_DELAY_MS / 1000) !== 0
  ) {
    return done();
  }
  // A connection the kernel completed between listen() and now has neither. It waits in the
  // accept queue, and the first poll of the listener takes the whole queue: sockets accepted
  // until an event-loop turn has gone by, poll included, still get their own.
  setImmediate(() =>
    setImmediate(() => {
      passingOn.add(server);
      done();
    }),
  );
}

/** No-delay and keepalive on SOCKET, accepted by SERVER, unless the listener passed them on. */
export function tuneAccepted(server: net.Server, socket: net.Socket): void {
  if (passingOn.has(server)) return;
  // Without no-delay, Nagle's algorithm meets delayed ACKs and a chat line waits ~40 ms.
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
}

/** Hands an accepted socket (plain or TLS, tuned by its listener: tuneAccepted) to the core, speaking DIALECT (default: the core's). */
export function acceptInto(core: ChatCore, transport: 'tcp' | 'tls' = 'tcp', dialect?: Dialect): (socket: net.Socket) => void {
  return (socket) => {
    const peer: TransportPeer = { host: displayHost(socket.remoteAddress), port: socket.remotePort ?? 0, transport, closeEnds: transport === 'tcp' };
    if (dialect !== undefined) peer.dialect = dialect;
    core.accept(socket, peer);
  };
}

/** Binds SERVER to HOST:PORT; resolves with the address bound, rejects with the bind error. */
export function bind(server: net.Server, core: ChatCore, host: string, port: number): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      // After binding, an error (EMFILE on accept) is reported, never thrown at the process.
      server.on('error', (err) => core.options.onEvent({ type: 'error', message: err.message }));
      const bound = server.address() as net.AddressInfo;
      // Ready once its connections get no-delay and keepalive from the listener.
      tuneListener(server, () => resolve({ host: bound.address, port: bound.port }));
    });
  });
}

/** A plain TCP listener, speaking DIALECT (default: the core's). */
export function tcpServer(core: ChatCore, dialect?: Dialect): net.Server {
  const accept = acceptInto(core, 'tcp', dialect);
  const server = net.createServer(LISTEN_OPTIONS, (socket) => {
    tuneAccepted(server, socket);
    accept(socket);
  });
  return server;
}
