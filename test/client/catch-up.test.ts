import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CatchUp, type CatchUpOutcome } from '../../src/client/catch-up.js';
import { HistoryAnswers, type Outcome } from '../../src/client/history-answers.js';
import { RoomLogs } from '../../src/client/history.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';
import { stamp, T0 } from '../helpers/fake-clock.js';

const AT = stamp(T0);
const ROOM = `* [${AT}] <bob#dev> the build is green`;
const KEPT = `* [${AT}] *carol* call me`;
const SENT = `* [${AT}] *alice->carol* in five minutes`;
const END = '* end of catch-up (3 messages)';

const take = (c: CatchUp, raw: string): CatchUpOutcome => c.take(parseServerLine(raw));
const kinds = (c: CatchUp, ...raw: string[]): string[] => raw.map((r) => take(c, r).kind);

describe('CatchUp: the lines between a login as a device and the end of its catch-up', () => {
  test('each kind of line, read', () => {
    const c = new CatchUp();
    c.loggedIn();
    assert.deepEqual(take(c, ROOM), { kind: 'past', item: { kind: 'room', at: T0, from: 'bob', room: 'dev', text: 'the build is green' } });
    assert.deepEqual(take(c, KEPT), { kind: 'past', item: { kind: 'kept', at: T0, from: 'carol', text: 'call me' } });
    assert.deepEqual(take(c, SENT), { kind: 'past', item: { kind: 'sent', at: T0, from: 'alice', to: 'carol', text: 'in five minutes' } });
    assert.deepEqual(take(c, END), { kind: 'end', count: 3 });
  });

  test('before the end line they are the past; after it, lines as any other', () => {
    const c = new CatchUp();
    c.loggedIn();
    assert.deepEqual(kinds(c, ROOM, KEPT, SENT), ['past', 'past', 'past']);
    // A live line the server sent in between is live, and the catch-up goes on.
    assert.deepEqual(kinds(c, '* bob joined', '<bob> hi', ROOM), ['pass', 'pass', 'past']);
    assert.deepEqual(kinds(c, END), ['end']);
    assert.deepEqual(kinds(c, ROOM, KEPT, SENT, END), ['pass', 'pass', 'pass', 'pass'], 'over: nothing is taken for it any more');
  });

  test('an empty catch-up is its end line alone', () => {
    const c = new CatchUp();
    c.loggedIn();
    assert.deepEqual(take(c, '* end of catch-up (0 messages)'), { kind: 'end', count: 0 });
    assert.deepEqual(take(c, '* end of catch-up (1 message)'), { kind: 'pass' });
  });

  test('without a login as a device first, nothing is a catch-up line, not even its end', () => {
    const c = new CatchUp();
    assert.deepEqual(kinds(c, ROOM, KEPT, SENT, END), ['pass', 'pass', 'pass', 'pass']);
    c.loggedIn();
    assert.deepEqual(kinds(c, ROOM, END), ['past', 'end'], 'the login starts it');
  });

  test("nobody's text and nothing malformed is taken for it", () => {
    const c = new CatchUp();
    c.loggedIn();
    for (const raw of [
      `<eve> ${ROOM}`,
      `*eve* ${SENT}`,
      `<eve#dev> ${END}`,
      `! [${AT}] <bob#dev> x`,
      `* [${AT}] <bob#> x`,
      `* [${AT}] *alice->* x`,
      `* [${AT}] *alice-> bob* x`,
      '* [2026-13-45T05:15:05Z] <bob#dev> no such day',
      '* end of catch-up',
      '* end of catch-up (many messages)',
    ]) {
      assert.deepEqual(take(c, raw), { kind: 'pass' }, raw);
    }
    assert.deepEqual(take(c, END).kind, 'end', 'and the catch-up still ends at its line');
  });
});

describe('HistoryAnswers.caughtUp: a room message of the catch-up is seen', () => {
  const past = (s: number, from: string, text: string): string => `* [${stamp(T0 + s * 1000)}] <${from}> ${text}`;
  const answers = (logs: RoomLogs): HistoryAnswers =>
    new HistoryAnswers(
      logs,
      () => 'lobby',
      () => T0 + 10_000,
    );
  const shownOf = (out: Outcome): string[] => (out.kind === 'past' ? out.items.map((i) => `<${i.from}> ${i.text}`) : [out.kind]);

  test("the answer to the history asked at login (sent before the catch-up came) leaves out the catch-up's newest, shown already", () => {
    const logs = new RoomLogs();
    const a = answers(logs);
    a.ask('join', 'lobby', 20);
    a.caughtUp('lobby', { at: T0 + 2000, from: 'bob', text: 'missed 1' });
    a.caughtUp('lobby', { at: T0 + 3000, from: 'alice', text: 'said on my phone' });
    for (const raw of [past(1, 'bob', 'old'), past(2, 'bob', 'missed 1'), past(3, 'alice', 'said on my phone')]) a.take(parseServerLine(raw));
    assert.deepEqual(shownOf(a.take(parseServerLine('* end of history (3 messages)'))), ['<bob> old']);
    assert.deepEqual(
      logs.of('lobby').entries.map((e) => e.text),
      ['old', 'missed 1', 'said on my phone'],
      'in the order of the room',
    );
  });

  test("a reconnect's answer starts after the catch-up's last message of the room", () => {
    const logs = new RoomLogs();
    logs.of('lobby').add({ at: T0, from: 'bob', text: 'seen before the cut', own: false });
    const a = answers(logs);
    a.caughtUp('lobby', { at: T0 + 2000, from: 'bob', text: 'missed 1' });
    a.ask('missed', 'lobby', 100);
    for (const raw of [past(0, 'bob', 'seen before the cut'), past(2, 'bob', 'missed 1'), past(4, 'carol', 'after the catch-up')]) a.take(parseServerLine(raw));
    assert.deepEqual(shownOf(a.take(parseServerLine('* end of history (3 messages)'))), ['<carol> after the catch-up']);
  });
});
