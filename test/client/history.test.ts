import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Chalk } from 'chalk';
import { HistoryAnswers, type Outcome } from '../../src/client/history-answers.js';
import { parseHistoryLine, RoomLogs, ShownLog, unseen, type HistoryItem, type Shown } from '../../src/client/history.js';
import { pastTimestamp, renderPast } from '../../src/client/render.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';

const T0 = Date.parse('2026-11-27T05:15:05Z');
/** A history entry at T0 + S seconds. */
const h = (from: string, text: string, s = 0): HistoryItem => ({ at: T0 + s * 1000, from, text });
/** A room message shown live (our clock), or sent by us. */
const shown = (from: string, text: string, s = 0, own = false): Shown => ({ at: T0 + s * 1000 + 400, from, text, own });
const texts = (items: readonly HistoryItem[]): string[] => items.map((i) => `<${i.from}> ${i.text}`);

describe('parseHistoryLine', () => {
  const parse = (raw: string): ReturnType<typeof parseHistoryLine> => parseHistoryLine(parseServerLine(raw));

  test('history, kept messages and the end of an answer', () => {
    assert.deepEqual(parse('* [2026-11-27T05:15:05Z] <bob> hi <there> *x*'), { kind: 'room', at: T0, from: 'bob', text: 'hi <there> *x*' });
    assert.deepEqual(parse('* [2026-11-27T05:15:05Z] *carol* psst'), { kind: 'kept', at: T0, from: 'carol', text: 'psst' });
    assert.deepEqual(parse('* end of history (20 messages)'), { kind: 'end', count: 20 });
    assert.deepEqual(parse('* end of history (1 message)'), { kind: 'end', count: 1 });
  });

  test('nothing a user writes, and nothing malformed, is taken for history', () => {
    for (const raw of [
      '<eve> * [2026-11-27T05:15:05Z] <bob> fake',
      '*eve* * [2026-11-27T05:15:05Z] <bob> fake',
      '! [2026-11-27T05:15:05Z] <bob> x',
      '* [2026-11-27 05:15:05] <bob> no T',
      '* [2026-13-45T05:15:05Z] <bob> no such day',
      '* [2026-11-27T05:15:05Z] <bad name> x',
      '* bob joined',
      '* end of history',
    ]) {
      assert.equal(parse(raw), undefined, raw);
    }
  });
});

describe('unseen: what of a /history answer is new', () => {
  test('after a /join everything is shown', () => {
    const answer = [h('bob', 'a'), h('carol', 'b', 1)];
    assert.deepEqual(unseen(answer, undefined, []), { show: answer, lost: false });
  });

  test('after a reconnect: only what came after the last message shown, with several in one second', () => {
    // Four messages in the same second; the cut came after the second one.
    const answer = [h('bob', 'old', -5), h('bob', 'one'), h('carol', 'two'), h('bob', 'three'), h('carol', 'four'), h('bob', 'five', 1)];
    const before = [shown('bob', 'old', -5), shown('bob', 'one'), shown('carol', 'two')];
    const { show, lost } = unseen(answer, before, []);
    assert.deepEqual(texts(show), ['<bob> three', '<carol> four', '<bob> five']);
    assert.equal(lost, false);
  });

  test('a message shown before the cut and sent again in the answer is not repeated; a later equal one is new', () => {
    const before = [shown('bob', 'hello'), shown('bob', 'ok')];
    // "ok" twice: the second was said while we were away.
    const answer = [h('bob', 'hello'), h('bob', 'ok'), h('carol', 'what?'), h('bob', 'ok')];
    assert.deepEqual(texts(unseen(answer, before, []).show), ['<carol> what?', '<bob> ok']);
    // Nothing missed: nothing shown.
    assert.deepEqual(unseen(answer.slice(0, 2), before, []).show, []);
  });

  test('equal runs: the one whose time matches wins, else the earliest (a repeat rather than a loss)', () => {
    const answer = [h('bot', 'tick', 0), h('bot', 'tick', 10), h('bot', 'tick', 20)];
    assert.deepEqual(unseen(answer, [shown('bot', 'tick', 10)], []).show, [answer[2]]);
    const noTime = [h('bot', 'tick', 0), h('bot', 'tick', 0)];
    assert.deepEqual(unseen(noTime, [{ ...shown('bot', 'tick'), at: T0 + 99_000 }], []).show, [noTime[1]]);
  });

  test('our own messages are never shown again, wherever the server placed them', () => {
    const before = [shown('bob', 'question'), shown('alice', 'my answer', 0, true)];
    // The server took bob's next line before ours.
    const answer = [h('bob', 'question'), h('bob', 'crossed'), h('Alice', 'my answer'), h('bob', 'while away')];
    assert.deepEqual(texts(unseen(answer, before, []).show), ['<bob> crossed', '<bob> while away']);
  });

  test('messages shown while the request was on its way are not shown twice', () => {
    const answer = [h('bob', 'old'), h('bob', 'live 1'), h('carol', 'live 2')];
    const since = [shown('bob', 'live 1'), shown('carol', 'live 2'), shown('bob', 'after the answer was made')];
    assert.deepEqual(texts(unseen(answer, undefined, since).show), ['<bob> old']);
    assert.deepEqual(texts(unseen(answer, [shown('bob', 'old')], since).show), []);
  });

  test('the last message shown is not in the answer: all of it is new, and more may be missing', () => {
    const answer = [h('bob', 'x'), h('bob', 'y')];
    assert.deepEqual(unseen(answer, [shown('bob', 'long ago')], []), { show: answer, lost: true });
    assert.deepEqual(unseen(answer, [], []), { show: answer, lost: false }, 'nothing was shown in the room');
  });
});

