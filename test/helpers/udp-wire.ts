import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { TestContext } from 'node:test';
import { WAIT_MS } from './lines.js';

let tokens = 0;

/** A raw UDP socket as `nc -u` would be: sends datagrams, keeps every datagram it gets. */
export class UdpWire {
  /** Every datagram received, in order. */
  readonly datagrams: Buffer[] = [];
  #taken = 0;
  #lines: string[] = [];
  #waiter: (() => void) | undefined;

  private constructor(
    readonly socket: dgram.Socket,
    readonly port: number,
    private readonly label: string,
  ) {
    socket.on('message', (payload) => {
      this.datagrams.push(payload);
      this.#waiter?.();
    });
  }

  /** A socket on 127.0.0.1 that talks to the server's UDP PORT; closed when the test ends. */
  static async open(t: TestContext, port: number, label = 'udp'): Promise<UdpWire> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const wire = new UdpWire(socket, port, label);
    t.after(() => socket.close());
    return wire;
  }

  /** Opens, gets a token, says hello, and takes the connected notice and greeting. */
  static async verified(t: TestContext, port: number, label = 'udp'): Promise<UdpWire> {
    const wire = await UdpWire.open(t, port, label);
    const token = await wire.token();
    await wire.send(`/hello ${token}`);
    assert.match((await wire.next()) ?? '', /^\* connected from 127\.0\.0\.1:\d+$/);
    assert.match((await wire.next()) ?? '', /^\* welcome/);
    return wire;
  }

  /** Verified and registered as NAME. */
  static async registered(t: TestContext, port: number, name: string): Promise<UdpWire> {
    const wire = await UdpWire.verified(t, port, name);
    await wire.send(`#${name}`);
    assert.equal(await wire.next(), `* registered as ${name}`);
    return wire;
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** Sends one datagram; resolves once the kernel has taken it (on loopback: delivered or dropped). */
  send(payload: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(payload, this.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  /** Sends a datagram and returns the token of the hello line it is answered with. */
  async token(payload = 'hi'): Promise<string> {
    await this.send(payload);
    const line = (await this.next()) ?? '';
    const token = /^\* send \/hello (\S+) to start$/.exec(line)?.[1];
    assert.ok(token, `a hello line, not ${JSON.stringify(line)}`);
    return token;
  }

  /** The next datagram not taken yet, whole. */
  async datagram(): Promise<Buffer> {
    const deadline = Date.now() + WAIT_MS;
    while (this.#taken >= this.datagrams.length) {
      if (Date.now() > deadline) throw new Error(`${this.label}: no datagram within ${WAIT_MS} ms; last:\n${this.#tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, WAIT_MS);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
    return this.datagrams[this.#taken++]!;
  }

  /** The next line, across datagrams (each datagram holds whole lines). */
  async next(): Promise<string> {
    while (this.#lines.length === 0) {
      const text = (await this.datagram()).toString('utf8');
      this.#lines.push(...text.replace(/\n$/, '').split('\n'));
    }
    return this.#lines.shift()!;
  }

  async until(pattern: RegExp): Promise<string> {
    for (;;) {
      const line = await this.next();
      if (pattern.test(line)) return line;
    }
  }

  /** Asserts that nothing waits for us: the next line after a /ping is its pong. */
  async expectNothing(): Promise<void> {
    const token = `sync${++tokens}`;
    await this.send(`/ping ${token}`);
    assert.equal(await this.next(), `* pong ${token}`);
  }

  /** Waits until the server has handled everything sent so far, skipping what comes meanwhile. */
  async sync(): Promise<void> {
    const token = `sync${++tokens}`;
    await this.send(`/ping ${token}`);
    await this.until(new RegExp(`^\\* pong ${token}$`));
  }

  #tail(): string {
    return this.datagrams
      .slice(-5)
      .map((d) => JSON.stringify(d.length > 200 ? `${d.subarray(0, 200).toString()}...` : d.toString()))
      .join('\n');
  }
}
