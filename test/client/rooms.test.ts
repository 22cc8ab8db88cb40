import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rejoinPlan, roomLine, Rooms } from '../../src/client/rooms.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';

/** ROOMS after the server sent each of RAW. */
function after(rooms: Rooms, ...raw: string[]): Rooms {
  for (const r of raw) rooms.take(parseServerLine(r));
  return rooms;
}
const view = (rooms: Rooms): unknown => ({ rooms: rooms.rooms, current: rooms.current, unread: rooms.unread() });

describe('roomLine: the lines of a room, without their tag', () => {
  const read = (raw: string): unknown => {
    const r = roomLine(parseServerLine(raw));
    return r && { raw: r.line.raw, kind: r.line.kind, tag: r.tag, message: r.message };
  };

  test('messages and presence, of the current room and of another', () => {
    assert.deepEqual(read('<bob> hi'), { raw: '<bob> hi', kind: 'room', tag: undefined, message: true });
    assert.deepEqual(read('<bob#dev> hi <x#y>'), { raw: '<bob> hi <x#y>', kind: 'room', tag: 'dev', message: true });
    assert.deepEqual(read('* bob joined'), { raw: '* bob joined', kind: 'notice', tag: undefined, message: false });
    assert.deepEqual(read('* bob joined #dev'), { raw: '* bob joined', kind: 'notice', tag: 'dev', message: false });
    assert.deepEqual(read('* bob left #dev'), { raw: '* bob left', kind: 'notice', tag: 'dev', message: false });
    assert.deepEqual(read('* bob left #dev (bye (now))'), { raw: '* bob left (bye (now))', kind: 'notice', tag: 'dev', message: false });
    assert.deepEqual(read('* bob left (quit)'), { raw: '* bob left (quit)', kind: 'notice', tag: undefined, message: false });
  });

  test('no other line is one', () => {
    for (const raw of ['*bob* psst', '* bob is now robert', '* you are in dev', '* you left dev', '! no such user: x', '* [2026-11-27T05:15:05Z] <bob> old']) {
      assert.equal(read(raw), undefined, raw);
    }
  });
});

describe('rejoinPlan: what a new connection, in lobby, sends to be back in our rooms', () => {
  test('nothing when lobby was all', () => {
    assert.deepEqual(rejoinPlan({ rooms: ['lobby'], current: 'lobby' }), []);
    assert.deepEqual(rejoinPlan({ rooms: ['Lobby'], current: 'LOBBY' }), []);
  });

  test('the others in the order they were made current, then the current one last', () => {
    assert.deepEqual(rejoinPlan({ rooms: ['lobby', 'dev'], current: 'dev' }), ['/join dev']);
    assert.deepEqual(rejoinPlan({ rooms: ['dev', 'qa', 'lobby'], current: 'lobby' }), ['/join dev', '/join qa', '/join lobby']);
    assert.deepEqual(rejoinPlan({ rooms: ['lobby', 'qa', 'ops', 'DEV'], current: 'dev' }), ['/join qa', '/join ops', '/join dev']);
    // lobby made current after dev: joined again, in its place.
    assert.deepEqual(rejoinPlan({ rooms: ['dev', 'lobby', 'qa'], current: 'qa' }), ['/join dev', '/join lobby', '/join qa']);
  });

  test('lobby left is left again, after the others', () => {
    assert.deepEqual(rejoinPlan({ rooms: ['dev', 'qa'], current: 'dev' }), ['/join qa', '/join dev', '/part lobby']);
    assert.deepEqual(rejoinPlan({ rooms: [], current: undefined }), ['/part lobby']);
  });
});

