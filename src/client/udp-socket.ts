import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { datagramLines, packLines } from '../dialects/line/datagrams.js';
import { parseServerLine, type ServerLine } from '../dialects/line/server-line.js';
import {
  recogniseClosing,
  recogniseConnected,
  recogniseKicked,
  recognisePong,
  recogniseServerFull,
  recogniseShuttingDown,
  recogniseTooManyFromAddress,
  recogniseUdpHello,
} from '../dialects/line/recognise.js';

export interface UdpClientOptions {
  /** Send a /ping after this long without sending anything, so the server keeps us. */
  keepaliveMs?: number;
  /** Resend the first datagram or the hello after this long without an answer. */
  retryMs?: number;
  /** Give up after this many tries without an answer. */
  tries?: number;
}

/**
 * Well under the server's --udp-idle (300 s by default, 60 s at the least we would advise):
 * a few keepalives may be lost before the server gives up on us.
 */
export const DEFAULT_KEEPALIVE_MS = 20_000;
const DEFAULT_RETRY_MS = 1000;
const DEFAULT_TRIES = 5;

/**
 * Lines after which the server has ended our session (docs/protocol.md, fixed wording): over
 * UDP no FIN says so, and the next datagram would only get a hello line.
 */
const SESSION_ENDS: readonly ((line: ServerLine) => unknown)[] = [
  recogniseShuttingDown,
  recogniseServerFull,
  recogniseTooManyFromAddress,
  recogniseKicked,
  recogniseClosing,
];
const endsSession = (line: ServerLine): boolean => SESSION_ENDS.some((recognise) => recognise(line) !== undefined);

/** No answer from the server: nothing listens there, or the datagrams are dropped. */
export class UdpNoAnswer extends Error {
  readonly code = 'ENOANSWER';
}

/**
 * The client side of docs/protocol.md "UDP" as a duplex stream, so that ChatConnection can use
 * it where it uses a TCP socket: the hello is sent by itself, the session is kept alive
 * with /ping while idle, and lines are packed into datagrams once per event-loop turn.
 */
export class UdpSocket extends Duplex {
  readonly #socket: dgram.Socket;
  readonly #keepaliveMs: number;
  /** Our own /ping's token: its pong is not the user's. */
  readonly #keepaliveToken = `udp-keepalive-${randomBytes(4).toString('hex')}`;
  readonly #retryMs: number;
  #keepalive: NodeJS.Timeout | undefined;
  /** A hello line came: is the session gone, or was it an old duplicate? Our ping asks. */
  #probe: NodeJS.Timeout | undefined;
  #out: Buffer[] = [];
  #flushScheduled = false;
  #quitSent = false;
  #ended = false;

