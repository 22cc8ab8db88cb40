import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineDecoder } from '../../../src/dialects/line/decoder.js';
import { decodeText } from '../../../src/protocol/sanitize.js';

type Event = string | 'OVERFLOW';

function decoderFor(maxLine: number): { decoder: LineDecoder; events: Event[] } {
  const events: Event[] = [];
  const decoder = new LineDecoder(maxLine, {
    line: (text) => events.push(text),
    overflow: () => events.push('OVERFLOW'),
  });
  return { decoder, events };
}

/** Feeds INPUT split at every pair of offsets and checks the events never change. */
function assertSplitInvariant(input: Buffer, maxLine: number, expected: Event[]): void {
  for (let i = 0; i <= input.length; i++) {
    for (let j = i; j <= input.length; j++) {
      const { decoder, events } = decoderFor(maxLine);
      decoder.push(input.subarray(0, i));
      decoder.push(input.subarray(i, j));
      decoder.push(input.subarray(j));
      assert.deepEqual(events, expected, `split at ${i} and ${j}`);
      assert.ok(decoder.pendingBytes <= maxLine + 1);
    }
  }
}

describe('LineDecoder', () => {
  test('LF and CRLF end lines, at every split', () => {
    assertSplitInvariant(Buffer.from('one\ntwo\r\n\r\nthree\nfour'), 16, ['one', 'two', '', 'three']);
  });

  test('a CR that is not right before the LF is a control character, removed like the others', () => {
    assertSplitInvariant(Buffer.from('a\rb\n\r\r\n'), 16, ['ab', '']);
  });

  test('a line of exactly maxLine bytes passes, with LF or CRLF, at every split', () => {
    assertSplitInvariant(Buffer.from('12345678\n12345678\r\nx\n'), 8, ['12345678', '12345678', 'x']);
  });

  test('one byte more is refused once, and the next line is fine, at every split', () => {
    assertSplitInvariant(Buffer.from('123456789\nok\n123456789\r\nok\n'), 8, ['OVERFLOW', 'ok', 'OVERFLOW', 'ok']);
  });

  test('an overlong line is reported once however many chunks it spans', () => {
    const { decoder, events } = decoderFor(8);
    for (let i = 0; i < 1000; i++) decoder.push(Buffer.from('0123456789'));
    decoder.push(Buffer.from('tail\nnext\n'));
    assert.deepEqual(events, ['OVERFLOW', 'next']);
  });

  test('a megabyte without LF never buffers more than maxLine + 1 bytes', () => {
    const { decoder, events } = decoderFor(4096);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let most = 0;
    for (let sent = 0; sent < 1024 * 1024; sent += chunk.length) {
      decoder.push(chunk);
      most = Math.max(most, decoder.pendingBytes);
    }
    assert.ok(most <= 4097, `held ${most} bytes`);
    assert.deepEqual(events, ['OVERFLOW']);
    decoder.push(Buffer.from('\nafter\n'));
    assert.deepEqual(events, ['OVERFLOW', 'after']);
  });

  test('one byte at a time: the memory held stays within maxLine + 1', () => {
    const { decoder, events } = decoderFor(4096);
    let most = 0;
    for (let i = 0; i < 4096; i++) {
      decoder.push(Buffer.from('x'));
      most = Math.max(most, decoder.bufferBytes);
    }
    assert.ok(most <= 4097, `held a ${most}-byte buffer`);
    decoder.push(Buffer.from('\n'));
    assert.equal(events[0]?.length, 4096);
    assert.equal(decoder.bufferBytes, 0, 'nothing held between lines');
  });

  test('binary garbage becomes U+FFFD and NUL bytes go, at every split', () => {
    assertSplitInvariant(Buffer.from([0, 0xff, 0xfe, 10, 0xc3, 10]), 16, ['\ufffd\ufffd', '\ufffd']);
  });

  test('UTF-8 cut between reads comes out whole, at every split', () => {
    assertSplitInvariant(Buffer.from('héllo wörld\n日本\nok 🎉\n'), 32, ['héllo wörld', '日本', 'ok 🎉']);
  });

  test('the byte limit holds for lines decoded a read at a time, at every split', () => {
    // Many lines in one read take the path that decodes the read at once.
    assertSplitInvariant(Buffer.from('a\n12345678\n123456789\nb\n'), 8, ['a', '12345678', 'OVERFLOW', 'b']);
  });

  test('any bytes cut anywhere give the lines that decoding each line on its own gives', () => {
    // Reads that are decoded at once (plain ASCII, invalid bytes) and reads that are not
    // (controls, CR, multi-byte characters, lines longer than the limit) mixed at random.
    const pieces = ['ab', 'x y', '\n', '\r\n', '\t', '\x1b[2J', '\x7f', '\u0085', 'é', '🎉', '\xff', '@bob:hi', ''.padEnd(40, 'z')];
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const parts: Buffer[] = [];
      for (let i = random(30); i >= 0; i--) {
        const piece = pieces[random(pieces.length)]!;
        parts.push(piece === '\xff' ? Buffer.from([0xff]) : Buffer.from(piece));
      }
      const input = Buffer.concat(parts);
      const expected: Event[] = [];
      let start = 0;
      for (let lf = input.indexOf(10); lf !== -1; lf = input.indexOf(10, start)) {
        let line = input.subarray(start, lf);
        if (line.at(-1) === 13) line = line.subarray(0, -1);
        expected.push(line.length > 48 ? 'OVERFLOW' : decodeText(line));
        start = lf + 1;
      }
      // An unfinished line is reported as soon as it cannot fit any more.
      if (input.length - start > 49) expected.push('OVERFLOW');
      const { decoder, events } = decoderFor(48);
      for (let at = 0; at < input.length; ) {
        const next = Math.min(input.length, at + 1 + random(64));
        decoder.push(input.subarray(at, next));
        at = next;
      }
      assert.deepEqual(events, expected, `input ${JSON.stringify(input.toString('latin1'))}`);
    }
  });

  test('flush takes pending bytes as a line and ends a discarded one', () => {
    const { decoder, events } = decoderFor(4);
    decoder.push(Buffer.from('hi\r'));
    assert.equal(decoder.hasPending, true);
    decoder.flush();
    assert.deepEqual(events, ['hi']);
    decoder.push(Buffer.from('toolong'));
    decoder.flush();
    decoder.push(Buffer.from('ok\n'));
    assert.deepEqual(events, ['hi', 'OVERFLOW', 'ok']);
    decoder.flush();
    assert.deepEqual(events, ['hi', 'OVERFLOW', 'ok'], 'nothing pending: flush adds nothing');
  });

  test('a read is let go of once its lines are taken, also when the last one was too long', () => {
    const { decoder, events } = decoderFor(16);
    decoder.push(Buffer.from(`a\nb\n${'x'.repeat(100)}\n`));
    assert.deepEqual(events, ['a', 'b', 'OVERFLOW']);
    assert.equal(decoder.bufferBytes, 0, 'nothing of the read is held');
    decoder.push(Buffer.from('c\nd\ne\n'));
    assert.equal(decoder.bufferBytes, 0);
  });

  test("a Buffer used again for the next read gives that read's lines", () => {
    const { decoder, events } = decoderFor(16);
    const read = Buffer.from('ok\nxx\n');
    assert.equal(decoder.pushLine(read, 0), 3, 'one line taken, the rest left');
    read.write('hi\nyo\n');
    decoder.push(read);
    assert.deepEqual(events, ['ok', 'hi', 'yo']);
  });

  test("pending bytes do not keep the caller's buffer", () => {
    const { decoder, events } = decoderFor(16);
    const chunk = Buffer.from('abc');
    decoder.push(chunk);
    chunk.fill(0x7a);
    decoder.push(Buffer.from('\n'));
    assert.deepEqual(events, ['abc']);
  });
});
