import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chalk } from 'chalk';
import { renderLine, roomTag } from '../../src/client/render.js';
import { roomColour } from '../../src/client/room-colour.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';

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
