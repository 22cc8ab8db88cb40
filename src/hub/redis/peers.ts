import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type Frame, FrameReader, frame, frameHead } from './peer-frames.js';
import { InOrder } from './peer-order.js';
import type { HubState, PeerLinks, PeerOptions } from './state.js';

export type { PeerOptions } from './state.js';

/**
 * Direct links between the servers of a cluster, for the batches of direct messages whose
 * users' servers are all one known server (outbox.ts). Through the stream such a batch waits
 * for a command, then for the reader's next read, and each wait is a turn of a busy server:
 * by a link it is written in the turn it was made and read in the other server's next
 * (docs/cluster.md, "Direct links"). Everything else goes through the stream, which stays
 * the one ordered record: room messages, the first message to a user (its server is learnt
 * there), the changes of names, what failover checks.
 *
 * Order, both ways. A batch carries the id of the last entry its sender had added to the
 * stream, and its receiver hands it over only once its reader has read that far: a message
 * by link never overtakes one sent before it through the stream. And the sender adds nothing
 * to the stream while a batch it sent by link is not acknowledged (Outbox.flush, pending):
 * a message through the stream never overtakes one sent before it by link.
 *
 * Trust: whoever can read the chat's Redis is in the chat, as before. Each side of a new
 * connection proves it to the other with an HMAC, under a secret kept in Redis, of both
 * sides' challenges and both servers' ids, so a proof is good for that one connection
 * between those two servers only: it cannot be relayed to a third. Until then a connection
 * may send one short frame, within HANDSHAKE_MS, and at most HANDSHAKES_MAX wait at once.
 *
 * Loss: the receiver acknowledges what it received. A link that breaks, or leaves a batch
 * unacknowledged for ACK_MS, is dropped, and the senders of what it had not confirmed are
 * told, as for a batch the stream did not take (Outbox.#lost); nothing is sent twice. What a
 * receiver holds for order is handed over once its reader gets there, the link gone or not;
 * a receiver that dies loses it, as it loses what waits for it in the stream.
 */

/** A connection that has not proved itself within this long is closed. */
export const HANDSHAKE_MS = 5000;
/** A batch unacknowledged this long means the other server is stuck, or cut off from Redis: the link goes. */
export const ACK_MS = 4000;
/** After a link failed, the stream carries that server's batches for this long before a new try. */
export const RETRY_MS = 5000;
/** Connections still to prove themselves at once: past it a new one is closed, so that strangers cannot use up the process's files. */
export const HANDSHAKES_MAX = 32;
/** The same, from one address: one stranger does not take every place from the servers. */
export const HANDSHAKES_PER_ADDRESS = 8;
/** Acknowledgements a link's other end lets wait unread (bytes) past which the link is closed. */
const ACKS_WAITING_MAX = 64 * 1024;
/** Output waiting on a link past which batches go by the stream instead. */
const SENDQ_BYTES = 4 * 1024 * 1024;
/** A frame's largest size: an entry (BATCH_MAX_BYTES and its last message) and its line. */
const FRAME_MAX = 2 * 1024 * 1024;
/** Before the proof: the challenge and the proofs, and no more. */
const HELLO_MAX = 512;
/** Batches received and held for order (bytes, on all links) past which a link adding to them is closed. */
const HELD_MAX = 16 * 1024 * 1024;
/** A link's TCP keepalive: a peer whose machine is gone is noticed. */
const KEEPALIVE_MS = 10_000;
/** How often a refusal of ours (the cap of waiting connections) is logged at most. */
const LOG_EVERY_MS = 60_000;

interface Unacked {
  seq: number;
  at: number;
  /** The sender's own record of the batch (Outbox's), handed back with its fate. */
  batch: unknown;
}

/** What the links tell the rest of the hub. */
export interface PeerEvents {
  /** An entry another server sent: delivered as if read from the stream. */
  deliver(entry: Buffer): void;
  /** A batch sent was received there. */
  acked(batch: unknown): void;
  /** Batches sent on a link that broke, not confirmed: perhaps lost. */
  lost(batches: unknown[]): void;
}

