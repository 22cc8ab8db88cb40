import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchedStderr, STDERR_DELAY_MS } from '../../src/cli/stderr-batch.js';
import { FakeClock } from '../helpers/fake-clock.js';

test('log lines go out together once they have waited STDERR_DELAY_MS, in order', () => {
  const writes: string[] = [];
  const clock = new FakeClock();
  const out = new BatchedStderr({ write: (text: string) => writes.push(text) }, clock);
  out.write('a\n');
  clock.advance(STDERR_DELAY_MS - 1);
  out.write('b\n');
  assert.deepEqual(writes, [], 'nothing before the delay');
  clock.advance(1);
  assert.deepEqual(writes, ['a\nb\n'], 'the delay counts from the first line waiting');
  out.write('c\n');
  out.flush();
  assert.deepEqual(writes, ['a\nb\n', 'c\n'], 'flush writes at once');
  clock.advance(STDERR_DELAY_MS);
  out.flush();
  assert.equal(writes.length, 2, 'nothing left, nothing written');
  assert.equal(clock.pending, 0, 'no timer left behind');
});

test('a flood of log lines goes out at 64 KiB without waiting: what waits stays bounded', () => {
  const writes: string[] = [];
  const clock = new FakeClock();
  const out = new BatchedStderr({ write: (text: string) => writes.push(text) }, clock);
  const line = `${'x'.repeat(1023)}\n`;
  for (let i = 0; i < 64; i++) out.write(line);
  assert.equal(writes.length, 1, 'written at 64 KiB, no timer needed');
  assert.equal(writes[0], line.repeat(64));
  out.write('tail\n');
  clock.advance(STDERR_DELAY_MS);
  assert.deepEqual(writes.slice(1), ['tail\n']);
});
