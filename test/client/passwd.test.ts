import assert from 'node:assert/strict';
import { test } from 'node:test';
import { askPasswords, asksPasswords, carriesPasswords, newPasswordIn, PasswdAnswers, passwdLine } from '../../src/client/passwd.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';
import * as w from '../../src/dialects/line/wording.js';

test('/passwd alone asks; /passwd OLD NEW carries a new password, as the server reads it', () => {
  assert.ok(asksPasswords('/passwd'));
  assert.ok(asksPasswords('/PASSWD  '));
  assert.ok(!asksPasswords('/passwd old new'));
  assert.ok(!asksPasswords('/passwdx'));
  assert.equal(newPasswordIn('/passwd old new one '), 'new one ');
  assert.equal(newPasswordIn('/Passwd\told\tnew'), 'new');
  assert.equal(newPasswordIn(' /passwd old new'), 'new', 'the server drops the blank before it');
  for (const line of ['/passwd', '/passwd old', 'hello /passwd a b', '//passwd a b', '/passwdx a b']) assert.equal(newPasswordIn(line), undefined, line);
  // Kept out of the history: any line with a password in it, a new one or not.
  for (const line of ['/passwd old new', '/passwd old', ' /PASSWD old ']) assert.ok(carriesPasswords(line), line);
  for (const line of ['/passwd', '/passwd  ', 'hello', '//passwd old new']) assert.ok(!carriesPasswords(line), line);
});

test('passwdLine: what the server reads back as the same two passwords, or why not', () => {
  assert.deepEqual(passwdLine('old', 'new one ', 4096), { send: '/passwd old new one ' });
  assert.match((passwdLine('old one', 'new', 4096) as { problem: string }).problem, /has a blank in it/);
  assert.deepEqual(passwdLine('old', ' new', 4096), { problem: 'a new password cannot start with a blank' });
  assert.deepEqual(passwdLine('', 'new', 4096), { problem: 'a password cannot be empty' });
  assert.deepEqual(passwdLine('old', 'x'.repeat(100), 64), { problem: 'the two passwords do not fit in one line of 64 bytes' });
});

test('PasswdAnswers: the new password once the server took it, in the order sent; refusals drop theirs', () => {
  const answers = new PasswdAnswers();
  const line = (raw: string) => parseServerLine(raw);
  assert.equal(answers.take(line(w.passwordChanged())), undefined, 'nothing was sent');
  answers.sent('first');
  answers.sent('second');
  answers.sent('third');
  assert.equal(answers.take(line(w.roomMessage('bob', '* password changed'))), undefined);
  assert.equal(answers.take(line(w.authenticationFailed())), undefined);
  assert.equal(answers.take(line(w.joined('bob'))), undefined);
  assert.equal(answers.take(line(w.passwordChanged())), 'second');
  answers.clear();
  assert.equal(answers.take(line(w.passwordChanged())), undefined, 'a lost connection took its answers with it');
});

test('askPasswords: the current password, the new one twice; given up at any prompt, nothing to send', async () => {
  const answering = (...answers: (string | undefined)[]) => {
    const asked: string[] = [];
    const ask = async (question: string): Promise<string | undefined> => {
      asked.push(question);
      return answers.shift();
    };
    return { asked, ask };
  };
  const right = answering('old', 'new one', 'new one');
  assert.deepEqual(await askPasswords(right.ask, 4096), { send: '/passwd old new one' });
  assert.deepEqual(right.asked, ['Current password', 'New password', 'New password again']);
  assert.deepEqual(await askPasswords(answering('old', 'new', 'nwe').ask, 4096), { problem: 'the two new passwords differ' });
  const early = answering(undefined);
  assert.deepEqual(await askPasswords(early.ask, 4096), { problem: 'given up' });
  assert.deepEqual(early.asked, ['Current password'], 'nothing more is asked');
  assert.deepEqual(await askPasswords(answering('old', 'new', undefined).ask, 4096), { problem: 'given up' });
  assert.deepEqual(await askPasswords(answering('old one', 'new', 'new').ask, 4096), passwdLine('old one', 'new', 4096));
});
