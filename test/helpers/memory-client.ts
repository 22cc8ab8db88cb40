import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import type { TestContext } from 'node:test';
import { DEFAULT_FAILURE_DELAY_MS, FileAccounts } from '../../src/accounts/accounts.js';
import { DEFAULT_THROTTLE, type ThrottleLimits } from '../../src/accounts/login-throttle.js';
import { createCore } from '../../src/app/core.js';
import type { Hub } from '../../src/hub/hub.js';
import { realTimers } from '../../src/protocol/timers.js';
import type { ChatCore } from '../../src/server/core.js';
import type { CoreOptions } from '../../src/server/options.js';
import type { Session } from '../../src/server/session.js';
import { LineClient, loggedInAs, register, sendFirst } from './line-client.js';
import { WAIT_MS } from './lines.js';

/**
 * One end of an in-memory connection (memoryPair): what is written to it is read from the
 * other end, in order, with the other end's reading pace pushing back on the writer as a
 * socket's would. end() is a half-close: the other end reads to its end and may still
 * write. destroy() is a close: the other end still reads what was written before it,
 * then its end, as over TCP.
 */
class MemoryEnd extends Duplex {
  #other: MemoryEnd | undefined;
  /** The callback of a write the other end has not made room for yet. */
  #waiting: (() => void) | undefined;
  /** Whether the other end has been told that nothing more comes. */
  #eofSent = false;

  static pair(): [MemoryEnd, MemoryEnd] {
    // Like a net.Socket (allowHalfOpen false): an end whose peer has finished ends too.
    // The other is the server's side, as a listener with allowHalfOpen gives it.
    const a = new MemoryEnd({ allowHalfOpen: false });
    const b = new MemoryEnd({ allowHalfOpen: true });
    a.#other = b;
    b.#other = a;
    return [a, b];
  }

  override _read(): void {
    // Room again: the other end's write that waited for it is done.
    const other = this.#other!;
    const done = other.#waiting;
    other.#waiting = undefined;
    done?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    const other = this.#other!;
    // Bytes to a peer that has closed go nowhere (its end has already been read).
    if (other.destroyed || this.#eofSent) return done();
    if (other.push(chunk)) done();
    else this.#waiting = () => done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.#sendEof();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.#sendEof();
    // A writer waiting for this end to read would wait forever.
    const other = this.#other!;
    const waiting = other.#waiting;
    other.#waiting = undefined;
    waiting?.();
    this.#waiting = undefined;
    done(err);
  }

  #sendEof(): void {
    if (this.#eofSent) return;
    this.#eofSent = true;
    const other = this.#other!;
    if (!other.destroyed) other.push(null);
  }
}

/**
 * Two connected in-memory streams, [client's end, server's end]: a socket's pair without a
 * socket, to hand the server's end to ChatCore.accept().
 */
export function memoryPair(): [Duplex, Duplex] {
  return MemoryEnd.pair();
}

/** What waitFor() waits for: the line itself, a pattern it matches, or a test of it. */
export type LineMatch = string | RegExp | ((line: string) => boolean);

const shown = (match: LineMatch): string =>
  typeof match === 'string' ? JSON.stringify(match) : match instanceof RegExp ? String(match) : `a line passing ${match.name || 'the test'}`;

const matcher = (match: LineMatch): ((line: string) => boolean) =>
  typeof match === 'string' ? (line) => line === match : match instanceof RegExp ? (line) => match.test(line) : match;

/** The ends of a core's connections not closed yet, both sides, for closeMemoryClients(). */
const open = new WeakMap<ChatCore, Set<Duplex>>();
/** Peer ports for clients that give none, as the kernel picks ephemeral ones. */
let nextPort = 40_000;

export interface MemoryConnectOptions {
  /** Names the client in failures; default "client". */
  label?: string;
  /** The address the core sees; default 127.0.0.1, as a test's TCP client has. */
  host?: string;
  /** Default: a new one for each client. */
  port?: number;
}

/**
 * A client of a ChatCore over an in-memory duplex pair, no socket: the WireClient of tests
 * where the network plays no part. The same API as WireClient (lines, send, write, next,
 * expectNothing, sync, closed; connect, registered, login, loggedIn) with the core in place
 * of t and the port, so a test switches with few edits; startCore() closes every client and
 * the core when the test ends.
 */
export class MemoryClient extends LineClient {
  /** The session the core made for this connection; undefined when the core refused it. */
  readonly session: Session | undefined;

  private constructor(
    /** The client's end of the pair. */
    readonly stream: Duplex,
    label: string,
    session: Session | undefined,
  ) {
    super(stream, label);
    this.session = session;
  }

  /** Connects to CORE; the connected notice and the greeting are the first lines. */
  static connect(core: ChatCore, options: MemoryConnectOptions | string = {}): MemoryClient {
    const { label = 'client', host = '127.0.0.1', port = nextPort++ } = typeof options === 'string' ? { label: options } : options;
    const [client, server] = memoryPair();
    let ends = open.get(core);
    if (ends === undefined) open.set(core, (ends = new Set()));
    for (const end of [client, server]) {
      ends.add(end);
      end.once('close', () => ends.delete(end));
    }
    const session = core.accept(server, { host, port, closeEnds: true });
    return new MemoryClient(client, label, session);
  }

