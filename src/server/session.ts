import type { Duplex } from 'node:stream';
import type { Member } from '../hub/hub.js';
import { parseCommand } from '../protocol/command.js';
import { LineFramer } from '../protocol/framer.js';
import { decodeText } from '../protocol/sanitize.js';
import * as w from '../protocol/wording.js';
import type { Action } from './actions.js';
import { dispatch, type Outcome } from './commands.js';
import type { ChatCore, Peer } from './core.js';
import { looksLikeTlsHello } from '../protocol/sniff.js';

/** How long a closed connection may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 1000;
/** Failed logins a connection may make before it is closed (README, "Accounts"). */
export const MAX_AUTH_FAILURES = 5;

export interface CloseOptions {
  /** Shown to the others: "* NAME left (shown)". */
  shown?: string;
  /** False at shutdown, where n users would otherwise get n "left" notices each. */
  announce?: boolean;
  /** Drop what is queued: a peer that stopped reading would never take it. */
  abort?: boolean;
}

const encode = (line: string): Buffer => Buffer.from(`${line}\n`, 'utf8');

/** One connection: bytes in through the framer, commands through the table, lines out. */
export class Session implements Member {
  name: string | undefined = undefined;
  /** HOST:PORT of the peer, for logs. */
  readonly peer: string;
  #closed = false;
  #corked = false;
  #authFailures = 0;
  /** Lines that came while a command was still being answered (a password check). */
  #waiting: Buffer[] = [];
  #busy = false;
  #first = true;
  readonly #framer: LineFramer;

  constructor(
    private readonly core: ChatCore,
    private readonly stream: Duplex,
    /** The peer's address, for the login throttle. */
    readonly address: Peer,
  ) {
    const { options } = core;
    const peer = w.formatHostPort(address.host, address.port);
    this.peer = peer;
    this.#framer = new LineFramer(
      options.maxLine,
      options.flushMs,
      {
        line: (bytes) => this.#onLine(bytes),
        overflow: () => {
          this.send(w.lineTooLong(options.maxLine));
          this.#event({ type: 'reject', peer, name: this.name, reason: 'line too long' });
        },
      },
      options.timers,
    );
    stream.on('data', (chunk: Buffer) => {
      if (this.#closed) return;
      if (this.#first) {
        this.#first = false;
        // A TLS client on a plain port: one log line, not a stream of garbage replies.
        if (looksLikeTlsHello(chunk)) return this.close('TLS handshake on a plain port', { abort: true });
      }
      this.#framer.push(chunk);
    });
    // The peer finished sending: a last line without LF still counts (printf 'hi' | nc -N).
    stream.on('end', () => {
      if (!this.#closed) this.#framer.end();
      this.close('connection closed');
    });
    // A socket error (ECONNRESET, EPIPE) only ends this session, never the process.
    stream.on('error', (err: NodeJS.ErrnoException) => this.close(err.code ?? err.message));
    stream.on('close', () => {
      this.close('connection closed');
      core.forget(this);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes waiting for an LF on this connection. */
  get pendingBytes(): number {
    return this.#framer.pendingBytes;
  }

  send(line: string): void {
    this.deliver(encode(line));
  }

  deliver(bytes: Buffer): void {
    if (this.#closed) return;
    // Cork until the end of this event-loop turn: many lines become one write syscall.
    if (!this.#corked) {
      this.#corked = true;
      this.stream.cork();
      this.core.uncorkLater(this);
    }
    this.stream.write(bytes);
    if (this.stream.writableLength > this.core.options.maxSendq) {
      // Not now: we may be inside another member's broadcast loop.
      process.nextTick(() => this.close('send queue exceeded', { shown: 'send queue exceeded', abort: true }));
    }
  }

  uncork(): void {
    if (this.#corked) {
      this.#corked = false;
      this.stream.uncork();
    }
  }

  /**
   * Ends the session once (later calls do nothing): gives the name back, tells the others,
   * flushes what is queued and closes. `reason` goes to the log.
   */
  close(reason: string, how: CloseOptions = {}): void {
    const { shown = '', announce = true, abort = false } = how;
    if (this.#closed) return;
    this.#closed = true;
    this.#framer.dispose();
    const { name } = this;
    if (name !== undefined) {
      this.core.hub.release(name, this);
      if (announce) this.#presence(w.left(name, shown));
    }
    this.#event({ type: 'leave', peer: this.peer, name, reason });
    this.#corked = false;
    if (abort) {
      this.stream.destroy();
      return;
    }
    this.stream.end();
    // A peer that never reads would hold the socket open forever.
    const timer = setTimeout(() => this.stream.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    this.stream.once('close', () => clearTimeout(timer));
  }

  #onLine(bytes: Buffer): void {
    if (this.#closed) return;
    // Replies keep the order of requests (PROTOCOL.md): wait for the one being answered.
    if (this.#busy) this.#waiting.push(Buffer.from(bytes));
    else this.#handle(bytes);
  }

  #handle(bytes: Buffer): void {
    const ctx = { self: this, hub: this.core.hub, auth: this.core.options.auth, address: this.address.host };
    const outcome: Outcome = dispatch(ctx, parseCommand(decodeText(bytes)));
    if (Array.isArray(outcome)) {
      for (const action of outcome) this.#apply(action);
      return;
    }
    this.#busy = true;
    this.stream.pause();
    outcome
      .then((actions) => {
        if (this.#closed) return;
        for (const action of actions) this.#apply(action);
      })
      .catch((err: Error) => {
        this.#event({ type: 'error', message: `handling a line from ${this.peer} failed: ${err.message}` });
        this.close('internal error');
      })
      .finally(() => {
        this.#busy = false;
        while (!this.#busy && !this.#closed && this.#waiting.length > 0) this.#handle(this.#waiting.shift()!);
        if (!this.#busy && !this.#closed) this.stream.resume();
      });
  }

  #apply(action: Action): void {
    switch (action.kind) {
      case 'reply':
        return this.send(action.line);
      case 'direct':
        return action.to.deliver(encode(action.line));
      case 'room':
        return this.core.hub.broadcast(encode(action.line), this);
      case 'presence':
        return this.#presence(action.line);
      case 'reject':
        return this.#event({ type: 'reject', peer: this.peer, name: this.name, reason: action.reason });
      case 'registered':
        this.name = action.name;
        return this.#event({ type: 'register', peer: this.peer, name: action.name });
      case 'renamed':
        this.name = action.to;
        return this.#event({ type: 'rename', peer: this.peer, from: action.from, to: action.to });
      case 'authFailed':
        if (++this.#authFailures < MAX_AUTH_FAILURES) return;
        this.send(w.tooManyFailures());
        return this.close('too many failed logins');
      case 'quit':
        return this.close(action.reason ? `quit: ${action.reason}` : 'quit', { shown: action.reason });
    }
  }

  #presence(line: string): void {
    if (this.core.hub.size <= this.core.options.announceMax) this.core.hub.broadcast(encode(line), this);
  }

  #event(event: Parameters<ChatCore['options']['onEvent']>[0]): void {
    this.core.options.onEvent(event);
  }
}
