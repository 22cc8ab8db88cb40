import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidName, NAME_PATTERN, nameKey } from '../../src/protocol/names.js';
import { decodeText, stripControls } from '../../src/protocol/sanitize.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';

test('names: 1 to 32 of A-Z a-z 0-9 _ -, compared without case', () => {
  for (const ok of ['a', 'Alice', 'bob_2', 'x-y', 'Z'.repeat(32), '0', '-_-']) assert.ok(isValidName(ok), ok);
  for (const bad of ['', 'Z'.repeat(33), 'al ice', 'al:ice', 'émile', 'a.b', 'a\u0000', '@bob', 'bob\n']) {
    assert.ok(!isValidName(bad), JSON.stringify(bad));
  }
  assert.equal(nameKey('Alice'), nameKey('aLICE'));
});

test('names: the check agrees with NAME_PATTERN for every UTF-16 unit, alone and inside a name', () => {
  const pattern = new RegExp(`^${NAME_PATTERN}$`);
  for (let c = 0; c <= 0xffff; c++) {
    for (const name of [String.fromCharCode(c), `a${String.fromCharCode(c)}b`]) {
      assert.equal(isValidName(name), pattern.test(name), `U+${c.toString(16)}`);
    }
  }
});

test('sanitising removes C0 (but TAB), DEL and C1, so ESC too', () => {
  assert.equal(stripControls('a\tb'), 'a\tb');
  assert.equal(stripControls('\x1b[2J\x1b[31mred\x07\x00\x7f\x9b\x85end'), '[2J[31mredend');
  assert.equal(stripControls('plain text, ünïcödé, 漢字, emoji 🎉'), 'plain text, ünïcödé, 漢字, emoji 🎉');
  for (let c = 0; c < 0xa0; c++) {
    const kept = c === 9 || (c >= 0x20 && c < 0x7f);
    assert.equal(stripControls(String.fromCharCode(c)).length, kept ? 1 : 0, `U+${c.toString(16)}`);
  }
});

test('invalid UTF-8 becomes U+FFFD', () => {
  assert.equal(decodeText(Buffer.from([0x68, 0xff, 0x69, 0xc3])), 'h\ufffdi\ufffd');
  assert.equal(decodeText(Buffer.from([0xc2, 0x9b, 0x41])), 'A', 'an encoded C1 control is removed too');
});

test('server lines: the four marks', () => {
  assert.deepEqual(parseServerLine('* bob joined'), { kind: 'notice', text: 'bob joined', raw: '* bob joined' });
  assert.deepEqual(parseServerLine('! server full'), { kind: 'error', text: 'server full', raw: '! server full' });
  assert.deepEqual(parseServerLine('<bob> hi <there>'), { kind: 'room', from: 'bob', text: 'hi <there>', raw: '<bob> hi <there>' });
  assert.deepEqual(parseServerLine('*al-1* psst *x*'), { kind: 'direct', from: 'al-1', text: 'psst *x*', raw: '*al-1* psst *x*' });
  assert.equal(parseServerLine('<not a name> x').kind, 'other');
  assert.equal(parseServerLine('HTTP/1.1 400').kind, 'other');
});
