import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { LineQueue } from './lines.js';

let tokens = 0;

/**
 * What WireClient (TCP) and MemoryClient (an in-memory pair) share: a stream that is written
 * bytes and read as lines, nothing of the protocol beyond /ping for syncing.
 */
export class LineClient {
  /** The lines received, in order: `lines.seen` has all of them, `lines.next()` and `lines.until()` take them. */
  readonly lines: LineQueue;
  /** Resolves once the client's end has closed. */
  readonly closed: Promise<void>;

  protected constructor(
    private readonly out: Duplex,
    readonly label: string,
  ) {
    this.lines = new LineQueue(out, label);
    this.closed = new Promise((resolve) => out.once('close', () => resolve()));
    out.on('error', () => {});
  }

  send(line: string): void {
    this.out.write(`${line}\n`);
  }

  write(bytes: Buffer | string): void {
    this.out.write(bytes);
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

/** Reads the connected notice and greeting, then registers C as NAME. */
export async function register<C extends LineClient>(c: C, name: string): Promise<C> {
  await c.lines.until(/^\* welcome/);
  c.send(`#${name}`);
  assert.equal(await c.next(), `* registered as ${name}`);
  return c;
}

/** Reads the greeting, sends LINE (a registration, say) and resolves with the first reply. */
export async function sendFirst<C extends LineClient>(c: C, line: string): Promise<{ c: C; reply: string | undefined }> {
  await c.lines.until(/^\* welcome/);
  c.send(line);
  return { c, reply: await c.next() };
}

/** The reply to a login as NAME must be its registration. */
export function loggedInAs<C extends LineClient>(name: string, { c, reply }: { c: C; reply: string | undefined }): C {
  assert.equal(reply, `* registered as ${name}`);
  return c;
}