  private constructor(socket: dgram.Socket, keepaliveMs: number, retryMs: number) {
    super({ writableHighWaterMark: Number.MAX_SAFE_INTEGER, decodeStrings: true });
    this.#socket = socket;
    this.#keepaliveMs = keepaliveMs;
    this.#retryMs = retryMs;
    socket.on('message', (payload) => this.#receive(payload));
    // After the hello, an error (ICMP port unreachable: the server is gone) ends us.
    socket.on('error', (err) => this.destroy(err));
    this.#armKeepalive();
  }

  /**
   * Resolves once the server has verified our address; the datagram that says so
   * ("* connected from ...", the greeting, or a refusal) is the first thing read.
   */
  static async connect(host: string, port: number, options: UdpClientOptions = {}): Promise<UdpSocket> {
    const { keepaliveMs = DEFAULT_KEEPALIVE_MS, retryMs = DEFAULT_RETRY_MS, tries = DEFAULT_TRIES } = options;
    // IPv4 first when the name has both (localhost): the server's default host is
    // 127.0.0.1, and UDP has no connection attempt to fall back from.
    const address = net.isIP(host)
      ? { address: host, family: net.isIP(host) }
      : (await dns.lookup(host, { all: true })).sort((a, b) => a.family - b.family)[0]!;
    const socket = dgram.createSocket(address.family === 6 ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let request = '/hello';
      let tried = 0;
      const fail = (err: Error): void => {
        cleanup();
        socket.close();
        reject(err);
      };
      const ask = (): void => {
        if (++tried > tries) {
          return fail(new UdpNoAnswer(`no answer over UDP within ${(tries * retryMs) / 1000} s`));
        }
        socket.send(`${request}\n`);
        timer = setTimeout(ask, retryMs);
      };
      const onMessage = (payload: Buffer): void => {
        const first = payload.toString('utf8').split('\n', 1)[0]!.replace(/\r$/, '');
        const token = recogniseUdpHello(parseServerLine(first));
        if (token !== undefined) {
          // The token may come again (our first datagram was resent): the newest is good.
          const next = `/hello ${token}`;
          if (next === request) return;
          request = next;
          tried = 0;
          clearTimeout(timer);
          return ask();
        }
        if (request === '/hello') return; // not from a chat server's UDP port
        cleanup();
        const stream = new UdpSocket(socket, keepaliveMs, retryMs);
        stream.#receive(payload);
        resolve(stream);
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('message', onMessage);
        socket.off('error', fail);
      };
      socket.on('message', onMessage);
      socket.once('error', fail);
      // Connected: only the server's datagrams reach us, and ICMP errors come back as errors.
      socket.connect(port, address.address, ask);
    });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // The server has ended the session: it would only answer with a hello line.
    if (this.#ended) return callback();
    if (/^\/quit(\s|$)/im.test(chunk.toString('latin1'))) this.#quitSent = true;
    this.#out.push(chunk);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    this.#armKeepalive();
    callback();
  }

  /** We are leaving: a /quit tells the server to free our name now rather than at its idle timeout. */
  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#quitSent && !this.#ended) this.#out.push(Buffer.from('/quit\n'));
    this.#flush(() => {
      callback();
      this.destroy();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#keepalive);
    clearTimeout(this.#probe);
    this.#keepalive = undefined;
    this.#out = [];
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
    callback(error);
  }

  #receive(payload: Buffer): void {
    if (this.#ended || this.destroyed) return;
    const text = datagramLines(payload).toString('utf8');
    const lines = text
      .split('\n')
      .slice(0, -1)
      .map((l) => parseServerLine(l.replace(/\r$/, '')));
    if (lines.length === 1 && recogniseUdpHello(lines[0]!) !== undefined) return this.#helloAgain();
    // The answer to a hello we sent twice (the first answer was slow): we know already.
    if (lines.length === 1 && recogniseConnected(lines[0]!)) return;
    const kept = lines.filter((l) => {
      if (recognisePong(l) !== this.#keepaliveToken) return true;
      clearTimeout(this.#probe);
      this.#probe = undefined;
      return false;
    });
    if (kept.length > 0) this.push(`${kept.map((l) => l.raw).join('\n')}\n`);
    if (kept.some(endsSession)) this.#end();
  }

  /**
   * The server no longer knows us (it restarted, or we were silent too long), or this is a
   * late duplicate of the answer to our first datagram. A ping tells them apart: a second
   * hello line, or no answer at all, means the session is gone.
   */
  #helloAgain(): void {
    if (this.#probe !== undefined) return this.#end();
    this.#out.push(Buffer.from(`/ping ${this.#keepaliveToken}\n`));
    this.#flush();
    this.#probe = setTimeout(() => this.#end(), this.#retryMs * 3);
  }

  /** The session is over: the reader sees the end, as after a TCP FIN. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#keepalive);
    clearTimeout(this.#probe);
    this.push(null);
    // Nothing more to say to the server; whoever reads us closes us after the end.
    this.once('end', () => this.destroy());
  }

  #armKeepalive(): void {
    clearTimeout(this.#keepalive);
    if (this.#ended) return;
    this.#keepalive = setTimeout(() => {
      this.#out.push(Buffer.from(`/ping ${this.#keepaliveToken}\n`));
      this.#flush();
      this.#armKeepalive();
    }, this.#keepaliveMs);
    // The socket keeps the process alive; the keepalive alone must not.
    this.#keepalive.unref();
  }

  #flush(done?: () => void): void {
    this.#flushScheduled = false;
    const bytes = Buffer.concat(this.#out);
    this.#out = [];
    const payloads = this.destroyed ? [] : packLines(bytes);
    let left = payloads.length;
    if (left === 0) return done?.();
    const sent = (): void => {
      if (--left === 0) done?.();
    };
    for (const payload of payloads) {
      // Best effort: a datagram the kernel will not take is lost, as on the network.
      try {
        this.#socket.send(payload, sent);
      } catch {
        sent();
      }
    }
  }
}
