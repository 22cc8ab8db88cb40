import type { Duplex } from 'node:stream';
import type { Member } from '../hub/hub.js';
import { isPromise, type Awaitable } from '../protocol/awaitable.js';
import type { CloseCode } from '../protocol/codes.js';
import { formatHostPort } from '../protocol/host-port.js';
import { looksLikeTlsHello } from '../protocol/sniff.js';
import { TokenBucket } from '../protocol/token-bucket.js';
import { Answers } from './answers.js';
import { applyAll, type Carrier } from './apply.js';
import type { Command } from './command.js';
import { dispatch, type CommandContext, type Outcome } from './commands.js';
import type { Dialect, Framer, LineSink, Voice, Words } from './dialect.js';
import * as effects from './effects.js';
import type { ServerEvent } from './events.js';
import type { Peer, SessionHost } from './host.js';
import { Inbox } from './inbox.js';
import { OUTPUT_TURN, Outbox } from './outbox.js';
import { watchTimeouts, type Timeouts } from './timeouts.js';
import type { CloseOptions } from './close-options.js';
import { attach, whenDrained, type StreamOwner } from './stream-glue.js';
import { markDevice } from './catch-up.js';

/** How long a closed connection may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 1000;
/** Bytes of an overlong line, thrown away, that one flood-control token pays for (see #pump). */
const DISCARDED_BYTES_PER_TOKEN = 4096;
/** Messages of one connection whose answers may be pending at once (through the cluster). */
const MAX_IN_FLIGHT = 64;
/** Failed logins a connection may make before it is closed (docs/running.md, "Accounts"). */
export const MAX_AUTH_FAILURES = 5;

/**
 * One connection: bytes in through the inbox and the dialect's framer, commands through the
 * table, answers in order, everything out through the outbox. What a message does is in
 * effects.ts; the session carries out the rest of a handler's actions.
 */
export class Session implements Member, LineSink, Carrier, StreamOwner {
  name: string | undefined = undefined;
  /** The operator account whose password this connection proved (IRC's OPER): an operator whatever its name, while that account is one. */
  operator: string | undefined = undefined;
  /** Away with this text (`/away`, IRC's AWAY), or here: docs/protocol.md, "Away". */
  away: string | undefined = undefined;
  /** HOST:PORT of the peer, for logs. */
  readonly peer: string;
  #closed = false;
  #abort: AbortController | undefined = undefined;
  #ctx: CommandContext | undefined = undefined;
  readonly #outbox: Outbox;
  readonly #inbox: Inbox;
  #answers: Answers | undefined = undefined;
  #authFailures = 0;
  /** Tokens paid for discarded bytes so far (Framer.discardedBytes). */
  #discardPaid = 0;
  /** Bytes read from the peer, all told. */
  #bytesIn = 0;
  /** When the peer was last heard from, or a line of it handled (the idle timeout). */
  lastHeard: number;
  /** A line is being answered asynchronously: later lines wait, to keep replies in order. */
  #busy = false;
  /**
   * What others sent this connection while one of its lines waits for the cluster (a /join,
   * a registration): it goes out after that line's answers. The hub puts a member in a room
   * as Redis answers, and the room's messages may reach it before the answer that says it is
   * there: `<bob> hi` ahead of `* you are in dev` reads as said in the room one was in.
   * NOTICE: a presence notice (notify). Undefined while no line waits.
   */
  #held: { bytes: Buffer | string; notice: boolean }[] | undefined = undefined;
  #heldSize = 0;
  /** A timer will take the next waiting line when the rate allows it. */
  #rateTimer: unknown = undefined;
  /** The peer has finished sending: close once every line it sent is answered. */
  #ending = false;
  #first = true;
  readonly #framer: Framer;
  readonly #dialect: Dialect;
  /** The dialect's state for this connection, for a dialect that keeps one (Dialect.voice). */
  readonly #voice: Voice | undefined;
  /** The core's first form for this dialect (SessionHost.formOf). */
  readonly #formBase: number;
  /**
   * The commands of one line not handled yet (Command `several`): no line is read before they
   * are. Made on first use: most connections never send one.
   */
  #queue: Command[] | undefined = undefined;
  /** Flood control: this connection's own, or, logged in to an account, the account's (shareFlood). */
  #bucket: TokenBucket | undefined;
  /** The account whose flood allowance this connection shares, to give back at close. */
  #sharing: string | undefined = undefined;
  /** The name this device gave itself (`#NAME@DEVICE`), for its catch-up. */
  device: string | undefined = undefined;
  /**
   * A newer login of this device took its place (a ghost): its mark is not written, so that
   * the newer one catches up from where this one came in (what reached a dying network is
   * shown again, rather than lost).
   */
  replaced = false;
  readonly #timeouts: Timeouts;