  /** A client over any duplex stream (the other end of a memoryPair the test drives itself). */
  static over(stream: Duplex, label = 'client'): MemoryClient {
    return new MemoryClient(stream, label, undefined);
  }

  /** Connects, reads the connected notice and greeting, registers as NAME. */
  static async registered(core: ChatCore, name: string): Promise<MemoryClient> {
    return register(MemoryClient.connect(core, name), name);
  }

  /** Connects and sends LINE (a registration, say); resolves with the client and the first reply. */
  static async login(core: ChatCore, line: string): Promise<{ c: MemoryClient; reply: string | undefined }> {
    return sendFirst(MemoryClient.connect(core), line);
  }

  /** Connects and logs in as NAME with PASSWORD, on a core with accounts. */
  static async loggedIn(core: ChatCore, name: string, password: string): Promise<MemoryClient> {
    const c = loggedInAs(name, await MemoryClient.login(core, `#${name} ${password}`));
    // An operator is told so right after its name (docs/protocol.md, "Moderation").
    if (core.options.auth?.isOperator(name) === true) assert.equal(await c.next(), '* you are an operator: /help lists your commands');
    return c;
  }

  /**
   * Takes lines until one matches MATCH (the line itself, a pattern, or a test) and resolves
   * with it; rejects, with the last lines seen, if none has come within TIMEOUT ms or the
   * connection ends first. The timeout is a guard: a line that comes ends the wait at once.
   */
  async waitFor(match: LineMatch, timeoutMs = WAIT_MS): Promise<string> {
    const matches = matcher(match);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const left = Math.max(0, deadline - performance.now());
      let line: string | undefined;
      try {
        line = await this.lines.next(left);
      } catch {
        throw new Error(`${this.label}: no line matching ${shown(match)} within ${timeoutMs} ms; last lines:\n${this.#tail()}`);
      }
      if (line === undefined) throw new Error(`${this.label}: ended before a line matched ${shown(match)}; last lines:\n${this.#tail()}`);
      if (matches(line)) return line;
    }
  }

  /** Finishes sending (a half-close, as socket.end()): what was sent is still answered. */
  end(bytes?: Buffer | string): void {
    if (bytes === undefined) this.stream.end();
    else this.stream.end(bytes);
  }

  /** Closes the connection, as socket.destroy() does, and resolves once it is closed. */
  async close(): Promise<void> {
    this.stream.destroy();
    await this.closed;
  }

  #tail(): string {
    return this.lines.seen
      .slice(-10)
      .map((l) => (l.length > 200 ? `${l.slice(0, 200)}... (${l.length} characters)` : l))
      .join('\n');
  }
}

/** `const alice = await registered(core, 'alice')`: a client of CORE, registered as NAME. */
export function registered(core: ChatCore, name: string): Promise<MemoryClient> {
  return MemoryClient.registered(core, name);
}

/**
 * Closes every connection of CORE's memory clients still open, at both ends, and resolves
 * once they are closed. Both: a session paused when it closed (after /quit, say) would
 * notice its peer's close only at its grace timer, which does not keep a test alive.
 */
export async function closeMemoryClients(core: ChatCore): Promise<void> {
  const ends = [...(open.get(core) ?? [])];
  await Promise.all(
    ends.map(async (end) => {
      if (end.closed) return;
      const closed = new Promise((resolve) => end.once('close', resolve));
      end.destroy();
      await closed;
    }),
  );
}

export interface MemoryCoreOptions extends Partial<CoreOptions> {
  /** Routes between users; default: a MemoryHub. */
  hub?: Hub;
  /** A users file (name:hash lines): only its users may register, as ChatServer's `users`. */
  users?: string;
  /** Every failed login is answered after this long; default 1 s (as ChatServer's). */
  authFailureDelayMs?: number;
  throttle?: Partial<ThrottleLimits>;
}

/**
 * A core for memory clients: createCore() with these options (a users file read as
 * ChatServer reads it), closed when the test ends, after every client of it. The
 * startServer() of tests without a socket.
 */
export function startCore(t: TestContext, options: MemoryCoreOptions = {}): { core: ChatCore; accounts: FileAccounts | undefined } {
  const { hub, users, authFailureDelayMs, throttle, ...rest } = options;
  const timers = rest.timers ?? realTimers;
  const accounts =
    users === undefined
      ? undefined
      : new FileAccounts(users, { timers, failureDelayMs: authFailureDelayMs ?? DEFAULT_FAILURE_DELAY_MS, throttle: { ...DEFAULT_THROTTLE, ...throttle } });
  const core = createCore(accounts ? { ...rest, auth: accounts } : rest, hub);
  t.after(async () => {
    await closeMemoryClients(core);
    await core.close();
    accounts?.close();
  });
  return { core, accounts };
}
