import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import { addressKey } from '../protocol/address-key.js';
import { formatHostPort } from '../protocol/host-port.js';
import type { ChatCore } from '../server/core.js';
import type { Dialect } from '../server/dialect.js';
import { displayHost, LISTEN_OPTIONS, tuneAccepted, type TransportPeer } from './tcp.js';
import { loadContext, type TlsFiles } from './tls.js';
import { chooseSubprotocol, switchingProtocols } from './web-handshake.js';
import { loadPage, PAGE_DIR, PAGE_HEADERS } from './web-page.js';
import { WebSocketStream } from './web-socket-stream.js';

/**
 * The largest message a client may send: an IRC line with all its tags (8191 + 512 bytes, as
 * the IRC dialect allows; longer ones it answers with 417), and a little more. A bigger one
 * closes the WebSocket with 1009 as soon as its frame's header says so (FrameReader).
 */
export const WEB_MAX_MESSAGE = 10 * 1024;

/**
 * A connection must have become a WebSocket by then: an HTTP request that never ends (or a
 * TLS handshake), as a flood of them would be, holds its socket no longer. The page's own
 * requests take milliseconds.
 */
export const WEB_HANDSHAKE_MS = 10_000;

export interface WebOptions {
  /** HTTPS and WSS with these (--tls-cert, --tls-key). */
  tls?: TlsFiles | undefined;
  /**
   * Other origins whose pages may open a WebSocket here (--web-origin), as `https://host[:port]`.
   * Their hosts are names of this server too: requests for them are answered (#hostKnown).
   */
  origins?: readonly string[] | undefined;
  /**
   * Peers whose `X-Forwarded-For`, `X-Forwarded-Host` and `X-Forwarded-Proto` are believed
   * (--trusted-proxy): a reverse proxy's addresses. Their sockets not WebSockets yet count
   * in --max-clients, not in --max-per-ip.
   */
  trustedProxies?: readonly string[] | undefined;
  /** The page's files (default: dist/web). */
  page?: Map<string, { type: string; body: Buffer }>;
}

/**
 * docs/web.md: the web page over HTTP(S), and IRC over WebSocket on any path. Every
 * WebSocket is a connection of the core like a TCP one (flood control, limits, bans, the
 * cluster). The listener is a plain TCP server whose sockets it hands to an HTTP server,
 * so that sockets that have not become WebSockets yet count against the limits as a TLS
 * handshake does (TlsListener): a flood of unfinished requests holds nothing past them.
 */
export class WebListener {
  readonly server: net.Server;
  readonly #http: http.Server;
  #context: tls.SecureContext | undefined;
  readonly #page: Map<string, { type: string; body: Buffer }>;
  readonly #origins: Set<string>;
  /** The names this server answers to besides IP literals and localhost (#hostKnown). */
  readonly #names: Set<string>;
  readonly #proxies: Set<string>;
  /** Sockets not a WebSocket yet, in all and per address (a trusted proxy's: in all only, KEY undefined). */
  readonly #pending = new Map<net.Socket, { key: string | undefined; timer: NodeJS.Timeout }>();
  readonly #pendingFrom = new Map<string, number>();
  /** The TCP socket under each TLS one: its address, and what counts as pending. */
  readonly #raw = new WeakMap<net.Socket, net.Socket>();