describe('Rooms', () => {
  test('registering puts us in lobby; /join adds a room and makes it current; joining one of ours only switches', () => {
    const rooms = new Rooms();
    assert.deepEqual(view(rooms), { rooms: ['lobby'], current: 'lobby', unread: [] });
    const first = rooms.take(parseServerLine('* you are in dev'));
    assert.equal(first.joined, 'dev', 'a room new to us');
    assert.deepEqual(view(rooms), { rooms: ['lobby', 'dev'], current: 'dev', unread: [] });
    assert.equal(rooms.take(parseServerLine('* you are in LOBBY')).joined, undefined, 'ours already');
    assert.deepEqual(view(rooms), { rooms: ['dev', 'LOBBY'], current: 'LOBBY', unread: [] }, 'the current one last');
  });

  test("the room of a line: its tag, else the server's current room", () => {
    const rooms = after(new Rooms(), '* you are in dev');
    assert.equal(rooms.take(parseServerLine('<bob> hi')).room?.name, 'dev');
    assert.equal(rooms.take(parseServerLine('<bob#lobby> hi')).room?.name, 'lobby');
    assert.equal(rooms.take(parseServerLine('* carol joined #lobby')).room?.name, 'lobby');
    assert.equal(rooms.take(parseServerLine('*bob* psst')).room, undefined);
    assert.ok(rooms.isCurrent('DEV') && !rooms.isCurrent('lobby'));
  });

  test('messages of our other rooms count until we go there; presence lines and the current room do not', () => {
    const rooms = after(new Rooms(), '* you are in dev', '* you are in qa');
    after(rooms, '<bob#dev> one', '<bob#lobby> a', '<bob#dev> two', '* carol joined #dev', '* carol left #lobby (bye)', '<bob> in qa', '*bob* psst');
    assert.deepEqual(rooms.unread(), [
      { room: 'lobby', count: 1 },
      { room: 'dev', count: 2 },
    ]);
    after(rooms, '* you are in DEV');
    assert.deepEqual(rooms.unread(), [{ room: 'lobby', count: 1 }], 'entering dev clears its count');
    after(rooms, '<bob> now in dev', '* you are in qa');
    assert.deepEqual(rooms.unread(), [{ room: 'lobby', count: 1 }], 'seen while current: not unread after');
    after(rooms, '<x#nowhere> a room not ours');
    assert.deepEqual(rooms.unread(), [{ room: 'lobby', count: 1 }]);
  });

  test('/part: the room goes, with its count; the current one is then the one the server names, or none', () => {
    const rooms = after(new Rooms(), '* you are in dev', '<bob#lobby> a');
    const seen = rooms.take(parseServerLine('* you left lobby'));
    assert.equal(seen.left, 'lobby');
    assert.deepEqual(view(rooms), { rooms: ['dev'], current: 'dev', unread: [] });
    after(rooms, '* you are in qa', '* you left qa');
    assert.deepEqual(view(rooms), { rooms: ['dev'], current: undefined, unread: [] }, 'until the server names the next one');
    after(rooms, '* you are in dev', '* you left dev');
    assert.deepEqual(view(rooms), { rooms: [], current: undefined, unread: [] });
    assert.equal(rooms.take(parseServerLine('<bob> hi')).room, undefined, 'in no room, no line is of a room');
  });

  test('/mine and "in no room" are the server saying where we are: they win', () => {
    const rooms = after(new Rooms(), '* you are in dev', '<bob#lobby> a', '* you are in qa');
    // The current one first, then the one made current most recently.
    after(rooms, '* your rooms (3): ops, qa, lobby');
    assert.deepEqual(view(rooms), { rooms: ['lobby', 'qa', 'ops'], current: 'ops', unread: [{ room: 'lobby', count: 1 }] });
    after(rooms, '! you are in no room: /join ROOM');
    assert.deepEqual(view(rooms), { rooms: [], current: undefined, unread: [] });
  });

  test('a reconnect: the view stays while the new connection goes back, then is what the server says', () => {
    const rooms = after(new Rooms(), '* you are in dev', '* you are in qa', '* you are in dev', '<bob#lobby> a', '<bob#qa> b');
    rooms.lost();
    const before = {
      rooms: ['lobby', 'qa', 'dev'],
      current: 'dev',
      unread: [
        { room: 'lobby', count: 1 },
        { room: 'qa', count: 1 },
      ],
    };
    assert.deepEqual(view(rooms), before, 'while disconnected');
    assert.deepEqual(rooms.reconnected(), ['/join qa', '/join dev']);
    assert.ok(rooms.rejoining);
    assert.deepEqual(view(rooms), before, 'while going back');
    assert.equal(rooms.serverCurrent, 'lobby');
    // The server's current room is qa for a moment: its untagged line is qa's, unread.
    const seen = rooms.take(parseServerLine('* you are in qa'));
    assert.equal(seen.joined, undefined, 'no room of a rejoin is news');
    assert.equal(rooms.take(parseServerLine('<carol> in qa')).room?.name, 'qa');
    after(rooms, '* you are in dev');
    assert.deepEqual(rooms.unread(), [
      { room: 'lobby', count: 1 },
      { room: 'qa', count: 2 },
    ]);
    assert.deepEqual(rooms.rejoined(), []);
    assert.ok(!rooms.rejoining);
    assert.deepEqual(
      view(rooms),
      {
        ...before,
        unread: [
          { room: 'lobby', count: 1 },
          { room: 'qa', count: 2 },
        ],
      },
      'in the order of before',
    );
  });

  test('lost again in the middle of going back: the rooms wanted are still the first ones; those the server refused are said', () => {
    const rooms = after(new Rooms(), '* you are in dev', '* you are in qa', '* you left lobby', '<bob#dev> x');
    rooms.lost();
    assert.deepEqual(rooms.reconnected(), ['/join dev', '/join qa', '/part lobby']);
    after(rooms, '* you are in dev');
    rooms.lost();
    assert.deepEqual(rooms.reconnected(), ['/join dev', '/join qa', '/part lobby']);
    after(rooms, '* you are in dev', '! too many rooms (max 2): /part one first', '* you left lobby');
    assert.deepEqual(rooms.rejoined(), ['qa']);
    assert.deepEqual(view(rooms), { rooms: ['dev'], current: 'dev', unread: [] });
  });

  test('a room another device of ours joined: ours here too, not current, its lines tagged and counted', () => {
    const rooms = after(new Rooms(), '* you are in qa');
    const seen = rooms.take(parseServerLine('* you joined dev from another device'));
    assert.equal(seen.joined, undefined, 'not joined here: nothing to show of it (no /who, no history)');
    assert.deepEqual(view(rooms), { rooms: ['dev', 'lobby', 'qa'], current: 'qa', unread: [] }, 'never current here: made current longest ago');
    assert.ok(rooms.isOurs('DEV') && !rooms.isCurrent('dev'));
    after(rooms, '<bob#dev> hi');
    assert.deepEqual(rooms.unread(), [{ room: 'dev', count: 1 }]);
    after(rooms, '* you joined DEV from another device', '* you joined qa from another device');
    assert.deepEqual(view(rooms), { rooms: ['dev', 'lobby', 'qa'], current: 'qa', unread: [{ room: 'dev', count: 1 }] }, 'ours already: nothing changes');
    // A /part here goes where the server says, which may well be it.
    after(rooms, '* you left qa', '* you are in dev');
    assert.deepEqual(view(rooms), { rooms: ['lobby', 'dev'], current: 'dev', unread: [] });
    // Not the line of a user named you.
    for (const raw of ['* you joined', '* you joined #dev', '* you joined dev from another server']) {
      assert.deepEqual(view(after(new Rooms(), raw)), { rooms: ['lobby'], current: 'lobby', unread: [] }, raw);
    }
  });

  test('a room another device left, with no /part of ours: gone here too; the current one is the one the server names next', () => {
    const rooms = after(new Rooms(), '* you are in dev', '* you are in qa', '<bob#dev> a');
    after(rooms, '* you left dev');
    assert.deepEqual(view(rooms), { rooms: ['lobby', 'qa'], current: 'qa', unread: [] }, 'not the current one: it stays');
    after(rooms, '* you left qa');
    assert.deepEqual(view(rooms), { rooms: ['lobby'], current: undefined, unread: [] });
    after(rooms, '* you are in lobby');
    assert.deepEqual(view(rooms), { rooms: ['lobby'], current: 'lobby', unread: [] });
    after(rooms, '* you left lobby');
    assert.deepEqual(view(rooms), { rooms: [], current: undefined, unread: [] }, 'the last one: in no room');
  });

  test('what we said on another device, in another of our rooms, is nothing unread; whatever the case of our name', () => {
    let self = 'alice';
    const rooms = after(new Rooms(() => self), '* you are in dev');
    after(rooms, '<alice#lobby> said on my phone', '<ALICE#lobby> again', '<alice> in dev');
    assert.deepEqual(rooms.unread(), []);
    assert.equal(rooms.take(parseServerLine('<alice#lobby> x')).room?.name, 'lobby', 'a line of lobby all the same');
    after(rooms, '<bob#lobby> hi alice');
    assert.deepEqual(rooms.unread(), [{ room: 'lobby', count: 1 }]);
    self = 'alicia'; // renamed: alice is someone else now
    after(rooms, '<alice#lobby> hi');
    assert.deepEqual(rooms.unread(), [{ room: 'lobby', count: 2 }]);
  });

  test('a reconnect with nothing to go back to is done at once', () => {
    const rooms = new Rooms();
    rooms.lost();
    assert.deepEqual(rooms.reconnected(), []);
    assert.ok(!rooms.rejoining);
    assert.deepEqual(view(rooms), { rooms: ['lobby'], current: 'lobby', unread: [] });
  });
});
