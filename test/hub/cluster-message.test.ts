import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, encodeDirect, encodeEviction, encodeRemoval, encodeRoom } from '../../src/hub/cluster-message.js';

test('cluster messages carry origin and recipient, and the bytes untouched', () => {
  const body = Buffer.from('<alice> hi\n* bob joined\n\xff', 'latin1');
  assert.deepEqual(decodeMessage(encodeRoom('host-1-ab', 'lobby', body)), {
    origin: 'host-1-ab',
    room: 'lobby',
    skip: undefined,
    server: undefined,
    to: undefined,
    evict: undefined,
    remove: undefined,
    body,
  });
  const skipping = decodeMessage(encodeRoom('host-1-ab', 'dev', body, 'host-2-cd'));
  assert.deepEqual([skipping?.room, skipping?.skip, skipping?.to], ['dev', 'host-2-cd', undefined]);
  const direct = decodeMessage(encodeDirect('host-1-ab', 'host-2-cd', 'bob', body));
  assert.deepEqual([direct?.server, direct?.to, direct?.room, direct?.evict, direct?.body], ['host-2-cd', 'bob', undefined, undefined, body]);
  // An eviction names a user of a server, and is neither a room nor a direct message.
  const eviction = decodeMessage(encodeEviction('host-1-ab', 'host-2-cd', 'alice'));
  assert.deepEqual([eviction?.server, eviction?.evict, eviction?.to, eviction?.room, eviction?.body.length], ['host-2-cd', 'alice', undefined, undefined, 0]);
  // An operator's removal names a user of a server and carries what it is told.
  const removal = decodeMessage(encodeRemoval('host-1-ab', 'host-2-cd', 'bob', { line: '! kicked by op', shown: 'kicked by op' }));
  assert.deepEqual([removal?.server, removal?.remove, removal?.to, removal?.evict], ['host-2-cd', 'bob', undefined, undefined]);
  assert.deepEqual(JSON.parse(removal?.body.toString() ?? ''), { line: '! kicked by op', shown: 'kicked by op' });
});

test('anything else in the stream is ignored, not delivered', () => {
  // A room message names its room; a direct message and an eviction name a server and a user.
  const junk = ['', 'hello', 'a b\n', 'a * \nx', 'a *\nx', 'a * r extra\nx', 'a @ bob\nx', 'a @srv\nx', 'a !srv bob\nbody', 'a ! bob\n', 'a ~ bob\n{}', 'a ?srv bob\nx', ' * r\nx'];
  for (const bad of junk) {
    assert.equal(decodeMessage(Buffer.from(bad)), undefined, JSON.stringify(bad));
  }
});
