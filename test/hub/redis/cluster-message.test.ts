import assert from 'node:assert/strict';
import type { RoomState } from '../../../src/protocol/room-state.js';
import { test } from 'node:test';
import {
  byteLength,
  decodeEntry,
  encodeEntry,
  directBody,
  directOf,
  eventBody,
  eventOf,
  joinFrames,
  removalBody,
  roomHeader,
  userHeader,
  type UserKind,
} from '../../../src/hub/redis/cluster-message.js';

const A = 'host-1-ab';
const B = 'host-2-cd';
const C = 'host-3-ef';

/** A turn of A's, every kind of frame, non-ASCII text and line feeds inside a body among them. */
function turn(): Buffer {
  const room = eventBody({ kind: 'message', from: 'alice', text: 'hi ✓ <b> * x' });
  const text = directBody({ from: 'alice', text: 'héllo ✓ 😀' });
  const removal = removalBody({ shown: 'kicked by op: é' });
  const forRoom = (rooms: string, body: Buffer | string, skip?: string) => [roomHeader(rooms.split(','), byteLength(body), skip), body];
  const forUser = (kind: UserKind, key: string, body: string) => [userHeader(kind, key, byteLength(body)), body];
  const frames = [
    ...forRoom('lobby', room),
    ...forUser('@', 'bob', text),
    ...forRoom('dev,qa', eventBody({ kind: 'left', names: ['c1', 'c2'], reason: 'not about C' }), C),
    ...forUser('@', 'carol', directBody({ from: 'alice', text: 'for C' })),
    ...forUser('@', 'nobody', directBody({ from: 'alice', text: 'lost' })),
    ...forUser('~', 'bob', removal),
    ...forUser('!', 'dave', ''),
    ...forUser('@', 'bob', directBody({ from: 'alice', text: 'again' })),
  ];
  // Each user once, nobody holding "nobody".
  return encodeEntry(
    A,
    [
      ['bob', B],
      ['carol', C],
      ['dave', C],
    ],
    frames,
  );
}

test('an entry gives each server what is for it, in the order sent, bytes and text untouched', () => {
  const hi = { kind: 'message', from: 'alice', text: 'hi ✓ <b> * x' } as const;
  assert.deepEqual(decodeEntry(turn(), B), [
    { kind: 'room', rooms: ['lobby'], event: hi },
    { kind: 'direct', to: 'bob', message: { from: 'alice', text: 'héllo ✓ 😀' } },
    { kind: 'room', rooms: ['dev', 'qa'], event: { kind: 'left', names: ['c1', 'c2'], reason: 'not about C' } },
    { kind: 'remove', key: 'bob', removal: { shown: 'kicked by op: é' }, first: true },
    { kind: 'direct', to: 'bob', message: { from: 'alice', text: 'again' } },
  ]);
  // C: the room message about its own users is not for it; the direct message and eviction are.
  assert.deepEqual(decodeEntry(turn(), C), [
    { kind: 'room', rooms: ['lobby'], event: hi },
    { kind: 'direct', to: 'carol', message: { from: 'alice', text: 'for C' } },
    { kind: 'evict', key: 'dave' },
  ]);
  // The sender's users had its messages when they were sent.
  assert.deepEqual(decodeEntry(turn(), A), []);
});

test("an account held on several servers: each gets its frames, the first alone carries out a room removal; devices' frames round-trip", () => {
  const frames = [
    ...[userHeader('~', 'alice', byteLength(removalBody({ room: 'dev', by: 'op', reason: 'go' }))), removalBody({ room: 'dev', by: 'op', reason: 'go' })],
    ...[userHeader('%', 'alice', 0), ''],
    ...[userHeader('+', 'alice', 3), 'ops'],
    ...[userHeader('-', 'alice', byteLength('dev op go away')), 'dev op go away'],
    ...[
      userHeader('@', 'alice', byteLength(directBody({ from: 'alice', text: 'hi there', sentTo: 'bob' }))),
      directBody({ from: 'alice', text: 'hi there', sentTo: 'bob' }),
    ],
  ];
  const entry = encodeEntry(
    A,
    [
      ['alice', B],
      ['alice', C],
    ],
    frames,
  );
  const removal = { room: 'dev', by: 'op', reason: 'go' };
  const rest = [
    { kind: 'shared', key: 'alice' },
    { kind: 'moved', key: 'alice', room: 'ops', joined: true },
    { kind: 'moved', key: 'alice', room: 'dev', joined: false, removedBy: { by: 'op', reason: 'go away' } },
    { kind: 'direct', to: 'alice', message: { from: 'alice', text: 'hi there', sentTo: 'bob' } },
  ];
  assert.deepEqual(decodeEntry(entry, B), [{ kind: 'remove', key: 'alice', removal, first: true }, ...rest]);
  assert.deepEqual(decodeEntry(entry, C), [{ kind: 'remove', key: 'alice', removal, first: false }, ...rest]);
  // A `+` with more than a room, a `-` whose remover is no name: not ours, nothing delivered.
  for (const bad of ['ops op', 'dev no.name go']) {
    const kind = bad.startsWith('ops') ? '+' : '-';
    assert.deepEqual(decodeEntry(encodeEntry(A, [['alice', B]], [userHeader(kind, 'alice', byteLength(bad)), bad]), B), []);
  }
});

