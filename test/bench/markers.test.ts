import assert from 'node:assert/strict';
import { test } from 'node:test';
import { marker, MarkerScanner } from '../../bench/markers.js';

type Found = [number, number, number];

function scanAll(chunks: Buffer[]): Found[] {
  const scanner = new MarkerScanner();
  const found: Found[] = [];
  // One shared buffer, reused for every read, as the load generator reads.
  const shared = Buffer.alloc(4096, 0x7e);
  for (const chunk of chunks) {
    chunk.copy(shared);
    scanner.scan(shared, chunk.length, (s, m, t) => found.push([s, m, t]));
  }
  return found;
}

const stream = Buffer.from(
  `${[
    '* connected from 127.0.0.1:5000',
    `*c1* ${marker(1, 0, 123456)} xxxxxxxx`,
    `<c2> ${marker(2, 17, 9)} padding ~ with ~1.2 stray ~3.4.x~ tildes`,
    `*c3* ${marker(30, 4000, 1234567890123)} ${marker(31, 1, 2)}`,
    '! something ~ else',
  ].join('\n')}\n`,
);
const expected: Found[] = [
  [1, 0, 123456],
  [2, 17, 9],
  [30, 4000, 1234567890123],
  [31, 1, 2],
];

test('markers: found anywhere in the bytes, stray tildes ignored', () => {
  assert.deepEqual(scanAll([stream]), expected);
});

test('markers: a read cut at any byte offset loses and invents nothing', () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    assert.deepEqual(scanAll([stream.subarray(0, cut), stream.subarray(cut)]), expected, `cut at ${cut}`);
  }
});

test('markers: one byte per read', () => {
  const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
  assert.deepEqual(scanAll(bytes), expected);
});

test('markers: bytes beyond the read in a reused buffer are never scanned', () => {
  const scanner = new MarkerScanner();
  const shared = Buffer.from(`abc ${marker(5, 5, 5)}`);
  const found: Found[] = [];
  scanner.scan(shared, 3, (s, m, t) => found.push([s, m, t]));
  assert.deepEqual(found, []);
});