/** A link to another server: ours to write on. */
interface Out {
  socket: Socket | undefined;
  ready: boolean;
  seq: number;
  unacked: Unacked[];
  /** When a failed link may be tried again. */
  retryAt: number;
  /** Its failure to come up was logged: not again until it is up. */
  told: boolean;
}

/** A link from another server: it writes, we hand over and acknowledge. */
interface In {
  socket: Socket;
  held: InOrder;
  /** The server at the other end, once proven. */
  from: string;
}

export class Peers implements PeerLinks {
  readonly #s: HubState;
  readonly #options: PeerOptions;
  readonly #events: PeerEvents;
  readonly #out = new Map<string, Out>();
  readonly #in = new Set<In>();
  /** Connections accepted that have not proved themselves yet. */
  readonly #proving = new Set<Socket>();
  /** Connections proving themselves, by remote address. */
  readonly #provingFrom = new Map<string, number>();
  /** Batches sent by link and not acknowledged, on every link. */
  #pending = 0;
  #settled: (() => void) | undefined;
  #server: Server | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #address = '';
  #capLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(s: HubState, options: PeerOptions, events: PeerEvents) {
    this.#s = s;
    this.#options = options;
    this.#events = events;
  }

  get #key(): string {
    return `${this.#s.prefix}peer:${this.#s.id}`;
  }

  get #secretKey(): string {
    return `${this.#s.prefix}peer-secret`;
  }

  /** Listens, and says where in Redis (renewed, so a dead server's address goes). Closes again if that fails. */
  async start(): Promise<void> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) =>
          reject(
            new Error(`could not listen for the other servers' direct links on ${this.#options.host}:${this.#options.port} (--cluster-link): ${err.message}`),
          ),
        );
        server.listen(this.#options.port, this.#options.host, () => {
          server.removeAllListeners('error');
          server.on('error', () => undefined);
          resolve();
        });
      });
      const { port } = server.address() as { port: number };
      const given = this.#options.address;
      this.#address = given ? `${given.host} ${given.port}` : `${isWildcard(this.#options.host) ? hostname() : this.#options.host} ${port}`;
      await this.#publish();
    } catch (err) {
      await this.close();
      throw err;
    }
    this.#ticker = setInterval(() => this.#tick(), Math.min(1000, this.#s.renewMs));
    this.#ticker.unref();
  }

  /** Where other servers reach this one's links: `HOST PORT`. */
  get address(): string {
    return this.#address;
  }

  async close(): Promise<void> {
    if (this.#ticker) clearInterval(this.#ticker);
    for (const [server, out] of this.#out) this.#drop(server, out);
    for (const link of this.#in) link.socket.destroy();
    this.#in.clear();
    for (const socket of this.#proving) socket.destroy();
    await new Promise<void>((resolve) => (this.#server?.listening ? this.#server.close(() => resolve()) : resolve()));
    if (this.#s.up) await this.#s.cmd.del(this.#key).catch(() => undefined);
  }

  /**
   * Whether a batch for SERVER may go by link now: the link is up and not behind. When none
   * is up, one is made (the caller uses the stream meanwhile).
   */
  ready(server: string): boolean {
    const out = this.#out.get(server);
    if (out === undefined || (!out.ready && out.socket === undefined && Date.now() >= out.retryAt)) {
      this.#open(server);
      return false;
    }
    return out.ready && out.socket !== undefined && out.socket.writableLength <= SENDQ_BYTES;
  }

  /**
   * Writes ENTRY to SERVER, whose link is ready(), AFTER being the last stream entry we added
   * ('-': none). BATCH comes back through PeerEvents: acked once received there, lost if
   * that is not known.
   */
  send(server: string, entry: Buffer | string, after: string, batch: unknown): void {
    const out = this.#out.get(server)!;
    const socket = out.socket!;
    const seq = ++out.seq;
    const line = `${seq} ${after}\n`;
    socket.cork();
    socket.write(frameHead('B', line.length + (typeof entry === 'string' ? Buffer.byteLength(entry) : entry.length)));
    socket.write(line);
    socket.write(entry);
    socket.uncork();
    out.unacked.push({ seq, at: Date.now(), batch });
    this.#pending++;
  }

  /** Batches sent by link and not acknowledged yet: what goes into the stream waits for them. */
  get pending(): number {
    return this.#pending;
  }

  /** Calls SETTLED once no batch sent by link is unacknowledged (at once if none is). */
  whenSettled(settled: () => void): void {
    if (this.#pending === 0) settled();
    else this.#settled = settled;
  }

  /** The reader has read the stream up to ID: batches held for it go. */
  readTo(id: string): void {
    for (const link of this.#in) {
      if (link.held.waiting) this.#handOver(link, id);
      if (link.socket.destroyed && !link.held.waiting) this.#in.delete(link);
    }
  }

  /** Our address, and the secret made if Redis has none (a Redis emptied loses it). */
  async #publish(): Promise<void> {
    await this.#s.cmd.set(this.#secretKey, randomBytes(32).toString('hex'), 'NX');
    await this.#s.cmd.set(this.#key, this.#address, 'PX', 3 * this.#s.leaseMs);
  }

  #tick(): void {
    if (this.#s.up) this.#publish().catch(() => undefined);
    const now = Date.now();
    for (const [server, out] of this.#out) {
      // A server that takes a batch and never says so is stuck (or stopped): its link goes.
      if ((out.unacked[0]?.at ?? now) < now - ACK_MS) this.#drop(server, out);
      // A server not tried for a minute is forgotten (ids change with every start).
      else if (!out.ready && out.socket === undefined && now > out.retryAt + LOG_EVERY_MS) this.#out.delete(server);
    }
  }

  #unacked(count: number): void {
    this.#pending -= count;
    if (this.#pending === 0 && this.#settled !== undefined) {
      const settled = this.#settled;
      this.#settled = undefined;
      settled();
    }
  }

  /** A link of ours is gone: what it had not confirmed is told as lost, and the stream takes over for a while. */
  #drop(server: string, out: Out): void {
    if (out.ready && !this.#s.closed) this.#s.events?.log(`direct link to server ${server} down: the stream carries its messages`, 'notice');
    out.socket?.destroy();
    out.socket = undefined;
    out.ready = false;
    out.retryAt = Date.now() + RETRY_MS;
    const unacked = out.unacked;
    out.unacked = [];
    if (unacked.length > 0) this.#events.lost(unacked.map(({ batch }) => batch));
    this.#unacked(unacked.length);
  }

  /** Connects to SERVER at the address it published; fails quietly (the stream carries its batches). */
  #open(server: string): void {
    const out: Out = this.#out.get(server) ?? { socket: undefined, ready: false, seq: 0, unacked: [], retryAt: 0, told: false };
    this.#out.set(server, out);
    out.retryAt = Date.now() + RETRY_MS;
    this.#s.cmd
      .get(`${this.#s.prefix}peer:${server}`)
      .then((address) => {
        const [host, port] = (address ?? '').split(' ');
        if (this.#s.closed || !host || !port || out.socket !== undefined) return;
        const socket = connect({ host, port: Number(port), noDelay: true });
        out.socket = socket;
        socket.setKeepAlive(true, KEEPALIVE_MS);
        const frames = new FrameReader(HELLO_MAX);
        const hello = { nonce: randomBytes(16).toString('hex'), theirs: '' };
        socket.setTimeout(HANDSHAKE_MS, () => {
          if (!out.ready) this.#refused(server, out, 'no answer');
        });
        socket.on('error', () => undefined);
        socket.on('close', () => {
          if (out.socket !== socket) return;
          if (!out.ready) this.#refused(server, out, 'the connection closed before both sides proved themselves');
          this.#drop(server, out);
        });
        socket.on('data', (chunk: Buffer) => {
          const got = frames.push(chunk);
          if (got === 'bad') return this.#refused(server, out, 'a frame out of place');
          for (const f of got) if (!this.#fromListener(server, out, socket, f, hello)) return;
        });
      })
      .catch(() => undefined);
  }

  /** A link of ours that did not come up: logged once until one does. */
  #refused(server: string, out: Out, why: string): void {
    if (!out.told && !this.#s.closed) this.#s.events?.log(`no direct link to server ${server} (${why}): the stream carries its messages`, 'notice');
    out.told = true;
    out.socket?.destroy();
  }

  /** What the server we link to says: its challenge, its proof, its acknowledgements. False: the link is closed. */
  #fromListener(server: string, out: Out, socket: Socket, f: Frame, hello: { nonce: string; theirs: string }): boolean {
    const self = this.#s.id;
    if (f.type === 'N' && !out.ready && hello.theirs === '') {
      const [nonce = '', id = ''] = f.payload.toString('latin1').split(' ');
      // Whoever answers at that address must be the server we meant.
      if (id !== server || !/^[0-9a-f]{32}$/.test(nonce)) {
        this.#refused(server, out, 'another server answers at its address');
        return false;
      }
      hello.theirs = nonce;
      this.#secret()
        .then((secret) => {
          if (secret === undefined || socket.destroyed) return;
          socket.write(frame('P', `${self} ${hello.nonce} ${proof(secret, 'P', hello.theirs, self, server, hello.nonce)}`));
        })
        .catch(() => socket.destroy());
      return true;
    }
    if (f.type === 'K' && !out.ready && hello.theirs !== '') {
      const given = f.payload.toString('latin1');
      this.#secret()
        .then((secret) => {
          if (socket.destroyed || out.socket !== socket) return;
          // The listener's own proof: a stranger at the address cannot make one.
          if (secret === undefined || !equal(given, proof(secret, 'K', hello.nonce, server, self, hello.theirs)))
            return this.#refused(server, out, 'its proof does not hold');
          out.ready = true;
          out.told = false;
          socket.setTimeout(0);
          this.#s.events?.log(`direct link to server ${server} up`, 'notice');
        })
        .catch(() => socket.destroy());
      return true;
    }
    if (f.type === 'A' && out.ready) {
      const seq = Number(f.payload.toString('latin1'));
      let acked = 0;
      while (out.unacked.length > 0 && out.unacked[0]!.seq <= seq) {
        this.#events.acked(out.unacked.shift()!.batch);
        acked++;
      }
      this.#unacked(acked);
      return true;
    }
    this.#refused(server, out, 'a frame out of place');
    return false;
  }

  #secret(): Promise<string | undefined> {
    return this.#s.cmd.get(this.#secretKey).then((v) => v ?? undefined);
  }

  /** Another server connects: each proves itself to the other, then it sends batches. */
  #accept(socket: Socket): void {
    const from = socket.remoteAddress ?? '';
    const fromThere = this.#provingFrom.get(from) ?? 0;
    if (this.#proving.size >= HANDSHAKES_MAX || fromThere >= HANDSHAKES_PER_ADDRESS) {
      socket.destroy();
      const now = Date.now();
      if (now - this.#capLoggedAt >= LOG_EVERY_MS) {
        this.#capLoggedAt = now;
        this.#s.events?.log(`too many connections to the direct-link port wait to prove themselves (${from} has ${fromThere}): more are closed`, 'notice');
      }
      return;
    }
    this.#proving.add(socket);
    this.#provingFrom.set(from, fromThere + 1);
    let counted = true;
    const proved = (): void => {
      if (!counted) return;
      counted = false;
      this.#proving.delete(socket);
      const left = (this.#provingFrom.get(from) ?? 1) - 1;
      if (left > 0) this.#provingFrom.set(from, left);
      else this.#provingFrom.delete(from);
    };
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const link: In = { socket, held: new InOrder(), from: '' };
    const nonce = randomBytes(16).toString('hex');
    const frames = new FrameReader(HELLO_MAX);
    let proven = false;
    let proving = false;
    const hello = setTimeout(() => socket.destroy(), HANDSHAKE_MS);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(hello);
      proved();
      // What it holds still goes, once the reader gets there.
      if (!link.held.waiting) this.#in.delete(link);
    });
    socket.write(frame('N', `${nonce} ${this.#s.id}`));
    socket.on('data', (chunk: Buffer) => {
      const got = frames.push(chunk);
      if (got === 'bad') return socket.destroy();
      let last = '';
      for (const f of got) {
        if (proven && f.type === 'B') {
          const seq = this.#received(link, f.payload);
          if (seq === undefined) return;
          last = seq;
          continue;
        }
        // One proof, and nothing after it before our answer.
        if (proven || proving || f.type !== 'P' || f !== got.at(-1)) return socket.destroy();
        proving = true;
        socket.pause();
        // (A proof never comes with batches behind it: nothing to acknowledge here.)
        const [id = '', theirs = '', given = ''] = f.payload.toString('latin1').split(' ');
        this.#secret()
          .then((secret) => {
            if (socket.destroyed) return;
            if (secret === undefined || !id || !/^[0-9a-f]{32}$/.test(theirs) || !equal(given, proof(secret, 'P', nonce, id, this.#s.id, theirs))) {
              socket.destroy();
              return;
            }
            proven = true;
            clearTimeout(hello);
            proved();
            frames.max = FRAME_MAX;
            // One link from a server: a newer one (it reconnected) replaces the older.
            for (const older of this.#in) if (older.from === id) older.socket.destroy();
            link.from = id;
            this.#in.add(link);
            socket.write(frame('K', proof(secret, 'K', theirs, this.#s.id, id, nonce)));
            socket.resume();
          })
          .catch(() => socket.destroy());
        return;
      }
      // Acknowledged on receipt, once a read: the sender may add to the stream now, for what it
      // adds is read here after the entry these batches wait for, and they go before it (readTo).
      if (last === '') return;
      socket.write(frame('A', last));
      // A sender that does not read our acknowledgements must not make us hold them.
      if (socket.writableLength > ACKS_WAITING_MAX) socket.destroy();
    });
  }

  /** A batch: `SEQ AFTER\n` and the entry. Its SEQ, or undefined when the link is closed for it. */
  #received(link: In, payload: Buffer): string | undefined {
    const eol = payload.indexOf(0x0a);
    const [seq, after] = payload.toString('latin1', 0, Math.max(eol, 0)).split(' ');
    // Ids of the size Redis makes: a longer one would cost every comparison.
    if (eol < 0 || !seq || !/^\d{1,15}$/.test(seq) || !after || (after !== '-' && !/^\d{1,20}-\d{1,20}$/.test(after))) {
      link.socket.destroy();
      return undefined;
    }
    // The whole frame is counted: the entry is a view of it.
    link.held.add(after, payload.subarray(eol + 1), payload.length);
    let held = 0;
    for (const other of this.#in) held += other.held.bytes;
    if (held > HELD_MAX) {
      link.socket.destroy();
      return undefined;
    }
    this.#handOver(link, this.#s.lastId);
    return seq;
  }

  /** Hands over, in order, the batches whose stream entry the reader has passed (READ). */
  #handOver(link: In, read: string): void {
    for (const entry of link.held.release(read)) {
      try {
        this.#events.deliver(entry);
      } catch (err) {
        this.#s.events?.log(`could not deliver a batch from a direct link: ${(err as Error).message}`, 'error');
      }
    }
  }
}

/** An HMAC under SECRET of what one side proves (`P` the connector, `K` the listener): its challenge's answer, for these two servers. */
export function proof(secret: string, side: 'P' | 'K', ...parts: string[]): string {
  return createHmac('sha256', secret)
    .update(`${side} ${parts.join(' ')}`)
    .digest('hex');
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