test('frames go as one string when they all are strings, else as one Buffer of the same bytes', () => {
  const strings = ['@ bob 3\n', 'hé\n'];
  assert.equal(joinFrames(strings), '@ bob 3\nhé\n');
  const mixed = joinFrames([roomHeader(['lobby'], byteLength(Buffer.from('x\n'))), Buffer.from('x\n'), ...strings]);
  assert.ok(Buffer.isBuffer(mixed));
  assert.equal(mixed.toString(), '* lobby 2\nx\n@ bob 3\nhé\n');
  assert.equal(userHeader('@', 'bob', byteLength('hé\n')), '@ bob 4\n', 'a length counts bytes, not characters');
});

test('a room event crosses as its meaning: every kind and any text read back as sent; anything else is no event', () => {
  const events = [
    { kind: 'message', from: 'a-_1', text: 'x' },
    { kind: 'message', from: 'a', text: '' },
    { kind: 'message', from: 'a', text: '  spaced, , commas  and ✓ 😀 <b>' },
    { kind: 'joined', names: ['a'] },
    { kind: 'joined', names: ['a', 'B', 'c-d'] },
    { kind: 'left', names: ['a', 'b'], reason: '' },
    { kind: 'left', names: ['a'], reason: 'kicked by op: see you (later), ok' },
    { kind: 'left', names: ['a', 'b'], reason: 'bye', quit: true },
    { kind: 'message', from: 'a', text: 'a notice', notice: true },
    { kind: 'renamed', from: 'old', to: 'New' },
    { kind: 'away', name: 'Bob', text: 'at lunch, back at 2 😀' },
    { kind: 'away', name: 'bob' },
  ] as const;
  for (const event of events) assert.deepEqual(eventOf(eventBody(event)), event, eventBody(event));
  for (const junk of [
    '',
    'm',
    'm ',
    'm a',
    'x a b',
    'j ',
    'j a b',
    'j a,,b',
    'l a',
    'l a!,b c',
    'r a',
    'r a b c',
    'r a b!',
    'm bad!name hi',
    'mm a b',
    'q a',
    'n a',
    'a ',
    'a bob ',
    'a bad!name gone',
  ]) {
    assert.equal(eventOf(junk), undefined, JSON.stringify(junk));
  }
  // Another program's away text longer than ours ever are: cut where our servers cut it.
  assert.deepEqual(eventOf(`a bob ${'😀'.repeat(300)}`), { kind: 'away', name: 'bob', text: '😀'.repeat(97) });
});

test('a direct message crosses as its sender and text, a notice marked; a body that is not one is refused', () => {
  for (const message of [
    { from: 'alice', text: 'hi ✓' },
    { from: 'alice', text: '' },
    { from: 'a', text: 'a notice', notice: true },
    { from: 'a', text: 'VERSION', ctcp: true },
    { from: 'a', text: 'VERSION irssi 1.4', notice: true, ctcp: true },
  ]) {
    assert.deepEqual(directOf(directBody(message)), message);
  }
  for (const junk of ['', 'alice hi', 'm alice', 'm bad!name hi', 'j alice', `m alice a\nb`, 'm alice \x1b[2J'])
    assert.equal(directOf(junk), undefined, JSON.stringify(junk));
});

test('an entry cut short anywhere is not read at all', () => {
  const whole = turn();
  for (let end = 0; end < whole.length; end++) {
    assert.equal(decodeEntry(whole.subarray(0, end), B), undefined, `cut at ${end}`);
  }
});

