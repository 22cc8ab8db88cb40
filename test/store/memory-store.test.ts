import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entryBytes, MemoryStore } from '../../src/store/memory-store.js';
import { storeContract } from './contract.js';

storeContract({ make: async (_t, limits, clock) => new MemoryStore(limits, clock.now) });

test('the memory store holds at most historyMemory bytes over all rooms, dropping the oldest of the chat', () => {
  const line = { at: 0, from: 'alice', text: 'x'.repeat(4000) };
  const budget = 200 * entryBytes(line);
  const store = new MemoryStore({ historyMemory: budget });
  for (let room = 0; room < 10_000; room++) store.append(`room${room}`, { ...line, at: room });
  assert.ok(store.historyBytes <= budget, `${store.historyBytes} bytes held, budget ${budget}`);
  assert.ok(store.historyBytes > budget - entryBytes(line) * 2);
  assert.deepEqual(store.history('room0', 10), [], 'the oldest rooms lost their history first');
  assert.deepEqual(
    store.history('room9999', 10).map((e) => e.at),
    [9999],
  );
  assert.deepEqual(
    store.history('room9800', 10).map((e) => e.at),
    [9800],
  );
  assert.deepEqual(store.history('room9799', 10), []);
});

test('a room at its limit for a long time holds no more than its limit (stale bookkeeping is compacted)', () => {
  const store = new MemoryStore({ history: 10 });
  for (let i = 0; i < 100_000; i++) store.append('busy', { at: i, from: 'a', text: 'x' });
  assert.deepEqual(
    store.history('busy', 100).map((e) => e.at),
    [99_990, 99_991, 99_992, 99_993, 99_994, 99_995, 99_996, 99_997, 99_998, 99_999],
  );
  assert.equal(store.historyBytes, 10 * entryBytes({ at: 0, from: 'a', text: 'x' }));
});
