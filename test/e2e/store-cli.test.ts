import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { run, runServer } from '../helpers/cli.js';
import { tempDir, usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

describe('chat-server: what it remembers, as a process', () => {
  test('--db: history, kept messages and bans survive a restart', async (t) => {
    const users = await usersFile(t, { op: 'pw-op', alice: 'pw-a', bob: 'pw-b', eve: 'pw-e' }, ['op']);
    const db = join(tempDir(t, 'chat-db-'), 'chat.db');
    const args = ['--users', users, '--db', db, '--history', '3'];
    const first = await runServer(t, args);
    const op = await WireClient.loggedIn(t, first.port, 'op', 'pw-op');
    const alice = await WireClient.loggedIn(t, first.port, 'alice', 'pw-a');
    for (const text of ['one', 'two', 'three', 'four']) alice.send(text);
    alice.send('@bob:while you were away');
    assert.equal(await alice.lines.until(/is offline/), '* bob is offline: the message will be delivered at their next login');
    op.send('/ban eve 60 spam');
    await op.lines.until(/^\* eve is banned until /);
    first.proc.kill('SIGTERM');
    assert.equal(await first.exit, 0);
    assert.ok(existsSync(db));

    const second = await runServer(t, args);
    const bob = await WireClient.loggedIn(t, second.port, 'bob', 'pw-b');
    assert.equal(await bob.next(), '* waiting for you: 1 messages');
    assert.match((await bob.next()) ?? '', /^\* \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \*alice\* while you were away$/);
    bob.send('/history');
    assert.deepEqual(
      [await bob.next(), await bob.next(), await bob.next(), await bob.next()].map((l) => l?.replace(/^\* \[[^\]]+\] /, '')),
      ['<alice> two', '<alice> three', '<alice> four', '* end of history (3 messages)'],
    );
    const eve = await WireClient.login(t, second.port, '#eve pw-e');
    assert.match(eve.reply ?? '', /^! banned until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: spam$/);
    second.proc.kill('SIGTERM');
    assert.equal(await second.exit, 0);

    // Delivered once: the third start has nothing waiting for bob.
    const third = await runServer(t, args);
    const again = await WireClient.loggedIn(t, third.port, 'bob', 'pw-b');
    await again.expectNothing();
  });

  test('--db that cannot be used: one sentence naming the file, exit 1', async (t) => {
    const missing = join(tempDir(t), 'no-such-folder', 'chat.db');
    const server = run(t, 'server', ['--port', '0', '--db', missing]);
    assert.equal(await server.exit, 1);
    const said = server.stderr.seen.join('\n');
    assert.match(said, /^chat-server: .*no-such-folder/);
    assert.doesNotMatch(said, /\n\s+at /, 'no stack trace');
  });

  test('--db with --redis is a usage error; history options come from the environment', async (t) => {
    const both = run(t, 'server', ['--port', '0', '--db', 'x.db', '--redis', 'redis://127.0.0.1:1']);
    assert.equal(await both.exit, 2);
    assert.match(both.stderr.seen.join('\n'), /--db and --redis do not go together/);
    const bad = run(t, 'server', ['--port', '0', '--history', 'lots']);
    assert.equal(await bad.exit, 2);
    assert.match(bad.stderr.seen.join('\n'), /--history must be a whole number from 0 to 1000000/);

    const server = run(t, 'server', ['--port', '0'], { env: { CHAT_HISTORY: '1' } });
    const port = Number(/:(\d+)$/.exec((await server.stdout.next()) ?? '')?.[1]);
    const alice = await WireClient.registered(t, port, 'alice');
    alice.send('old');
    alice.send('new');
    alice.send('/history 10');
    assert.match((await alice.next()) ?? '', /<alice> new$/);
    assert.equal(await alice.next(), '* end of history (1 messages)');
  });
});
