import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InOrder } from '../../../src/hub/redis/peer-order.js';

const b = (s: string) => Buffer.from(s);
const texts = (r: Buffer[]) => r.map(String);

test('a batch by link waits until the reader has read the stream entry sent before it, and holds back those behind it', () => {
  const order = new InOrder();
  order.add('100-5', b('after a stream entry'));
  order.add('-', b('needs nothing'));
  assert.deepEqual(texts(order.release('100-4')), []);
  assert.equal(order.waiting, true);
  assert.equal(order.bytes, 'after a stream entry'.length + 'needs nothing'.length);
  assert.deepEqual(texts(order.release('100-5')), ['after a stream entry', 'needs nothing']);
  assert.equal(order.waiting, false);
  assert.equal(order.bytes, 0);
});

test('ids compare as numbers; a batch waits for as long as the reader is short of its entry, and goes once any later one is read', () => {
  const order = new InOrder();
  order.add('99-10', b('x'));
  assert.deepEqual(texts(order.release('99-9')), []);
  assert.deepEqual(texts(order.release('100-0')), ['x']);
  // An entry lost in a failover: the next one read, with a higher id, lets it go.
  order.add('200-0', b('after a lost entry'));
  assert.deepEqual(texts(order.release('199-99')), []);
  assert.deepEqual(texts(order.release('200-1')), ['after a lost entry']);
});
