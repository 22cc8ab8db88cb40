import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineDecoder } from '../../src/protocol/decoder.js';

type Event = string | 'OVERFLOW';

function decoderFor(maxLine: number): { decoder: LineDecoder; events: Event[] } {
  const events: Event[] = [];
  const decoder = new LineDecoder(maxLine, {
    line: (bytes) => events.push(bytes.toString('latin1')),
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

  test('a CR that is not right before the LF stays (sanitising removes it later)', () => {
    assertSplitInvariant(Buffer.from('a\rb\n\r\r\n'), 16, ['a\rb', '\r']);
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

  test('binary garbage and NUL bytes pass through as bytes', () => {
    assertSplitInvariant(Buffer.from([0, 0xff, 0xfe, 10, 0xc3, 10]), 16, ['\x00\xff\xfe', '\xc3']);
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

  test('pending bytes do not keep the caller\'s buffer', () => {
    const { decoder, events } = decoderFor(16);
    const chunk = Buffer.from('abc');
    decoder.push(chunk);
    chunk.fill(0x7a);
    decoder.push(Buffer.from('\n'));
    assert.deepEqual(events, ['abc']);
  });
});
