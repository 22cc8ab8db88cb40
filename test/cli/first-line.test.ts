import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { readFirstLine } from '../../src/cli/first-line.js';

test('the first line of a stream, however it is split, stops at the LF', async () => {
  const stream = new PassThrough();
  const line = readFirstLine(stream);
  const bytes = Buffer.from('pässwort\r\nsecond line\n');
  // Split inside the two bytes of "ä": decoded once whole, it stays one character.
  stream.write(bytes.subarray(0, 2));
  await new Promise((resolve) => setImmediate(resolve));
  stream.write(bytes.subarray(2));
  assert.equal(await line, 'pässwort');
});

test('a stream that ends without an LF gives what it had; an empty one gives ""', async () => {
  const a = new PassThrough();
  const lineA = readFirstLine(a);
  a.end('no newline');
  assert.equal(await lineA, 'no newline');
  const b = new PassThrough();
  const lineB = readFirstLine(b);
  b.end();
  assert.equal(await lineB, '');
});

test('reading stops after the limit: an endless line cannot fill memory', async () => {
  const stream = new PassThrough();
  const line = readFirstLine(stream, 1000);
  for (let i = 0; i < 10; i++) stream.write('x'.repeat(300));
  assert.ok((await line).length < 1300);
  assert.ok(stream.isPaused(), 'nothing more is read');
});