  constructor(
    readonly host: SessionHost<Session>,
    readonly stream: Duplex,
    /** The peer's address, for the login throttle. */
    readonly address: Peer,
  ) {
    const { options } = host;
    const { timers } = options;
    this.peer = formatHostPort(address.host, address.port);
    this.#bucket = options.rate > 0 ? new TokenBucket(options.rate, options.burst, () => timers.now()) : undefined;
    this.lastHeard = timers.now();
    this.#inbox = new Inbox(this.lastHeard);
    this.#outbox = new Outbox(this);
    this.#timeouts = watchTimeouts(this, options);
    this.#dialect = address.dialect ?? options.dialect;
    this.#voice = this.#dialect.voice?.(this);
    this.#formBase = host.formOf(this.#dialect);
    // The session is its framer's sink: methods, not closures, to keep idle connections small.
    this.#framer = this.#dialect.framer(this, options, timers);
    attach(stream, this);
  }

  /** This connection's words: its dialect's, or its voice's (Dialect.voice). */
  get words(): Words {
    return this.#voice?.words ?? this.#dialect.words;
  }

  /** Member.form: which rendering of a room event this connection gets. */
  get form(): number {
    return this.#formBase + (this.#voice?.form ?? 0);
  }

  /** A read from the peer (stream-glue.ts). */
  received(chunk: Buffer): void {
    if (this.#closed) return;
    const now = this.host.options.timers.now();
    this.lastHeard = now;
    if (this.#first) {
      this.#first = false;
      // A TLS client on a plain port: one log line, not a stream of garbage replies.
      if (looksLikeTlsHello(chunk)) return this.close('tls-on-plain-port', { abort: true });
    }
    this.#inbox.push(chunk, now);
    this.#bytesIn += chunk.length;
    this.host.stats.bytesIn += chunk.length;
    this.#pump();
  }

  /**
   * The peer finished sending: a last line without LF still counts (printf 'hi' | nc -N).
   * Lines still waiting (flood control, a password check) are answered first: the listener
   * keeps our side open (allowHalfOpen) until close() ends it.
   */
  ended(): void {
    if (this.#closed) return;
    this.#ending = true;
    this.#pump();
  }

  /** The stream has closed (stream-glue.ts): the chat lets go of this session. */
  forgotten(): void {
    this.host.forget(this);
  }

  /** The peer has taken what was waiting for it: its requests are read again. */
  drained(): void {
    this.#outbox.draining = false;
    this.#resume();
  }

  /** From the outbox: write() said the peer is behind; nothing more is read until it drains. */
  behind(): void {
    this.#flow();
    whenDrained(this.stream);
  }
  /** From the outbox: the peer let more than --max-sendq wait. */
  overflowed(): void {
    this.close('send-queue-exceeded', { shown: 'send queue exceeded', abort: true });
  }

  /** True while a line's answer is pending (a password check, the cluster): time that is the server's. */
  get answering(): boolean {
    return this.#busy;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Lines read and not decoded yet wait: not silence (the idle timeout). */
  get waiting(): boolean {
    return this.#inbox.reads > 0;
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
    return this.#framer.pendingBytes + this.#inbox.bytes;
  }

  /** Memory held for this connection's input: the unfinished line and the raw bytes waiting. */
  get heldBytes(): number {
    return this.#framer.bufferBytes + this.#inbox.bytes;
  }

  /** Bytes written to this connection and not yet taken by the peer. */
  get queuedBytes(): number {
    return this.stream.writableLength;
  }

  get answersPending(): number {
    return this.#answers?.pending ?? 0;
  }

  /** A line for this connection alone: an answer, an error, a notice about it. */
  send(line: string): void {
    if (this.#closed) return;
    const said = this.#voice?.answer === undefined ? line : this.#voice.answer(line);
    // '': a dialect with nothing to say (IRC's answer to a /join of a room one is in).
    if (said !== '') this.#outbox.answer(`${said}\n`);
  }

  /** Queues BYTES for the end of this turn (Outbox.deliver). */
  deliver(bytes: Buffer | string, written?: (err?: Error | null) => void): void {
    if (this.#closed) return written?.(new Error('connection closed'));
    if (written === undefined && this.#hold(bytes, false)) return;
    this.#outbox.deliver(bytes, written);
  }

  /** A presence notice: it goes out with this connection's next output, or within NOTICE_DELAY_MS. */
  notify(text: Buffer | string): void {
    if (this.#closed || this.#hold(text, true)) return;
    this.#outbox.notify(text);
  }

  /** Keeps BYTES for after the answers of the line that waits (#held); false when none waits. */
  #hold(bytes: Buffer | string, notice: boolean): boolean {
    if (this.#held === undefined) return false;
    this.#held.push({ bytes, notice });
    this.#heldSize += typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
    // Held and queued together never more than a send queue: past it, out it goes, and the
    // send queue's limit applies (a peer that does not read is cut off).
    if (this.#heldSize + this.stream.writableLength > this.host.options.maxSendq) this.#release();
    return true;
  }

  /** What was held (#held) goes out, in the order it came. */
  #release(): void {
    const held = this.#held;
    this.#held = undefined;
    this.#heldSize = 0;
    for (const { bytes, notice } of held ?? []) {
      if (notice) this.notify(bytes);
      else this.deliver(bytes);
    }
  }

  inOrder<T>(value: Awaitable<T>, then: (value: T) => Promise<void> | void): void {
    if (this.#answers === undefined && !isPromise(value)) {
      const more = then(value);
      if (more) (this.#answers = new Answers(this)).hold(more);
      return;
    }
    (this.#answers ??= new Answers(this)).inOrder(value, then);
  }

  /**
   * Ends the session once (later calls do nothing): gives the name back, tells the others,
   * flushes what is queued and closes. CODE goes to the log (src/protocol/codes.ts).
   */
  close(code: CloseCode, how: CloseOptions = {}): void {
    const { detail, shown = '', announce = true, abort = false, answersOnly = false } = how;
    if (this.#closed) return;
    this.#closed = true;
    this.#abort?.abort();
    this.#framer.dispose();
    this.#inbox.clear();
    this.#queue = undefined;
    this.#voice?.closed?.();
    const { timers } = this.host.options;
    if (this.#rateTimer !== undefined) timers.clearTimeout(this.#rateTimer);
    this.#timeouts();
    const { name } = this;
    if (name !== undefined) {
      // Told once to each person sharing any of its rooms, not once per room (docs/protocol.md).
      const { hub } = this.host;
      const rooms = hub.roomsOf(this);
      // A device's mark, where it was: an account's only, and not for a ghost another login of it replaced.
      if (this.device !== undefined && !this.replaced && this.host.options.auth?.has(name) === true) void markDevice(this, name, this.device, rooms);
      // One of several devices leaves alone: the account stays in the chat (docs/protocol.md,
      // "Your account"), and its rooms are told only when its last device, on any server, left.
      const gone = hub.release(name, this);
      // The devices left here may all be away now, or with another text (the first one's).
      this.host.tellAway(name);
      if (announce && rooms.length > 0) {
        const left = (): undefined => effects.presence(this, { kind: 'left', names: [name], reason: shown, quit: true }, rooms, true);
        if (gone === true) left();
        else if (gone !== false) void gone.then((g) => g && left());
      }
    }
    if (this.#sharing !== undefined) this.host.releaseAccountBucket(this.#sharing);
    this.event({ type: 'leave', peer: this.peer, name, code, ...(detail === undefined ? {} : { detail }) });
    // What was said before the close (the reason, a last answer) goes out before the end.
    this.#outbox.close(abort, answersOnly);
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
    this.send(this.words.lineTooLong(this.host.options.maxLine));
    this.event({ type: 'reject', peer: this.peer, name: this.name, code: 'line-too-long' });
  }

  /**
   * From the framer: one complete line. #pump only decodes while a token is there; a line
   * that the flush delay or a half-close ends comes between pumps and may spend into debt,
   * which the next pump waits out.
   */
  line(text: string, plain?: boolean): void {
    if (this.#closed) return;
    this.#bucket?.spend(1);
    const cmd = (this.#voice ?? this.#dialect).parse(text, this.#framer.unframed, plain);
    if (cmd.kind !== 'several') return this.#handle(cmd);
    // One line, several commands (IRC's `JOIN #a,#b`): each is charged as a line, and
    // handled in turn as lines are, each once the answers it may depend on are given.
    this.#bucket?.spend(Math.max(0, cmd.commands.length - 1));
    (this.#queue ??= []).push(...cmd.commands);
    this.#next();
  }

  /** Whether commands of a line wait (#queue). */
  get #queued(): boolean {
    return this.#queue !== undefined && this.#queue.length > 0;
  }

  /** Handles the queued commands of a line (line) while nothing waits. */
  #next(): void {
    const queue = this.#queue;
    while (queue !== undefined && queue.length > 0 && !this.#busy && !this.#closed) this.#handle(queue.shift()!);
  }

  /**
   * Goes on after a wait of the server's (the rate, a slow reader, an answer): lines handled
   * now are signs of life, however long they waited. Reads set lastHeard themselves, so the
   * message path asks the clock once a read, not once a line.
   */
  #resume(): void {
    if (this.#inbox.reads > 0) this.lastHeard = this.host.options.timers.now();
    this.#pump();
  }

  /**
   * Decodes and handles waiting input, one line at a time, as far as the rate, a pending
   * answer and the peer's reading allow; whatever is left stays raw in the inbox.
   */
  #pump(): void {
    const inbox = this.#inbox;
    this.#next();
    while (!this.#closed && !this.#busy && !this.#queued && !this.#outbox.draining && inbox.reads > 0) {
      if (this.#rateTimer !== undefined) break;
      const wait = this.#bucket?.wait() ?? 0;
      if (wait > 0) {
        this.host.stats.floodPauses++;
        this.#rateTimer = this.host.options.timers.setTimeout(() => {
          this.#rateTimer = undefined;
          this.#resume();
        }, wait);
        break;
      }
      inbox.decodeLine(this.#framer);
      // Its answers so far go now: if the peer is behind, write() says so and the loop stops.
      if (this.#outbox.size >= OUTPUT_TURN) this.#outbox.flush();
      // An endless line is thrown away, but not for free: a token per 4 KiB, as a line.
      if (this.#bucket !== undefined) {
        const owed = Math.floor(this.#framer.discardedBytes / DISCARDED_BYTES_PER_TOKEN) - this.#discardPaid;
        if (owed > 0) {
          this.#bucket.spend(owed);
          this.#discardPaid += owed;
        }
      }
    }
    if (this.#ending && !this.#closed && !this.#busy && !this.#queued && (this.#answers?.pending ?? 0) === 0 && inbox.reads === 0) {
      // Everything the peer sent is answered but an unterminated last line.
      this.#framer.end();
      if (!this.#busy && (this.#answers?.pending ?? 0) === 0) return this.close('connection-closed', { answersOnly: true });
    }
    this.#flow();
  }

  /** The one place that pauses and resumes reading (Inbox.flow). */
  #flow(): void {
    // Once closed, the stream is read and dropped (close): a late drain or answer must not
    // pause it again, or the peer's FIN waits for the grace timer.
    if (this.#closed) return;
    const open = !this.#outbox.draining;
    this.#inbox.flow(this.stream, this.#framer, open, this.#busy, this.host.options.timers);
  }

  #handle(cmd: Command): void {
    // Messages go out at once, whatever is pending before them (a cluster round trip); any
    // other line waits for the answers ahead of it, as it may depend on them (/join, then a
    // message) and its own answer must come after theirs.
    const pending = this.#answers?.pending ?? 0;
    // A refused message (unframedAddress) is answered like one: it holds nothing up.
    const message = (cmd.kind === 'direct' || cmd.kind === 'room' || cmd.kind === 'unframedAddress') && this.name !== undefined && pending < MAX_IN_FLIGHT;
    if (pending === 0 || message) return this.#run(cmd);
    this.#busy = true;
    this.#flow();
    this.#answers!.whenAnswered(() => {
      this.#busy = false;
      if (this.#closed) return;
      this.#run(cmd);
      this.#resume();
    });
  }

  #run(cmd: Command): void {
    const { options } = this.host;
    // Made on the first line and kept: it is the same for every line.
    this.#ctx ??= {
      self: this,
      hub: this.host.hub,
      auth: options.auth,
      address: this.address.host,
      maxRooms: options.maxRooms,
      maxRoomsPerUser: options.maxRoomsPerUser,
      store: options.store,
      w: this.words,
      now: () => options.timers.now(),
      mayOpenRoom: () => this.host.mayOpenRoom(this.address.host),
      guests: options.guests === true && options.auth !== undefined,
      operator: () => this.operator,
      maxOwnedRooms: options.maxOwnedRoomsPerAccount,
      maxDevices: options.maxDevices,
      replaceDevice: (name, device, onlyCount) => this.host.replaceDevice(name, device, this, onlyCount),
      keys: this.host.keys,
      maxLine: options.maxLine,
    };
    const outcome: Outcome = dispatch(this.#ctx, cmd);
    const pending = Array.isArray(outcome) ? applyAll(this, outcome) : outcome.then((actions) => applyAll(this, actions));
    if (pending === undefined) return;
    // A password check or the cluster is answering: later lines wait, to keep replies in order,
    // and what others send meanwhile waits for this line's answers (#held).
    this.#busy = true;
    this.#held ??= [];
    this.#flow();
    pending
      .catch((err: Error) => this.failed(err))
      .finally(() => {
        this.#busy = false;
        this.#release();
        this.#resume();
      });
  }

  /** AnswersOwner: an answer failed. */
  failed(err: Error): void {
    this.event({ type: 'error', message: `handling a line from ${this.peer} failed: ${err.message}` });
    this.close('internal-error');
  }

  /** AnswersOwner: every answer is given; waiting lines go on. */
  answered(): void {
    this.#resume();
  }

  /** Carrier.shareFlood: from now on this connection spends its account's allowance. */
  shareFlood(name: string): void {
    if (this.#sharing !== undefined || this.#bucket === undefined) return;
    this.#bucket = this.host.accountBucket(name);
    this.#sharing = name;
  }

  /** Carrier.renamed: the old name's device and allowance are given back, the new one's taken. */
  renamed(account: string | undefined, device: string | undefined): void {
    if (this.#sharing !== undefined) {
      this.host.releaseAccountBucket(this.#sharing);
      this.#sharing = undefined;
      this.#bucket =
        this.host.options.rate > 0 ? new TokenBucket(this.host.options.rate, this.host.options.burst, () => this.host.options.timers.now()) : undefined;
    }
    this.device = device;
    if (account !== undefined) this.shareFlood(account);
  }

  /** Catcher.perform: CMD handled now, inside the answer that asked for it, so in order. */
  perform(cmd: Command): Promise<void> | undefined {
    if (this.#ctx === undefined || this.#closed) return undefined;
    const outcome = dispatch(this.#ctx, cmd);
    return Array.isArray(outcome) ? applyAll(this, outcome) : outcome.then((actions) => applyAll(this, actions));
  }

  /** Flood control: a long answer or a thrown-away line costs TOKENS more. */
  spend(tokens: number): void {
    this.#bucket?.spend(tokens);
  }

  /** A wrong name or password: closes the connection after MAX_AUTH_FAILURES of them. */
  authFailed(): void {
    if (++this.#authFailures < MAX_AUTH_FAILURES) return;
    this.send(this.words.tooManyFailures());
    this.close('too-many-failures');
  }

  event(event: ServerEvent): void {
    this.host.options.onEvent(event);
  }
}
