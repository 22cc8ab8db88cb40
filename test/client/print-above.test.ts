import assert from 'node:assert/strict';
import readline from 'node:readline';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { printAbove } from '../../src/client/print-above.js';

/** A readline prompt on a terminal 20 columns wide, and all it has written so far. */
function terminal(prompt: string): { rl: readline.Interface; output: NodeJS.WriteStream; written: () => string } {
  let out = '';
  const output = Object.assign(
    new Writable({
      write: (chunk, _encoding, done) => {
        out += String(chunk);
        done();
      },
    }),
    { columns: 20, isTTY: true },
  ) as unknown as NodeJS.WriteStream;
  const rl = readline.createInterface({ input: new PassThrough(), output, terminal: true, prompt });
  rl.prompt();
  return {
    rl,
    output,
    written: () => {
      const w = out;
      out = '';
      return w;
    },
  };
}

test('a longer prompt: the rows gone up are those of the prompt on the screen, not of the new one', (t) => {
  const { rl, output, written } = terminal('a> ');
  t.after(() => rl.close());
  // 3 + 16 columns: one row with the old prompt; with the new one (13 + 16) the line wraps.
  rl.write('x'.repeat(16));
  written();
  printAbove(rl, output, '[lobby] <bob> hi', 'a (lobby 10)> ');
  const drawn = written();
  const before = drawn.slice(0, drawn.indexOf('[lobby]'));
  assert.ok(!/\x1b\[\d*A/.test(before), `no row up before the text: ${JSON.stringify(before)}`);
  assert.ok(drawn.includes(`a (lobby 10)> ${'x'.repeat(16)}`), JSON.stringify(drawn));
  assert.equal(rl.getPrompt(), 'a (lobby 10)> ');
  assert.equal(rl.line, 'x'.repeat(16), 'the half-typed line intact');

  // And back: the line on two rows now, so up one first.
  printAbove(rl, output, 'next', 'a> ');
  const again = written();
  assert.match(again.slice(0, again.indexOf('next')), /\x1b\[1A/);
});
