import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nameFromAnswer } from '../../src/client/login.js';
import { isValidName } from '../../src/protocol/names.js';

test('a name typed at the prompt: one leading # (as the greeting shows it) and spaces are dropped', () => {
  assert.equal(nameFromAnswer('#alice'), 'alice');
  assert.equal(nameFromAnswer('  #alice '), 'alice');
  assert.equal(nameFromAnswer('alice'), 'alice');
  // Only one: "##alice" stays invalid rather than guessed at.
  assert.ok(!isValidName(nameFromAnswer('##alice')));
  assert.ok(!isValidName(nameFromAnswer('#')));
  assert.ok(!isValidName(nameFromAnswer('#alice secret')), 'a password typed after the name is not taken as a name');
});
