import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, Dedupe, encodeMessage } from '../../src/hub/cluster-message.js';

test('cluster messages carry origin, counter and recipient, and the bytes untouched', () => {
  const body = Buffer.from('<alice> hi\n* bob joined\n\xff', 'latin1');
  assert.deepEqual(decodeMessage(encodeMessage('host-1-ab', 7, undefined, body)), {
    origin: 'host-1-ab',
    counter: 7,
    to: undefined,
    skip: undefined,
    body,
  });
  assert.deepEqual(decodeMessage(encodeMessage('host-1-ab', 8, 'bob', body))?.to, 'bob');
  const skipping = decodeMessage(encodeMessage('host-1-ab', 9, undefined, body, 'host-2-cd'));
  assert.deepEqual([skipping?.to, skipping?.skip], [undefined, 'host-2-cd']);
});

test('anything else on the channel is ignored, not delivered', () => {
  for (const junk of ['', 'hello', 'a b\n', 'a 0 *\nx', 'a -1 *\nx', 'a 1 * extra\nx', 'a x *\n']) {
    assert.equal(decodeMessage(Buffer.from(junk)), undefined, JSON.stringify(junk));
  }
});

test('each message is delivered once: a counter not above the last from its origin is a duplicate', () => {
  const dedupe = new Dedupe();
  assert.equal(dedupe.accept('one', 1), true);
  assert.equal(dedupe.accept('one', 1), false);
  assert.equal(dedupe.accept('two', 1), true, 'counters are per origin');
  assert.equal(dedupe.accept('one', 3), true, 'gaps are fine: direct messages go to one server only');
  assert.equal(dedupe.accept('one', 2), false);
});
