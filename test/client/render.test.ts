import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Chalk } from 'chalk';
import type { PastItem } from '../../src/client/history.js';
import { renderLine, renderPast, roomTag, timestamp } from '../../src/client/render.js';
import { roomColour } from '../../src/client/room-colour.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';
import { T0 } from '../helpers/fake-clock.js';

const plain = new Chalk({ level: 0 });
const colour = new Chalk({ level: 1 });
const render = (raw: string, chalk = colour, self: string | undefined = 'alice'): string => renderLine(parseServerLine(raw), { chalk, self });

test('without colour (--no-color, NO_COLOR, a pipe) lines are shown as they came', () => {
  for (const raw of ['* bob joined', '! no such user: x', '<bob> hi alice', '*bob* psst', 'HTTP/1.1 400']) {
    assert.equal(render(raw, plain), raw);
  }
});

test('each kind has its own colour; our own name is highlighted', () => {
  const kinds = ['*bob* psst', '<bob> hi', '* bob joined', '! oops'].map((raw) => render(raw, colour, undefined));
  const colours = kinds.map((line) => /^\x1b\[(\d+)m/.exec(line)?.[1] ?? 'none');
  assert.equal(new Set(colours).size, 4, `distinct colours: ${colours.join(', ')}`);
  const mention = render('<bob> hi alice, and Alice-2 is not you', colour, 'alice');
  assert.ok(mention.includes('\x1b[33m\x1b[1malice'), 'alice is highlighted');
  assert.ok(!mention.includes('\x1b[1mAlice-2'), 'a longer name that starts the same is not');
});

test("a line of another of our rooms: its room's tag before it, in the room's colour; none without colour", () => {
  const tagged = (raw: string, room: string, chalk = colour): string => renderLine(parseServerLine(raw), { chalk, self: 'alice', room });
  assert.equal(tagged('<bob> hi', 'dev', plain), '[dev] <bob> hi');
  assert.equal(tagged('* bob joined', 'dev', plain), '[dev] * bob joined');
  assert.equal(tagged('* bob left (bye)', 'qa-1', plain), '[qa-1] * bob left (bye)');
  const line = tagged('<bob> hi', 'dev');
  assert.ok(line.startsWith(`${roomColour('dev', colour)('[dev]')} `), JSON.stringify(line));
  assert.ok(line.endsWith(render('<bob> hi')), 'the line itself as in its own room');
  assert.equal(roomTag('dev', plain), '[dev]');
});

test("a room's colour: the same whatever its case and however often asked, and not the same for every room", () => {
  assert.equal(roomColour('Dev', colour)('x'), roomColour('dev', colour)('x'));
  const rooms = ['lobby', 'dev', 'qa', 'ops', 'random', 'support', 'design', 'a', 'b', 'c'];
  const codes = rooms.map((r) => /^\x1b\[(\d+)m/.exec(roomColour(r, colour)('x'))?.[1]);
  assert.ok(
    codes.every((c) => c !== undefined),
    'every room has a colour',
  );
  assert.ok(new Set(codes).size >= 3, `several colours: ${codes.join(', ')}`);
  for (const code of codes) assert.ok(!['31', '90', '35', '36', '33'].includes(code!), `not a colour that says something else: ${code}`);
});

describe('what we did on another of our devices', () => {
  test('a direct message we sent: as the wire has it without colour; with colour, as a direct message, and nothing of it highlighted', () => {
    assert.equal(render('*alice->bob* see you, alice-fans', plain), '*alice->bob* see you, alice-fans');
    const sent = render('*alice->bob* hi alice');
    assert.ok(sent.startsWith('\x1b[35m'), `magenta, as direct messages: ${JSON.stringify(sent)}`);
    assert.equal(/^\x1b\[(\d+)m/.exec(sent)?.[1], /^\x1b\[(\d+)m/.exec(render('*bob* psst'))?.[1]);
    assert.ok(sent.includes('\x1b[1m*alice->bob*'), 'who to, in bold');
    assert.ok(!sent.includes('\x1b[33m'), `our own name is no mention in our own message: ${JSON.stringify(sent)}`);
    // A name may end in `-`: the arrow is the last `-` before `>`.
    assert.ok(render('*a-->b* x').includes('\x1b[1m*a-->b*'));
  });

  test('a room message we said: not highlighted as a mention, in any case of our name; the same words from someone else are', () => {
    for (const raw of ['<alice> hi alice', '<ALICE> hi alice']) {
      const own = render(raw);
      assert.ok(!own.includes('\x1b[33m'), `${raw}: ${JSON.stringify(own)}`);
      assert.equal(render(raw, plain), raw);
    }
    assert.ok(render('<bob> hi alice').includes('\x1b[33m\x1b[1malice'));
    assert.ok(render('<alice> hi alice', colour, undefined).startsWith('\x1b[36m'), 'no name of ours known: a line as any other');
  });
});

describe('renderPast: history, kept messages and catch-up lines', () => {
  const now = new Date(T0);
  const past = (item: PastItem, chalk = plain): string => renderPast(item, { chalk, timestamps: true, now });
  const hm = timestamp(new Date(T0));

  test('each as the live line reads, after its local time, dimmed', () => {
    assert.equal(past({ kind: 'room', at: T0, from: 'bob', text: 'hi' }), `${hm} <bob> hi`);
    assert.equal(past({ kind: 'room', at: T0, from: 'bob', room: 'dev', text: 'hi' }), `${hm} [dev] <bob> hi`, "a catch-up's room message names its room");
    assert.equal(past({ kind: 'kept', at: T0, from: 'carol', text: 'call me' }), `${hm} *carol* call me`);
    assert.equal(past({ kind: 'sent', at: T0, from: 'alice', to: 'carol', text: 'soon' }), `${hm} *alice->carol* soon`);
    const dim = past({ kind: 'sent', at: T0, from: 'alice', to: 'carol', text: 'soon' }, colour);
    assert.equal(dim, `\x1b[2m${hm} *alice->carol* soon\x1b[22m`);
    assert.equal(renderPast({ kind: 'room', at: T0, from: 'bob', room: 'dev', text: 'hi' }, { chalk: plain, timestamps: false, now }), '[dev] <bob> hi');
  });
});
