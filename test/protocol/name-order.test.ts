import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namesByRooms } from '../../src/protocol/name-order.js';

test('users in the same rooms (in any order or case) form one group, its names in /who order; users in no room none', () => {
  assert.deepEqual(
    namesByRooms([
      { name: 'carol', rooms: ['lobby', 'dev'] },
      { name: 'Alice', rooms: ['Dev', 'lobby'] },
      { name: 'bob', rooms: ['lobby'] },
      { name: 'dave', rooms: [] },
      { name: 'erin', rooms: ['lobby'] },
    ]),
    [
      { rooms: ['lobby', 'dev'], names: ['Alice', 'carol'] },
      { rooms: ['lobby'], names: ['bob', 'erin'] },
    ],
  );
  assert.deepEqual(namesByRooms([]), []);
});
