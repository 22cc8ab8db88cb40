import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, Dedupe, DEDUPE_WINDOW, encodeEviction, encodeMessage } from '../../src/hub/cluster-message.js';

test('cluster messages carry origin, counter and recipient, and the bytes untouched', () => {
  const body = Buffer.from('<alice> hi\n* bob joined\n\xff', 'latin1');
  assert.deepEqual(decodeMessage(encodeMessage('host-1-ab', 7, undefined, body, '', 'lobby')), {
    origin: 'host-1-ab',
    counter: 7,
    to: undefined,
    skip: undefined,
    room: 'lobby',
    evict: undefined,
    body,
  });
  assert.deepEqual(decodeMessage(encodeMessage('host-1-ab', 8, 'bob', body))?.to, 'bob');
  assert.equal(decodeMessage(encodeMessage('host-1-ab', 8, 'bob', body))?.room, undefined);
  const skipping = decodeMessage(encodeMessage('host-1-ab', 9, undefined, body, 'host-2-cd', 'dev'));
  assert.deepEqual([skipping?.to, skipping?.skip, skipping?.room], [undefined, 'host-2-cd', 'dev']);
  // An eviction names a user, and is neither a room nor a direct message.
  const eviction = decodeMessage(encodeEviction('host-1-ab', 10, 'alice'));
  assert.deepEqual([eviction?.evict, eviction?.to, eviction?.skip, eviction?.room, eviction?.body.length], ['alice', undefined, undefined, undefined, 0]);
});

test('anything else on the channel is ignored, not delivered', () => {
  // A counter past 15 digits is not a safe integer: the window could not count on it.
  // A room message names its room; a direct one and an eviction have none.
  const junk = ['', 'hello', 'a b\n', 'a 0 * r\nx', 'a -1 * r\nx', 'a 1 * r extra\nx', 'a 1 !\n', 'a x * r\n', 'a 9007199254740993 * r\nx', 'a 1 *\nx', 'a 1 bob dev\nx', 'a 1 !bob dev\n'];
  for (const bad of junk) {
    assert.equal(decodeMessage(Buffer.from(bad)), undefined, JSON.stringify(bad));
  }
});

test('each message is delivered once: a counter seen before from its origin is a duplicate', () => {
  const dedupe = new Dedupe();
  assert.equal(dedupe.accept('one', 1), true);
  assert.equal(dedupe.accept('one', 1), false);
  assert.equal(dedupe.accept('two', 1), true, 'counters are per origin');
  assert.equal(dedupe.accept('one', 3), true, 'gaps are fine: direct messages go to one server only');
  // Out of order (a script resent after NOSCRIPT, overtaken by a PUBLISH): still delivered once.
  assert.equal(dedupe.accept('one', 2), true);
  assert.equal(dedupe.accept('one', 2), false);
  assert.equal(dedupe.accept('one', 3), false);
});

test('the window slides: late messages within it count once, older ones are dropped', () => {
  const dedupe = new Dedupe();
  assert.equal(dedupe.accept('one', 10), true);
  assert.equal(dedupe.accept('one', 10 + DEDUPE_WINDOW - 1), true);
  assert.equal(dedupe.accept('one', 11), true, 'still inside the window');
  assert.equal(dedupe.accept('one', 11), false);
  assert.equal(dedupe.accept('one', 10), false, 'seen before, at the window\'s far edge');
  // A jump of more than a window forgets every earlier bit, and nothing wraps around.
  assert.equal(dedupe.accept('one', 5 * DEDUPE_WINDOW + 11), true);
  assert.equal(dedupe.accept('one', 4 * DEDUPE_WINDOW + 12), true, 'never seen, inside the new window');
  assert.equal(dedupe.accept('one', 4 * DEDUPE_WINDOW + 11), false, 'out of the window');
  // The largest counter a message may carry: one step, not a loop over the gap.
  assert.equal(dedupe.accept('one', 999_999_999_999_999), true);
  assert.equal(dedupe.accept('one', 999_999_999_999_998), true);
  assert.equal(dedupe.accept('one', 999_999_999_999_999), false);
  dedupe.forget('one');
  assert.equal(dedupe.accept('one', 11), true, 'a forgotten origin starts afresh');
});
