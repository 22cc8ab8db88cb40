import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type Frame, FrameReader, frame, frameHead } from './peer-frames.js';
import { InOrder } from './peer-order.js';
import type { HubState } from './state.js';

/**
 * Direct links between the servers of a cluster, for the batches of direct messages whose
 * users' servers are all one known server (outbox.ts). Through the stream such a batch waits
 * for a command, then for the reader's next read, and each wait is a turn of a busy server:
 * by a link it is written in the turn it was made and read in the other server's next
 * (docs/cluster.md, "Direct links"). Everything else goes through the stream, which stays
 * the one ordered record: room messages, the first message to a user (its server is learnt
 * there), the changes of names, what failover checks.
 *
 * Order: a batch carries the id of the last entry its sender had added to the stream, and
 * its receiver hands it over only once its reader has read that far (or after HOLD_MS, should
 * that entry be gone): a message by link never overtakes one sent before it by the stream.
 *
 * Trust: whoever can read the chat's Redis is in the chat, as before. A connection proves it
 * with an HMAC of the listener's challenge under a secret kept in Redis; until then it may
 * send one short frame, within HANDSHAKE_MS.
 *
 * Loss: the receiver acknowledges what it handed over. A link that breaks, or leaves a batch
 * unacknowledged for ACK_MS, is dropped, and the senders of what it had not confirmed are
 * told, as for a batch the stream did not take (Outbox.#lost); nothing is sent twice.
 */

/** A connection that has not proved itself within this long is closed. */
export const HANDSHAKE_MS = 5000;
/** A batch whose stream entry the reader has not reached is handed over after this long anyway (that entry may be lost). */
export const HOLD_MS = 2000;
/** A batch unacknowledged this long means the other server is stuck: the link goes. */
export const ACK_MS = 4000;
/** After a link failed, the stream carries that server's batches for this long before a new try. */
export const RETRY_MS = 5000;
/** Output waiting on a link past which batches go by the stream instead. */
const SENDQ_BYTES = 4 * 1024 * 1024;
/** A frame's largest size: an entry (BATCH_MAX_BYTES and its last message) and its line. */
const FRAME_MAX = 2 * 1024 * 1024;
/** Before the proof: the proof's frame and no more. */
const HELLO_MAX = 512;
/** Connections still to prove themselves at once: past it a new one is closed, so that strangers cannot use up the process's files. */
export const HANDSHAKES_MAX = 32;
/** Batches received and held for order (bytes) past which the link is closed. */
const HELD_MAX = 16 * 1024 * 1024;

export interface PeerOptions {
  /** Where to listen: the host, and 0 for any free port. */
  host: string;
  port: number;
  /** The host other servers reach this one at; default HOST, or this machine's name when HOST is every interface. */
  publish?: string;
}

interface Unacked {
  seq: number;
  at: number;
  acked: () => void;
  lost: () => void;
}

/** A link to another server: ours to write on. */
interface Out {
  socket: Socket | undefined;
  ready: boolean;
  seq: number;
  unacked: Unacked[];
  /** When a failed link may be tried again. */
  retryAt: number;
}

/** A link from another server: it writes, we hand over and acknowledge. */
interface In {
  socket: Socket;
  held: InOrder;
  timer: NodeJS.Timeout | undefined;
}

export class Peers {
  readonly #s: HubState;
  readonly #options: PeerOptions;
  readonly #deliver: (entry: Buffer) => void;
  readonly #out = new Map<string, Out>();
  readonly #in = new Set<In>();
  #handshakes = 0;
  #server: Server | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #address = '';

  constructor(s: HubState, options: PeerOptions, deliver: (entry: Buffer) => void) {
    this.#s = s;
    this.#options = options;
    this.#deliver = deliver;
  }