test('anything else in the stream is ignored, never delivered, and never throws', () => {
  const junk = [
    '',
    'hello',
    '\n',
    'a\n',
    'a b\n',
    'a -1\n',
    'a 01\n* r 1\nx',
    'a 1\n', // no count, a bad count, a missing frame
    `a 1\n* r 2\nx`, // shorter than its length
    `a 1\n* r x\nx`,
    `a 1\n* r 1e0\nx`,
    `a 1\n* r 0x1\nx`,
    `a 1\n* r -1\nx`,
    `a 1\n* r\nx`,
    `a 1\n* r 1 extra\nx`,
    `a 1\n*  1\nx`,
    `a 1 bob ${B}\n@ bob 2\nx\n* r 0\n`, // more frames than counted
    `a 2 bob ${B}\n@ bob 2\nx\n`, // fewer
    `a 1 bob\n@ bob 2\nx\n`, // a user with no server
    `a 1 bob ${B} carol\n@ bob 2\nx\n`, // a user with no server after one with
    `a 1 bob  ${B}\n@ bob 2\nx\n`,
    `a 1  bob ${B}\n@ bob 2\nx\n`, // an empty user or server
    `a 1 bob ${B}\n@@ bob 2\nx\n`,
    `a 1 bob ${B}\n? bob 2\nx\n`, // no such kind
    `a 1 bob ${B}\n! bob 2\nx\n`, // an eviction carries nothing
    `a 1 bob ${B}\n~ bob 2\n{}`,
    `a 1 bob ${B}\n~ bob 4\nnull`,
    `a 1 bob ${B}\n~ bob 1\n{`, // a removal that is not one
    ' 1\n* r 1\nx', // no origin
  ];
  // Nothing delivered: the whole entry refused (its framing), or its one frame skipped (a kind
  // or body this release cannot read: a newer one's, see test/hub/newer-frames.test.ts).
  for (const bad of junk) {
    assert.deepEqual(decodeEntry(Buffer.from(bad), B) ?? [], [], JSON.stringify(bad));
  }
  // Random bytes: never a throw.
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.alloc(1 + (i % 64));
    for (let j = 0; j < bytes.length; j++) bytes[j] = ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 8) % 4 === 0 ? 0x0a : (seed >> 3) & 0xff;
    decodeEntry(bytes, B);
  }
});

test('a room event whose text or reason holds a line break is no event: each server words it as one line, so it must not carry another', () => {
  // eventBody never writes one (a line's text has none); another program's entry could, and
  // `<alice> hi\n* bob is now root` would reach every member as two lines, the second forged.
  for (const junk of ['m alice hi\n<bob> forged', 'm alice hi\r\n* op joined', 'l alice bye\n* bob left', 'l alice,bob \r']) {
    assert.equal(eventOf(junk), undefined, JSON.stringify(junk));
  }
});

test('attacks from review: a room change (`s`) whose JSON escapes a line break, or lacks what its kind needs, or whose state is not one, is no event', () => {
  const s = (changes: unknown[], state: unknown = { v: 2, ops: [] }): string => `s alice ${JSON.stringify({ changes, state })}`;
  // A sound one crosses as sent.
  assert.notEqual(eventOf(s([{ what: 'topic', text: 'Release on Friday' }])), undefined);
  for (const junk of [
    // JSON's escapes hide a line break and an ESC from the raw-body check: `* alice set the topic: hi` then a forged line.
    s([{ what: 'topic', text: 'hi\n* bob is now root' }]),
    s([{ what: 'topic', text: '\u001b[2J' }]),
    s([{ what: 'ban', on: true, mask: 'x\r\n<bob> forged' }]),
    // Changes without what their kind needs: worded "took room operator from undefined".
    s([{ what: 'op' }]),
    s([{ what: 'topic' }]),
    s([{ what: 'ban', on: true }]),
    // States that are none: a null topic throws in every server's /topic and /join (TypeError: reading 'text').
    s([], { v: 2, ops: [], topic: null }),
    s([], { v: 2, ops: [], topic: 'text' }),
    s([], { v: 2, ops: [], key: 5 }),
    s([], { v: 2, ops: [], limit: 'many' }),
  ]) {
    assert.equal(eventOf(junk), undefined, junk);
  }
});

test("a room's change crosses with its C1 characters escaped (the body refuses them raw), and comes back as it went", () => {
  const state = { v: 3, ops: ['alice'], note: 'from a newer server\u0085' } as unknown as RoomState;
  const body = eventBody({ kind: 'changed', by: 'alice', changes: [{ what: 'private', on: true }], state });
  assert.ok(!/[\u0080-\u009f]/.test(body), body);
  assert.deepEqual(eventOf(body), { kind: 'changed', by: 'alice', changes: [{ what: 'private', on: true }], state });
});