  constructor(
    private readonly core: ChatCore,
    dialect: Dialect,
    private readonly options: WebOptions = {},
  ) {
    this.#context = options.tls === undefined ? undefined : loadContext(options.tls);
    this.#page = options.page ?? loadPage(PAGE_DIR);
    this.#origins = new Set((options.origins ?? []).map((o) => o.toLowerCase().replace(/\/$/, '')));
    this.#names = new Set([parseHost(os.hostname()) ?? os.hostname(), ...(options.origins ?? []).map(originHost)].map(bareName));
    this.#names.delete('');
    // The very address: addressKey's /64 of an IPv6 one would trust a proxy's neighbours.
    this.#proxies = new Set((options.trustedProxies ?? []).map(exactAddress));
    this.#http = http.createServer({ requestTimeout: WEB_HANDSHAKE_MS, headersTimeout: WEB_HANDSHAKE_MS }, (req, res) => this.#serve(req, res));
    this.#http.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.#upgrade(req, socket, head, dialect));
    this.#http.on('clientError', (_err, socket) => socket.destroy());
    this.server = net.createServer(LISTEN_OPTIONS, (raw) => this.#connection(raw));
  }

  #connection(raw: net.Socket): void {
    tuneAccepted(this.server, raw);
    const host = displayHost(raw.remoteAddress);
    const { maxClients, maxPerIp } = this.core.options;
    // A trusted proxy's socket stands for clients not known until its request is read (and
    // for the proxy's idle upstream connections): counted against the proxy's address, a few
    // slow clients would refuse everyone behind it. It counts in all, and has its deadline;
    // once a WebSocket, it counts against its client's address (the core's --max-per-ip).
    const key = this.#isProxy(raw) ? undefined : addressKey(host);
    const from = key === undefined ? 0 : (this.#pendingFrom.get(key) ?? 0);
    if (this.core.connections + this.#pending.size >= maxClients || (key !== undefined && maxPerIp > 0 && this.core.connectionsFrom(host) + from >= maxPerIp)) {
      this.core.options.onEvent({ type: 'reject', peer: formatHostPort(host, raw.remotePort ?? 0), name: undefined, code: 'too-many-connections' });
      raw.destroy();
      return;
    }
    const timer = setTimeout(() => raw.destroy(), WEB_HANDSHAKE_MS);
    timer.unref();
    this.#pending.set(raw, { key, timer });
    if (key !== undefined) this.#pendingFrom.set(key, from + 1);
    raw.once('close', () => this.#settle(raw));
    raw.on('error', () => raw.destroy());
    // Half-open: a peer that has sent its request and its FIN still gets the page.
    const socket = this.#context === undefined ? raw : new tls.TLSSocket(raw, { isServer: true, secureContext: this.#context });
    if (socket !== raw) {
      this.#raw.set(socket, raw);
      socket.on('error', () => raw.destroy());
    }
    this.#http.emit('connection', socket);
  }

  /** RAW is a WebSocket now, or closed: it no longer counts as pending. */
  #settle(raw: net.Socket): void {
    const pending = this.#pending.get(raw);
    if (pending === undefined) return;
    this.#pending.delete(raw);
    clearTimeout(pending.timer);
    if (pending.key === undefined) return;
    const left = (this.#pendingFrom.get(pending.key) ?? 1) - 1;
    if (left > 0) this.#pendingFrom.set(pending.key, left);
    else this.#pendingFrom.delete(pending.key);
  }

  #serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const raw = this.#raw.get(req.socket) ?? req.socket;
    const asked = this.#requestHost(req, raw);
    if (!this.#hostKnown(asked)) {
      // 421, not 403: nothing is forbidden to this client, the request came to the wrong
      // server for that name (RFC 9110, 15.5.20), as a DNS-rebound page's does.
      res.writeHead(421, { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.once('finish', () => this.#settle(raw));
      res.end(`${misdirected(asked ?? '', this.#scheme(req, raw))}\n`);
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const file = this.#page.get(path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...PAGE_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Only GET and HEAD: this server serves a chat page and WebSocket connections.\n');
      return;
    }
    if (file === undefined) {
      res.writeHead(404, { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end(this.#page.size === 0 ? 'The web page is not built: run npm run build.\n' : 'Not found: the chat is at /\n');
      return;
    }
    // One file a connection: a connection kept alive after it would count as one not a
    // WebSocket yet, and hold a --max-per-ip slot the page's own WebSocket needs. It is
    // closed once answered, and no longer counted from then.
    res.writeHead(200, { ...PAGE_HEADERS, 'content-type': file.type, 'content-length': file.body.length, connection: 'close' });
    res.once('finish', () => this.#settle(raw));
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  /**
   * docs/web.md, "Security": DNS rebinding. A page on a name of an attacker's that then
   * resolves to this server's address is, for the browser, that name's page: its Origin and
   * its Host name the attacker's name alike, and the Origin check alone takes it for this
   * page. The server answers only for names it knows: any IP literal (no name to rebind),
   * localhost and *.localhost (which browsers resolve to this machine themselves), this
   * machine's host name, and the host of each --web-origin. The port is not compared: a
   * rebound page is on this very port already (the browser connects where its URL says),
   * and behind a proxy the public port is the proxy's. No Host at all is no browser (a
   * browser always sends it): answered, as a WebSocket without Origin is.
   */
  #hostKnown(asked: string | undefined): boolean {
    if (asked === undefined || asked === '') return true;
    const name = parseHost(asked);
    if (name === undefined) return false;
    if (name.startsWith('[') || net.isIPv4(name)) return true;
    const bare = bareName(name);
    return bare === 'localhost' || bare.endsWith('.localhost') || this.#names.has(bare);
  }

  /** The peer of RAW is a --trusted-proxy: the very address. */
  #isProxy(raw: net.Socket): boolean {
    return this.#proxies.size > 0 && this.#proxies.has(exactAddress(displayHost(raw.remoteAddress)));
  }

  /**
   * HEADER as a trusted proxy says it: its last value, the one the proxy next to us added
   * (a proxy that appends keeps what the client sent before it). Undefined from any other
   * peer: anyone can write these headers.
   */
  #forwarded(req: http.IncomingMessage, raw: net.Socket, header: 'x-forwarded-for' | 'x-forwarded-host' | 'x-forwarded-proto'): string | undefined {
    const value = req.headers[header];
    if (value === undefined || !this.#isProxy(raw)) return undefined;
    const last = (Array.isArray(value) ? value.join(',') : value).split(',').at(-1)?.trim() ?? '';
    return last === '' ? undefined : last;
  }

  /**
   * The name the browser asked for: the Host header, or behind a trusted proxy its
   * X-Forwarded-Host when it sends one (Apache's mod_proxy passes its own upstream name as
   * Host and the client's in X-Forwarded-Host; Caddy and Traefik pass both; nginx and
   * HAProxy pass Host, which nginx must be told to keep: `proxy_set_header Host $host`).
   */
  #requestHost(req: http.IncomingMessage, raw: net.Socket): string | undefined {
    return this.#forwarded(req, raw, 'x-forwarded-host') ?? req.headers.host;
  }

  /**
   * The scheme the browser used: this port's own, or behind a trusted proxy the one its
   * X-Forwarded-Proto says (a proxy that ends TLS in front of a plain port: `https`).
   */
  #scheme(req: http.IncomingMessage, raw: net.Socket): 'http:' | 'https:' {
    const proto = this.#forwarded(req, raw, 'x-forwarded-proto')?.toLowerCase();
    if (proto === 'http' || proto === 'https') return `${proto}:`;
    return this.#context === undefined ? 'http:' : 'https:';
  }

  /**
   * docs/web.md, "Security": a browser sends the Origin of the page that opens a WebSocket.
   * One from another site is refused, so no page elsewhere can use a visitor's browser (its
   * address, its network) to chat here; none at all is no browser (a bot, irctest): served.
   */
  #originAllowed(req: http.IncomingMessage, raw: net.Socket): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    const lower = origin.toLowerCase();
    if (this.#origins.has(lower)) return true;
    const asked = this.#requestHost(req, raw);
    if (asked === undefined || parseHost(asked) === undefined) return false;
    try {
      // The page's own origin: the scheme and host:port the browser used, behind a proxy
      // the proxy's (the port is compared here, the default one written or not).
      return new URL(lower).origin === new URL(`${this.#scheme(req, raw)}//${asked}`).origin;
    } catch {
      return false;
    }
  }

  /** The client's address: the TCP peer's, or the last of X-Forwarded-For when the peer is a trusted proxy. */
  #clientHost(req: http.IncomingMessage, raw: net.Socket): string {
    const peer = displayHost(raw.remoteAddress);
    const last = this.#forwarded(req, raw, 'x-forwarded-for') ?? '';
    return net.isIP(last) === 0 ? peer : displayHost(last);
  }

  #upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer, dialect: Dialect): void {
    const raw = this.#raw.get(socket) ?? socket;
    const host = this.#clientHost(req, raw);
    const asked = this.#requestHost(req, raw);
    if (!this.#hostKnown(asked)) {
      this.core.options.onEvent({ type: 'reject', peer: formatHostPort(host, raw.remotePort ?? 0), name: undefined, code: 'web-host', detail: asked ?? '' });
      refuse(socket, '421 Misdirected Request', misdirected(asked ?? '', this.#scheme(req, raw)));
      return;
    }
    if (!this.#originAllowed(req, raw)) {
      this.core.options.onEvent({
        type: 'reject',
        peer: formatHostPort(host, raw.remotePort ?? 0),
        name: undefined,
        code: 'web-origin',
        detail: req.headers.origin ?? '',
      });
      refuse(socket, '403 Forbidden', 'This chat takes WebSocket connections from its own page only.');
      return;
    }
    const key = req.headers['sec-websocket-key'];
    if (
      req.method !== 'GET' ||
      req.headers.upgrade?.toLowerCase() !== 'websocket' ||
      req.headers['sec-websocket-version'] !== '13' ||
      key === undefined ||
      !/^[+/0-9A-Za-z]{22}==$/.test(key)
    ) {
      refuse(
        socket,
        '400 Bad Request',
        'A WebSocket upgrade is a GET with Upgrade: websocket, Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key.',
        'sec-websocket-version: 13\r\n',
      );
      return;
    }
    if (!socket.writable) return;
    const protocol = chooseSubprotocol(req.headers['sec-websocket-protocol']);
    socket.write(switchingProtocols(key, protocol));
    this.#settle(raw);
    const peer: TransportPeer = { host, port: raw.remotePort ?? 0, transport: 'web', dialect };
    this.core.accept(new WebSocketStream(socket, head, protocol === 'binary.ircv3.net', WEB_MAX_MESSAGE), peer);
  }

  /** Drops the sockets that are not WebSockets yet (at shutdown: they would hold close() up). */
  dropPending(): void {
    for (const raw of this.#pending.keys()) raw.destroy();
  }

  /** Re-reads the certificate and key (SIGHUP): new connections use them. */
  reload(): void {
    if (this.options.tls !== undefined) this.#context = loadContext(this.options.tls);
  }
}

/** An HTTP answer to an upgrade that is not taken, with the page's headers, and the connection closed. */
function refuse(socket: net.Socket, status: string, text: string, extra = ''): void {
  const headers = Object.entries(PAGE_HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status}\r\n${headers}${extra}content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * The refusal of a name this server does not know (#hostKnown): what to do if it is this
 * server's. ASKED is a header's value, shown in a text/plain answer under PAGE_HEADERS.
 */
function misdirected(asked: string, scheme: string): string {
  return `This server does not answer to the name ${asked}: start chat-server with --web-origin ${scheme}//${asked} if that is its name.`;
}

/**
 * The host name in HOST (a Host header: `name[:port]`, `[v6][:port]`), as a URL has it (lower
 * case, IPv4 in its dotted form, IPv6 in brackets), or undefined when it is no host name.
 */
function parseHost(host: string): string | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s/\\?#@[\]:]+)(?::\d{0,5})?$/.exec(host);
  if (m === null) return undefined;
  try {
    return new URL(`http://${m[1]}/`).hostname;
  } catch {
    return undefined;
  }
}

/** The host name of ORIGIN (`https://host[:port]`), or '' when it has none. */
function originHost(origin: string): string {
  try {
    return new URL(origin).hostname;
  } catch {
    return '';
  }
}

/** NAME without the final dot of a fully-qualified one, in lower case. */
function bareName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** ADDRESS as one form of it: IPv4-mapped IPv6 as IPv4, IPv6 compressed and lower case. */
function exactAddress(address: string): string {
  const shown = displayHost(address);
  if (net.isIP(shown) !== 6) return shown;
  try {
    return new URL(`http://[${shown}]/`).hostname.slice(1, -1);
  } catch {
    return shown.toLowerCase();
  }
}
