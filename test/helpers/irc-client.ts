import assert from 'node:assert/strict';
import net from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import type { TestContext } from 'node:test';
import type { ChatCore } from '../../src/server/core.js';
import type { Dialect } from '../../src/server/dialect.js';
import { ircDialectOf } from '../../src/app/irc.js';
import { FakeClock, T0 } from './fake-clock.js';
import { LineQueue } from './lines.js';
import { memoryPair, startCore } from './memory-client.js';
import { usersFile } from './users.js';

let tokens = 0;

/**
 * A raw IRC client for tests: writes lines with CRLF, reads lines without it (a CR left
 * inside a line stays, to be seen), knows nothing of IRC beyond PING for syncing and the end
 * of the welcome burst. Over TCP (connect) or an in-memory pair (memory).
 */
export class IrcClient {
  readonly lines: LineQueue;
  readonly closed: Promise<void>;

  private constructor(
    readonly stream: Duplex,
    readonly label: string,
  ) {
    const text = new PassThrough();
    stream.on('data', (chunk: Buffer) => text.write(chunk.toString('utf8').replaceAll('\r\n', '\n')));
    stream.on('end', () => text.end());
    stream.on('close', () => text.destroy());
    stream.on('error', () => {});
    this.lines = new LineQueue(text, label);
    this.closed = new Promise((resolve) => stream.once('close', () => resolve()));
  }

  static async connect(t: TestContext, port: number, label = 'irc'): Promise<IrcClient> {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    t.after(() => socket.destroy());
    return new IrcClient(socket, label);
  }

  /** A client of CORE speaking DIALECT over an in-memory pair. */
  static memory(t: TestContext, core: ChatCore, dialect: Dialect, label = 'irc', host = '127.0.0.1'): IrcClient {
    const [client, server] = memoryPair();
    core.accept(server, { host, port: 40000 + ++tokens, closeEnds: true, dialect });
    t.after(() => client.destroy());
    return new IrcClient(client, label);
  }

  send(line: string): void {
    this.stream.write(`${line}\r\n`);
  }

  write(bytes: Buffer | string): void {
    this.stream.write(bytes);
  }

  next(timeoutMs?: number): Promise<string | undefined> {
    return this.lines.next(timeoutMs);
  }

  /** Skips lines until one matches PATTERN, and resolves with it. */
  expect(pattern: RegExp): Promise<string> {
    return this.lines.until(pattern);
  }

  /** Registers as NICK (USER too), after CAP REQ of CAPS if any; resolves at the end of the welcome (422). */
  async register(nick: string, { caps = [], pass }: { caps?: string[]; pass?: string } = {}): Promise<this> {
    if (caps.length > 0) this.send(`CAP REQ :${caps.join(' ')}`);
    if (pass !== undefined) this.send(`PASS ${pass}`);
    this.send(`NICK ${nick}`);
    this.send(`USER ${nick} 0 * :${nick}`);
    if (caps.length > 0) {
      await this.expect(/ CAP \S+ ACK /);
      this.send('CAP END');
    }
    await this.expect(/^:\S+ 001 /);
    await this.expect(/^:\S+ 422 /);
    return this;
  }

  /**
   * Logs in with SASL PLAIN as AUTHCID (`NAME@DEVICE` names a device) and PASSWORD, the nick
   * NAME, after CAP REQ of sasl and CAPS; resolves at the end of the welcome (422).
   */
  async sasl(authcid: string, password: string, caps: readonly string[] = []): Promise<this> {
    const name = authcid.split('@')[0]!;
    this.send(`CAP REQ :${['sasl', ...caps].join(' ')}`);
    this.send(`NICK ${name}`);
    this.send(`USER ${name} 0 * :${name}`);
    await this.expect(/ CAP \S+ ACK /);
    this.send('AUTHENTICATE PLAIN');
    await this.expect(/^AUTHENTICATE \+$/);
    this.send(`AUTHENTICATE ${saslPlain(authcid, password)}`);
    await this.expect(/ 903 /);
    this.send('CAP END');
    await this.expect(/ 422 /);
    return this;
  }

  /** Waits until the server has handled everything sent so far, skipping what arrives meanwhile; resolves with what was skipped. */
  async sync(): Promise<string[]> {
    const token = `sync${++tokens}`;
    this.send(`PING ${token}`);
    const skipped: string[] = [];
    for (;;) {
      const line = await this.next();
      if (line === undefined) throw new Error(`${this.label}: closed before PONG ${token}`);
      if (new RegExp(`PONG \\S+ :${token}$`).test(line)) return skipped;
      skipped.push(line);
    }
  }

  /** Asserts that nothing else is waiting for this client. */
  async expectNothing(): Promise<void> {
    assert.deepEqual(await this.sync(), [], `${this.label} got something`);
  }
}

/** SASL PLAIN's message for AUTHCID and PASSWORD. */
export const saslPlain = (authcid: string, password: string): string => Buffer.from(`\0${authcid}\0${password}`).toString('base64');

/** Connects NICK over TCP and registers. */
export async function ircUser(t: TestContext, port: number, nick: string, options: { caps?: string[]; pass?: string } = {}): Promise<IrcClient> {
  return (await IrcClient.connect(t, port, nick)).register(nick, options);
}

/**
 * A core with the accounts alice (pw-a) and bob (pw-b), guests besides, no flood control, on
 * a fake clock at T0, and its IRC dialect: where the in-memory IRC tests of accounts start.
 */
export async function ircAccountsChat(t: TestContext): Promise<{ core: ChatCore; dialect: Dialect; clock: FakeClock }> {
  const users = await usersFile(t, { alice: 'pw-a', bob: 'pw-b' });
  const clock = new FakeClock();
  clock.advance(T0);
  const { core, accounts } = startCore(t, { rate: 0, authFailureDelayMs: 5, users, guests: true, timers: clock });
  return { core, dialect: ircDialectOf(core, accounts, 'irc.test'), clock };
}
