import type { Duplex } from 'node:stream';
import { LOBBY, type Delivery, type Member } from '../hub/hub.js';
import { after, isPromise, type Awaitable } from '../protocol/awaitable.js';
import { parseCommand, type Command } from '../dialects/line/parse.js';
import type { LineSink } from '../dialects/line/decoder.js';
import { LineFramer } from '../dialects/line/framer.js';
import * as w from '../dialects/line/wording.js';
import type { Action } from './actions.js';
import { deliveryError, dispatch, type CommandContext, type Outcome } from './commands.js';
import type { ChatCore, Peer } from './core.js';
import { looksLikeTlsHello } from '../protocol/sniff.js';
import { TokenBucket } from '../protocol/token-bucket.js';
import type { Keep, KeptMessage } from '../store/store.js';

/** How long a closed connection may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 1000;
/** Bytes of input that may wait to be decoded before the socket is paused (see #queue). */
const INPUT_HELD = 64 * 1024;
/** Reads that may wait, whatever their size: one-byte packets must not cost an object each without end. */
const INPUT_READS = 64;
/** Reads this soon after a pause may have waited in the kernel (see the 'data' handler). */
const RESUMED_MS = 50;
/**
 * Output of one turn past which it is written at once rather than at the turn's end: write()
 * must get the chance to say the peer is behind before more of its lines are decoded. Within
 * one turn libuv may hand over dozens of reads, and every line of them would be answered
 * into #out before the first byte was written (2 MB of answers to a pipelining client that
 * does not read, and its cut-off at --max-sendq, with docs/protocol.md promising it waits).
 */
const OUTPUT_TURN = 64 * 1024;
/** Bytes of an overlong line, thrown away, that one flood-control token pays for (see #pump). */
const DISCARDED_BYTES_PER_TOKEN = 4096;
/** Reply bytes that one flood-control token pays for (see #apply, 'reply'). */
const REPLY_BYTES_PER_TOKEN = 4096;
/** Kept messages are written this many characters at a time, each part once the last is written. */
const KEPT_CHUNK = 32 * 1024;
/** Messages of one connection whose answers may be pending at once (through the cluster). */
const MAX_IN_FLIGHT = 64;
/** Failed logins a connection may make before it is closed (docs/running.md, "Accounts"). */
export const MAX_AUTH_FAILURES = 5;

/** An answer to give in order (Session.#inOrder): THEN with VALUE, once READY. */
interface Answer {
  ready: boolean;
  value: unknown;
  then: (value: unknown) => Promise<void> | void;
}

export interface CloseOptions {
  /** Shown to the others: "* NAME left (shown)". */
  shown?: string;
  /** False at shutdown, where n users would otherwise get n "left" notices each. */
  announce?: boolean;
  /** Drop what is queued: a peer that stopped reading would never take it. */
  abort?: boolean;
  /**
   * The peer has finished sending and every line of it is answered: of what is queued, only
   * those answers still go. Chat that came for it in this last turn does not: most such
   * peers have closed altogether, and a write to them only fails (an error and its stack
   * trace, at thousands of connections a second).
   */
  answersOnly?: boolean;
}

const encode = (line: string): Buffer => Buffer.from(`${line}\n`, 'utf8');

/** The answer to a direct message for an account that is offline, by what the store did with it. */
const KEPT_WORDING: Record<Keep, (to: string) => string> = {
  kept: w.keptForLater,
  full: w.keptFull,
  'full from you': w.keptFullFromYou,
  unavailable: w.notKept,
};

/** The session a stream belongs to, until the stream closes (Session's listeners). */
const SESSION = Symbol('session');
type Owned = Duplex & { [SESSION]?: Session | undefined };

