import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Outbox, type OutboxOwner } from '../../src/server/outbox.js';
import { ServerStats } from '../../src/server/stats.js';

/** A writable that records each write() and can say it is behind (highWaterMark). */
function setup(highWaterMark = 1 << 20, maxSendq = 1 << 20) {
  const writes: string[] = [];
  const callbacks: ((err?: Error | null) => void)[] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      writes.push(chunk.toString());
      callbacks.push(cb);
    },
    writev(chunks, cb) {
      writes.push(chunks.map((c) => String(c.chunk)).join('|'));
      callbacks.push(cb);
    },
  });
  const uncorks: Outbox[] = [];
  const notices: Outbox[] = [];
  const events: string[] = [];
  const owner: OutboxOwner = {
    stream: stream as unknown as OutboxOwner['stream'],
    host: {
      stats: new ServerStats(),
      options: { maxSendq },
      uncorkLater: (o) => void uncorks.push(o),
      flushSoon: (o) => void notices.push(o),
    },
    behind: () => void events.push('behind'),
    overflowed: () => void events.push('overflowed'),
  };
  const outbox = new Outbox(owner);
  const drainOne = (): void => callbacks.shift()?.();
  return { outbox, writes, uncorks, notices, events, owner, drainOne };
}

test("a turn's strings go out in one write at the end of the turn, and are counted", () => {
  const { outbox, writes, uncorks, owner } = setup();
  outbox.answer('a\n');
  outbox.deliver('b\n');
  outbox.deliver('c\n');
  assert.deepEqual(writes, []);
  assert.equal(uncorks.length, 1, 'one end-of-turn visit however many lines');
  uncorks[0]!.uncork();
  assert.deepEqual(writes, ['a\nb\nc\n']);
  assert.equal(owner.host.stats.bytesOut, 6);
});

test('a presence notice waits for the next output or its own short delay', () => {
  const { outbox, writes, notices, uncorks } = setup();
  outbox.notify('* bob joined\n');
  assert.equal(notices.length, 1);
  assert.deepEqual(writes, []);
  outbox.deliver('<bob> hi\n');
  uncorks[0]!.uncork();
  assert.deepEqual(writes, ['* bob joined\n<bob> hi\n'], 'the notice went with the next output, in order');
  notices[0]!.flushNotices();
  assert.deepEqual(writes, ['* bob joined\n<bob> hi\n'], 'nothing left for the delay to write');
});

test('a peer that is behind is reported once; one past maxSendq is cut off', async () => {
  const { outbox, events, uncorks } = setup(4, 10);
  outbox.deliver('0123456789\n');
  uncorks[0]!.uncork();
  assert.deepEqual(events, ['behind']);
  assert.equal(outbox.draining, true);
  outbox.deliver('more\n');
  uncorks[1]!.uncork();
  assert.deepEqual(events, ['behind'], 'behind is said once until it drains');
  await new Promise((resolve) => process.nextTick(resolve));
  assert.ok(events.includes('overflowed'), 'over maxSendq: cut off, in a later tick');
});

test('closing drops what is held when asked, or keeps only answers to a peer that finished sending', () => {
  const dropped = setup();
  dropped.outbox.deliver('chat\n');
  dropped.outbox.close(true, false);
  assert.deepEqual(dropped.writes, []);
  const chatOnly = setup();
  chatOnly.outbox.deliver('chat for a peer that left\n');
  chatOnly.outbox.close(false, true);
  assert.deepEqual(chatOnly.writes, [], 'no answer held: nothing is written to a peer that has gone');
  const answered = setup();
  answered.outbox.deliver('chat\n');
  answered.outbox.answer('* pong\n');
  answered.outbox.close(false, true);
  assert.deepEqual(answered.writes, ['chat\n* pong\n']);
  let error: Error | null | undefined;
  answered.outbox.deliver('late\n', (err) => (error = err));
  assert.match(String(error), /connection closed/);
});
