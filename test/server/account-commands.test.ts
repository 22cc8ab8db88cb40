import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { Chalk } from 'chalk';
import { DEFAULT_THROTTLE } from '../../src/accounts/login-throttle.js';
import { FileAccounts } from '../../src/accounts/accounts.js';
import { verifyPassword } from '../../src/accounts/password-hash.js';
import type { UsersWriter } from '../../src/accounts/password-change.js';
import { writeFileAtomic } from '../../src/accounts/users-file.js';
import { formatEvent } from '../../src/cli/log.js';
import { ChatMetrics } from '../../src/ops/metrics.js';
import { realTimers, type Timers } from '../../src/protocol/timers.js';
import type { ChatCore } from '../../src/server/core.js';
import type { ServerEvent } from '../../src/server/events.js';
import { run } from '../helpers/cli.js';
import { FakeClock, nextAdvancing, T0 } from '../helpers/fake-clock.js';
import { MemoryClient, startCore } from '../helpers/memory-client.js';
import { tempDir, usersFile, usersText } from '../helpers/users.js';
import { waitFor } from '../helpers/wait.js';

const OLD = 'old-Secret_1';
/** A new password is all after the blanks that follow OLD: blanks inside it are its own. */
const NEW = 'a new secret, with blanks';

/** The hash on NAME's line of FILE. */
function hashOf(file: string, name: string): string {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  assert.ok(line, `${name} is in ${file}`);
  return line.split(':')[1]!;
}

/** A users file with a comment and an operator besides alice: what /passwd must leave as it is. */
async function accountsFile(t: TestContext): Promise<string> {
  const file = join(tempDir(t, 'chat-passwd-'), 'users');
  writeFileSync(file, `# the chat's accounts\n${await usersText({ alice: OLD, bob: 'b0b' }, ['alice'])}\n# the end\n`, { mode: 0o640 });
  return file;
}

/**
 * Asserts that none of SECRETS is in what EVENTS make of the logs (the raw events, the text
 * format) nor in the metrics.
 */
async function nothingLogged(events: readonly ServerEvent[], metrics: ChatMetrics, secrets: readonly string[]): Promise<void> {
  const plain = new Chalk({ level: 0 });
  const logged = [JSON.stringify(events), ...events.map((e) => formatEvent(e, plain, T0)), await metrics.registry.metrics()].join('\n');
  for (const secret of secrets) assert.ok(!logged.includes(secret), `"${secret}" is in the log or the metrics`);
}

/** A connection to CORE that has read the greeting. */
async function greeted(core: ChatCore, host?: string): Promise<MemoryClient> {
  const c = MemoryClient.connect(core, host === undefined ? {} : { host });
  await c.lines.until(/^\* welcome/);
  return c;
}

/**
 * A core over a users file of its own (accountsFile), alice logged in, its events and
 * metrics recorded: on a fake clock at T0 with CLOCK, with WRITE in place of the atomic
 * write when given.
 */
async function chat(t: TestContext, options: { clock?: boolean; write?: UsersWriter; guests?: boolean } = {}) {
  const file = await accountsFile(t);
  const clock = new FakeClock();
  clock.advance(T0);
  const timers: Timers = options.clock ? clock : realTimers;
  const events: ServerEvent[] = [];
  const metrics = new ChatMetrics();
  t.after(() => metrics.close());
  const accounts = new FileAccounts(file, {
    timers,
    // A failure takes 1 s, as it does by default, on a fake clock; little real time otherwise.
    failureDelayMs: options.clock ? 1000 : 50,
    throttle: DEFAULT_THROTTLE,
    ...(options.write ? { writeUsers: options.write } : {}),
  });
  t.after(() => accounts.close());
  const { core } = startCore(t, {
    auth: accounts,
    timers,
    rate: 0,
    guests: options.guests === true,
    onEvent: metrics.onEvent((e) => events.push(e)),
  });
  const alice = await MemoryClient.loggedIn(core, 'alice', OLD);
  return { file, clock, core, accounts, events, metrics, alice };
}

