import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { addressKey } from '../protocol/address-key.js';
import type { ChatCore } from '../server/core.js';
import type { Dialect } from '../server/dialect.js';
import { formatHostPort } from '../protocol/host-port.js';
import { acceptInto, displayHost, LISTEN_OPTIONS, tuneAccepted } from './tcp.js';

/** Certificate and key files, PEM. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/** A client that has not finished its handshake by then is dropped: a plaintext peer waits forever. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Reads the files into a context; throws an error naming the file that could not be read or used. */
export function loadContext(files: TlsFiles): tls.SecureContext {
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const cert = read('certificate', files.cert);
  const key = read('key', files.key);
  try {
    return tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (err) {
    throw new Error(`cannot use the TLS certificate ${files.cert} with the key ${files.key}: ${(err as Error).message}`);
  }
}

/**
 * A TLS listener: a plain TCP server whose sockets are wrapped in TLS here, not in
 * tls.Server, so that a failed handshake is logged with the peer's address (tls.Server's
 * tlsClientError comes after the socket has lost it). The context can be swapped (SIGHUP).
 */
export class TlsListener {
  readonly server: net.Server;
  #context: tls.SecureContext;
  /** Handshakes under way, in all and per address: they count against the limits too. */
  #pending = 0;
  readonly #pendingFrom = new Map<string, number>();
  /** Sockets still in their handshake: the core does not know them, so we end them at close. */
  readonly #handshaking = new Set<net.Socket>();

  constructor(
    core: ChatCore,
    private readonly files: TlsFiles,
    dialect?: Dialect,
  ) {
    this.#context = loadContext(files);
    const accept = acceptInto(core, 'tls', dialect);
    this.server = net.createServer(LISTEN_OPTIONS, (raw) => {
      tuneAccepted(this.server, raw);
      const host = displayHost(raw.remoteAddress);
      const peer = formatHostPort(host, raw.remotePort ?? 0);
      // Without this, a flood of handshakes that never finish would hold sockets past every limit.
      const { maxClients, maxPerIp } = core.options;
      const hostKey = addressKey(host);
      const from = this.#pendingFrom.get(hostKey) ?? 0;
      if (core.connections + this.#pending >= maxClients || (maxPerIp > 0 && core.connectionsFrom(host) + from >= maxPerIp)) {
        core.options.onEvent({ type: 'reject', peer, name: undefined, code: 'too-many-connections' });
        raw.destroy();
        return;
      }
      this.#pending += 1;
      this.#pendingFrom.set(hostKey, from + 1);
      this.#handshaking.add(raw);
      const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: this.#context });
      let settled = false;
      const settle = (): void => {
        settled = true;
        this.#handshaking.delete(raw);
        clearTimeout(timer);
        this.#pending -= 1;
        const left = (this.#pendingFrom.get(hostKey) ?? 1) - 1;
        if (left > 0) this.#pendingFrom.set(hostKey, left);
        else this.#pendingFrom.delete(hostKey);
      };
      // One log line per failed handshake, whichever way it fails first.
      const fail = (reason: string): void => {
        if (settled) return;
        settle();
        core.options.onEvent({ type: 'reject', peer, name: undefined, code: 'tls-handshake', detail: reason });
        socket.destroy();
      };
      const timer = setTimeout(() => fail('TLS handshake timed out (a plaintext client waiting for the server?)'), HANDSHAKE_TIMEOUT_MS);
      timer.unref();
      socket.once('secure', () => {
        if (settled) return;
        settle();
        accept(socket);
      });
      // After the handshake the session handles errors; before it, they end the attempt.
      socket.on('error', (err: NodeJS.ErrnoException) => fail(handshakeProblem(err)));
      socket.once('close', () => fail('TLS handshake ended by the client (does it trust this certificate?)'));
      // Half-open listeners do not close on the peer's FIN by themselves: a port scan or a
      // client that gave up must not hold its slot until the handshake timeout.
      socket.once('end', () => fail('TLS handshake ended by the client (does it trust this certificate?)'));
    });
  }

  /** Drops the connections still in their handshake (at shutdown: they would hold close() up). */
  dropHandshakes(): void {
    for (const raw of this.#handshaking) raw.destroy();
  }

  /** Re-reads the certificate and key; new connections use them, current ones keep theirs. */
  reload(): void {
    this.#context = loadContext(this.files);
  }
}

function handshakeProblem(err: NodeJS.ErrnoException): string {
  if (err.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|http request|unknown protocol/i.test(err.message)) {
    return 'TLS handshake failed: the client does not speak TLS (plaintext on the TLS port?)';
  }
  return `TLS handshake failed: ${err.code ?? err.message}`;
}
