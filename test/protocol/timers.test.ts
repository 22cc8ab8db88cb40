import assert from 'node:assert/strict';
import { test } from 'node:test';
import { realTimers } from '../../src/protocol/timers.js';

/** Spins until the wall clock has moved MS past FROM: no timer, no sleep. */
function spinUntil(from: number, ms: number): number {
  let now = Date.now();
  while (now < from + ms) now = Date.now();
  return now;
}

test('realTimers.now: read once per task, the same within it', () => {
  // Between two reads of the wall clock, not within 1 ms of one: on a busy machine the
  // process may be descheduled between any two lines.
  const before = Date.now();
  const first = realTimers.now();
  const after = Date.now();
  assert.ok(first >= before && first <= after, `the wall clock: ${first} not within ${before} to ${after}`);
  spinUntil(first, 3);
  assert.equal(realTimers.now(), first, 'a second call in the same task gives the same time');
});

test('realTimers.now: once the task and its microtasks are done, the clock is read again', async () => {
  const first = realTimers.now();
  const later = spinUntil(first, 3);
  await Promise.resolve();
  assert.ok(realTimers.now() >= later, 'a continuation after an await reads the clock anew');
  const again = realTimers.now();
  const after = spinUntil(again, 3);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(realTimers.now() >= after, 'and so does the next event-loop turn');
});
