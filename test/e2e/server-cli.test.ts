import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { run, runServer } from '../helpers/cli.js';
import { WireClient } from '../helpers/wire-client.js';

describe('chat-server as a process', () => {
  test('first stdout line is "listening on HOST:PORT"; events go to stderr with a timestamp', async (t) => {
    const server = await runServer(t);
    const c = await WireClient.registered(t, server.port, 'alice');
    assert.match(await server.stderr.until(/ connect /), /^\d{4}-\d\d-\d\dT[\d:.]+Z connect 127\.0\.0\.1:\d+$/);
    assert.match(await server.stderr.until(/ register /), / register alice \(127\.0\.0\.1:\d+\)$/);
    c.send('x'.repeat(5000));
    assert.equal(await c.next(), '! line too long (max 4096 bytes)');
    assert.match(await server.stderr.until(/ reject /), /reject alice .*: line too long$/);
    c.send('/quit');
    assert.match(await server.stderr.until(/ leave /), /leave alice .*: quit$/);
  });

  test('options come from the environment too; --quiet logs no events', async (t) => {
    const server = run(t, 'server', ['--quiet'], { env: { CHAT_PORT: '0', CHAT_MAX_LINE: '20' } });
    const port = Number(/:(\d+)$/.exec((await server.stdout.next()) ?? '')?.[1]);
    const c = await WireClient.registered(t, port, 'alice');
    c.send('x'.repeat(21));
    assert.equal(await c.next(), '! line too long (max 20 bytes)');
    server.proc.kill('SIGTERM');
    assert.equal(await server.exit, 0);
    assert.deepEqual(server.stderr.seen, []);
  });

  test('SIGTERM and SIGINT: every client is told, the process exits 0', async (t) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const server = await runServer(t);
      const alice = await WireClient.registered(t, server.port, 'alice');
      const lurker = await WireClient.connect(t, server.port);
      await lurker.lines.until(/^\* welcome/);
      const started = Date.now();
      server.proc.kill(signal);
      assert.equal(await alice.next(), '* server shutting down');
      assert.equal(await alice.next(), undefined);
      assert.equal(await lurker.lines.until(/shutting/), '* server shutting down');
      assert.equal(await server.exit, 0);
      assert.ok(Date.now() - started < 2000, 'exits within two seconds');
    }
  });

  test('a client that never reads does not hold the shutdown past two seconds', async (t) => {
    const server = await runServer(t);
    const sleeper = await WireClient.registered(t, server.port, 'sleeper');
    sleeper.socket.pause();
    const started = Date.now();
    server.proc.kill('SIGTERM');
    assert.equal(await server.exit, 0);
    assert.ok(Date.now() - started < 2000);
  });

  test('a port in use: one sentence, exit 1, no stack trace', async (t) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const port = (blocker.address() as net.AddressInfo).port;
    const server = run(t, 'server', ['--port', String(port)]);
    assert.equal(await server.exit, 1);
    const err = server.stderr.seen.join('\n');
    assert.equal(err, `chat-server: 127.0.0.1:${port} is already in use. Stop the program using it, or choose another port with --port (0 picks a free one).`);
  });

  test("an address that is not this machine's: one sentence, exit 1", async (t) => {
    const server = run(t, 'server', ['--host', '192.0.2.1', '--port', '0']);
    assert.equal(await server.exit, 1);
    assert.match(server.stderr.seen.join('\n'), /^chat-server: cannot listen on 192\.0\.2\.1: that address is not one of this machine's\./);
  });

  test('bad values: one clear sentence and exit 2', async (t) => {
    const cases: [string[], RegExp][] = [
      [['--port', 'abc'], /--port.*The port must be a whole number from 0 to 65535\./],
      [['--port', '70000'], /The port must be a whole number from 0 to 65535\./],
      [['--host', ''], /The host must not be empty \(use 0\.0\.0\.0 for every interface\)\./],
      [['--max-line', '-5'], /--max-line must be a whole number from 16 to 1048576\./],
      [['--max-clients', '0'], /--max-clients must be a whole number 1 or more\./],
      [['--flush-ms', '1.5'], /--flush-ms must be a whole number/],
      [
        ['--redis', 'localhost:6379'],
        /--redis must be a URL such as redis:\/\/127\.0\.0\.1:6379 \(rediss:\/\/ for TLS\), or redis\+sentinel:\/\/HOST:PORT,HOST:PORT\/MASTER for Redis run by Sentinel\./,
      ],
      [['--redis', 'redis+sentinel://127.0.0.1:26379'], /--redis must be a URL such as .*redis\+sentinel:\/\/HOST:PORT,HOST:PORT\/MASTER/],
      [['--redis', 'redis+sentinel://127.0.0.1:99999/chat'], /--redis must be a URL such as/],
      [['--redis', 'redis+sentinel://127.0.0.1:26379/chat/x'], /The database in --redis must be a number/],
      [['--redis', 'redis://127.0.0.1', '--redis-lease', '10'], /--redis-lease must be a whole number from 1000 to 600000\./],
      [['--redis', 'redis://127.0.0.1:6379/abc'], /The database in --redis must be a number, as in redis:\/\/127\.0\.0\.1:6379\/2\./],
      [['--redis-lease', '3000'], /--redis-lease only applies to several servers: add --redis URL\./],
      [['--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const server = run(t, 'server', args);
      assert.equal(await server.exit, 2, args.join(' '));
      assert.match(server.stderr.seen.join('\n'), message);
      assert.doesNotMatch(server.stderr.seen.join('\n'), /\n\s+at /, 'no stack trace');
    }
    const fromEnv = run(t, 'server', [], { env: { CHAT_PORT: 'nope' } });
    assert.equal(await fromEnv.exit, 2);
    assert.match(fromEnv.stderr.seen.join('\n'), /CHAT_PORT/);
  });

  test('a Redis that cannot be reached: one sentence saying what to do, exit 1, and no port opened', async (t) => {
    // A port with nothing behind it: bound and closed again.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const server = run(t, 'server', ['--port', '0', '--redis', `redis://:secret@127.0.0.1:${port}`]);
    assert.equal(await server.exit, 1);
    assert.deepEqual(server.stdout.seen, [], 'never said "listening on"');
    const said = server.stderr.seen.join('\n');
    assert.match(
      said,
      new RegExp(
        `^chat-server: cannot use Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/?: .*ECONNREFUSED.*; start redis-server or check --redis\\.$`,
        'm',
      ),
    );
    assert.doesNotMatch(said, /secret/, 'the password is not logged');
    assert.doesNotMatch(said, /\n\s+at /, 'no stack trace');
  });
});