test('ShownLog is bounded in count and in bytes; insert puts older entries before the newest', () => {
  const log = new ShownLog();
  for (let i = 0; i < 1000; i++) log.add(shown('bob', `m${i}`));
  assert.equal(log.entries.length, 200);
  assert.equal(log.entries.at(-1)?.text, 'm999');
  log.clear();
  for (let i = 0; i < 10; i++) log.add(shown('bob', 'x'.repeat(100_000)));
  assert.ok(log.entries.length < 10 && log.entries.length >= 1);
  log.clear();
  log.add(shown('bob', 'live'));
  log.insert([shown('bob', 'older 1'), shown('bob', 'older 2')], 1);
  assert.deepEqual(
    log.entries.map((e) => e.text),
    ['older 1', 'older 2', 'live'],
  );
});

test('RoomLogs: one log a room, whatever its case; a room left is forgotten', () => {
  const logs = new RoomLogs();
  logs.of('Dev').add(shown('bob', 'x'));
  assert.equal(logs.of('dev').entries.length, 1);
  assert.equal(logs.of('lobby').entries.length, 0);
  logs.drop('DEV');
  assert.equal(logs.of('dev').entries.length, 0);
});

describe('HistoryAnswers', () => {
  /** RAW from the server; a room message is one of ROOM's. */
  const take = (a: HistoryAnswers, raw: string, room = 'lobby'): Outcome => {
    const line = parseServerLine(raw);
    return a.take(line, line.kind === 'room' ? room : undefined);
  };
  /** The answers of a connection whose current room is lobby. */
  const inLobby = (logs = new RoomLogs()): HistoryAnswers =>
    new HistoryAnswers(
      logs,
      () => 'lobby',
      () => T0,
    );
  const line = (s: number, from: string, text: string): string => `* [${new Date(T0 + s * 1000).toISOString().replace('.000', '')}] <${from}> ${text}`;

  test('our own request is held until its end; one the user typed is shown as it comes', () => {
    const a = inLobby();
    assert.equal(a.ask('join', 'lobby', 20), '/history 20');
    a.sent('/HISTORY 5', 'alice');
    assert.deepEqual(take(a, line(0, 'bob', 'one')), { kind: 'held' });
    assert.deepEqual(take(a, '* end of history (1 message)'), {
      kind: 'past',
      items: [{ kind: 'room', ...h('bob', 'one') }],
      end: true,
      lost: false,
    });
    assert.deepEqual(take(a, line(0, 'bob', 'one')), { kind: 'past', items: [{ kind: 'room', ...h('bob', 'one') }], end: false, lost: false });
    assert.deepEqual(take(a, '* end of history (1 message)'), { kind: 'pass' }, 'the user sees the end of theirs');
    assert.deepEqual(take(a, '* end of history (1 message)'), { kind: 'pass' }, 'one nobody asked for is just a notice');
  });

  test('an older server: "unknown command" is swallowed for ours, shown for the user\'s', () => {
    const a = inLobby();
    a.ask('join', 'lobby', 20);
    a.sent('/history', 'alice');
    assert.deepEqual(take(a, '! unknown command: /history'), { kind: 'unsupported' });
    assert.deepEqual(take(a, '! unknown command: /history'), { kind: 'pass' });
    assert.deepEqual(take(a, '! no such user: x'), { kind: 'pass' });
  });

  test('what a reconnect may have lost is said only when the answer is as long as asked for', () => {
    for (const [asked, lost] of [
      [2, true],
      [100, false],
    ] as const) {
      const logs = new RoomLogs();
      logs.of('lobby').add(shown('bob', 'long ago'));
      const a = inLobby(logs);
      a.ask('missed', 'lobby', asked);
      take(a, line(0, 'bob', 'x'));
      take(a, line(0, 'bob', 'y'));
      const out = take(a, '* end of history (2 messages)');
      assert.equal(out.kind === 'past' && out.lost, lost, `asked ${asked}`);
    }
  });

  test('a server that floods an answer costs bounded memory: no more than asked for is kept, the newest', () => {
    const a = inLobby();
    a.ask('join', 'lobby', 20);
    for (let i = 0; i < 5000; i++) take(a, line(0, 'bob', `m${i}`));
    const out = take(a, '* end of history (5000 messages)');
    assert.ok(out.kind === 'past');
    assert.equal(out.items.length, 20);
    assert.equal(out.items.at(-1)?.text, 'm4999');
  });

  test("a refusal answers the request at the head, which is done with: what follows is the next one's", () => {
    const a = inLobby();
    a.ask('missed', 'lobby', 100);
    a.sent('/history 2', 'alice');
    assert.deepEqual(take(a, '! no such user: x'), { kind: 'pass' }, 'an answer to something else');
    assert.deepEqual(take(a, '! cannot read the history now: cluster unavailable, try again in a moment'), { kind: 'pass' });
    assert.equal(take(a, line(0, 'bob', 'one')).kind, 'past', "the user's answer, shown as it comes");
    a.sent('/history 0', 'alice');
    assert.deepEqual(take(a, '! /history takes a number of messages from 1 to 100, like /history 20'), { kind: 'pass' });
    assert.equal(take(a, line(0, 'bob', 'two')).kind, 'past');
  });

  test("the refusals that name a room end the user's request too: our own next one is held as ours", () => {
    for (const refusal of [
      '! you are not in qa: /join qa to read its history',
      '! invalid room: use 1-32 letters, digits, _ or -',
      '! you are in no room: /join ROOM',
    ]) {
      const a = inLobby();
      a.sent('/history qa', 'alice');
      assert.deepEqual(take(a, refusal), { kind: 'pass' }, refusal);
      a.ask('join', 'lobby', 20);
      assert.deepEqual(take(a, line(0, 'bob', 'one')), { kind: 'held' }, refusal);
    }
  });

  test('kept messages are shown at once; room messages and ours are remembered for a reconnect', () => {
    const logs = new RoomLogs();
    const log = logs.of('LOBBY');
    const a = inLobby(logs);
    assert.deepEqual(take(a, '* [2026-11-27T05:15:05Z] *carol* psst'), {
      kind: 'past',
      items: [{ kind: 'kept', ...h('carol', 'psst') }],
      end: false,
      lost: false,
    });
    take(a, '<bob> hi');
    a.sent('hello bob', 'alice');
    a.sent('//slash', 'alice');
    a.sent('@bob:direct', 'alice');
    a.sent('/who', 'alice');
    assert.deepEqual(
      log.entries.map((e) => `${e.own ? 'own ' : ''}${e.from}: ${e.text}`),
      ['bob: hi', 'own alice: hello bob', 'own alice: /slash'],
    );

    // Reconnected: the answer holds what we saw, what we said, and what we missed.
    const b = inLobby(logs);
    b.ask('missed', 'lobby', 100);
    take(b, '<dave> live while asking');
    for (const raw of [
      line(0, 'bob', 'hi'),
      line(0, 'alice', 'hello bob'),
      line(0, 'alice', '/slash'),
      line(1, 'carol', 'missed'),
      line(2, 'dave', 'live while asking'),
    ]) {
      assert.deepEqual(take(b, raw), { kind: 'held' });
    }
    const out = take(b, '* end of history (5 messages)');
    assert.deepEqual(out.kind === 'past' ? texts(out.items) : out, ['<carol> missed']);
    assert.deepEqual(log.entries.map((e) => e.text).slice(-2), ['missed', 'live while asking'], 'the log keeps the order of the room');
  });

  test("each room has its log: a reconnect's answer is held against what was shown of its room, not of the others", () => {
    const logs = new RoomLogs();
    let current = 'dev';
    const a = new HistoryAnswers(
      logs,
      () => current,
      () => T0,
    );
    take(a, '<bob> seen in dev', 'dev');
    take(a, '<carol> seen in lobby', 'lobby');
    a.sent('mine in dev', 'alice');
    current = 'lobby';
    a.sent('mine in lobby', 'alice');
    assert.deepEqual(
      logs.of('Dev').entries.map((e) => e.text),
      ['seen in dev', 'mine in dev'],
    );
    assert.deepEqual(
      logs.of('lobby').entries.map((e) => e.text),
      ['seen in lobby', 'mine in lobby'],
    );

    current = 'dev';
    const b = new HistoryAnswers(
      logs,
      () => current,
      () => T0,
    );
    assert.equal(b.ask('missed', 'dev', 100), '/history 100');
    // Live in lobby while the request is on its way, and the same words as dev's newest.
    take(b, '<carol> same words', 'lobby');
    for (const raw of [line(0, 'bob', 'seen in dev'), line(0, 'alice', 'mine in dev'), line(1, 'dave', 'missed'), line(2, 'carol', 'same words')]) {
      take(b, raw);
    }
    const out = take(b, '* end of history (4 messages)');
    assert.deepEqual(out.kind === 'past' ? texts(out.items) : out, ['<dave> missed', '<carol> same words'], "lobby's line is no part of dev's");
  });

  test('in no room, a line of ours is no room message to remember', () => {
    const logs = new RoomLogs();
    const a = new HistoryAnswers(
      logs,
      () => undefined,
      () => T0,
    );
    a.sent('hello?', 'alice');
    assert.deepEqual(logs.of('lobby').entries, []);
  });

  test("an answer of ours that came after the user went to another room is that room's: not shown, not remembered", () => {
    const logs = new RoomLogs();
    let current = 'dev';
    const a = new HistoryAnswers(
      logs,
      () => current,
      () => T0,
    );
    a.ask('join', 'dev', 20);
    // `* you are in qa`, for a /join typed before the server read ours.
    current = 'qa';
    take(a, line(0, 'bob', 'said in qa'));
    assert.deepEqual(take(a, '* end of history (1 message)'), { kind: 'past', items: [], end: false, lost: false });
    assert.deepEqual(logs.of('dev').entries, []);
    assert.deepEqual(logs.of('qa').entries, []);
    // The next one, of the room it asks about, is shown.
    a.ask('join', 'qa', 20);
    take(a, line(0, 'bob', 'said in qa'));
    const out = take(a, '* end of history (1 message)');
    assert.deepEqual(out.kind === 'past' ? texts(out.items) : out, ['<bob> said in qa']);
  });
});

describe('past lines as shown', () => {
  test('dimmed, as the live line reads, after the local time; the date when not today', () => {
    const tz = process.env['TZ'];
    process.env['TZ'] = 'Asia/Kolkata'; // UTC+05:30
    try {
      const now = new Date(T0);
      const chalk = new Chalk({ level: 1 });
      assert.equal(renderPast({ kind: 'room', ...h('bob', 'hi') }, { chalk, timestamps: true, now }), '\x1b[2m10:45 <bob> hi\x1b[22m');
      assert.equal(renderPast({ kind: 'kept', ...h('bob', 'psst') }, { chalk: new Chalk({ level: 0 }), timestamps: true, now }), '10:45 *bob* psst');
      assert.equal(renderPast({ kind: 'room', ...h('bob', 'hi') }, { chalk: new Chalk({ level: 0 }), timestamps: false, now }), '<bob> hi');
      assert.equal(pastTimestamp(new Date(T0 - 86_400_000), now), '2026-11-26 10:45');
      // 20:00 UTC the evening before T0 is already T0's day in Kolkata (01:30).
      assert.equal(pastTimestamp(new Date(T0 - (9 * 3600 + 15 * 60 + 5) * 1000), now), '01:30');
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
  });
});
