import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InOrder } from '../../../src/hub/redis/peer-order.js';

const b = (s: string) => Buffer.from(s);
const texts = (r: { entries: Buffer[]; last: number }) => [r.entries.map(String), r.last];

test('a batch by link waits until the reader has read the stream entry sent before it, and holds back those behind it', () => {
  const order = new InOrder(2000);
  order.add(1, '100-5', b('after a stream entry'), 0);
  order.add(2, '-', b('needs nothing'), 0);
  assert.deepEqual(texts(order.release('100-4', 10)), [[], -1]);
  assert.equal(order.waiting, true);
  assert.equal(order.bytes, 'after a stream entry'.length + 'needs nothing'.length);
  assert.deepEqual(texts(order.release('100-5', 20)), [['after a stream entry', 'needs nothing'], 2]);
  assert.equal(order.waiting, false);
  assert.equal(order.bytes, 0);
});

test('ids compare as numbers, and a batch whose entry never comes goes after the hold', () => {
  const order = new InOrder(2000);
  order.add(7, '99-10', b('x'), 1000);
  assert.deepEqual(texts(order.release('99-9', 1500)), [[], -1]);
  assert.deepEqual(texts(order.release('100-0', 1600)), [['x'], 7]);
  order.add(8, '200-0', b('lost entry'), 5000);
  assert.deepEqual(texts(order.release('100-0', 6999)), [[], -1]);
  assert.deepEqual(texts(order.release('100-0', 7000)), [['lost entry'], 8]);
});
