import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs } from '../../src/client/backoff.js';

test('backoff doubles from 1 s up to 30 s, spread by +-20 %', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffMs(a, () => 0.5)),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
  );
  assert.equal(
    backoffMs(0, () => 0),
    800,
  );
  assert.equal(
    backoffMs(0, () => 1),
    1200,
  );
});
