import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AuthThrottle } from '../../src/accounts/login-throttle.js';
import { addressKey } from '../../src/protocol/address-key.js';
import { hashPassword, hashProblem, verifyPassword } from '../../src/accounts/password-hash.js';
import { formatUsers, parseUsers, readWhole, UsersFileError, writeFileAtomic } from '../../src/accounts/users-file.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/users.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  test('scrypt with a random salt and its cost in the string', async () => {
    const a = await hashPassword('correct horse', CHEAP);
    const b = await hashPassword('correct horse', CHEAP);
    assert.match(a, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.notEqual(a, b, 'salted');
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('correct horse', b), true);
    assert.equal(await verifyPassword('correct hors', a), false);
    assert.equal(await verifyPassword('', a), false);
    assert.equal(await verifyPassword('correct horse', 'plain'), false);
    assert.ok(!a.includes('correct'), 'the password is not in the hash');
  });

  test('the default cost is stored and checked too', async () => {
    const h = await hashPassword('pw');
    assert.match(h, /^scrypt\$16384\$8\$1\$/);
    assert.equal(await verifyPassword('pw', h), true);
  });

  test('hashProblem names what is wrong', () => {
    assert.equal(hashProblem('scrypt$16384$8$1$c2FsdA==$aGFzaA=='), undefined);
    assert.match(hashProblem('md5$abc') ?? '', /not of the form/);
    assert.match(hashProblem('scrypt$1000$8$1$c2FsdA==$aGFzaA==') ?? '', /power of two/);
  });
});

describe('users file', () => {
  const h = 'scrypt$1024$8$1$c2FsdA==$aGFzaA==';

  test('name:hash lines; blank lines and # comments skipped; names without case', () => {
    const users = parseUsers(`# accounts\nAlice:${h}\n\nbob:${h}\r\n`, 'u');
    assert.deepEqual([...users.keys()], ['alice', 'bob']);
    assert.equal(users.get('alice')?.name, 'Alice');
  });

  test('NAME:HASH:op marks an operator; files without marks read as before; written back the same', () => {
    const text = `alice:${h}:op\nbob:${h}\ncarol:${h}:\n`;
    const users = parseUsers(text, 'u');
    assert.deepEqual(
      [...users.values()].map((a) => [a.name, a.operator]),
      [
        ['alice', true],
        ['bob', false],
        ['carol', false],
      ],
    );
    assert.equal(formatUsers(users), `alice:${h}:op\nbob:${h}\ncarol:${h}\n`);
  });

  test('a malformed line is refused whole, naming the file and the line', () => {
    const cases: [string, RegExp][] = [
      [`alice:${h}\nbob\n`, /^u line 2: expected NAME:HASH or NAME:HASH:FLAGS$/],
      [`alice:${h}:op:x\n`, /^u line 1: expected NAME:HASH or NAME:HASH:FLAGS$/],
      [`alice:${h}:admin\n`, /^u line 1: unknown flag "admin" \(the only flag is "op"\)$/],
      [`alice:${h}:op,opp\n`, /^u line 1: unknown flag "opp"/],
      [`al ice:${h}\n`, /^u line 1: "al ice" is not a valid name$/],
      [`alice:${h}\nALICE:${h}\n`, /^u line 2: ALICE is listed twice$/],
      [`alice:secret\n`, /^u line 1: the hash is not of the form/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseUsers(text, 'u'),
        (err: Error) => err instanceof UsersFileError && message.test(err.message),
      );
    }
  });

  test('a file written to, or replaced, while it is read is refused: never half a file', (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'users');
    writeFileSync(file, `alice:${h}\n`);
    assert.equal(readWhole(file).text, `alice:${h}\n`);
    const cases: [string, () => void][] = [
      ['appended to', () => appendFileSync(file, `bob:${h}\n`)],
      ['truncated', () => truncateSync(file, 0)],
      ['replaced', () => writeFileAtomic(file, `carol:${h}\n`)],
    ];
    for (const [what, change] of cases) {
      assert.throws(
        () => readWhole(file, change),
        (err: Error) => err instanceof UsersFileError && err.message === `${file}: changed while it was being read`,
        what,
      );
    }
  });

  test('atomic write: mode 0600, and a crash before the rename leaves the old file whole', (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'users');
    writeFileAtomic(file, 'first\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.throws(
      () =>
        writeFileAtomic(file, 'second, never complete\n', () => {
          throw new Error('crash');
        }),
      /crash/,
    );
    assert.equal(readFileSync(file, 'utf8'), 'first\n');
    assert.deepEqual(readdirSync(dir), ['users'], 'no temporary file left behind');
    writeFileAtomic(file, 'second\n');
    assert.equal(readFileSync(file, 'utf8'), 'second\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});

describe('login throttle per address', () => {
  test('IPv6 addresses count by their /64; IPv4 by the address', () => {
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('2001:db8:0:1::5'), '2001:db8:0:1::/64');
    assert.equal(addressKey('2001:DB8:0000:0001:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('fe80::1'), 'fe80:0:0:0::/64');
  });

  test('5 free failures, then 2, 4, 8 s ... up to the maximum; they expire', () => {
    const clock = new FakeClock();
    const t = new AuthThrottle(clock, { freeFailures: 5, windowMs: 60_000, maxDelayMs: 10_000 });
    for (let i = 0; i < 5; i++) {
      assert.equal(t.delayFor('1.2.3.4'), 0);
      t.failed('1.2.3.4');
    }
    assert.equal(t.delayFor('1.2.3.4'), 2000);
    t.failed('1.2.3.4');
    assert.equal(t.delayFor('1.2.3.4'), 4000);
    t.failed('1.2.3.4');
    t.failed('1.2.3.4');
    t.failed('1.2.3.4');
    assert.equal(t.delayFor('1.2.3.4'), 10_000, 'capped');
    assert.equal(t.delayFor('5.6.7.8'), 0, 'other addresses are not slowed');
    clock.advance(60_000);
    assert.equal(t.delayFor('1.2.3.4'), 0, 'failures expire');
  });

  test("a success forgets the address's failures", () => {
    const t = new AuthThrottle(new FakeClock(), { freeFailures: 1, windowMs: 60_000, maxDelayMs: 60_000 });
    t.failed('9.9.9.9');
    t.failed('9.9.9.9');
    assert.ok(t.delayFor('9.9.9.9') > 0);
    t.succeeded('9.9.9.9');
    assert.equal(t.delayFor('9.9.9.9'), 0);
  });

  test('attempts from one address run one at a time, each after its delay', async () => {
    const clock = new FakeClock();
    const t = new AuthThrottle(clock, { freeFailures: 1, windowMs: 60_000, maxDelayMs: 60_000 });
    const order: string[] = [];
    const attempt = (name: string, address: string) => async (): Promise<void> => {
      order.push(`${name}@${clock.now()}`);
      t.failed(address);
    };
    // Two connections from a guess at once: the second waits for the first and its penalty.
    const done = Promise.all([t.run('a', attempt('one', 'a')), t.run('a', attempt('two', 'a')), t.run('b', attempt('other', 'b'))]);
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(1000);
    }
    await done;
    assert.deepEqual(order, ['one@0', 'other@0', 'two@2000']);
  });
});
