import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import readline from 'node:readline';
import { describe, test } from 'node:test';
import { BURST_GAP_MS, LineBursts } from '../../src/client/line-bursts.js';
import type { Timers } from '../../src/protocol/timers.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** LineBursts on a fake clock, and the bursts it has handed over. */
function bursts(timers: Timers = new FakeClock()): { b: LineBursts; ended: string[][] } {
  const ended: string[][] = [];
  return { b: new LineBursts((lines) => ended.push(lines), timers), ended };
}

describe('LineBursts: a paste without bracketed paste is lines that come together', () => {
  test('30 lines in one read (tmux paste-buffer) are one burst, handed over once the gap has passed', () => {
    const clock = new FakeClock();
    const { b, ended } = bursts(clock);
    for (let i = 0; i < 30; i++) b.push(`line ${i}`);
    assert.deepEqual(ended, [], 'more may come');
    clock.advance(BURST_GAP_MS - 1);
    assert.deepEqual(ended, []);
    clock.advance(1);
    assert.deepEqual(ended, [Array.from({ length: 30 }, (_, i) => `line ${i}`)]);
    assert.equal(clock.pending, 0);
  });

  test('a paste read in several pieces a moment apart is one burst', () => {
    const clock = new FakeClock();
    const { b, ended } = bursts(clock);
    for (let piece = 0; piece < 4; piece++) {
      for (let i = 0; i < 10; i++) b.push(`${piece}.${i}`);
      clock.advance(BURST_GAP_MS - 1);
    }
    clock.advance(1);
    assert.equal(ended.length, 1);
    assert.equal(ended[0]!.length, 40);
  });

  test('typing never makes a burst: each line alone, however fast a person can type', () => {
    const clock = new FakeClock();
    const { b, ended } = bursts(clock);
    // A key every 50 ms, the fastest typists: a line of one character and Enter takes 100 ms.
    for (let i = 0; i < 20; i++) {
      b.push(`typed ${i}`);
      clock.advance(100);
    }
    assert.deepEqual(
      ended,
      Array.from({ length: 20 }, (_, i) => [`typed ${i}`]),
    );
  });

  test('a line just over the gap after the last starts a new burst', () => {
    const clock = new FakeClock();
    const { b, ended } = bursts(clock);
    b.push('a');
    b.push('b');
    clock.advance(BURST_GAP_MS + 1);
    b.push('c');
    clock.advance(BURST_GAP_MS);
    assert.deepEqual(ended, [['a', 'b'], ['c']]);
  });

  test('a timer that runs late (a busy event loop) does not join a line entered well after', () => {
    let now = 0;
    let due: (() => void) | undefined;
    const late: Timers = {
      now: () => now,
      setTimeout: (fn) => {
        due = fn;
        return 1;
      },
      clearTimeout: () => {
        due = undefined;
      },
    };
    const { b, ended } = bursts(late);
    b.push('first');
    now = 200;
    b.push('second, typed later');
    assert.deepEqual(ended, [['first']], 'the first ended by the time the second came');
    due?.();
    assert.deepEqual(ended, [['first'], ['second, typed later']]);
  });

  test('open: a line entered now would join a burst; not once the gap has passed, even before its timer ran', () => {
    let now = 0;
    const stalled: Timers = { now: () => now, setTimeout: () => 1, clearTimeout: () => {} };
    const { b, ended } = bursts(stalled);
    assert.equal(b.open, false);
    b.push('a');
    assert.equal(b.open, true);
    now = BURST_GAP_MS;
    assert.equal(b.open, true);
    now = BURST_GAP_MS + 1;
    assert.equal(b.open, false, 'the timer is late: the burst is over all the same');
    b.end();
    assert.deepEqual(ended, [['a']]);
    assert.equal(b.open, false);
  });

  test('end() hands over what is open at once (a bracketed paste starts, the chat ends); cancel() drops it', () => {
    const clock = new FakeClock();
    const { b, ended } = bursts(clock);
    b.end();
    assert.deepEqual(ended, [], 'nothing open, nothing handed over');
    b.push('x');
    b.end();
    assert.deepEqual(ended, [['x']]);
    assert.equal(clock.pending, 0, 'no timer left behind');
    b.push('y');
    b.cancel();
    clock.advance(BURST_GAP_MS * 10);
    assert.deepEqual(ended, [['x']]);
  });

  test("behind readline, as the chat has it: a chunk of lines ended with CR, as a terminal's paste sends them", async () => {
    const clock = new FakeClock();
    const { b, ended } = bursts(clock);
    const input = new PassThrough();
    const rl = readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    rl.on('line', (line) => b.push(line));
    input.write(`${Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\r')}\r`);
    // The stream hands the chunk on in a later tick; the clock stands still meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ended.length, 0);
    clock.advance(BURST_GAP_MS);
    rl.close();
    assert.equal(ended.length, 1);
    assert.equal(ended[0]!.length, 30);
  });
});
