import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Away } from '../../src/client/away.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';
import * as w from '../../src/dialects/line/wording.js';

const take = (away: Away, raw: string): 'ours' | undefined => away.take(parseServerLine(raw));

test("Away: from the server's answers, said again after a reconnect, whose answer is the client's own", () => {
  const away = new Away();
  assert.equal(away.again(), undefined, 'never away: nothing to say');
  assert.equal(take(away, w.youAreAway('at lunch')), undefined, "the user's own /away");
  assert.equal(away.again(), '/away at lunch');
  assert.equal(take(away, w.youAreAway('at lunch')), 'ours');
  assert.equal(take(away, w.youAreAway('gone home')), undefined, 'typed since');
  // Lost before the answer came: the next answer is the user's.
  assert.equal(away.again(), '/away gone home');
  away.lost();
  assert.equal(take(away, w.youAreBack()), undefined);
  assert.equal(away.again(), undefined, 'back: nothing to say');
});

test("Away: someone else's away, a user's words, are not ours; a server without /away forgets it", () => {
  const away = new Away();
  take(away, w.youAreAway('out'));
  for (const raw of [w.isAway('bob', 'x'), w.roomMessage('bob', w.youAreBack()), w.directMessage('bob', w.youAreBack()), w.unknownCommand('away')]) {
    assert.equal(take(away, raw), undefined, raw);
  }
  assert.equal(away.again(), '/away out');
  // An older server of the chat does not know /away: nothing to say again.
  assert.equal(take(away, w.unknownCommand('away')), 'ours');
  assert.equal(away.again(), undefined);
});
