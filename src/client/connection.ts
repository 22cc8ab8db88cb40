import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { LineDecoder } from '../dialects/line/decoder.js';
import { parseServerLine, type ServerLine } from '../dialects/line/server-line.js';
import { recogniseLoginError, recognisePong, recogniseRegistered, recogniseYouAreNow, type LoginError } from '../dialects/line/recognise.js';
import { isValidName } from '../protocol/names.js';
import { formatHostPort, invalidName } from '../dialects/line/wording.js';
import { registrationLine } from './device.js';
import { UdpNoAnswer, UdpSocket, type UdpClientOptions } from './udp-socket.js';

const INVALID_NAME = invalidName().slice(2);

export interface ConnectOptions {
  host: string;
  port: number;
  /** Connect with TLS, verifying the server against the system roots or CA. */
  tls?: { ca?: Buffer | undefined; insecure?: boolean | undefined } | undefined;
  /** Speak UDP to the server's --udp-port instead (docs/udp.md); not with tls. */
  udp?: UdpClientOptions | undefined;
}

/** Server lines can be long (/who with thousands of users); beyond this one is skipped. */
const MAX_SERVER_LINE = 1024 * 1024;

/** Why a connection could not be made, in words a person can act on. */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

/**
 * A refused registration (a name taken or invalid, a password wrong or missing, too many
 * devices of the account logged in) is the user's to fix; any other answer (`! server
 * full`) or a closed connection is not. ERROR is the kind of a login error
 * (docs/protocol.md), a refusal or the register timeout.
 */
export type RegisterResult =
  | { ok: true; name: string }
  /** LINE: the server's answer, when it gave one. */
  | { ok: false; refused: boolean; reason: string; error?: LoginError | undefined; line?: ServerLine | undefined };

interface ConnectionEvents {
  /** Every line the server sends, decoded, with control characters removed. */
  line: [ServerLine];
  /** The connection is gone, whoever closed it. */
  close: [];
}

/** A client connection: sends lines, emits every server line as a typed event. */
export class ChatConnection extends EventEmitter<ConnectionEvents> {
  #closed = false;
  #heard = false;
  /** Lines kept back by register({ hold }) until release(). */
  #held: ServerLine[] | undefined;
  /**
   * While a login with a device waits for its answer: logs in again without it. A server
   * from before devices reads `#NAME@DEVICE` as an invalid name; its refusal is no news.
   */
  #withoutDevice: (() => void) | undefined;
  #device: string | undefined;

  /** A TCP or TLS socket, or a UdpSocket. */
  private constructor(private readonly socket: Duplex) {
    super();
    if (socket instanceof net.Socket) socket.setNoDelay(true);
    const decoder = new LineDecoder(MAX_SERVER_LINE, {
      line: (text) => {
        this.#heard = true;
        const line = parseServerLine(text);
        if (this.#withoutDevice && recogniseLoginError(line) === 'invalid-name') return this.#withoutDevice();
        if (this.#held) this.#held.push(line);
        else this.emit('line', line);
      },
      overflow: () => this.emit('line', parseServerLine(`! (a line from the server was over ${MAX_SERVER_LINE} bytes and was skipped)`)),
    });
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('end', () => decoder.flush());
    // Errors after connecting end the connection; 'close' follows and says so.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#closed = true;
      this.emit('close');
    });
  }

