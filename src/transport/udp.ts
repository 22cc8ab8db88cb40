import dgram from 'node:dgram';
import net from 'node:net';
import { firstLine } from '../dialects/line/datagrams.js';
import * as w from '../dialects/line/wording.js';
import type { ChatCore } from '../server/core.js';
import type { Session } from '../server/session.js';
import { TokenBucket } from '../protocol/token-bucket.js';
import { HelloTokens } from './hello-token.js';
import { displayHost, type TransportPeer } from './tcp.js';
import type { BoundAddress } from '../protocol/host-port.js';
import { UdpStream } from './udp-stream.js';

export interface UdpOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Answers a second to unverified addresses, all of them together. */
  helloRate: number;
  /** A verified address silent this long is closed ("* NAME left (idle timeout)"). */
  idleMs: number;
}

export const DEFAULT_UDP_HELLO_RATE = 100;
export const DEFAULT_UDP_IDLE_MS = 300_000;

/**
 * Replies to a source port below this are never sent unasked: those are services (echo,
 * chargen, DNS, NTP) that answer datagrams, and a forged datagram from one of them would
 * start a loop of answers between it and us. Clients send from ephemeral ports.
 */
const LOWEST_CLIENT_PORT = 1024;
/** Longest server line a shut-down session's last datagrams may take to go out. */
const SEND_DRAIN_MS = 1000;
/** The first line of a datagram that verifies its address: "/hello TOKEN". */
const HELLO = /^\/hello +(\S+) *$/i;

/** Why the UDP port could not be bound: the CLI names --udp-port, not --port. */
export class UdpBindError extends Error {
  constructor(
    readonly error: NodeJS.ErrnoException,
    readonly host: string,
    readonly port: number,
  ) {
    super(error.message);
    this.name = 'UdpBindError';
  }

  get code(): string | undefined {
    return this.error.code;
  }
}

interface Verified {
  stream: UdpStream;
  session: Session;
  lastHeard: number;
  idleTimer: unknown;
}

/**
 * The UDP transport (docs/protocol.md, "UDP"). An address must first show that it receives our
 * datagrams: until it sends back a valid `/hello TOKEN`, nothing is stored for it and it
 * gets at most one short answer per datagram, within a rate shared by all such addresses,
 * so that no one can aim our answers at a forged address in any volume. A verified address
 * becomes a UdpStream handed to the core, a session like a TCP connection.
 */
