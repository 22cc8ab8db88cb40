import net from 'node:net';
import type { ChatCore, Peer } from '../server/core.js';

/** What a listener reports once bound. */
export interface BoundAddress {
  host: string;
  port: number;
}

/** An IPv4 peer on a dual-stack socket shows as ::ffff:1.2.3.4; people know it as 1.2.3.4. */
export function displayHost(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Which listener a connection came through: the metrics count connections by it. */
export type Transport = 'tcp' | 'tls' | 'udp';

/** The peer a transport hands to the core, which keeps it as the session's address. */
export interface TransportPeer extends Peer {
  transport: Transport;
}

/** The transport of a session's address; undefined for a stream handed to the core directly (tests). */
export function transportOf(peer: Peer): Transport | undefined {
  return 'transport' in peer ? (peer as TransportPeer).transport : undefined;
}

/**
 * How the TCP and TLS listeners accept. The listener sets no-delay and keepalive on each
 * socket it accepts, before any of our code runs: a step fewer per connection than setting
 * them on the Socket, at thousands of connections a second.
 */
export const LISTEN_OPTIONS: net.ServerOpts = {
  // Half-open: a client that has finished sending still gets the answers to what it sent.
  allowHalfOpen: true,
  // Without no-delay, Nagle's algorithm meets delayed ACKs and a chat line waits ~40 ms.
  noDelay: true,
  // Finds peers that vanished without a FIN (a pulled cable), which would otherwise hold a
  // name: the first probe after a minute of silence.
  keepAlive: true,
  keepAliveInitialDelay: 60_000,
};

/** Hands an accepted socket (plain or TLS; LISTEN_OPTIONS has set it up) to the core. */
export function acceptInto(core: ChatCore, transport: 'tcp' | 'tls' = 'tcp'): (socket: net.Socket) => void {
  return (socket) => {
    const peer: TransportPeer = { host: displayHost(socket.remoteAddress), port: socket.remotePort ?? 0, transport };
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
      resolve({ host: bound.address, port: bound.port });
    });
  });
}

/** A plain TCP listener. */
export function tcpServer(core: ChatCore): net.Server {
  return net.createServer(LISTEN_OPTIONS, acceptInto(core));
}
