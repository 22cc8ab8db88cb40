import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchedStderr } from '../../src/cli/stderr-batch.js';

test('the lines of one turn go out in one write, in order; the next turn in the next', async () => {
  const writes: string[] = [];
  const out = new BatchedStderr({ write: (text: string) => writes.push(text) });
  out.write('a\n');
  out.write('b\n');
  assert.deepEqual(writes, [], 'nothing during the turn');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, ['a\nb\n']);
  out.write('c\n');
  out.flush();
  assert.deepEqual(writes, ['a\nb\n', 'c\n'], 'flush writes at once');
  out.flush();
  assert.equal(writes.length, 2, 'nothing left, nothing written');
});
