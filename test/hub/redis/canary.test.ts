import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Canary } from '../../../src/hub/redis/canary.js';

test('a canary read back in time gives its round trip; one that never comes is late after lateMs', () => {
  let now = 1000;
  const canary = new Canary(500, () => now);
  const trips: number[] = [];
  canary.onRoundTrip((ms) => trips.push(ms));
  canary.written();
  now += 3;
  canary.read();
  assert.deepEqual(trips, [3]);
  assert.equal(canary.late(), undefined);
  canary.written();
  now += 500;
  assert.equal(canary.late(), undefined, 'at lateMs exactly: not yet');
  canary.written();
  now += 1;
  assert.equal(canary.late(), 501, 'the oldest waiting one counts');
  canary.read();
  assert.deepEqual(trips, [3, 501]);
  assert.equal(canary.late(), undefined, 'the next one is 1 ms old');
  canary.reset();
  now += 10_000;
  assert.equal(canary.late(), undefined, 'forgotten: a reader made again starts afresh');
  canary.read();
  assert.deepEqual(trips, [3, 501], 'a canary from before the reset is not timed');
});

test('a write that failed is taken back: it is never waited for', () => {
  let now = 0;
  const canary = new Canary(100, () => now);
  const takeBack = canary.written();
  now += 1;
  canary.written();
  takeBack();
  now += 100;
  assert.equal(canary.late(), undefined);
  now += 1;
  assert.equal(canary.late(), 101);
});

test('a stream that delivers nothing for long keeps a bounded list of canaries', () => {
  let now = 0;
  const canary = new Canary(100, () => now);
  for (let i = 0; i < 10_000; i++) {
    canary.written();
    now += 1;
  }
  assert.equal(canary.late(), 10_000, 'the oldest is kept');
});