/** One connection: bytes in through the framer, commands through the table, lines out. */
export class Session implements Member, LineSink {
  name: string | undefined = undefined;
  /** HOST:PORT of the peer, for logs. */
  readonly peer: string;
  #closed = false;
  #abort: AbortController | undefined = undefined;
  #ctx: CommandContext | undefined = undefined;
  #corked = false;
  /** Output of this turn, written at its end (see deliver); #outBuffers: not all strings. */
  #out: (Buffer | string)[] = [];
  #outBuffers = false;
  /** Characters or bytes in #out (a bound, not a byte count: see OUTPUT_TURN). */
  #outSize = 0;
  /** #out holds a line of send()'s, not only chat for this user (see CloseOptions.answersOnly). */
  #answerQueued = false;
  /** ChatCore.flushSoon will write #out: it holds a presence notice (see notify). */
  #noticeDue = false;
  #authFailures = 0;
  /** Tokens paid for discarded bytes so far (LineFramer.discardedBytes). */
  #discardPaid = 0;
  /**
   * Reads not decoded yet, each with when it came: they wait while an earlier line is being
   * answered (a password check, the cluster) or for the rate. They stay raw, and past
   * INPUT_HELD bytes the socket is not read, so TCP pushes back on the sender: what waits is
   * bounded in bytes however short the lines (64 KiB of empty lines once cost 13 MB as one
   * Buffer each), and nothing is dropped. The arrival times let the framer tell a client's
   * separate send()s apart although they are decoded later (PROTOCOL.md: time the server is
   * not reading never counts).
   */
  #queue: { chunk: Buffer; at: number }[] = [];
  /** Where decoding stands in the first queued read, and the bytes left to decode in all. */
  #offset = 0;
  #queued = 0;
  /** Bytes read from the peer, all told. */
  #bytesIn = 0;
  /** When the last read came, and when reading last resumed after a pause. */
  #lastAt: number;
  #resumedAt = -Infinity;
  /** A line is being answered asynchronously: later lines wait, to keep replies in order. */
  #busy = false;
  /**
   * Answers still to give for lines already handled, in the order of those lines (see
   * #inOrder): at most MAX_IN_FLIGHT, then the next line waits for them. A line that is not
   * a message waits until there are none (#whenAnswered).
   */
  #answers: Answer[] = [];
  #whenAnswered: (() => void) | undefined = undefined;
  /** A timer will take the next waiting line when the rate allows it. */
  #rateTimer: unknown = undefined;
  /** write() said the peer is behind: read nothing more from it until it catches up. */
  #draining = false;
  #reading = true;
  #decoding = true;
  /** The peer has finished sending: close once every line it sent is answered. */
  #ending = false;
  #first = true;
  readonly #framer: LineFramer;
  readonly #bucket: TokenBucket | undefined;
  #registerTimer: unknown = undefined;
  #idleTimer: unknown = undefined;
  #lastHeard: number;