describe('/passwd', () => {
  test('the right old password: changed at once, in the file (its line alone, its mark kept) and for the next login', async (t) => {
    const { file, core, accounts, events, metrics, alice } = await chat(t);
    const before = readFileSync(file, 'utf8');
    alice.send(`/passwd ${OLD} ${NEW}`);
    assert.equal(await alice.next(), '* password changed');
    await alice.expectNothing();

    const after = readFileSync(file, 'utf8');
    const changed = before.split('\n').map((l) => (l.startsWith('alice:') ? `alice:${hashOf(file, 'alice')}:op` : l));
    assert.deepEqual(after.split('\n'), changed, "only the hash on alice's line changed; the comments, bob and the mark are as they were");
    assert.ok(await verifyPassword(NEW, hashOf(file, 'alice')));

    // The server's accounts use it at once, and a reload (the file watcher's) keeps it.
    assert.equal((await MemoryClient.login(core, `#alice ${OLD}`)).reply, '! authentication failed');
    await MemoryClient.loggedIn(core, 'alice', NEW);
    assert.deepEqual(accounts.reload(), { count: 2, removed: [] });
    await MemoryClient.loggedIn(core, 'alice', NEW);

    await nothingLogged(events, metrics, [OLD, NEW, 'new secret']);
  });

  test('a wrong old password: "! authentication failed" after a failed login\'s delay, counted and throttled as a failed login', async (t) => {
    const { file, clock, core, events, metrics, alice } = await chat(t, { clock: true });
    for (let i = 1; i <= 5; i++) {
      const asked = clock.now();
      alice.send(`/passwd wrong-${i} ${NEW}`);
      assert.equal(await nextAdvancing(alice, clock, 50), '! authentication failed');
      assert.ok(clock.now() - asked >= 1000, `answered after ${clock.now() - asked} ms, as a failed login is (1 s)`);
    }
    // Five failures close the connection, as five failed logins do.
    assert.equal(await alice.next(), '! too many failed logins: closing the connection');
    await alice.closed;

    // The address is slowed down: its next check waits 2 s first, even the right password's.
    const again = await greeted(core);
    const asked = clock.now();
    again.send(`#alice ${OLD}`);
    assert.equal(await nextAdvancing(again, clock, 100), '* registered as alice');
    assert.ok(clock.now() - asked >= 2000, `checked after ${clock.now() - asked} ms`);
    // Another address is not.
    const other = await greeted(core, '192.0.2.7');
    other.send('#bob b0b');
    assert.equal(await other.next(), '* registered as bob');

    assert.ok(await verifyPassword(OLD, hashOf(file, 'alice')), 'nothing changed');
    const failures = events.filter((e) => e.type === 'reject' && e.code === 'auth-failed');
    assert.equal(failures.length, 5);
    await nothingLogged(events, metrics, [OLD, NEW, 'wrong-']);
  });

  test('a wrong old password waits its turn behind the logins of its address', async (t) => {
    const { clock, core, alice } = await chat(t, { clock: true });
    // A guess at bob's password from the same address is being checked (and padded to 1 s).
    const guess = await greeted(core);
    guess.send('#bob guess');
    await waitFor(() => [...core.sessions].some((s) => s.answering), 'the guess to be checked');
    alice.send(`/passwd wrong ${NEW}`);
    assert.equal(await nextAdvancing(guess, clock, 50), '! authentication failed');
    const first = clock.now();
    assert.equal(await nextAdvancing(alice, clock, 50), '! authentication failed');
    assert.ok(clock.now() - first >= 1000, 'checked after the guess, then padded itself');
  });

  test('what /passwd refuses without checking anything, each saying why', async (t) => {
    const { file, core, events, alice } = await chat(t, { guests: true });
    for (const line of ['/passwd', `/passwd ${OLD}`, `/passwd ${OLD}   `, '/PASSWD \t ']) {
      alice.send(line);
      assert.equal(await alice.next(), '! /passwd takes your password and a new one: /passwd OLD NEW', line);
    }
    const carol = await MemoryClient.registered(core, 'carol');
    carol.send(`/passwd ${OLD} ${NEW}`);
    assert.equal(await carol.next(), '! no password to change: you are a guest (your name is not an account)');
    const stranger = await greeted(core);
    stranger.send(`/passwd ${OLD} ${NEW}`);
    assert.equal(await stranger.next(), '! register first with #yourname');
    assert.ok(await verifyPassword(OLD, hashOf(file, 'alice')), 'nothing changed');
    assert.ok(!JSON.stringify(events).includes(NEW));

    // A new password must fit in a login line, `#NAME NEW` of 4096 bytes, which a long name
    // and a short old password leave room for in the line of /passwd.
    const name = 'a-name-of-the-longest-length-32_';
    const { core: long } = startCore(t, { users: await usersFile(t, { [name]: 'p' }) });
    const longest = await MemoryClient.loggedIn(long, name, 'p');
    longest.send(`/passwd p ${'x'.repeat(4063)}`);
    assert.equal(await longest.next(), '! new password refused: it must fit in a login line, "#NAME PASSWORD", so at most 4062 bytes; nothing was changed');

    const { core: open } = startCore(t);
    const dave = await MemoryClient.registered(open, 'dave');
    dave.send(`/passwd ${OLD} ${NEW}`);
    assert.equal(await dave.next(), '! cannot change passwords here: this server has no accounts, so nobody has a password');
  });

  test('a users file the server cannot write: the reason, the file whole, nobody logged out', async (t) => {
    const cases: [code: string, answer: string][] = [
      [
        'EACCES',
        "! cannot change passwords here: the folder of the users file is not writable by the server (the file is replaced whole); ask the server's operator to make it writable",
      ],
      ['EROFS', "! cannot change passwords here: the users file is on a read-only file system; ask the server's operator to move it to a writable one"],
      ['ENOSPC', "! cannot change passwords here: the disk of the users file is full; try again later, or tell the server's operator"],
    ];
    for (const [code, answer] of cases) {
      // The atomic write failing as it would on such a file system (tests run as root, whom no mode stops).
      const write: UsersWriter = () => {
        throw Object.assign(new Error(`${code}: cannot write`), { code });
      };
      const { file, core, events, metrics, alice } = await chat(t, { write });
      const before = readFileSync(file, 'utf8');
      alice.send(`/passwd ${OLD} ${NEW}`);
      assert.equal(await alice.next(), answer);
      assert.equal(readFileSync(file, 'utf8'), before, 'the file is as it was');
      await alice.expectNothing();
      await MemoryClient.loggedIn(core, 'alice', OLD);
      const reject = events.find((e) => e.type === 'reject' && e.code === 'passwords-unchangeable');
      assert.deepEqual(reject && 'detail' in reject ? reject.detail : undefined, `${file}: rewriting it (${code})`);
      await nothingLogged(events, metrics, [OLD, NEW]);
    }
  });

  test('a read-only users file is not replaced', { skip: process.getuid?.() === 0 && 'root may write any file' }, async (t) => {
    const { file, alice } = await chat(t);
    chmodSync(file, 0o440);
    alice.send(`/passwd ${OLD} ${NEW}`);
    assert.equal(
      await alice.next(),
      "! cannot change passwords here: the users file is read-only; ask the server's operator to make it writable by the server",
    );
    assert.ok(await verifyPassword(OLD, hashOf(file, 'alice')));
  });

  test('the lock of chat-server passwd: waited for, the file read again under it, so a change made meanwhile stays', async (t) => {
    const { file, clock, alice } = await chat(t, { clock: true });
    // chat-server passwd holds the lock (a process that runs: the test runner's)...
    writeFileSync(`${file}.lock`, `${process.ppid}\nheld by passwd\n`);
    const timers = clock.pending;
    alice.send(`/passwd ${OLD} ${NEW}`);
    await waitFor(() => clock.pending > timers, 'the server to wait for the lock');
    // ... and adds carol, then lets go.
    writeFileAtomic(file, `${readFileSync(file, 'utf8')}${await usersText({ carol: 'c4rol' })}`);
    rmSync(`${file}.lock`);
    assert.equal(await nextAdvancing(alice, clock, 25), '* password changed');
    assert.ok(await verifyPassword(NEW, hashOf(file, 'alice')));
    assert.ok(await verifyPassword('c4rol', hashOf(file, 'carol')), "carol's line, written while the lock was held, is kept");
  });

  test("a lock that stays held: the wait ends as passwd's does, and nothing changes", async (t) => {
    const { file, clock, alice } = await chat(t, { clock: true });
    writeFileSync(`${file}.lock`, `${process.ppid}\nheld by passwd\n`);
    const before = readFileSync(file, 'utf8');
    const asked = clock.now();
    alice.send(`/passwd ${OLD} ${NEW}`);
    assert.equal(
      await nextAdvancing(alice, clock, 100),
      '! cannot change passwords here: the users file is being changed by someone else; try again in a moment',
    );
    assert.ok(clock.now() - asked >= 3000, 'after the 3 s that chat-server passwd waits too');
    assert.equal(readFileSync(file, 'utf8'), before);
    await alice.expectNothing();
  });

  test('with a chat-server passwd running at the same time, neither change is lost', async (t) => {
    const { file, alice } = await chat(t);
    const passwd = run(t, 'server', ['passwd', '--password-stdin', file, 'carol'], { input: 'c4rol\n' });
    alice.send(`/passwd ${OLD} ${NEW}`);
    assert.equal(await alice.next(), '* password changed');
    assert.equal(await passwd.exit, 0, passwd.stderr.seen.join('\n'));
    assert.ok(await verifyPassword(NEW, hashOf(file, 'alice')));
    assert.ok(await verifyPassword('c4rol', hashOf(file, 'carol')));
  });
});

test('a password changed by /passwd logs in where a users file is shared: the reload reads it', async (t) => {
  const users = await usersFile(t, { alice: OLD });
  const { core } = startCore(t, { users });
  const { core: other, accounts } = startCore(t, { users });
  const alice = await MemoryClient.loggedIn(core, 'alice', OLD);
  alice.send(`/passwd ${OLD} ${NEW}`);
  assert.equal(await alice.next(), '* password changed');
  accounts!.reload();
  await MemoryClient.loggedIn(other, 'alice', NEW);
});
