import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { realTimers } from '../../src/protocol/timers.js';
import { FileAccounts } from '../../src/accounts/accounts.js';
import { hashPassword } from '../../src/accounts/password-hash.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/users.js';

const CHEAP = { N: 1024, r: 8, p: 1 };
const NO_THROTTLE = { freeFailures: 1_000_000, windowMs: 60_000, maxDelayMs: 0 };

async function fileWith(t: Parameters<typeof tempDir>[0], lines: string[]): Promise<string> {
  const file = join(tempDir(t), 'users');
  writeFileSync(file, lines.join(''));
  return file;
}

test('isOperator follows the mark, without regard to case, and reloads', async (t) => {
  const file = await fileWith(t, [`Alice:${await hashPassword('a', CHEAP)}:op\n`, `bob:${await hashPassword('b', CHEAP)}\n`]);
  const accounts = new FileAccounts(file, { timers: new FakeClock(), failureDelayMs: 0, throttle: NO_THROTTLE });
  assert.equal(accounts.isOperator('alice'), true);
  assert.equal(accounts.isOperator('BOB'), false);
  assert.equal(accounts.isOperator('nobody'), false);
  writeFileSync(file, `Alice:${await hashPassword('a', CHEAP)}\n`);
  accounts.reload();
  assert.equal(accounts.isOperator('alice'), false);
});

test('unknown names are checked at the highest cost in the file, also after a reload', async (t) => {
  const high = { N: 4096, r: 8, p: 2 };
  const file = await fileWith(t, [`a:${await hashPassword('a', CHEAP)}\n`, `b:${await hashPassword('b', high)}\n`]);
  const accounts = new FileAccounts(file, { timers: new FakeClock(), failureDelayMs: 0, throttle: NO_THROTTLE });
  assert.deepEqual(accounts.unknownNameCost, high);
  writeFileSync(file, `a:${await hashPassword('a', CHEAP)}\n`);
  accounts.reload();
  assert.deepEqual(accounts.unknownNameCost, CHEAP);
});

test('a change is read once the file has stayed the same for the settle time', async (t) => {
  const file = await fileWith(t, [`a:${await hashPassword('a', CHEAP)}\n`]);
  const clock = new FakeClock();
  const accounts = new FileAccounts(file, { timers: clock, failureDelayMs: 0, throttle: NO_THROTTLE, settleMs: 1000 });
  let calls = 0;
  accounts.watch(() => calls++);
  t.after(() => accounts.close());
  accounts.requestReload();
  clock.advance(999);
  assert.equal(calls, 0);
  // Written to without an event reaching us (the watcher is not driven by the fake clock):
  // the check at the end of the wait sees it and waits again.
  writeFileSync(file, '');
  clock.advance(1);
  assert.equal(calls, 0, 'an emptied file is not read at once');
  clock.advance(999);
  assert.equal(calls, 0);
  clock.advance(1);
  assert.equal(calls, 1, 'read once still for the settle time');
  accounts.requestReload();
  accounts.requestReload();
  clock.advance(1000);
  assert.equal(calls, 1 + 1, 'requests during a wait make one reload');
  accounts.requestReload();
  accounts.close();
  clock.advance(5000);
  assert.equal(calls, 2, 'nothing after close');
});

/** The middle value: one slow sample (a busy neighbour) does not move it. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

test('a wrong password for a costly account and an unknown name take the same time', async (t) => {
  // Issue 10, scaled down: N=2^18 took 1.2 s against a 1 s delay; here N=2^15 takes about
  // 0.1 s against a 0.05 s delay. The old code answered the costly account's wrong password
  // about 0.05 s later than an unknown name.
  const costly = { N: 32768, r: 8, p: 1 };
  const file = await fileWith(t, [`slow:${await hashPassword('right', costly)}\n`, `fast:${await hashPassword('right', CHEAP)}\n`]);
  // Real time, with timers that keep the test alive (the server's are unref'd: its sockets do that).
  const timers = { ...realTimers, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms) };
  const accounts = new FileAccounts(file, { timers, failureDelayMs: 50, throttle: NO_THROTTLE });
  const timed = async (name: string, password: string): Promise<number> => {
    const started = performance.now();
    assert.equal(await accounts.authenticate(name, password, '192.0.2.1'), false);
    return performance.now() - started;
  };
  await timed('slow', 'warm up');
  // Rounds of one attempt of each kind, in turn forwards and backwards: the padding may
  // step up while the machine gets busier, and a round's attempts then see the same step
  // but one at most. The median of the differences within rounds ignores that one.
  const kinds = [
    ['wrong', (i: number) => timed('slow', `guess${i}`)],
    ['unknown', (i: number) => timed(`nobody${i}`, `guess${i}`)],
    ['cheap', (i: number) => timed('fast', `guess${i}`)],
  ] as const;
  const rounds: Record<string, number>[] = [];
  for (let i = 0; i < 5; i++) {
    const round: Record<string, number> = {};
    for (const [kind, attempt] of i % 2 === 0 ? kinds : [...kinds].reverse()) round[kind] = await attempt(i);
    rounds.push(round);
  }
  const detail = rounds.map((r) => `wrong ${Math.round(r['wrong']!)} unknown ${Math.round(r['unknown']!)} cheap ${Math.round(r['cheap']!)}`).join('; ');
  const wrongVsUnknown = median(rounds.map((r) => r['wrong']! - r['unknown']!));
  const cheapVsUnknown = median(rounds.map((r) => r['cheap']! - r['unknown']!));
  assert.ok(Math.abs(wrongVsUnknown) < 15, `a costly account's wrong password and an unknown name differ by ${wrongVsUnknown.toFixed(1)} ms: ${detail}`);
  assert.ok(Math.abs(cheapVsUnknown) < 15, `a cheap account's wrong password and an unknown name differ by ${cheapVsUnknown.toFixed(1)} ms: ${detail}`);
  assert.ok(median(rounds.map((r) => r['wrong']!)) >= 150, `padded above the costly check (about 100 ms), by whole doublings of the delay: ${detail}`);
});
