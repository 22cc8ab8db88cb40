import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressesInside, parseCommand } from '../../src/dialects/line/parse.js';
import { withoutLeadingInvisible } from '../../src/protocol/invisible.js';
import { INVISIBLE_LEADS } from '../helpers/invisible.js';

test('every character nobody sees is dropped from the start of a line: what looks like @bob: is direct', () => {
  assert.ok(INVISIBLE_LEADS.length >= 31);
  for (const lead of INVISIBLE_LEADS) {
    const name = `U+${lead.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    assert.equal(withoutLeadingInvisible(`${lead}@bob:hi`), '@bob:hi', name);
    assert.equal(withoutLeadingInvisible(`${lead}${lead}\u200B@bob:hi`), '@bob:hi', `${name}, several`);
    assert.deepEqual(parseCommand(`${lead}@bob:hi`), { kind: 'direct', to: 'bob', text: 'hi' }, name);
    assert.deepEqual(parseCommand(lead), { kind: 'empty' }, `${name} alone`);
  }
});

test('what is visible stays: letters, emoji, marks after a base, invisible characters inside the text', () => {
  for (const text of ['\u0600123', '\u06DD1', 'hello', 'é', '😀 hi', '\u00E9\u0301', 'a\u200Bb', '中文', '#room?', '@bob:x', '\u2764\uFE0F love']) {
    assert.equal(withoutLeadingInvisible(text), text, JSON.stringify(text));
  }
  assert.deepEqual(parseCommand('a\u200B@bob:hi'), { kind: 'room', text: 'a\u200B@bob:hi' });
});

test('addressesInside: the @NAME: a room line holds after its start, as a direct message would read it', () => {
  assert.deepEqual(addressesInside('hello everyone@bob:my pin'), ['bob']);
  assert.deepEqual(addressesInside('hi @ dora :x and @carol:y'), ['dora', 'carol']);
  assert.deepEqual(addressesInside('@bob:at the start is a direct message, not inside'), []);
  assert.deepEqual(addressesInside('me@example.org: hi, a@b, @:x, @bad name:x'), []);
  assert.deepEqual(addressesInside(`x${'@'.repeat(4000)}`), []);
});
