import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Canary } from '../../../src/hub/redis/canary.js';

/** A canary on a fake clock: late after 500 ms, reads recent for 300 ms. */
function onClock() {
  const clock = { now: 1000 };
  const canary = new Canary(500, 300, () => clock.now);
  const trips: number[] = [];
  canary.onRoundTrip((ms) => trips.push(ms));
  return { clock, canary, trips };
}

test('a canary read back in time gives its round trip; one that never comes is late after lateMs', () => {
  const { clock, canary, trips } = onClock();
  const first = canary.written();
  clock.now += 3;
  canary.read(first.seq);
  assert.deepEqual(trips, [3]);
  assert.equal(canary.late(), undefined);
  const second = canary.written();
  clock.now += 500;
  assert.equal(canary.late(), undefined, 'at lateMs exactly: not yet');
  canary.written();
  clock.now += 1;
  assert.equal(canary.late(), 501, 'the oldest waiting one counts');
  canary.read(second.seq);
  assert.deepEqual(trips, [3, 501]);
  assert.equal(canary.late(), undefined, 'the next one is 1 ms old');
});

test('canaries are known by their number: a late one read after a reset proves nothing, an earlier one settles nothing after it', () => {
  const { clock, canary, trips } = onClock();
  const before = canary.written();
  canary.reset();
  const after = canary.written();
  clock.now += 700;
  canary.read(before.seq);
  assert.deepEqual(trips, [], 'from before the reset: not timed');
  assert.equal(canary.late(), 700, 'the one after the reset is still late');
  // A third written, then the second read: the second settles itself and those before it only.
  const third = canary.written();
  clock.now += 10;
  canary.read(after.seq);
  assert.deepEqual(trips, [710]);
  clock.now += 500;
  assert.equal(canary.late(), 510, 'the third still waits');
  canary.read(third.seq);
  canary.read(third.seq);
  assert.deepEqual(trips, [710, 510], 'read twice, timed once');
});

test('a write that failed is taken back: it is never waited for', () => {
  const { clock, canary } = onClock();
  const failed = canary.written();
  clock.now += 1;
  canary.written();
  failed.takeBack();
  clock.now += 500;
  assert.equal(canary.late(), undefined);
  clock.now += 1;
  assert.equal(canary.late(), 501);
});

test('behind or stuck: reads that bring entries are a reader behind; empty reads, or none lately, a stuck one', () => {
  const { clock, canary } = onClock();
  canary.written();
  clock.now += 600;
  assert.equal(canary.lateness(), 'stuck', 'no read answered yet');
  canary.answered(true);
  assert.equal(canary.lateness(), 'behind');
  clock.now += 301;
  assert.equal(canary.lateness(), 'stuck', 'the last answer is too old');
  canary.answered(false);
  assert.equal(canary.lateness(), 'stuck', 'answered, with nothing in it');
});

test('a reader made again stays unproven until a canary written after comes back, and restarts back off', () => {
  const { clock, canary } = onClock();
  const lost = canary.written();
  clock.now += 600;
  assert.equal(canary.mayRestart(3000), true, 'the first restart is at once');
  const since = canary.oldest();
  canary.reset(); // the connection dropped
  canary.restarted(since);
  assert.equal(canary.late(), 600, 'still without proof: red, not green, between restarts');
  clock.now += 3000;
  assert.equal(canary.mayRestart(3000), false, 'the second waits two leases');
  clock.now += 3000;
  assert.equal(canary.mayRestart(3000), true);
  canary.restarted(canary.oldest());
  clock.now += 3 * 3000;
  assert.equal(canary.mayRestart(3000), false, 'the third waits four');
  clock.now += 3000;
  assert.equal(canary.mayRestart(3000), true);
  canary.read(lost.seq);
  assert.equal(canary.late(), 4 * 3000 + 3000 * 2 + 600, 'one from before the restart proves nothing');
  // Back in the chat: the new reader has lateMs to prove itself before another restart; red meanwhile.
  canary.restarted(canary.oldest());
  // Its way back took longer than the back-off; then it has lateMs (500) from then.
  clock.now += 3000 * 16;
  canary.resumed();
  clock.now += 499;
  assert.equal(canary.mayRestart(3000), false, "within the new reader's grace");
  assert.ok((canary.late() ?? 0) > 3000 * 16, 'still red: no proof since long before');
  clock.now += 1;
  assert.equal(canary.mayRestart(3000), true);
  const fresh = canary.written();
  clock.now += 5;
  canary.read(fresh.seq);
  assert.equal(canary.late(), undefined, 'proven again');
  assert.equal(canary.mayRestart(3000), true, 'and the back-off starts over');
});

test('a stream that delivers nothing for long keeps a bounded list of canaries', () => {
  const { clock, canary } = onClock();
  for (let i = 0; i < 10_000; i++) {
    canary.written();
    clock.now += 1;
  }
  assert.equal(canary.late(), 10_000, 'the oldest is kept');
});
