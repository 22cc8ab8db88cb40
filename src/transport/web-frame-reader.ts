import { isUtf8 } from 'node:buffer';

/** WebSocket opcodes (RFC 6455, 5.2). */
export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** The close codes this server sends (RFC 6455, 7.4.1). */
export const CLOSE_CODE = { normal: 1000, protocol: 1002, invalidData: 1007, policy: 1008, tooBig: 1009 } as const;

/**
 * Frames a message may come in: a browser sends a chat line in one. More is a client making
 * the server parse frames for nothing (ws's limit was 16 times this).
 */
export const MAX_FRAGMENTS = 1024;

/**
 * Bytes of frames that carry no line (control frames, fragments) that cost what a line
 * costs: an empty line is added to the read's lines for each, and the session charges it to
 * flood control as it charges 4 KiB of a TCP line it throws away (Session). Without it a
 * flood of 6-byte pongs would be read and parsed without end.
 */
export const IDLE_BYTES_PER_LINE = 4096;

/** How the client's side of a WebSocket ended: its close frame (CODE echoed), or a rule broken (CODE is ours). */
export interface FrameEnd {
  /** The peer sent a close frame (true), or broke the protocol (false). */
  byPeer: boolean;
  /** The code to send back in our close frame; undefined: a close frame without one. */
  code: number | undefined;
  /** Why, in a sentence (a broken rule's; the peer's own reason is not kept). */
  reason: string;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Where the lines of one read are unmasked before they are copied out at their size: shared
 * by every connection (a read is handled to its end before the next), grown when a read needs more.
 */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads the frames a WebSocket client sends (RFC 6455, 5), for IRC over WebSocket: each
 * message is one IRC line. `read` takes the bytes of one socket read and gives back the lines
 * of the messages they completed as one buffer, each line ended by LF, cut at its first CR or
 * LF (what follows one is no command: a message is one line).
 *
 * What it keeps between reads is always a copy of the bytes it needs, never a view of a read:
 * an unfinished frame's bytes, and an unfinished message's fragments, unmasked, in a buffer
 * of their own no larger than the message limit. A client that sends a message in fragments
 * of one byte, each at the end of a 64 KiB read, makes the server hold the bytes of its
 * message, not its reads (docs/web.md, "Limits").
 *
 * The rules a server must enforce, each ending the connection with the close code the RFC
 * gives: every client frame is masked, no reserved bit or opcode is used (no extension is
 * agreed), control frames are short and whole, a continuation continues a message and a new
 * message waits for the last one's end, a message over MAX_MESSAGE bytes is 1009, a text
 * message that is not UTF-8 is 1007.
 */
export class FrameReader {
  /**
   * Bytes of a frame not complete yet, copied into a buffer of their own (grown by doubling
   * up to what the frame needs: one object however many reads they came in), and how many
   * bytes the next step needs.
   */
  #held: Buffer | undefined;
  #heldBytes = 0;
  #need = 2;
  /** The message whose fragments are arriving: its opcode (0: none), and its bytes so far. */
  #opcode = 0;
  #message: Buffer | undefined;
  #messageBytes = 0;
  /** What unmask found in the message's fragments so far (NON_ASCII, LINE_BREAK_MAYBE). */
  #messageSeen = 0;
  #fragments = 0;
  /** Bytes of frames that carried no line, not yet charged (IDLE_BYTES_PER_LINE). */
  #idleBytes = 0;
  #end: FrameEnd | undefined;

  /** The payload of the last ping of this read, to answer once the read is done. */
  #ping: Buffer | undefined;

  /**
   * MAX_MESSAGE: the largest message, fragments and all. PONG: a ping's answer is due, with
   * its payload (a ping may come between the fragments of a message). A read's pings get one
   * answer, the last one's, as RFC 6455 allows (5.5.3): a flood of 6-byte pings costs the
   * server a write a read, not a write a ping.
   */
  constructor(
    private readonly maxMessage: number,
    private readonly pong: (payload: Buffer) => void,
  ) {}

  /** Set once the client closed or broke a rule: nothing more is read. */
  get end(): FrameEnd | undefined {
    return this.#end;
  }

