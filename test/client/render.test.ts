import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chalk } from 'chalk';
import { renderLine } from '../../src/client/render.js';
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
