import type { Duplex } from 'node:stream';
import type { Hub } from '../hub/hub.js';
import { MemoryHub } from '../hub/memory-hub.js';
import * as w from '../protocol/wording.js';
import { coreOptions, type CoreOptions } from './options.js';
import { Session } from './session.js';

export interface Peer {
  host: string;
  port: number;
}

/**
 * The chat itself: sessions, users and routing. It is handed duplex streams and opens no
 * sockets (STYLE.md, point 1), so the same core serves TCP, TLS or an in-memory pair.
 */
export class ChatCore {
  readonly options: CoreOptions;
  readonly hub: Hub;
  readonly #sessions = new Set<Session>();
  #toUncork: Session[] = [];
  #uncorkScheduled = false;
  #closing = false;
  #drained: (() => void) | undefined;

  constructor(options: Partial<CoreOptions> = {}, hub: Hub = new MemoryHub()) {
    this.options = coreOptions(options);
    this.hub = hub;
  }

  /** Takes a new connection. Beyond maxClients it is told and closed at once. */
  accept(stream: Duplex, peer: Peer): Session | undefined {
    const where = w.formatHostPort(peer.host, peer.port);
    if (this.#closing || this.#sessions.size >= this.options.maxClients) {
      const line = this.#closing ? w.shuttingDown() : w.serverFull();
      this.options.onEvent({ type: 'reject', peer: where, name: undefined, reason: this.#closing ? 'shutting down' : 'server full' });
      stream.on('error', () => {});
      stream.end(`${line}\n`);
      setTimeout(() => stream.destroy(), 1000).unref();
      return undefined;
    }
    const session = new Session(this, stream, peer);
    this.#sessions.add(session);
    this.options.onEvent({ type: 'connect', peer: where });
    session.send(w.connected(peer.host, peer.port));
    session.send(w.greeting());
    return session;
  }

  /** Called by a session whose stream has closed. */
  forget(session: Session): void {
    this.#sessions.delete(session);
    if (this.#sessions.size === 0) this.#drained?.();
  }

  /** Batches uncorks: one setImmediate per event-loop turn, however many sessions wrote. */
  uncorkLater(session: Session): void {
    this.#toUncork.push(session);
    if (this.#uncorkScheduled) return;
    this.#uncorkScheduled = true;
    setImmediate(() => {
      this.#uncorkScheduled = false;
      const sessions = this.#toUncork;
      this.#toUncork = [];
      for (const s of sessions) s.uncork();
    });
  }

  get connections(): number {
    return this.#sessions.size;
  }

  /** Bytes held for unfinished lines over all connections: bounded by maxLine + 1 each. */
  get pendingBytes(): number {
    let total = 0;
    for (const s of this.#sessions) total += s.pendingBytes;
    return total;
  }

  /** Disconnects, with a notice, the users whose accounts are gone (after a users-file reload). */
  dropRemovedAccounts(): void {
    const auth = this.options.auth;
    if (auth === undefined) return;
    const notice = Buffer.from(`${w.accountRemoved()}\n`);
    for (const s of this.#sessions) {
      if (s.name !== undefined && !auth.has(s.name)) {
        s.deliver(notice);
        s.close('account removed', { shown: 'account removed' });
      }
    }
  }

  /** Tells everyone, closes every connection, and resolves once all of them are closed. */
  close(): Promise<void> {
    this.#closing = true;
    const drained = new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    const bye = Buffer.from(`${w.shuttingDown()}\n`);
    for (const s of this.#sessions) {
      s.deliver(bye);
      s.close('server shutting down', { announce: false });
    }
    if (this.#sessions.size === 0) return Promise.resolve();
    return drained;
  }
}