  /** CHUNK, one read of the socket: the lines of the messages it completes, or undefined. */
  read(chunk: Buffer): Buffer | undefined {
    if (this.#end !== undefined || chunk.length === 0) return undefined;
    const lines = this.#read(chunk);
    const ping = this.#ping;
    this.#ping = undefined;
    // Even when the read ended with a close frame: the ping came first (RFC 6455, 5.5.2).
    if (ping !== undefined) this.pong(ping);
    return lines;
  }

  #read(chunk: Buffer): Buffer | undefined {
    if (this.#heldBytes + chunk.length < this.#need) {
      this.#hold(chunk);
      return undefined;
    }
    const data = this.#held === undefined ? chunk : Buffer.concat([this.#held.subarray(0, this.#heldBytes), chunk]);
    this.#held = undefined;
    this.#heldBytes = 0;
    if (scratch.length < data.length + this.#messageBytes) scratch = Buffer.allocUnsafe(data.length + this.#messageBytes);
    let out = 0;
    let at = 0;
    this.#need = 2;
    while (data.length - at >= 2) {
      const b0 = data[at]!;
      const b1 = data[at + 1]!;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if ((b0 & 0x70) !== 0) return this.#fail(out, CLOSE_CODE.protocol, 'a frame used a reserved bit, and no extension was agreed');
      if ((b1 & 0x80) === 0) return this.#fail(out, CLOSE_CODE.protocol, "a client's frame must be masked");
      let length = b1 & 0x7f;
      let head = 6;
      if (length === 126) {
        if (data.length - at < 4) {
          this.#need = 4;
          break;
        }
        length = data.readUInt16BE(at + 2);
        head = 8;
      } else if (length === 127) {
        if (data.length - at < 10) {
          this.#need = 10;
          break;
        }
        // Anything from 2^32 on is over every limit; the top bit set is no length at all.
        const high = data.readUInt32BE(at + 2);
        if (high >= 0x80000000) return this.#fail(out, CLOSE_CODE.protocol, 'a frame length must not use its top bit');
        length = high > 0 ? Number.MAX_SAFE_INTEGER : data.readUInt32BE(at + 6);
        head = 14;
      }
      if (opcode >= OPCODE.close) {
        if (opcode > OPCODE.pong) return this.#fail(out, CLOSE_CODE.protocol, `opcode ${opcode} is not one RFC 6455 defines`);
        if (!fin) return this.#fail(out, CLOSE_CODE.protocol, 'a control frame must not be fragmented');
        if (length > 125) return this.#fail(out, CLOSE_CODE.protocol, 'a control frame carries at most 125 bytes');
      } else {
        if (opcode > OPCODE.binary) return this.#fail(out, CLOSE_CODE.protocol, `opcode ${opcode} is not one RFC 6455 defines`);
        if (opcode === OPCODE.continuation && this.#opcode === 0)
          return this.#fail(out, CLOSE_CODE.protocol, 'a continuation frame came with no message to continue');
        if (opcode !== OPCODE.continuation && this.#opcode !== 0) return this.#fail(out, CLOSE_CODE.protocol, 'a new message came before the last one ended');
        // Before its payload arrives: a frame over the limit is never waited for, nor held.
        if (this.#messageBytes + length > this.maxMessage) return this.#fail(out, CLOSE_CODE.tooBig, `a message may have at most ${this.maxMessage} bytes`);
      }
      if (data.length - at < head + length) {
        this.#need = head + length;
        break;
      }
      const mask = at + head - 4;
      const from = at + head;
      at = from + length;
      if (opcode >= OPCODE.close) {
        this.#idleBytes += head + length;
        if (opcode === OPCODE.pong) continue;
        const payload = Buffer.allocUnsafe(length);
        unmask(data, from, length, data, mask, payload, 0);
        if (opcode === OPCODE.ping) this.#ping = payload;
        else return this.#closed(out, payload);
        continue;
      }
      if (fin && opcode !== OPCODE.continuation) {
        // A whole message in one frame, most messages: unmasked straight where it goes out.
        const seen = unmask(data, from, length, data, mask, scratch, out);
        const end = this.#line(opcode, out, length, seen);
        if (end < 0) return this.#fail(out, CLOSE_CODE.invalidData, 'a text message must be UTF-8');
        out = end;
        continue;
      }
      if (opcode !== OPCODE.continuation) this.#opcode = opcode;
      if (++this.#fragments > MAX_FRAGMENTS) return this.#fail(out, CLOSE_CODE.policy, `a message may come in at most ${MAX_FRAGMENTS} frames`);
      this.#fragment(data, from, length, mask);
      if (!fin) {
        this.#idleBytes += head + length;
        continue;
      }
      this.#message!.copy(scratch, out, 0, this.#messageBytes);
      const end = this.#line(this.#opcode, out, this.#messageBytes, this.#messageSeen);
      this.#opcode = 0;
      this.#message = undefined;
      this.#messageBytes = 0;
      this.#messageSeen = 0;
      this.#fragments = 0;
      if (end < 0) return this.#fail(out, CLOSE_CODE.invalidData, 'a text message must be UTF-8');
      out = end;
    }
    if (at < data.length) this.#hold(data.subarray(at));
    // Frames that carried no line, charged as empty lines (there is room: their bytes gave none).
    while (this.#idleBytes >= IDLE_BYTES_PER_LINE) {
      this.#idleBytes -= IDLE_BYTES_PER_LINE;
      scratch[out++] = LF;
    }
    return this.#lines(out);
  }

  /** The bytes of an unfinished frame: a copy, so the read they came in can go. */
  #hold(bytes: Buffer): void {
    const size = this.#heldBytes + bytes.length;
    if (this.#held === undefined || this.#held.length < size) {
      const grown = Buffer.allocUnsafe(Math.max(size, Math.min(this.#need, 2 * (this.#held?.length ?? 16))));
      this.#held?.copy(grown, 0, 0, this.#heldBytes);
      this.#held = grown;
    }
    bytes.copy(this.#held, this.#heldBytes);
    this.#heldBytes = size;
  }

  /** A fragment's payload, unmasked, added to the message's own buffer (grown by doubling, up to the limit). */
  #fragment(data: Buffer, from: number, length: number, mask: number): void {
    const size = this.#messageBytes + length;
    if (this.#message === undefined || this.#message.length < size) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxMessage, Math.max(size, 2 * (this.#message?.length ?? 64))));
      this.#message?.copy(grown, 0, 0, this.#messageBytes);
      this.#message = grown;
    }
    this.#messageSeen |= unmask(data, from, length, data, mask, this.#message, this.#messageBytes);
    this.#messageBytes = size;
  }

  /**
   * The message of LENGTH bytes at AT in the scratch buffer, checked and made a line: cut at
   * its first CR or LF, and an LF added. Where the next line goes; -1 if text is not UTF-8.
   * SEEN (unmask's) spares most messages both searches: ASCII is UTF-8, and a message with
   * no byte up to CR has no line break.
   */
  #line(opcode: number, at: number, length: number, seen: number): number {
    if (opcode === OPCODE.text && (seen & NON_ASCII) !== 0 && !isUtf8(scratch.subarray(at, at + length))) return -1;
    let kept = length;
    if ((seen & LINE_BREAK_MAYBE) !== 0) {
      const message = scratch.subarray(at, at + length);
      const lf = message.indexOf(LF);
      const cr = message.indexOf(CR);
      const cut = lf < 0 ? cr : cr < 0 ? lf : Math.min(cr, lf);
      if (cut >= 0) kept = cut;
    }
    scratch[at + kept] = LF;
    return at + kept + 1;
  }

  /** The lines so far, copied out at their size (the scratch buffer is the next read's). */
  #lines(out: number): Buffer | undefined {
    return out === 0 ? undefined : Buffer.from(scratch.subarray(0, out));
  }

  /** The client's close frame: a code it may send is echoed, with no reason; a bad one is a broken rule. */
  #closed(out: number, payload: Buffer): Buffer | undefined {
    if (payload.length === 0) {
      this.#end = { byPeer: true, code: undefined, reason: 'the client closed the connection' };
      return this.#lines(out);
    }
    if (payload.length === 1) return this.#fail(out, CLOSE_CODE.protocol, 'a close frame carries no code or at least two bytes');
    const code = payload.readUInt16BE(0);
    if (!closeCodeAllowed(code)) return this.#fail(out, CLOSE_CODE.protocol, `close code ${code} may not be sent`);
    if (!isUtf8(payload.subarray(2))) return this.#fail(out, CLOSE_CODE.invalidData, 'a close reason must be UTF-8');
    this.#end = { byPeer: true, code, reason: 'the client closed the connection' };
    return this.#lines(out);
  }

  /** A broken rule: nothing more is read; the lines of the messages before it still count. */
  #fail(out: number, code: number, reason: string): Buffer | undefined {
    this.#end = { byPeer: false, code, reason };
    this.#held = undefined;
    this.#message = undefined;
    return this.#lines(out);
  }
}

/** RFC 6455, 7.4: the codes a close frame may carry (1004 to 1006 and 1015 never go on the wire). */
export function closeCodeAllowed(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** What unmask saw: a byte from 0x80 on (the text may not be UTF-8), a byte up to CR (it may hold a line break). */
const NON_ASCII = 0x80;
const LINE_BREAK_MAYBE = 0x100;

/**
 * LENGTH bytes of SOURCE from FROM, unmasked with the 4 bytes at MASK in MASKS (RFC 6455,
 * 5.3), written to TARGET at TO, four bytes an iteration; returns what it saw (NON_ASCII,
 * LINE_BREAK_MAYBE). Chat lines are short, and this is most of what reading one costs: the
 * two facts come from bytes in hand, where a UTF-8 check and two searches of each message
 * cost twice the unmasking (docs/benchmark.md).
 */
function unmask(source: Buffer, from: number, length: number, masks: Buffer, mask: number, target: Buffer, to: number): number {
  const m0 = masks[mask]!;
  const m1 = masks[mask + 1]!;
  const m2 = masks[mask + 2]!;
  const m3 = masks[mask + 3]!;
  let high = 0;
  let low = 0xff;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const a = source[from + i]! ^ m0;
    const b = source[from + i + 1]! ^ m1;
    const c = source[from + i + 2]! ^ m2;
    const d = source[from + i + 3]! ^ m3;
    target[to + i] = a;
    target[to + i + 1] = b;
    target[to + i + 2] = c;
    target[to + i + 3] = d;
    high |= a | b | c | d;
    low = Math.min(low, a, b, c, d);
  }
  for (; i < length; i++) {
    const a = source[from + i]! ^ masks[mask + (i & 3)]!;
    target[to + i] = a;
    high |= a;
    if (a < low) low = a;
  }
  return (high & NON_ASCII) | (low <= CR ? LINE_BREAK_MAYBE : 0);
}
