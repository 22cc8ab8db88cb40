import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { verifyPassword } from '../../src/accounts/password-hash.js';
import { CLI, run, runServer } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { tempDir, usersFile, usersText } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

const DELAY = 300;

async function login(t: Parameters<typeof WireClient.connect>[0], port: number, line: string): Promise<{ c: WireClient; reply: string; ms: number }> {
  const c = await WireClient.connect(t, port);
  await c.lines.until(/^\* welcome/);
  const started = Date.now();
  c.send(line);
  const reply = (await c.next()) ?? '';
  return { c, reply, ms: Date.now() - started };
}

describe('accounts', () => {
  test('a good login; a wrong password and an unknown name get the same answer after the same delay', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder' });
    const { port } = await startServer(t, { users, authFailureDelayMs: DELAY });
    const good = await login(t, port, '#alice wonderland');
    assert.equal(good.reply, '* registered as alice');
    const wrong = await login(t, port, '#bob wonderland');
    const unknown = await login(t, port, '#mallory wonderland');
    assert.equal(wrong.reply, '! authentication failed');
    assert.equal(unknown.reply, '! authentication failed');
    assert.ok(wrong.ms >= DELAY && unknown.ms >= DELAY, `both wait the delay: ${wrong.ms} and ${unknown.ms} ms`);
    assert.ok(good.ms < DELAY, 'a good login is not delayed');
  });

  test('no password: a hint, at once; the name is never taken without one', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland' });
    const { port } = await startServer(t, { users, authFailureDelayMs: DELAY });
    const { reply } = await login(t, port, '#alice');
    assert.equal(reply, '! password required: this server checks passwords, send #NAME PASSWORD');
  });

  test('on a server with accounts, /who needs a login too', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland' });
    const { port } = await startServer(t, { users, authFailureDelayMs: 1 });
    await login(t, port, '#alice wonderland');
    const { reply } = await login(t, port, '/who');
    assert.equal(reply, '! register first with #yourname');
  });

  test('after 5 failures the connection is closed', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland' });
    const { port } = await startServer(t, { users, authFailureDelayMs: 1 });
    const c = await WireClient.connect(t, port);
    await c.lines.until(/^\* welcome/);
    for (let i = 0; i < 5; i++) c.send(`#alice guess${i}`);
    for (let i = 0; i < 5; i++) assert.equal(await c.next(), '! authentication failed');
    assert.equal(await c.next(), '! too many failed logins: closing the connection');
    assert.equal(await c.next(), undefined);
  });

  test('replies keep their order while a password is checked', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland' });
    const { port } = await startServer(t, { users, authFailureDelayMs: 50 });
    const c = await WireClient.connect(t, port);
    await c.lines.until(/^\* welcome/);
    c.write('#alice nope\n/ping 1\n#alice wonderland\n/who\n');
    assert.deepEqual(
      [await c.next(), await c.next(), await c.next(), await c.next()],
      ['! authentication failed', '* pong 1', '* registered as alice', '* online (1): alice'],
    );
  });

  // With the right password the name is taken back from the older login: test/e2e/regain.test.ts.
  test('once authenticated, nobody else can take or use the name without its password', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder' });
    const { port } = await startServer(t, { users, authFailureDelayMs: 1 });
    const alice = (await login(t, port, '#alice wonderland')).c;
    assert.equal((await login(t, port, '#ALICE builder')).reply, '! authentication failed');
    const bob = (await login(t, port, '#bob builder')).c;
    bob.send('#alice builder');
    assert.equal(await bob.lines.until(/^!/), '! authentication failed', "renaming needs that name's password");
    assert.equal(await alice.next(), '* bob joined');
    await alice.expectNothing();
  });

  test('chat-server passwd through stdin: 0600, atomic, change, delete', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'users');
    const add = run(t, 'server', ['passwd', file, 'alice'], { input: 'first secret\n' });
    assert.equal(await add.exit, 0);
    assert.deepEqual(add.stdout.seen, [`added alice to ${file}`]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const line = readFileSync(file, 'utf8');
    assert.match(line, /^alice:scrypt\$16384\$8\$1\$/);
    assert.ok(!line.includes('first secret'));
    assert.ok(await verifyPassword('first secret', line.trim().slice('alice:'.length)));

    const bob = run(t, 'server', ['passwd', '--password-stdin', file, 'bob'], { input: 'b0b\n' });
    assert.equal(await bob.exit, 0);
    const change = run(t, 'server', ['passwd', file, 'ALICE'], { input: 'second secret\n' });
    assert.equal(await change.exit, 0);
    assert.deepEqual(change.stdout.seen, [`changed the password of ALICE in ${file}`]);
    const del = run(t, 'server', ['passwd', '--delete', file, 'bob']);
    assert.equal(await del.exit, 0);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^ALICE:scrypt\S+\n$/);
    assert.ok(await verifyPassword('second secret', text.trim().slice('ALICE:'.length)));

    const missing = run(t, 'server', ['passwd', '--delete', file, 'carol']);
    assert.equal(await missing.exit, 1);
    assert.match(missing.stderr.seen.join(''), /carol is not in .*; nothing was changed\./);
    const invalid = run(t, 'server', ['passwd', file, 'no spaces'], { input: 'x\n' });
    assert.equal(await invalid.exit, 2);
    const empty = run(t, 'server', ['passwd', file, 'dave'], { input: '\n' });
    assert.equal(await empty.exit, 1);
    assert.equal(readFileSync(file, 'utf8'), text, 'failures change nothing');
    writeFileSync(`${file}.lock`, `${process.pid}\n`); // a live holder: this test process
    const locked = run(t, 'server', ['passwd', file, 'erin'], { input: 'x\n' });
    assert.equal(await locked.exit, 1);
    assert.match(
      locked.stderr.seen.join(''),
      /\.lock is held by another passwd \(pid \d+\) that is still changing .*; nothing was changed\. Try again, or remove the lock if no passwd is running\./,
    );
    // A lock left by a passwd that was killed: its pid is gone, so the lock is taken over.
    const gone = run(t, 'server', ['--version']);
    await gone.exit;
    writeFileSync(`${file}.lock`, `${gone.proc.pid}\n`);
    const stale = run(t, 'server', ['passwd', file, 'erin'], { input: 'x\n' });
    assert.equal(await stale.exit, 0);
    assert.ok(!existsSync(`${file}.lock`), 'the lock is gone after the run');
    const missing2 = run(t, 'server', ['passwd', file]);
    assert.equal(await missing2.exit, 2, 'a missing argument is a usage error');
  });

  test('chat-server passwd on a terminal asks twice, hidden', { skip: !hasTmux && !process.env['CI'] }, async (t) => {
    const file = join(tempDir(t), 'users');
    const term = Terminal.start(t, [process.execPath, CLI.server, 'passwd', file, 'alice']);
    await term.waitFor((s) => s.some((l) => l.startsWith('Password:')), 'the password prompt');
    term.type('hidden-Secret-1');
    term.press('Enter');
    await term.waitFor((s) => s.some((l) => l.startsWith('Again:')), 'the second prompt');
    term.type('hidden-Secret-1');
    term.press('Enter');
    assert.equal(await term.exitCode(), 0);
    assert.ok(!term.screen().join('\n').includes('hidden-Secret-1'), 'the password is never shown');
    assert.ok(await verifyPassword('hidden-Secret-1', readFileSync(file, 'utf8').trim().slice('alice:'.length)));

    const again = Terminal.start(t, [process.execPath, CLI.server, 'passwd', file, 'alice']);
    await again.waitFor((s) => s.some((l) => l.startsWith('Password:')), 'the password prompt');
    again.type('one');
    again.press('Enter');
    await again.waitFor((s) => s.some((l) => l.startsWith('Again:')), 'the second prompt');
    again.type('two');
    again.press('Enter');
    assert.equal(await again.exitCode(), 1);
    assert.ok(again.screen().some((l) => l.includes('the two passwords differ; nothing was changed.')));
  });

  test('SIGHUP re-reads the users file: one added, one removed and disconnected, a bad file kept out', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder' });
    const server = await runServer(t, ['--users', users]);
    const alice = (await login(t, server.port, '#alice wonderland')).c;
    const bob = (await login(t, server.port, '#bob builder')).c;
    await alice.lines.until(/bob joined/);

    // Replace the file as an editor or passwd would: a new file renamed over the old one.
    writeFileSync(`${users}.new`, await usersText({ alice: 'wonderland', carol: 'singer' }));
    renameSync(`${users}.new`, users);
    server.proc.kill('SIGHUP');
    assert.equal(await bob.next(), '* your account was removed: closing the connection');
    assert.equal(await bob.next(), undefined);
    assert.equal(await alice.next(), '* bob left (account removed)');
    assert.match(await server.stderr.until(/reloaded/), /reloaded .*users: 2 users; removed: bob$/);
    assert.equal((await login(t, server.port, '#carol singer')).reply, '* registered as carol');

    writeFileSync(users, `alice:${'broken'}\n`);
    server.proc.kill('SIGHUP');
    assert.match(
      await server.stderr.until(/ error /),
      new RegExp(`error ${users} line 1: the hash is not of the form .*; keeping the accounts loaded before$`),
    );
    // Logged in (taking the name back from her first connection): she still has her account.
    assert.equal((await login(t, server.port, '#alice wonderland')).reply, '* registered as alice', 'alice still has her account');
    assert.ok(!server.stderr.seen.join('\n').match(/wonderland|builder|singer/), 'no password in the log');
  });

  test('an in-place rewrite (truncate, a SIGHUP, the lines back 150 ms later) keeps everyone connected', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder' });
    const server = await runServer(t, ['--users', users]);
    const alice = (await login(t, server.port, '#alice wonderland')).c;
    const bob = (await login(t, server.port, '#bob builder')).c;
    await alice.lines.until(/bob joined/);
    const text = readFileSync(users);
    truncateSync(users, 0); // as an editor saving in place, or `cat new > users`, starts
    server.proc.kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 150));
    writeFileSync(users, text, { flag: 'r+' });
    // One reload, of the whole file, once it has stopped changing.
    assert.match(await server.stderr.until(/reloaded|error/), /reloaded .*users: 2 users$/);
    await alice.expectNothing();
    await bob.expectNothing();
    alice.send('still here');
    assert.equal(await bob.next(), '<alice> still here');
    assert.ok(!server.stderr.seen.some((l) => /removed|0 users/.test(l)), server.stderr.seen.join('\n'));
  });

  test('a users file emptied on purpose removes every user once it stays empty', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland' });
    const server = await runServer(t, ['--users', users]);
    const alice = (await login(t, server.port, '#alice wonderland')).c;
    writeFileSync(users, '');
    assert.equal(await alice.next(), '* your account was removed: closing the connection');
    assert.equal(await alice.next(), undefined);
    assert.match(await server.stderr.until(/reloaded/), /reloaded .*users: 0 users; removed: alice$/);
  });

  test('the users file is re-read when it changes, without a signal', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland' });
    const { server, port } = await startServer(t, { users, authFailureDelayMs: 1 });
    const reloaded = new Promise<void>((resolve) => {
      const onEvent = server.core.options.onEvent;
      server.core.options.onEvent = (e) => {
        onEvent(e);
        if (e.type === 'notice' && /reloaded/.test(e.message)) resolve();
      };
    });
    writeFileSync(users, await usersText({ alice: 'wonderland', dave: 'diver' }));
    await reloaded;
    assert.equal((await login(t, port, '#dave diver')).reply, '* registered as dave');
  });

  test('a users file that cannot be read: one sentence, exit 1', async (t) => {
    const server = run(t, 'server', ['--port', '0', '--users', join(tempDir(t), 'nope')]);
    assert.equal(await server.exit, 1);
    assert.match(server.stderr.seen.join('\n'), /^chat-server: .*nope: cannot be read \(ENOENT\)\. Create it with: chat-server passwd FILE NAME$/);
  });

  test('the client sends the password from a file or CHAT_PASSWORD, never from argv', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder' });
    const server = await runServer(t, ['--users', users]);
    const pwFile = join(tempDir(t), 'pw');
    writeFileSync(pwFile, 'wonderland\n', { mode: 0o600 });
    const alice = run(t, 'client', ['--port', String(server.port), '--name', 'alice', '--password-file', pwFile, '--expect', 'never', '--timeout', '30']);
    await alice.stdout.until(/registered as alice/);
    const bob = run(t, 'client', ['--port', String(server.port), '--name', 'bob', '--expect', 'never', '--timeout', '30'], {
      env: { CHAT_PASSWORD: 'builder' },
    });
    await bob.stdout.until(/registered as bob/);
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    assert.ok(ps.includes('--password-file'), 'the clients are in the ps listing');
    assert.ok(!/wonderland|builder/.test(ps), 'no password in ps');
    const none = run(t, 'client', ['--port', String(server.port), '--name', 'alice'], { input: '' });
    assert.equal(await none.exit, 3);
    assert.match(none.stderr.seen.join(''), /password required.*Give the password with --password-file FILE or CHAT_PASSWORD\./);
    assert.ok(!/wonderland|builder/.test(server.stderr.seen.join('\n')), 'no password in the server log');
  });

  test('a banned account: the client says so and what to do, and exits 3 (asking again cannot help)', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland', op: 'pw-op' }, ['op']);
    const server = await runServer(t, ['--users', users]);
    const op = await WireClient.loggedIn(t, server.port, 'op', 'pw-op');
    op.send('/ban alice 60 spam');
    assert.match(await op.lines.until(/^\* alice is banned/), /^\* alice is banned until /);
    const alice = run(t, 'client', ['--port', String(server.port), '--name', 'alice'], { input: '', env: { CHAT_PASSWORD: 'wonderland' } });
    assert.equal(await alice.exit, 3);
    assert.match(
      alice.stderr.seen.join(''),
      /registration refused: banned until \S+: spam\. Ask one of the server's operators to lift the ban \(\/unban NAME\)\./,
    );
  });
});