  get #key(): string {
    return `${this.#s.prefix}peer:${this.#s.id}`;
  }

  get #secretKey(): string {
    return `${this.#s.prefix}peer-secret`;
  }

  /** Listens, and says where in Redis (renewed with the lease, so a dead server's address goes). */
  async start(): Promise<void> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
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
    const host = this.#options.publish ?? (isWildcard(this.#options.host) ? hostname() : this.#options.host);
    this.#address = `${host} ${port}`;
    await this.#s.cmd.set(this.#secretKey, randomBytes(32).toString('hex'), 'NX');
    await this.#publish();
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
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    if (this.#s.up) await this.#s.cmd.del(this.#key).catch(() => undefined);
  }

  /**
   * Writes ENTRY to SERVER by its link, AFTER being the last stream entry we added ('-':
   * none); ACKED once handed over there, LOST if that is not known. False when no link is up
   * (one is then made, and the caller uses the stream).
   */
  send(server: string, entry: Buffer | string, after: string, acked: () => void, lost: () => void): boolean {
    const out = this.#out.get(server);
    if (out === undefined) {
      this.#open(server);
      return false;
    }
    const socket = out.socket;
    if (!out.ready || socket === undefined || socket.writableLength > SENDQ_BYTES) {
      if (!out.ready && socket === undefined && Date.now() >= out.retryAt) this.#open(server);
      return false;
    }
    const seq = ++out.seq;
    const line = `${seq} ${after}\n`;
    socket.cork();
    socket.write(frameHead('B', line.length + (typeof entry === 'string' ? Buffer.byteLength(entry) : entry.length)));
    socket.write(line);
    socket.write(entry);
    socket.uncork();
    out.unacked.push({ seq, at: Date.now(), acked, lost });
    return true;
  }

  /** The reader has read the stream up to ID: batches held for it go. */
  readTo(id: string): void {
    for (const link of this.#in) if (link.held.waiting) this.#handOver(link, id);
  }

  async #publish(): Promise<void> {
    await this.#s.cmd.set(this.#key, this.#address, 'PX', 3 * this.#s.leaseMs);
  }

  #tick(): void {
    if (this.#s.up) this.#publish().catch(() => undefined);
    const now = Date.now();
    // A server that takes a batch and never says so is stuck (or stopped): its link goes.
    for (const [server, out] of this.#out) if ((out.unacked[0]?.at ?? now) < now - ACK_MS) this.#drop(server, out);
    for (const link of this.#in) if (link.held.waiting) this.#handOver(link, this.#s.lastId);
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
    for (const batch of unacked) batch.lost();
  }

  #open(server: string): void {
    const out: Out = this.#out.get(server) ?? { socket: undefined, ready: false, seq: 0, unacked: [], retryAt: 0 };
    this.#out.set(server, out);
    out.retryAt = Date.now() + RETRY_MS;
    const fail = (): void => this.#drop(server, out);
    this.#s.cmd
      .get(`${this.#s.prefix}peer:${server}`)
      .then((address) => {
        const [host, port] = (address ?? '').split(' ');
        if (this.#s.closed || !host || !port) return;
        const socket = connect({ host, port: Number(port), noDelay: true });
        out.socket = socket;
        const frames = new FrameReader(HELLO_MAX);
        socket.setTimeout(HANDSHAKE_MS, () => {
          if (!out.ready) socket.destroy();
        });
        socket.on('error', () => undefined);
        socket.on('close', () => {
          if (out.socket === socket) fail();
        });
        socket.on('data', (chunk: Buffer) => {
          const got = frames.push(chunk);
          if (got === 'bad') return socket.destroy();
          for (const f of got) this.#fromListener(server, out, socket, f);
        });
      })
      .catch(() => undefined);
  }

  /** What the server we link to says: its challenge, its consent, its acknowledgements. */
  #fromListener(server: string, out: Out, socket: Socket, f: Frame): void {
    if (f.type === 'N' && !out.ready) {
      const nonce = f.payload.toString('latin1');
      this.#secret()
        .then((secret) => {
          if (secret !== undefined && !socket.destroyed) socket.write(frame('P', `${this.#s.id} ${proof(secret, nonce, this.#s.id)}`));
        })
        .catch(() => socket.destroy());
      return;
    }
    if (f.type === 'K' && !out.ready) {
      out.ready = true;
      socket.setTimeout(0);
      this.#s.events?.log(`direct link to server ${server} up`, 'notice');
      return;
    }
    if (f.type === 'A' && out.ready) {
      const seq = Number(f.payload.toString('latin1'));
      while (out.unacked.length > 0 && out.unacked[0]!.seq <= seq) out.unacked.shift()!.acked();
      return;
    }
    socket.destroy();
  }

  #secret(): Promise<string | undefined> {
    return this.#s.cmd.get(this.#secretKey).then((v) => v ?? undefined);
  }

  /** Another server connects: it proves itself, then sends batches. */
  #accept(socket: Socket): void {
    if (this.#handshakes >= HANDSHAKES_MAX) {
      socket.destroy();
      return;
    }
    this.#handshakes++;
    let handshaking = true;
    const done = (): void => {
      if (handshaking) this.#handshakes--;
      handshaking = false;
    };
    socket.setNoDelay(true);
    const link: In = { socket, held: new InOrder(HOLD_MS), timer: undefined };
    const nonce = randomBytes(16).toString('hex');
    const frames = new FrameReader(HELLO_MAX);
    let proven = false;
    let proving = false;
    const hello = setTimeout(() => socket.destroy(), HANDSHAKE_MS);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      done();
      clearTimeout(hello);
      if (link.timer) clearTimeout(link.timer);
      this.#in.delete(link);
    });
    socket.write(frame('N', nonce));
    socket.on('data', (chunk: Buffer) => {
      const got = frames.push(chunk);
      if (got === 'bad') return socket.destroy();
      for (const f of got) {
        if (proven && f.type === 'B') {
          this.#received(link, f.payload);
          continue;
        }
        // One proof, and nothing before its answer.
        if (proven || proving || f.type !== 'P') return socket.destroy();
        proving = true;
        socket.pause();
        const [id = '', given = ''] = f.payload.toString('latin1').split(' ');
        this.#secret()
          .then((secret) => {
            if (secret === undefined || !id || !equal(given, proof(secret, nonce, id))) return socket.destroy();
            proven = true;
            done();
            clearTimeout(hello);
            frames.max = FRAME_MAX;
            this.#in.add(link);
            socket.write(frame('K', ''));
            socket.resume();
          })
          .catch(() => socket.destroy());
        return;
      }
    });
  }

  /** A batch: `SEQ AFTER\n` and the entry. */
  #received(link: In, payload: Buffer): void {
    const eol = payload.indexOf(0x0a);
    const [seq, after] = payload.toString('latin1', 0, Math.max(eol, 0)).split(' ');
    if (eol < 0 || !seq || !/^\d+$/.test(seq) || !after || (after !== '-' && !/^\d+-\d+$/.test(after))) {
      link.socket.destroy();
      return;
    }
    link.held.add(Number(seq), after, payload.subarray(eol + 1), Date.now());
    if (link.held.bytes > HELD_MAX) {
      link.socket.destroy();
      return;
    }
    this.#handOver(link, this.#s.lastId);
  }

  /** Hands over, in order, the batches whose stream entry the reader has passed (READ) or that waited HOLD_MS. */
  #handOver(link: In, read: string): void {
    const { entries, last } = link.held.release(read, Date.now());
    for (const entry of entries) {
      try {
        this.#deliver(entry);
      } catch (err) {
        this.#s.events?.log(`could not deliver a batch from a direct link: ${(err as Error).message}`, 'error');
      }
    }
    if (last >= 0 && !link.socket.destroyed) link.socket.write(frame('A', String(last)));
    if (link.timer) clearTimeout(link.timer);
    link.timer = link.held.waiting ? setTimeout(() => this.#handOver(link, this.#s.lastId), HOLD_MS) : undefined;
  }
}

function proof(secret: string, nonce: string, id: string): string {
  return createHmac('sha256', secret).update(`${nonce} ${id}`).digest('hex');
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
