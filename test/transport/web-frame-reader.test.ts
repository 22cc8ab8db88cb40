import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as ws from 'ws';
import { CLOSE_CODE, FrameReader, MAX_FRAGMENTS, OPCODE } from '../../src/transport/web-frame-reader.js';

/**
 * A client's frames as ws (another implementation, the one the tests' browsers stand in for)
 * makes them: masked with a random key, every length form.
 */
const Sender = (ws as unknown as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } }).Sender;

function clientFrame(opcode: number, payload: Buffer | string, fin = true, extra: { rsv1?: boolean } = {}): Buffer {
  const data = Buffer.from(payload);
  return Buffer.concat(Sender.frame(data, { fin, opcode, mask: true, readOnly: false, rsv1: extra.rsv1 ?? false }));
}

/** A frame as an attacker writes it: HEADER bytes as given, then a zero mask and PAYLOAD. */
function rawFrame(b0: number, length: number, payload = Buffer.alloc(0), masked = true): Buffer {
  const head = length < 126 ? [b0, (masked ? 0x80 : 0) | length] : [b0, (masked ? 0x80 : 0) | 126, length >> 8, length & 0xff];
  return Buffer.concat([Buffer.from(head), masked ? Buffer.alloc(4) : Buffer.alloc(0), payload]);
}

/** A reader with LIMIT, what it read from CHUNKS (one read each), and the pongs it asked for. */
function readAll(chunks: Buffer[], limit = 10 * 1024): { lines: string[]; pongs: string[]; reader: FrameReader } {
  const pongs: string[] = [];
  const reader = new FrameReader(limit, (payload) => pongs.push(payload.toString()));
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    const lines = reader.read(chunk);
    if (lines !== undefined) out.push(lines);
  }
  const text = Buffer.concat(out).toString('latin1');
  return { lines: text === '' ? [] : text.slice(0, -1).split('\n'), pongs, reader };
}

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** The lines of LINES that are not empty, joined by LF ('' for none). */
const nonEmpty = (lines: Buffer | undefined): string => (lines?.toString() ?? '').split('\n').filter(Boolean).join('\n');

const bytesOf = (frames: Buffer): Buffer[] => [...frames].map((b) => Buffer.from([b]));

