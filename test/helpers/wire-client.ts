import assert from 'node:assert/strict';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { LineQueue } from './lines.js';

let tokens = 0;

/** A raw TCP client, as nc would be: writes bytes, reads lines. No protocol knowledge beyond that. */
export class WireClient {
  readonly lines: LineQueue;
  readonly closed: Promise<void>;

  private constructor(
    readonly socket: net.Socket,
    label: string,
  ) {
    this.lines = new LineQueue(socket, label);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
  }

  /** Connects and takes the connected notice and the greeting. */
  static async connect(t: TestContext, port: number, label = 'client'): Promise<WireClient> {
    // No Nagle: a line written while the one before is unacknowledged goes at once, not after
    // the server's delayed ACK (40 ms a round trip on Linux), as nc's lines typed apart do.
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new WireClient(socket, label);
    t.after(() => client.socket.destroy());
    return client;
  }

  /** Connects, reads the connected notice and greeting, registers as NAME. */
  static async registered(t: TestContext, port: number, name: string): Promise<WireClient> {
    const client = await WireClient.connect(t, port, name);
    await client.lines.until(/^\* welcome/);
    client.send(`#${name}`);
    assert.equal(await client.next(), `* registered as ${name}`);
    return client;
  }

  /** Connects and sends LINE (a registration, say); resolves with the client and the first reply. */
  static async login(t: TestContext, port: number, line: string): Promise<{ c: WireClient; reply: string | undefined }> {
    const c = await WireClient.connect(t, port);
    await c.lines.until(/^\* welcome/);
    c.send(line);
    return { c, reply: await c.next() };
  }

  /** Connects and logs in as NAME with PASSWORD, on a server with accounts. */
  static async loggedIn(t: TestContext, port: number, name: string, password: string): Promise<WireClient> {
    const { c, reply } = await WireClient.login(t, port, `#${name} ${password}`);
    assert.equal(reply, `* registered as ${name}`);
    return c;
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  async next(): Promise<string | undefined> {
    return this.lines.next();
  }

  /**
   * Asserts that nothing else is waiting for this client: replies come in request order, so
   * if the next line after a /ping is its pong, nothing was routed here before it.
   */
  async expectNothing(): Promise<void> {
    const token = `sync${++tokens}`;
    this.send(`/ping ${token}`);
    assert.equal(await this.next(), `* pong ${token}`);
  }

  /** Waits until the server has handled everything sent so far, skipping what arrives meanwhile. */
  async sync(): Promise<void> {
    const token = `sync${++tokens}`;
    this.send(`/ping ${token}`);
    await this.lines.until(new RegExp(`^\\* pong ${token}$`));
  }
}
