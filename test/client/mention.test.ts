import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Chalk } from 'chalk';
import { Bell, BELL_QUIET_MS, callsUs, mentionPattern } from '../../src/client/mention.js';
import { renderLine } from '../../src/client/render.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';
import { FakeClock } from '../helpers/fake-clock.js';

const calls = (raw: string, self = 'alice'): boolean => callsUs(parseServerLine(raw), self);

describe('mentions', () => {
  test('our name as a word, without regard to case, never inside another name', () => {
    for (const raw of ['<bob> alice: lunch?', '<bob> lunch, ALICE?', '<bob> @alice:hi', '<bob> (alice)', '<bob> hi alice', '<bob> alice.']) {
      assert.ok(calls(raw), raw);
    }
    for (const raw of ['<bob> malice', '<bob> alice_2 is here', '<bob> alice-b', '<bob> bob-alice', '<bob> alic', '<bob> 2alice', '<bob> nobody']) {
      assert.ok(!calls(raw), raw);
    }
    assert.ok(calls('<bob> hi a-b_C', 'A-B_c'), 'names hold - and _');
    assert.ok(!calls('<bob> hi xa-b_C', 'a-b_c'));
  });

  test('a direct message calls us; our own words, notices and errors do not', () => {
    assert.ok(calls('*bob* no name in it'));
    assert.ok(!calls('<alice> alice, note to self'), 'said on another of our devices');
    assert.ok(!calls('<ALICE> alice'), 'ours without regard to case');
    assert.ok(!calls('* alice is now alicia'));
    assert.ok(!calls('! no such user: alice'));
    assert.ok(!calls('*alice->bob* alice here'), 'a direct message we sent from another device');
    assert.ok(!calls('*alice* note to self'), 'a direct message our account sent itself, from here or another device');
    assert.ok(!calls('*ALICE* note to self'), 'ours without regard to case');
  });

  test('the pattern marks every mention', () => {
    assert.deepEqual('Alice, alice! malice'.match(mentionPattern('alice')), ['Alice', 'alice']);
  });

  test('a room line that calls us is highlighted as a whole, its sender too; the highlight needs no bell', () => {
    const chalk = new Chalk({ level: 1 });
    const shown = renderLine(parseServerLine('<bob> lunch, alice?'), { chalk, self: 'alice' });
    assert.equal(shown, `${chalk.yellow.bold('<bob>')} lunch, ${chalk.yellow.bold('alice')}?`);
    const plain = renderLine(parseServerLine('<bob> lunch?'), { chalk, self: 'alice' });
    assert.equal(plain, `${chalk.cyan('<bob>')} lunch?`);
  });
});

describe('Bell', () => {
  test('rings, then stays quiet for a while: a burst of messages is one bell', () => {
    const clock = new FakeClock();
    let rung = 0;
    const bell = new Bell(() => rung++, clock);
    bell.ring();
    bell.ring();
    assert.equal(rung, 1);
    clock.advance(BELL_QUIET_MS - 1);
    bell.ring();
    assert.equal(rung, 1);
    clock.advance(1);
    bell.ring();
    assert.equal(rung, 2);
  });
});
