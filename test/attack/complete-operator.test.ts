import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Completions } from '../../src/client/complete.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';

/**
 * 428edd5: operators' commands are offered once `* you are an operator` was said, until the
 * next login. An operator is one by its account's name (commands.ts: isOperator(nameOf(ctx))),
 * and a rename to another name says `* you are now NAME` without that line: no longer one.
 */
test('attack: after a rename away from the operator account, /kick and /ban are no longer offered', () => {
  const c = new Completions();
  c.learn(parseServerLine('* you are an operator: /help lists your commands'));
  assert.deepEqual(c.complete('/ba'), [['/ban ', '/bans '], '/ba']);
  c.learn(parseServerLine('* you are now somebody'));
  assert.deepEqual(c.complete('/ba'), [[], '/ba']);
});
