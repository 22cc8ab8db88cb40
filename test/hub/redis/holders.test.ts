import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareIds, Holders } from '../../../src/hub/redis/holders.js';

test('stream ids are ordered by time, then by sequence, as numbers', () => {
  assert.ok(compareIds('1700000000000-5', '1700000000001-0') < 0);
  assert.ok(compareIds('1700000000000-10', '1700000000000-9') > 0);
  assert.equal(compareIds('5-3', '5-3'), 0);
  assert.ok(compareIds('0-0', '1-0') < 0);
});

test('a holder learned is known until a change of that name is read; other names stay known', () => {
  const holders = new Holders('us');
  holders.learn('bob', 'two', '100-0');
  holders.learn('carol', 'two', '100-0');
  assert.equal(holders.get('bob'), 'two');
  assert.deepEqual(holders.serversOf(['bob', 'carol']), ['two', 'two']);
  holders.changed('101-0', ['bob']);
  assert.equal(holders.get('bob'), undefined);
  assert.equal(holders.get('carol'), 'two');
  assert.equal(holders.serversOf(['carol', 'bob']), undefined, 'one name unknown: the turn is looked up');
});

test('an answer from before a change already read is not learned: it may be older than the change', () => {
  const holders = new Holders('us');
  // The reader saw the change at 200-0 before the answer of entry 150-0 came on the other connection.
  holders.changed('200-0', ['dave']);
  holders.learn('bob', 'two', '150-0');
  holders.learn('bob', 'two', '200-0');
  assert.equal(holders.get('bob'), undefined);
  holders.learn('bob', 'two', '200-1');
  assert.equal(holders.get('bob'), 'two');
  // A change read late, from before the newest one, does not move the mark back.
  holders.changed('180-0', ['erin']);
  holders.learn('carol', 'two', '190-0');
  assert.equal(holders.get('carol'), undefined);
});

test('our own users are never learned; clear forgets names but not the last change; restart forgets both', () => {
  const holders = new Holders('us');
  holders.learn('alice', 'us', '100-0');
  assert.equal(holders.get('alice'), undefined);
  holders.changed('300-0', []);
  holders.learn('bob', 'two', '301-0');
  holders.clear();
  assert.equal(holders.get('bob'), undefined);
  holders.learn('bob', 'two', '250-0');
  assert.equal(holders.get('bob'), undefined, 'an answer older than a change read before the outage');
  // Redis lost its data: the stream's ids begin again, below the last change seen.
  holders.restart();
  holders.learn('bob', 'two', '5-0');
  assert.equal(holders.get('bob'), 'two');
});

test('the memory is bounded: past its size it starts again rather than grow', () => {
  const holders = new Holders('us', 3);
  for (const name of ['a', 'b', 'c']) holders.learn(name, 'two', '1-0');
  holders.learn('a', 'three', '1-1');
  assert.equal(holders.size, 3, 'a name known already is replaced, not added');
  holders.learn('d', 'two', '1-2');
  assert.equal(holders.size, 1);
  assert.equal(holders.get('d'), 'two');
});

test('a name Redis says nobody holds is forgotten at once, before its change is read', () => {
  const holders = new Holders('us');
  holders.learn('bob', 'two', '100-0');
  holders.forget('bob');
  assert.equal(holders.get('bob'), undefined);
});

test('a reader far behind the entries we add forgets everything: the changes it has not read may be trimmed by then', () => {
  const holders = new Holders('us');
  holders.learn('bob', 'two', '100000-0');
  holders.lagging('104000-0', '100000-0', 19_000);
  assert.equal(holders.get('bob'), 'two', 'a few seconds behind: kept');
  holders.lagging('110000-0', '100000-0', 19_000);
  assert.equal(holders.get('bob'), undefined, 'half of what the stream keeps behind: forgotten');
  holders.learn('bob', 'two', '110000-1');
  holders.lagging('120000-0', '0-0', 19_000);
  assert.equal(holders.get('bob'), 'two', 'nothing read yet, from an empty stream: nothing missed');
});

test('an answer to a lookup asked before a clear is not learned: changes may have been missed since', () => {
  const holders = new Holders('one');
  const asked = holders.generation;
  holders.clear(); // Redis lost, as the answer was on its way
  holders.learn('bob', 'two', '100-0', asked);
  assert.equal(holders.get('bob'), undefined);
  holders.learn('bob', 'two', '100-0', holders.generation);
  assert.equal(holders.get('bob'), 'two', 'a lookup asked after it is');
});
