import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frame, FrameReader, frameHead } from '../../../src/hub/redis/peer-frames.js';

const text = (frames: ReturnType<FrameReader['push']>) => (frames === 'bad' ? 'bad' : frames.map((f) => `${f.type}:${f.payload.toString()}`));

test('frames come out whole however the bytes were cut: one byte at a time, several in one read', () => {
  const bytes = Buffer.concat([frame('N', 'abc'), frame('K', ''), frameHead('B', 5), Buffer.from('1 - \n'), frame('A', '7')]);
  const reader = new FrameReader(64);
  const got: string[] = [];
  for (const byte of bytes) got.push(...(text(reader.push(Buffer.from([byte]))) as string[]));
  assert.deepEqual(got, ['N:abc', 'K:', 'B:1 - \n', 'A:7']);
  assert.deepEqual(text(new FrameReader(64).push(bytes)), ['N:abc', 'K:', 'B:1 - \n', 'A:7']);
});

test('a frame past the limit, empty, or of no known type closes the link, and nothing after it is read', () => {
  const tooLong = new FrameReader(16);
  // Refused on its length alone: the 17 bytes are never waited for.
  assert.equal(tooLong.push(frameHead('B', 16)), 'bad');
  assert.equal(tooLong.push(frame('A', '1')), 'bad');
  const empty = Buffer.alloc(4);
  assert.equal(new FrameReader(16).push(empty), 'bad');
  assert.equal(new FrameReader(16).push(Buffer.from([0, 0, 0, 2, 0x5a, 0x20])), 'bad');
  // A length split over two reads is read whole.
  const split = new FrameReader(16);
  assert.deepEqual(split.push(Buffer.from([0, 0])), []);
  assert.deepEqual(text(split.push(Buffer.from([0, 2, 0x41, 0x39]))), ['A:9']);
});
