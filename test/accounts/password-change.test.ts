import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { changeHash } from '../../src/accounts/password-change.js';
import { UsersFileError, withHash, writeFileAtomic } from '../../src/accounts/users-file.js';
import { realTimers } from '../../src/protocol/timers.js';
import { tempDir, usersText } from '../helpers/users.js';

const HASH = 'scrypt$1024$8$1$c2FsdA==$a2V5';

test('withHash changes the hash on one line and nothing else: comments, blanks, CRLF, marks, order', async () => {
  const users = await usersText({ Alice: 'a', bob: 'b' }, ['Alice']);
  const [alice, bob] = users.split('\n') as [string, string];
  const text = `# accounts\r\n\r\n${alice}\r\n${bob}\n# end`;
  assert.equal(withHash(text, 'users', 'ALICE', HASH), `# accounts\r\n\r\nAlice:${HASH}:op\r\n${bob}\n# end`);
  assert.equal(withHash(text, 'users', 'bob', HASH), `# accounts\r\n\r\n${alice}\r\nbob:${HASH}\n# end`);
  assert.equal(withHash(text, 'users', 'carol', HASH), undefined);
  assert.throws(() => withHash(`${text}\nnot a line\n`, 'users', 'bob', HASH), UsersFileError, 'a file the server would refuse is not written');
});

test('an atomic write keeps the permissions it is given', (t) => {
  const file = join(tempDir(t), 'users');
  writeFileSync(file, 'old\n', { mode: 0o640 });
  const { mode, uid, gid } = statSync(file);
  writeFileAtomic(file, 'new\n', undefined, { mode, uid, gid });
  assert.equal(readFileSync(file, 'utf8'), 'new\n');
  assert.equal(statSync(file).mode & 0o777, 0o640);
  writeFileAtomic(file, 'newer\n');
  assert.equal(statSync(file).mode & 0o777, 0o600, "passwd's own writes stay 0600");
});

test('changeHash: an account gone from the file, a file that cannot be read whole: nothing written, the reason', async (t) => {
  const file = join(tempDir(t), 'users');
  const text = await usersText({ alice: 'a' });
  writeFileSync(file, text);
  assert.deepEqual(await changeHash(file, 'bob', HASH, realTimers), { why: 'account-gone', detail: `bob is no longer in ${file}` });
  writeFileSync(file, `${text}bob\n`);
  assert.deepEqual(await changeHash(file, 'alice', HASH, realTimers), {
    why: 'file-error',
    detail: `${file} line 2: expected NAME:HASH or NAME:HASH:FLAGS`,
  });
  assert.equal(readFileSync(file, 'utf8'), `${text}bob\n`);
  assert.deepEqual(await changeHash(join(file, 'nowhere'), 'alice', HASH, realTimers), {
    why: 'file-error',
    detail: `${join(file, 'nowhere')}: the file is not writable (ENOTDIR)`,
  });
  writeFileSync(file, text);
  assert.equal(await changeHash(file, 'alice', HASH, realTimers), undefined);
  assert.equal(readFileSync(file, 'utf8'), `alice:${HASH}\n`);
});
