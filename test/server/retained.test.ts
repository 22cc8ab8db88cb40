import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ownString } from '../../src/protocol/own-string.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../helpers/retained-history.js', import.meta.url));

interface Held {
  held: number;
  counted: number;
  messages: number;
}

async function heldFor(count: number, history: 'on' | 'off'): Promise<Held> {
  const { stdout } = await run(process.execPath, ['--expose-gc', script, String(count), history], { timeout: 120_000 });
  return JSON.parse(stdout) as Held;
}

test('short room messages kept in history hold their own bytes, not the reads they came in, and the store counts them', async () => {
  const count = 4000;
  const on = await heldFor(count, 'on');
  const off = await heldFor(count, 'off');
  assert.equal(on.messages, count);
  assert.equal(off.messages, 0);
  // Each message came with 8 KiB of blanks in its read: kept as a view, it held them all
  // (over 32 MiB here). Owned, a message is its entry and some 25 characters.
  const kept = on.held - off.held;
  assert.ok(kept < count * 2048, `${kept} bytes held for ${count} short messages`);
  // --history-memory bounds what the store counts: that must be what history really holds,
  // within the noise of two heaps (some 300 KB here either way; with views, 30 times off).
  assert.ok(on.counted >= kept * 0.5, `the store counts ${on.counted} bytes and holds ${kept}`);
});

test('ownString: the same text, in a string of its own', () => {
  const parent = `${'x'.repeat(8000)}a message of some length${'y'.repeat(8000)}`;
  const view = parent.slice(8000, 8024);
  assert.equal(ownString(view), 'a message of some length');
  assert.equal(ownString('short'), 'short');
  assert.equal(ownString(''), '');
});