  constructor(
    private readonly core: ChatCore,
    private readonly stream: Duplex,
    /** The peer's address, for the login throttle. */
    readonly address: Peer,
  ) {
    const { options } = core;
    const { timers } = options;
    const peer = w.formatHostPort(address.host, address.port);
    this.peer = peer;
    this.#bucket = options.rate > 0 ? new TokenBucket(options.rate, options.burst, () => timers.now()) : undefined;
    this.#lastHeard = timers.now();
    this.#lastAt = this.#lastHeard;
    if (options.registerTimeoutMs > 0) {
      const expire = (): void => {
        if (this.name !== undefined) return;
        // A password check still running is the server's time, not the client's.
        if (this.#busy) {
          this.#registerTimer = timers.setTimeout(expire, 1000);
          return;
        }
        this.send(w.registerTimeout(options.registerTimeoutMs));
        this.close('not registered in time');
      };
      this.#registerTimer = timers.setTimeout(expire, options.registerTimeoutMs);
    }
    if (options.idleTimeoutMs > 0) this.#watchIdle(options.idleTimeoutMs);
    // The session is its framer's sink: methods, not closures, to keep idle connections small.
    this.#framer = new LineFramer(options.maxLine, options.flushMs, this, options.timers);
    // Shared functions, not closures: nothing per connection to make, or to keep while idle,
    // and a closed stream lets its session go at once (Session.#onClose).
    (stream as Owned)[SESSION] = this;
    stream.on('data', Session.#onData);
    stream.on('end', Session.#onEnd);
    stream.on('error', Session.#onError);
    stream.on('close', Session.#onClose);
  }

  static #onData(this: Duplex, chunk: Buffer): void {
    const self = (this as Owned)[SESSION];
    if (self === undefined || self.#closed) return;
    const now = self.core.options.timers.now();
    self.#lastHeard = now;
    if (self.#first) {
      self.#first = false;
      // A TLS client on a plain port: one log line, not a stream of garbage replies.
      if (looksLikeTlsHello(chunk)) return self.close('TLS handshake on a plain port', { abort: true });
    }
    // Bytes read just after a pause may have waited in the kernel since before it: their
    // arrival is unknown, and they count as coming with the read before them.
    const at = now - self.#resumedAt < RESUMED_MS ? self.#lastAt : now;
    self.#lastAt = at;
    self.#queue.push({ chunk, at });
    self.#queued += chunk.length;
    self.#bytesIn += chunk.length;
    self.core.stats.bytesIn += chunk.length;
    self.#pump();
  }

  /**
   * The peer finished sending: a last line without LF still counts (printf 'hi' | nc -N).
   * Lines still waiting (flood control, a password check) are answered first: the listener
   * keeps our side open (allowHalfOpen) until close() ends it.
   */
  static #onEnd(this: Duplex): void {
    const self = (this as Owned)[SESSION];
    if (self === undefined || self.#closed) return;
    self.#ending = true;
    self.#pump();
  }

  /**
   * A socket error (ECONNRESET, EPIPE) only ends this session, never the process. Either way
   * the socket is gone: nothing more can be written to it.
   */
  static #onError(this: Duplex, err: NodeJS.ErrnoException): void {
    (this as Owned)[SESSION]?.close(err.code ?? err.message, { abort: true });
  }

  /** The peer has taken what was waiting for it: its requests are read again (#write). */
  static #onDrain(this: Duplex): void {
    const self = (this as Owned)[SESSION];
    if (self === undefined) return;
    self.#draining = false;
    self.#resume();
  }

  /**
   * The stream is closed: the session ends and lets go of it. A closed socket can outlive its
   * connection in the heap (once promoted, until a full collection), and V8's quick
   * collections take what it points to as alive and copy it: without this link, the session
   * and all it holds go at the next quick one (docs/benchmark.md, "Connects").
   */
  static #onClose(this: Duplex): void {
    const self = (this as Owned)[SESSION];
    if (self === undefined) return;
    (this as Owned)[SESSION] = undefined;
    self.close('connection closed', { abort: true });
    self.core.forget(self);
  }

  /** True while a line's answer is pending (a password check, the cluster). */
  get answering(): boolean {
    return this.#busy;
  }

  /**
   * Aborted when this connection closes, for work that may outlive it (a password check
   * waiting its turn). Made on first use: most connections never need one.
   */
  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    if (this.#closed) this.#abort.abort();
    return this.#abort.signal;
  }

  get bytesIn(): number {
    return this.#bytesIn;
  }

  /** Bytes read from this connection that are not a line yet (unfinished, or not decoded). */
  get pendingBytes(): number {
    return this.#framer.pendingBytes + this.#queued;
  }

  /** Memory held for this connection's input: the unfinished line and the raw bytes waiting. */
  get heldBytes(): number {
    return this.#framer.bufferBytes + this.#queued;
  }

  /** A line for this connection alone: an answer, an error, a notice about it. */
  send(line: string): void {
    this.#answerQueued = true;
    this.deliver(`${line}\n`);
  }

  /**
   * Queues BYTES until the end of this event-loop turn, when the turn's output goes to the
   * socket in one write: strings joined into one (no Buffer, no iovec per line). `written` is
   * called once BYTES are handed to the system, or with an error if they never are.
   */
  deliver(bytes: Buffer | string, written?: (err?: Error | null) => void): void {
    if (this.#closed) return written?.(new Error('connection closed'));
    if (written !== undefined) {
      // Its own write, after what is queued: the callback must be for these bytes.
      this.#flushOut();
      return this.#write(bytes, written);
    }
    this.#hold(bytes);
    if (!this.#corked) {
      this.#corked = true;
      this.core.uncorkLater(this);
    }
  }

  /** Queues BYTES in #out, for whichever flush comes first. */
  #hold(bytes: Buffer | string): void {
    this.#out.push(bytes);
    this.#outSize += bytes.length;
    if (typeof bytes !== 'string') this.#outBuffers = true;
  }

  /** A presence notice: it goes out with this connection's next output, or within NOTICE_DELAY_MS. */
  notify(text: Buffer | string): void {
    if (this.#closed) return;
    this.#hold(text);
    if (!this.#corked && !this.#noticeDue) {
      this.#noticeDue = true;
      this.core.flushSoon(this);
    }
  }

  /** NOTICE_DELAY_MS after a notice (ChatCore.flushSoon): whatever waits goes out. */
  flushNotices(): void {
    this.#noticeDue = false;
    if (!this.#closed && !this.#corked) this.#flushOut();
  }

  /** This turn's output, in one write when it is all strings (direct messages, replies). */
  #flushOut(): void {
    const out = this.#out;
    if (out.length === 0) return;
    this.#out = [];
    this.#outSize = 0;
    this.#answerQueued = false;
    if (out.length === 1) return this.#write(out[0]!);
    if (!this.#outBuffers) return this.#write(out.join(''));
    // Room messages are encoded once for all their members: those Buffers go as they are.
    this.#outBuffers = false;
    this.stream.cork();
    for (const bytes of out) this.#write(bytes);
    this.stream.uncork();
  }

  #write(bytes: Buffer | string, written?: (err?: Error | null) => void): void {
    this.core.stats.bytesOut += typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
    if (!this.stream.write(bytes, written) && !this.#draining) {
      // Honour write(): a peer that is behind gets no more of its own requests read until
      // it catches up, so it cannot make us queue replies it does not take.
      this.#draining = true;
      this.#flow();
      this.stream.once('drain', Session.#onDrain);
    }
    if (this.stream.writableLength > this.core.options.maxSendq) {
      // Not now: we may be inside another member's broadcast loop.
      process.nextTick(() => this.close('send queue exceeded', { shown: 'send queue exceeded', abort: true }));
    }
  }

  /** Bytes written to this connection and not yet taken by the peer. */
  get queuedBytes(): number {
    return this.stream.writableLength;
  }

  /** The end of the turn (ChatCore.uncorkLater): what this turn queued goes out. */
  uncork(): void {
    if (this.#corked) {
      this.#corked = false;
      if (!this.#closed) this.#flushOut();
    }
  }

  /**
   * Ends the session once (later calls do nothing): gives the name back, tells the others,
   * flushes what is queued and closes. `reason` goes to the log.
   */
  close(reason: string, how: CloseOptions = {}): void {
    const { shown = '', announce = true, abort = false, answersOnly = false } = how;
    if (this.#closed) return;
    this.#closed = true;
    this.#abort?.abort();
    this.#framer.dispose();
    this.#queue = [];
    this.#queued = 0;
    const { timers } = this.core.options;
    for (const timer of [this.#rateTimer, this.#registerTimer, this.#idleTimer]) {
      if (timer !== undefined) timers.clearTimeout(timer);
    }
    const { name } = this;
    if (name !== undefined) {
      const room = this.core.hub.roomOf(this);
      this.core.hub.release(name, this);
      if (announce && room !== undefined) this.#presence(w.left(name, shown), room, true);
    }
    this.#event({ type: 'leave', peer: this.peer, name, reason });
    // What was said before the close (the reason, a last answer) goes out before the end.
    if (abort || (answersOnly && !this.#answerQueued)) this.#out = [];
    else this.#flushOut();
    this.#corked = false;
    // A peer that has finished sending, with all we wrote handed to the system: closing the
    // socket sends the rest and the FIN as ending would, without a shutdown and its callbacks
    // first (a client that disconnects is most closes, at thousands a second).
    if (abort || (this.#ending && this.address.closeEnds === true && this.stream.writableLength === 0)) {
      this.stream.destroy();
      return;
    }
    this.stream.end();
    // Read and drop whatever still comes (a paused flooder's backlog), so that the peer's FIN
    // is seen and the socket closes now rather than at the grace timer.
    this.stream.resume();
    // A peer that never reads would hold the socket open forever.
    const timer = setTimeout(() => this.stream.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    this.stream.once('close', () => clearTimeout(timer));
  }

  /** From the framer: a line went over the limit. Its answer costs a token like a line. */
  overflow(): void {
    this.#bucket?.spend(1);
    this.send(w.lineTooLong(this.core.options.maxLine));
    this.#event({ type: 'reject', peer: this.peer, name: this.name, reason: 'line too long' });
  }

  /**
   * From the framer: one complete line. #pump only decodes while a token is there; a line
   * that the flush delay or a half-close ends comes between pumps and may spend into debt,
   * which the next pump waits out.
   */
  line(text: string): void {
    if (this.#closed) return;
    this.#bucket?.spend(1);
    this.#handle(text);
  }

  /**
   * Goes on after a wait of the server's (the rate, a slow reader, an answer): lines handled
   * now are signs of life, however long they waited. Reads set #lastHeard themselves, so the
   * message path asks the clock once a read, not once a line.
   */
  #resume(): void {
    if (this.#queue.length > 0) this.#lastHeard = this.core.options.timers.now();
    this.#pump();
  }

  /**
   * Decodes and handles waiting input, one line at a time, as far as the rate, a pending
   * answer and the peer's reading allow; whatever is left stays raw in #queue.
   */
  #pump(): void {
    while (!this.#closed && !this.#busy && !this.#draining && this.#queue.length > 0) {
      if (this.#rateTimer !== undefined) break;
      const wait = this.#bucket?.wait() ?? 0;
      if (wait > 0) {
        this.core.stats.floodPauses++;
        this.#rateTimer = this.core.options.timers.setTimeout(() => {
          this.#rateTimer = undefined;
          this.#resume();
        }, wait);
        break;
      }
      const head = this.#queue[0]!;
      const from = this.#offset;
      const next = this.#framer.pushLine(head.chunk, from, head.at);
      // The line may have closed the session (which empties the queue) or been a /quit.
      if (this.#queue[0] !== head) continue;
      this.#queued -= next - from;
      if (next >= head.chunk.length) {
        this.#queue.shift();
        this.#offset = 0;
      } else {
        this.#offset = next;
      }
      // Its answers so far go now: if the peer is behind, write() says so and the loop stops.
      if (this.#outSize >= OUTPUT_TURN) this.#flushOut();
      // An endless line is thrown away, but not for free: a token per 4 KiB, as a line.
      if (this.#bucket !== undefined) {
        const owed = Math.floor(this.#framer.discardedBytes / DISCARDED_BYTES_PER_TOKEN) - this.#discardPaid;
        if (owed > 0) {
          this.#bucket.spend(owed);
          this.#discardPaid += owed;
        }
      }
    }
    if (this.#ending && !this.#closed && !this.#busy && this.#answers.length === 0 && this.#queue.length === 0) {
      // Everything the peer sent is answered but an unterminated last line.
      this.#framer.end();
      if (!this.#busy && this.#answers.length === 0) return this.close('connection closed', { answersOnly: true });
    }
    this.#flow();
  }

  /**
   * The one place that pauses and resumes. The socket is read while less than INPUT_HELD
   * bytes in fewer than INPUT_READS reads wait and the peer takes its replies: during a password check too, so that a
   * connection reset meanwhile is noticed and its check cancelled; what comes meanwhile
   * waits in #queue. The framer's delay runs only while nothing waits to be decoded.
   */
  #flow(): void {
    const read = !this.#closed && !this.#draining && this.#queued < INPUT_HELD && this.#queue.length < INPUT_READS;
    if (read !== this.#reading) {
      this.#reading = read;
      if (read) {
        this.#resumedAt = this.core.options.timers.now();
        this.stream.resume();
      } else {
        this.stream.pause();
      }
    }
    const decoding = read && !this.#busy && this.#queue.length === 0;
    if (decoding !== this.#decoding) {
      this.#decoding = decoding;
      if (decoding) this.#framer.resume();
      else this.#framer.pause();
    }
  }

  #watchIdle(idleMs: number): void {
    const { timers } = this.core.options;
    const check = (): void => {
      const silent = timers.now() - this.#lastHeard;
      // Lines waiting for the rate or a password check are not silence.
      if (silent < idleMs || this.#busy || this.#queue.length > 0) {
        this.#idleTimer = timers.setTimeout(check, Math.max(1000, idleMs - silent));
        return;
      }
      this.send(w.idleTimeout(idleMs));
      this.close('idle timeout', { shown: 'idle timeout' });
    };
    this.#idleTimer = timers.setTimeout(check, idleMs);
  }

  #handle(text: string): void {
    const cmd = parseCommand(text);
    // Messages go out at once, whatever is pending before them (a cluster round trip); any
    // other line waits for the answers ahead of it, as it may depend on them (/join, then a
    // message) and its own answer must come after theirs.
    const message = (cmd.kind === 'direct' || cmd.kind === 'room') && this.name !== undefined && this.#answers.length < MAX_IN_FLIGHT;
    if (this.#answers.length === 0 || message) return this.#run(cmd);
    this.#busy = true;
    this.#flow();
    this.#whenAnswered = () => {
      this.#busy = false;
      if (this.#closed) return;
      this.#run(cmd);
      this.#resume();
    };
  }

  #run(cmd: Command): void {
    const { options } = this.core;
    // Made on the first line and kept: it is the same for every line.
    this.#ctx ??= {
      self: this,
      hub: this.core.hub,
      auth: options.auth,
      address: this.address.host,
      maxRooms: options.maxRooms,
      store: options.store,
      now: () => options.timers.now(),
      unframed: () => this.#framer.unframed,
      mayOpenRoom: () => this.core.mayOpenRoom(this.address.host),
    };
    const outcome: Outcome = dispatch(this.#ctx, cmd);
    const pending = Array.isArray(outcome)
      ? this.#applyAll(outcome)
      : outcome.then((actions) => this.#applyAll(actions));
    if (pending === undefined) return;
    // A password check or the cluster is answering: later lines wait, to keep replies in order.
    this.#busy = true;
    this.#flow();
    pending
      .catch((err: Error) => this.#failed(err))
      .finally(() => {
        this.#busy = false;
        this.#resume();
      });
  }

  #failed(err: Error): void {
    this.#event({ type: 'error', message: `handling a line from ${this.peer} failed: ${err.message}` });
    this.close('internal error');
  }

  /**
   * Runs THEN on VALUE once it has come and once every answer queued before it has been
   * given: replies to one connection come in the order of its requests (docs/protocol.md),
   * while the work behind them (a message through Redis) is already under way. Without
   * anything pending, as on a single server, it runs at once. A queue rather than a chain
   * of promises: one callback for an answer that comes later, nothing for one that is here.
   */
  #inOrder<T>(value: Awaitable<T>, then: (value: T) => Promise<void> | void): void {
    if (this.#answers.length === 0 && !isPromise(value)) {
      const more = then(value);
      if (more) this.#await(more);
      return;
    }
    const answer: Answer = { ready: !isPromise(value), value, then: then as Answer['then'] };
    this.#answers.push(answer);
    if (isPromise(value)) this.#await(value, answer);
  }

  /**
   * Marks ANSWER ready once WORK has come (a new answer holding the queue when none is
   * given: the rest of an answer, such as kept messages written part by part).
   */
  #await(work: Promise<unknown>, answer?: Answer): void {
    const held: Answer = answer ?? { ready: false, value: undefined, then: () => {} };
    if (answer === undefined) this.#answers.unshift(held);
    work.then(
      (value) => {
        held.value = value;
        held.ready = true;
        this.#giveAnswers();
      },
      (err: Error) => {
        this.#failed(err);
        held.then = () => {};
        held.ready = true;
        this.#giveAnswers();
      },
    );
  }

  /** Gives the answers that are ready, in order, up to the first that is not. */
  #giveAnswers(): void {
    const answers = this.#answers;
    while (answers.length > 0 && answers[0]!.ready) {
      const answer = answers.shift()!;
      let more: Promise<void> | void = undefined;
      try {
        more = answer.then(answer.value);
      } catch (err) {
        // A bug in one answer closes this connection; it must not stop the process.
        this.#failed(err as Error);
      }
      if (more) return this.#await(more);
    }
    if (answers.length > 0) return;
    const next = this.#whenAnswered;
    this.#whenAnswered = undefined;
    if (next) next();
    else this.#resume();
  }

  /** Carries out actions in order; a promise when one of them waits for the cluster. */
  #applyAll(actions: Action[], from = 0): Promise<void> | undefined {
    for (let i = from; i < actions.length; i++) {
      if (this.#closed) return this.#giveBack(actions.slice(i));
      const pending = this.#apply(actions[i]!);
      if (pending) return pending.then(() => this.#applyAll(actions, i + 1));
    }
    return undefined;
  }

  /**
   * The connection closed while a name was being claimed for it (a password check, the
   * cluster): the name it won must not stay taken by nobody.
   */
  #giveBack(actions: Action[]): undefined {
    for (const action of actions) {
      if (action.kind === 'registered') this.core.hub.release(action.name, this);
      if (action.kind === 'renamed') this.core.hub.release(action.to, this);
    }
    return undefined;
  }

  #apply(action: Action): Promise<void> | void {
    switch (action.kind) {
      case 'reply': {
        // A long answer (a listing) costs a token per 4 KiB beyond the first: thousands of
        // /who must not buy thousands of big answers at the price of a short line.
        this.#bucket?.spend(Math.floor(action.line.length / REPLY_BYTES_PER_TOKEN));
        const { line } = action;
        return this.#inOrder(undefined, () => this.send(line));
      }
      case 'direct': {
        const delivery = this.core.hub.direct(action.to, `${action.line}\n`, this);
        // Delivered at once with nothing to wait for, as on one server: nothing to answer.
        if (delivery === 'delivered' && this.#answers.length === 0) {
          this.core.stats.directMessages++;
          return;
        }
        return this.#inOrder(delivery, (d) => this.#delivered(action, d));
      }
      case 'room': {
        const { hub, stats, options } = this.core;
        const room = hub.roomOf(this) ?? LOBBY;
        stats.roomMessages++;
        options.store.append(room, { at: options.timers.now(), from: action.from, text: action.text });
        return this.#inOrder(hub.toRoom(room, encode(action.line), this), (result) => {
          if (result === 'unavailable') this.send(w.clusterUnavailable());
        });
      }
      case 'kept':
        return this.#deliverKept(action.name);
      case 'moderation': {
        const { kind: _kind, ...what } = action;
        return this.#event({ type: 'moderation', by: this.name ?? '', ...what });
      }
      case 'presence': {
        const room = action.room ?? this.core.hub.roomOf(this);
        return room === undefined ? undefined : this.#presence(action.line, room, action.leaving);
      }
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

  /** The answer to a direct message: none once delivered, else an error, or it is kept. */
  #delivered(action: Extract<Action, { kind: 'direct' }>, delivery: Delivery): Promise<void> | void {
    const { to } = action;
    if (delivery === 'no such user' && this.core.options.auth?.has(to)) return this.#keep(action);
    const error = deliveryError(delivery, to);
    if (error !== undefined) this.send(error);
    else this.core.stats.directMessages++;
  }

  /**
   * docs/protocol.md, "History": a direct message to an account that is offline is kept for
   * its next login, unless it has too many waiting already.
   */
  #keep(action: Extract<Action, { kind: 'direct' }>): Promise<void> | void {
    const { to } = action;
    const { store, timers } = this.core.options;
    return after(store.keep(to, { at: timers.now(), from: action.from, text: action.text }), (kept) => {
      if (kept === 'kept') this.core.stats.keptMessages++;
      this.send(KEPT_WORDING[kept](to));
    });
  }

  /**
   * At login: the messages kept for NAME, oldest first. They go out KEPT_CHUNK bytes at a
   * time, each chunk once the one before has been written, so that 256 long messages never
   * pile up past --max-sendq (which would cut the owner off at every login, the messages
   * still kept: a lock-out anyone could cause). Each chunk leaves the store once written to
   * this connection: one that dies first leaves the rest for the next login.
   */
  #deliverKept(name: string): Promise<void> | void {
    const { store } = this.core.options;
    return after(store.kept(name), (messages): Promise<void> | undefined => {
      if (messages === undefined || messages.length === 0 || this.#closed) return undefined;
      this.send(w.waitingForYou(messages.length));
      return this.#keptFrom(name, messages, 0);
    });
  }

  #keptFrom(name: string, messages: readonly KeptMessage[], from: number): Promise<void> {
    let text = '';
    let end = from;
    while (end < messages.length && (end === from || text.length < KEPT_CHUNK)) {
      const m = messages[end++]!;
      text += `${w.keptMessage(m.at, m.from, m.text)}\n`;
    }
    const ids = messages.slice(from, end).map((m) => m.id);
    const { store } = this.core.options;
    return new Promise<void>((resolve) => {
      this.deliver(text, (err) => {
        if (err) return resolve();
        this.core.stats.keptDelivered += ids.length;
        void Promise.resolve()
          .then(() => store.remove(name, ids))
          .catch((e: Error) => this.#event({ type: 'error', message: `could not remove the messages delivered to ${name}: ${e.message}` }));
        resolve(end < messages.length ? this.#keptFrom(name, messages, end) : undefined);
      });
    });
  }

  /**
   * docs/protocol.md: presence notices go to the room, while it has at most announceMax users. A
   * leave is counted with the leaver, as its join was: both are announced or neither is.
   */
  #presence(line: string, room: string, leaving = false): undefined {
    const text = this.core.presenceText([line], this.core.hub.roomSize(room) + (leaving ? 1 : 0));
    // Not waited for: a notice the cluster could not carry is not worth an error line.
    if (text) void this.core.hub.toRoom(room, text, this, true);
  }

  #event(event: Parameters<ChatCore['options']['onEvent']>[0]): void {
    this.core.options.onEvent(event);
  }
}