export class UdpListener {
  readonly #core: ChatCore;
  readonly #options: UdpOptions;
  readonly #socket: dgram.Socket;
  readonly #tokens: HelloTokens;
  readonly #helloBucket: TokenBucket;
  /** Verified addresses, by the address and port the datagrams come from. */
  readonly #verified = new Map<string, Verified>();
  #sending = 0;
  #socketClosed = false;
  #sent: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(core: ChatCore, options: UdpOptions) {
    this.#core = core;
    this.#options = options;
    const { timers } = core.options;
    this.#tokens = new HelloTokens(() => timers.now());
    // A second's worth may go at once; beyond it the rate holds, however many senders.
    this.#helloBucket = new TokenBucket(options.helloRate, options.helloRate, () => timers.now());
    this.#socket = dgram.createSocket({ type: net.isIPv6(options.host) ? 'udp6' : 'udp4' });
    this.#socket.on('message', (payload, from) => this.#receive(payload, from));
  }

  /** Verified addresses: what UDP holds in memory. Unverified ones are never counted, never stored. */
  get verified(): number {
    return this.#verified.size;
  }

  /** Bytes of datagrams held for sessions that are not reading: at most INBOX_BYTES each. */
  get heldBytes(): number {
    let total = 0;
    for (const { stream } of this.#verified.values()) total += stream.heldBytes;
    return total;
  }

  /** Binds; resolves with the address bound, rejects with UdpBindError. */
  bind(): Promise<BoundAddress> {
    const { host, port } = this.#options;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.#socketClosed = true;
        this.#socket.close();
        reject(new UdpBindError(err, host, port));
      };
      this.#socket.once('error', onError);
      this.#socket.bind({ address: host, port }, () => {
        this.#socket.off('error', onError);
        // After binding, a socket error is reported, never thrown at the process.
        this.#socket.on('error', (err) => this.#core.options.onEvent({ type: 'error', message: `UDP: ${err.message}` }));
        const bound = this.#socket.address();
        resolve({ host: bound.address, port: bound.port });
      });
    });
  }

  /**
   * Stops answering and closes the socket once the sessions' last datagrams (the shutdown
   * notice) are out. The core closes the sessions themselves.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const { session } of this.#verified.values()) session.close('shutting-down', { announce: false });
      if (this.#sending > 0) {
        await new Promise<void>((resolve) => {
          this.#sent = resolve;
          setTimeout(resolve, SEND_DRAIN_MS).unref();
        });
      }
      this.#socketClosed = true;
      await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    })();
    return this.#closing;
  }

  #receive(payload: Buffer, from: dgram.RemoteInfo): void {
    const key = `${from.address}|${from.port}`;
    const verified = this.#verified.get(key);
    if (verified) return this.#fromVerified(verified, payload, from);
    if (this.#closing) return;
    const hello = firstLine(payload);
    const token = hello && HELLO.exec(hello.line)?.[1];
    if (token !== undefined && this.#tokens.verify(from.address, from.port, token)) {
      return this.#verify(key, from, hello!.rest);
    }
    if (!this.#mayAnswer(payload, from)) return;
    this.#send(Buffer.from(`${w.udpHello(this.#tokens.issue(from.address, from.port))}\n`), from);
  }

  /**
   * Whether an unverified datagram gets the hello line: never for an empty one (no answer
   * is ever larger than a request by more than the hello line), never toward a service
   * port or what looks like another server's line (loops), and only within the rate.
   */
  #mayAnswer(payload: Buffer, from: dgram.RemoteInfo): boolean {
    if (payload.length === 0 || from.port < LOWEST_CLIENT_PORT) return false;
    // "* ...", "! ...", "<NAME> ...": a server's line, perhaps our own hello reflected back.
    const mark = payload[0];
    if (mark === 0x2a || mark === 0x21 || mark === 0x3c) return false;
    return this.#helloBucket.take();
  }

  #verify(key: string, from: dgram.RemoteInfo, rest: Buffer): void {
    const stream = new UdpStream((bytes) => this.#send(bytes, from));
    const peer: TransportPeer = { host: displayHost(from.address), port: from.port, transport: 'udp' };
    const session = this.#core.accept(stream, peer);
    // Refused (full, too many from the address): the refusal went out on the stream, which ends.
    if (session === undefined) return;
    const { timers } = this.#core.options;
    const entry: Verified = { stream, session, lastHeard: timers.now(), idleTimer: undefined };
    this.#verified.set(key, entry);
    stream.once('close', () => {
      // A later datagram from this address needs a new hello.
      if (this.#verified.get(key) === entry) this.#verified.delete(key);
      if (entry.idleTimer !== undefined) timers.clearTimeout(entry.idleTimer);
    });
    this.#watchIdle(entry);
    if (rest.length > 0) stream.receive(rest);
  }

  #fromVerified(entry: Verified, payload: Buffer, from: dgram.RemoteInfo): void {
    entry.lastHeard = this.#core.options.timers.now();
    const hello = firstLine(payload);
    if (hello && HELLO.test(hello.line)) {
      // A hello again: its "connected" answer was lost, or the datagram came twice. The
      // address is verified, so answering cannot amplify anything.
      this.#send(Buffer.from(`${w.connected(displayHost(from.address), from.port)}\n`), from);
      payload = hello.rest;
    }
    entry.stream.receive(payload);
  }

  #watchIdle(entry: Verified): void {
    const { timers } = this.#core.options;
    const { idleMs } = this.#options;
    const check = (): void => {
      const silent = timers.now() - entry.lastHeard;
      if (silent < idleMs) {
        entry.idleTimer = timers.setTimeout(check, idleMs - silent);
        return;
      }
      entry.idleTimer = undefined;
      entry.session.send(w.idleTimeout(idleMs));
      entry.session.close('idle-timeout', { detail: 'UDP', shown: 'idle timeout' });
    };
    entry.idleTimer = timers.setTimeout(check, idleMs);
  }

  #send(payload: Buffer, to: dgram.RemoteInfo): void {
    // A session that ends after the socket closed (a grace timer) has nobody to tell.
    if (this.#socketClosed) return;
    this.#sending++;
    const sent = (): void => {
      if (--this.#sending === 0) this.#sent?.();
    };
    try {
      // Best effort: a datagram the kernel cannot take (no buffer space, too big) is lost.
      this.#socket.send(payload, to.port, to.address, sent);
    } catch (err) {
      // A source the kernel took but we cannot send to must not take the server down.
      sent();
      this.#core.options.onEvent({ type: 'error', message: `UDP: cannot answer ${to.address}:${to.port}: ${(err as Error).message}` });
    }
  }
}
