import { PassThrough } from 'node:stream';
import type { TestContext } from 'node:test';
import WebSocket from 'ws';
import { LineQueue } from './lines.js';

/**
 * A WebSocket client speaking IRC as the IRCv3 WebSocket transport says: one line a message.
 * The lines it gets are read as a TCP client's are (LineQueue), each binary message decoded
 * as UTF-8 and marked with BINARY so a test can tell which kind came.
 */
export class WebClient {
  readonly lines: LineQueue;
  readonly #feed = new PassThrough();
  /** The close code, once closed (1000 normal, 1007 invalid UTF-8, 1009 too big). */
  readonly closed: Promise<number>;
  /** Whether any message came as a binary one. */
  binary = false;

  private constructor(
    readonly ws: WebSocket,
    label: string,
  ) {
    this.lines = new LineQueue(this.#feed, label);
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.binary = true;
      this.#feed.write(`${(data as Buffer).toString()}\n`);
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.#feed.end();
        resolve(code);
      }),
    );
  }

  /**
   * Opens a WebSocket to URL offering PROTOCOLS (none: no subprotocol), with ORIGIN as a
   * browser would send it. Rejects with `HTTP STATUS` when the server answers the upgrade
   * with something else than 101.
   */
  static async connect(
    t: TestContext,
    url: string,
    options: { protocols?: string[]; origin?: string; headers?: Record<string, string>; label?: string; tls?: { ca: Buffer } } = {},
  ): Promise<WebClient> {
    const ws = new WebSocket(url, options.protocols ?? [], {
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...(options.tls === undefined ? {} : { ca: options.tls.ca }),
      headers: options.headers ?? {},
    });
    t.after(() => ws.terminate());
    // Listening before it opens: what the server says at once comes in the open's own read.
    const client = new WebClient(ws, options.label ?? 'web');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return client;
  }

  /** Connects and registers as NICK (NICK and USER, as an IRC client does); resolves after the welcome burst. */
  static async registered(t: TestContext, url: string, nick: string, protocols = ['text.ircv3.net']): Promise<WebClient> {
    const c = await WebClient.connect(t, url, { protocols, label: nick });
    c.send(`NICK ${nick}`);
    c.send(`USER ${nick} 0 * :${nick}`);
    await c.lines.until(/ 422 /);
    return c;
  }

  send(line: string | Buffer, binary = false): void {
    this.ws.send(line, { binary });
  }
}