describe('FrameReader: the frames a WebSocket client sends (RFC 6455)', () => {
  test('each message is a line; every length form; a read of many messages is one chunk', () => {
    const texts = ['', 'a', 'PRIVMSG #lobby :hi ✓', 'x'.repeat(125), 'y'.repeat(126), 'z'.repeat(65_535), 'w'.repeat(65_536)];
    const frames = Buffer.concat(texts.map((t) => clientFrame(OPCODE.text, t)));
    const reader = new FrameReader(1 << 20, () => assert.fail('no ping was sent'));
    const lines = reader.read(frames);
    assert.deepEqual(lines?.toString().split('\n').slice(0, -1), texts);
    assert.equal(reader.end, undefined);
  });

  test('cut at every byte, read a byte at a time: the same lines, and nothing before a message is whole', () => {
    const frames = Buffer.concat([clientFrame(OPCODE.text, 'NICK dora'), clientFrame(OPCODE.binary, 'y'.repeat(300)), clientFrame(OPCODE.text, 'PING :é')]);
    const { lines } = readAll(bytesOf(frames));
    assert.deepEqual(lines, ['NICK dora', 'y'.repeat(300), Buffer.from('PING :é').toString('latin1')]);
    for (let cut = 1; cut < frames.length; cut++) {
      assert.deepEqual(readAll([frames.subarray(0, cut), frames.subarray(cut)]).lines, lines, `cut at ${cut}`);
    }
  });

  test('a message is one line: what follows its first CR or LF is dropped, not a second command', () => {
    const { lines } = readAll([clientFrame(OPCODE.text, 'PRIVMSG a :hi\r\nQUIT :x'), clientFrame(OPCODE.text, 'PING\nKILL'), clientFrame(OPCODE.text, 'A\rB')]);
    assert.deepEqual(lines, ['PRIVMSG a :hi', 'PING', 'A']);
  });

  test('fragments: a message in three frames, a ping between them answered with its payload', () => {
    const { lines, pongs, reader } = readAll(
      bytesOf(
        Buffer.concat([
          clientFrame(OPCODE.text, 'PRIV', false),
          clientFrame(OPCODE.ping, 'are you there'),
          clientFrame(OPCODE.continuation, 'MSG #a :', false),
          clientFrame(OPCODE.continuation, 'whole'),
          clientFrame(OPCODE.text, 'next'),
        ]),
      ),
    );
    assert.deepEqual(lines, ['PRIVMSG #a :whole', 'next']);
    assert.deepEqual(pongs, ['are you there']);
    assert.equal(reader.end, undefined);
  });

  test("a read's pings get one answer, the last one's (a ping flood costs a write a read)", () => {
    const pings = Buffer.concat(Array.from({ length: 1000 }, (_, i) => clientFrame(OPCODE.ping, `p${i}`)));
    const { pongs } = readAll([pings, clientFrame(OPCODE.ping, 'again')]);
    assert.deepEqual(pongs, ['p999', 'again']);
  });

  test('a text message that is not UTF-8 ends with 1007, even split into fragments; binary is bytes', () => {
    const bad = readAll([clientFrame(OPCODE.text, 'ok'), clientFrame(OPCODE.text, Buffer.from([0x63, 0x61, 0x66, 0xe9]))]);
    assert.deepEqual(bad.lines, ['ok'], 'the message before it still counts');
    assert.equal(bad.reader.end?.code, CLOSE_CODE.invalidData);
    // é is C3 A9: cut between its two bytes, across two fragments, it is valid.
    const split = readAll([clientFrame(OPCODE.text, Buffer.from([0x63, 0xc3]), false), clientFrame(OPCODE.continuation, Buffer.from([0xa9]))]);
    assert.deepEqual(split.lines, [Buffer.from('cé').toString('latin1')]);
    assert.equal(split.reader.end, undefined);
    const binary = readAll([clientFrame(OPCODE.binary, Buffer.from([0xff, 0xfe]))]);
    assert.deepEqual(binary.lines, ['\xff\xfe']);
    assert.equal(binary.reader.end, undefined);
  });

  test('over the limit: 1009 from the header alone, its payload never waited for; fragments count together', () => {
    const big = readAll([Buffer.from([0x81, 0xfe, 0x40, 0x00])], 10 * 1024);
    assert.equal(big.reader.end?.code, CLOSE_CODE.tooBig);
    const huge = readAll([Buffer.from([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0])]);
    assert.equal(huge.reader.end?.code, CLOSE_CODE.tooBig);
    const pieces = readAll([clientFrame(OPCODE.text, 'x'.repeat(60), false), clientFrame(OPCODE.continuation, 'x'.repeat(60))], 100);
    assert.equal(pieces.reader.end?.code, CLOSE_CODE.tooBig);
    const exact = readAll([clientFrame(OPCODE.text, 'x'.repeat(50), false), clientFrame(OPCODE.continuation, 'x'.repeat(50))], 100);
    assert.deepEqual(exact.lines, ['x'.repeat(100)]);
  });

  test('every broken rule ends the connection with 1002, and nothing after it is read', () => {
    const cases: [string, Buffer][] = [
      ['an unmasked frame', rawFrame(0x81, 2, Buffer.from('hi'), false)],
      ['a reserved bit (no extension agreed)', clientFrame(OPCODE.text, 'hi', true, { rsv1: true })],
      ['opcode 3', rawFrame(0x83, 0)],
      ['opcode 11', rawFrame(0x8b, 0)],
      ['a fragmented ping', rawFrame(0x09, 0)],
      ['a ping of 126 bytes', rawFrame(0x89, 126, Buffer.alloc(126))],
      ['a continuation with no message', rawFrame(0x80, 1, Buffer.from('x'))],
      ['a new message inside another', Buffer.concat([rawFrame(0x01, 1, Buffer.from('a')), rawFrame(0x81, 1, Buffer.from('b'))])],
      ['a 64-bit length with its top bit', Buffer.from([0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1])],
      ['a close frame of one byte', rawFrame(0x88, 1, Buffer.from([3]))],
      ['close code 1005 (never on the wire)', rawFrame(0x88, 2, Buffer.from([0x03, 0xed]))],
      ['close code 999', rawFrame(0x88, 2, Buffer.from([0x03, 0xe7]))],
    ];
    for (const [what, frame] of cases) {
      const { lines, reader } = readAll([Buffer.concat([frame, clientFrame(OPCODE.text, 'after')])]);
      assert.equal(reader.end?.code, CLOSE_CODE.protocol, what);
      assert.equal(reader.end?.byPeer, false, what);
      assert.deepEqual(lines, [], what);
      assert.equal(reader.read(clientFrame(OPCODE.text, 'later')), undefined, what);
    }
  });

  test("the client's close frame: its code echoed, none if it gave none; a reason not UTF-8 is 1007; what came before it counts", () => {
    const closed = readAll([
      Buffer.concat([
        clientFrame(OPCODE.text, 'QUIT :bye'),
        clientFrame(OPCODE.close, Buffer.from([0x03, 0xe8, 0x6f, 0x6b])),
        clientFrame(OPCODE.text, 'after'),
      ]),
    ]);
    assert.deepEqual(closed.lines, ['QUIT :bye']);
    assert.deepEqual(closed.reader.end, { byPeer: true, code: 1000, reason: 'the client closed the connection' });
    assert.equal(readAll([clientFrame(OPCODE.close, '')]).reader.end?.code, undefined);
    assert.equal(readAll([clientFrame(OPCODE.close, Buffer.from([0x0f, 0xa0]))]).reader.end?.code, 4000);
    const badReason = readAll([clientFrame(OPCODE.close, Buffer.from([0x03, 0xe8, 0xff]))]);
    assert.equal(badReason.reader.end?.code, CLOSE_CODE.invalidData);
  });

  test('what it keeps between reads is a copy: neither an unfinished frame nor a fragment holds its 64 KiB read', async () => {
    const reader = new FrameReader(10 * 1024, () => {});
    const pad = Buffer.concat(Array<Buffer>(490).fill(clientFrame(OPCODE.pong, Buffer.alloc(125))));
    // A read that ends inside a frame, and one whose only data is a 1-byte fragment.
    const half = clientFrame(OPCODE.text, 'hello');
    // (The pads' pongs are charged as empty lines, IDLE_BYTES_PER_LINE: those are left out here.)
    const first = Buffer.concat([pad, half.subarray(0, 4)]);
    assert.equal(nonEmpty(reader.read(first)), '');
    const second = Buffer.concat([half.subarray(4), pad, clientFrame(OPCODE.text, 'x', false)]);
    const lines = reader.read(second);
    assert.equal(nonEmpty(lines), 'hello');
    assert.ok(lines!.buffer !== first.buffer && lines!.buffer !== second.buffer, 'the lines are not a view of a read');
    assert.equal(reader.read(clientFrame(OPCODE.continuation, 'y', false)), undefined);
    // 400 more reads of 64 KiB, each with a 1-byte fragment and half a frame at its end: what
    // stays is the message's bytes and the half frame, not 25 MiB of reads.
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const tail = clientFrame(OPCODE.continuation, 'z', false);
    for (let i = 0; i < 400; i++) {
      const read = Buffer.concat([i === 0 ? Buffer.alloc(0) : tail.subarray(3), pad, tail, tail.subarray(0, 3)]);
      assert.equal(nonEmpty(reader.read(read)), '');
    }
    // Freed buffers' memory goes back after a collection, a moment later (V8 sweeps it).
    let held = 0;
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      gc();
      held = process.memoryUsage().arrayBuffers - before;
    }
    assert.ok(held < 2 * 1024 * 1024, `the reader holds ${held} bytes`);
    assert.equal(nonEmpty(reader.read(Buffer.concat([tail.subarray(3), clientFrame(OPCODE.continuation, '!')]))), `xy${'z'.repeat(800)}!`);
  });
  test('memory: a frame whose bytes come one a read is held as its bytes, not as an object a byte (10 KiB of frame held as 1 MiB)', async () => {
    // docs/web.md: what the reader keeps between reads is "a copy of the bytes it still
    // needs", at most 10 KiB. A client that sends its frame a byte a TCP segment (a slow
    // loris, or any client over a slow link with no-delay) makes a read a byte: each is held
    // as a Buffer of its own until the frame is whole, some 110 bytes of heap a byte. The
    // line framer of the TCP port keeps its partial line in one buffer (LineDecoder).
    const readers = 20;
    const frame = clientFrame(OPCODE.text, 'x'.repeat(10 * 1024));
    const kept: FrameReader[] = [];
    const heldNow = (): number => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    gc();
    const before = heldNow();
    for (let r = 0; r < readers; r++) {
      const reader = new FrameReader(10 * 1024, () => {});
      for (let i = 0; i < frame.length - 1; i++) assert.equal(reader.read(Buffer.from(frame.subarray(i, i + 1))), undefined);
      kept.push(reader);
    }
    let held = 0;
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      gc();
      held = (heldNow() - before) / readers;
    }
    // The readers are alive to here (each still waits for its frame's last byte).
    for (const reader of kept) assert.equal(reader.read(frame.subarray(-1))?.length, 10 * 1024 + 1);
    assert.ok(held < 64 * 1024, `a reader holds ${Math.round(held / 1024)} KiB for a frame of 10 KiB not yet whole`);
  });

  test("RFC 6455, 5.5.2: a ping that comes before the client's close frame, in the same read, is answered (ws did)", () => {
    // "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response, unless
    // it already received a Close frame." The ping came first; its pong may go before our
    // close frame (5.5.1: no data frame after it, and a pong is none).
    const { pongs, reader } = readAll([Buffer.concat([clientFrame(OPCODE.ping, 'last words'), clientFrame(OPCODE.close, Buffer.from([0x03, 0xe8]))])]);
    assert.equal(reader.end?.byPeer, true);
    assert.deepEqual(pongs, ['last words']);
  });

  test('frames that carry no line cost an empty line a 4 KiB (flood control charges it); a message in more than MAX_FRAGMENTS frames is 1008', () => {
    const reader = new FrameReader(10 * 1024, () => {});
    const pong = clientFrame(OPCODE.pong, Buffer.alloc(122)); // 128 bytes with its header
    assert.equal(pong.length, 128);
    assert.equal(reader.read(Buffer.concat(Array<Buffer>(31).fill(pong))), undefined, '3968 bytes: not yet');
    assert.equal(reader.read(pong)?.toString(), '\n', 'the 4096th byte');
    assert.equal(reader.read(Buffer.concat([...Array<Buffer>(64).fill(pong), clientFrame(OPCODE.text, 'hi')]))?.toString(), 'hi\n\n\n');
    const fragments = [clientFrame(OPCODE.text, 'a', false), ...Array.from({ length: MAX_FRAGMENTS - 2 }, () => clientFrame(OPCODE.continuation, '', false))];
    const whole = readAll([...fragments, clientFrame(OPCODE.continuation, 'b')]);
    assert.equal(whole.reader.end, undefined);
    assert.deepEqual(whole.lines.filter(Boolean), ['ab']);
    const over = readAll([...fragments, clientFrame(OPCODE.continuation, '', false), clientFrame(OPCODE.continuation, 'b')]);
    assert.equal(over.reader.end?.code, CLOSE_CODE.policy);
  });
});