  static connect({ host, port, tls: secure, udp }: ConnectOptions): Promise<ChatConnection> {
    if (udp) {
      return UdpSocket.connect(host, port, udp).then(
        (socket) => new ChatConnection(socket),
        (err: NodeJS.ErrnoException) => {
          throw err instanceof UdpNoAnswer
            ? new ConnectError(
                `no answer from ${formatHostPort(host, port)} over UDP: is chat-server running there with --udp-port ${port}? A firewall may also drop UDP.`,
                err.code,
              )
            : connectError(err, host, port, false);
        },
      );
    }
    return new Promise((resolve, reject) => {
      const socket = secure
        ? tls.connect({
            host,
            port,
            // SNI takes host names only.
            ...(net.isIP(host) ? {} : { servername: host }),
            ...(secure.ca ? { ca: secure.ca } : {}),
            rejectUnauthorized: !secure.insecure,
          })
        : net.connect({ host, port });
      const onError = (err: NodeJS.ErrnoException): void => reject(connectError(err, host, port, !!secure));
      socket.once('error', onError);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        socket.off('error', onError);
        resolve(new ChatConnection(socket));
      });
    });
  }

  /** Why the connection ended, for a person: a silent close usually means a TLS port. */
  lostReason(): string {
    return this.#heard ? 'the server closed the connection.' : 'the server closed the connection without a word. If it serves TLS, add --tls.';
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The device this connection logged in as: the server sends it a catch-up at login. */
  get device(): string | undefined {
    return this.#device;
  }

  /** Sends one line; an LF inside it would make it several, so the caller splits first. */
  send(line: string): void {
    if (!this.#closed) this.socket.write(`${line}\n`);
  }

  /** Resolves with the first server line that `match` accepts; rejects if the connection ends first. */
  waitFor(match: (line: ServerLine) => boolean): Promise<ServerLine> {
    return new Promise((resolve, reject) => {
      const onLine = (line: ServerLine): void => {
        if (!match(line)) return;
        cleanup();
        resolve(line);
      };
      const onClose = (): void => {
        cleanup();
        reject(new Error('connection closed'));
      };
      const cleanup = (): void => {
        this.off('line', onLine);
        this.off('close', onClose);
      };
      if (this.#closed) return onClose();
      this.on('line', onLine);
      this.on('close', onClose);
    });
  }

  /**
   * Sends #NAME (with PASSWORD when given, and DEVICE with it: device.ts, registrationLine)
   * and resolves with the server's answer. With HOLD, the lines that come after a successful
   * answer are kept back until release(): the server sends messages kept for the account
   * (and a named device's catch-up) right after it (docs/protocol.md), in the same read,
   * before whoever awaits this could listen, and counts them delivered.
   */
  async register(name: string, password?: string, { hold = false, device }: { hold?: boolean; device?: string | undefined } = {}): Promise<RegisterResult> {
    // Checked here too: "#two words" would register "two" with the password "words".
    if (!isValidName(name)) return { ok: false, refused: true, reason: INVALID_NAME, error: 'invalid-name' };
    const registered = (l: ServerLine): string | undefined => recogniseRegistered(l) ?? recogniseYouAreNow(l);
    const answer = this.waitFor((l) => {
      const ok = registered(l) !== undefined;
      if (ok && hold) this.#held = [];
      if (ok || l.kind === 'error') this.#withoutDevice = undefined;
      return ok || l.kind === 'error';
    });
    // registrationLine sends no device without a password.
    let named = password === undefined ? undefined : device;
    if (named !== undefined) {
      this.#withoutDevice = () => {
        this.#withoutDevice = undefined;
        named = undefined;
        this.send(registrationLine(name, password, undefined));
      };
    }
    this.send(registrationLine(name, password, named));
    const line = await answer.catch(() => undefined);
    this.#withoutDevice = undefined;
    if (line === undefined) return { ok: false, refused: false, reason: this.lostReason() };
    if (line.kind === 'error') {
      const error = recogniseLoginError(line);
      return { ok: false, refused: error !== undefined && error !== 'register-timeout', reason: line.text, error, line };
    }
    this.#device = named;
    return { ok: true, name: registered(line)! };
  }

  /** Emits the lines kept back by register({ hold }), and every line from now on. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const line of held) this.emit('line', line);
  }

  /** Resolves once the server has handled everything sent before (docs/protocol.md /ping). */
  async ping(token: string): Promise<void> {
    const pong = this.waitFor((l) => recognisePong(l) === token);
    this.send(`/ping ${token}`);
    await pong;
  }

  /** Ends the connection and resolves once it is closed. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.once('close', resolve);
      this.socket.end();
      // A server that never closes its side must not keep us waiting.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

function connectError(err: NodeJS.ErrnoException, host: string, port: number, secure: boolean): ConnectError {
  const where = formatHostPort(host, port);
  const code = err.code ?? '';
  if (UNTRUSTED.has(code)) {
    return new ConnectError(
      `refused ${where}: its certificate is not signed by a CA this client trusts (${code}). Pass the CA that signed it with --ca FILE.`,
      code,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = certNames((err as { cert?: tls.PeerCertificate }).cert);
    const hint =
      names.length > 0
        ? `it names ${names.join(', ')}. Use one of them with --host (--host ${names[0]}).`
        : 'it names no host. Ask whoever runs the server for a certificate with your host name in it.';
    return new ConnectError(`refused ${where}: its certificate is not for "${host}": ${hint}`, code);
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new ConnectError(`refused ${where}: its certificate is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'}.`, code);
  }
  if (secure && (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ECONNRESET' || /before secure TLS connection/.test(err.message))) {
    return new ConnectError(
      `the TLS handshake with ${where} failed: the server closed the connection. It may not serve TLS on this port (drop --tls, or check --port), or it may have too many connections.`,
      code,
    );
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ConnectError(`could not connect to ${where}: nothing is listening there. Is chat-server running? Check --host and --port.`, err.code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectError(`could not connect: the host name "${host}" could not be resolved. Check --host.`, err.code);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectError(`could not connect to ${where}: the host cannot be reached (${err.code}).`, err.code);
    default:
      return new ConnectError(`could not connect to ${where}: ${err.message}`, err.code);
  }
}

/**
 * The host names and addresses a certificate is for: its subjectAltName entries (what TLS
 * checks), else its CN. Node's own reason lists only the kind asked for (an IP host: IP
 * entries), which is empty for the usual certificate that names hosts only.
 */
export function certNames(cert: tls.PeerCertificate | undefined): string[] {
  const alt = cert?.subjectaltname;
  if (alt) {
    return alt
      .split(/,\s*/)
      .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1])
      .filter((name): name is string => !!name);
  }
  const cn = cert?.subject?.CN;
  return typeof cn === 'string' && cn ? [cn] : [];
}
