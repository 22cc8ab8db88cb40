import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { makeCerts } from '../helpers/certs.js';
import { run, runServer } from '../helpers/cli.js';
import { LineQueue } from '../helpers/lines.js';
import { startServer } from '../helpers/server.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

describe('chat-client scripting mode, as a process', () => {
  test('stdin lines are sent; every server line is printed; nothing is lost at the end', async (t) => {
    const { port } = await startServer(t, { rate: 0 });
    const bob = await WireClient.registered(t, port, 'bob');
    const lines = Array.from({ length: 500 }, (_, i) => `@bob:message ${i}`);
    const alice = run(t, 'client', ['--port', String(port), '--name', 'alice'], { input: `${lines.join('\n')}\n/who\n` });
    assert.equal(await alice.exit, 0);
    for (let i = 0; i < 500; i++) assert.equal(await bob.lines.until(/^\*alice\*/), `*alice* message ${i}`);
    const out = alice.stdout.seen;
    assert.match(out[0] ?? '', /^\* connected from 127\.0\.0\.1:\d+$/);
    assert.ok(out.includes('* registered as alice'));
    assert.ok(out.includes('* online (2): alice, bob'));
    assert.ok(!out.some((l) => l.includes('pong')), "the closing ping is the client's own");
  });

  test('--send lines go first, then stdin; CHAT_NAME and CHAT_PORT work', async (t) => {
    const { port } = await startServer(t);
    const bob = await WireClient.registered(t, port, 'bob');
    const alice = run(t, 'client', ['--send', 'one', '--send', 'two'], {
      input: 'three\n',
      env: { CHAT_PORT: String(port), CHAT_NAME: 'alice' },
    });
    assert.equal(await alice.exit, 0);
    await bob.lines.until(/alice joined/);
    assert.deepEqual([await bob.next(), await bob.next(), await bob.next()], ['<alice> one', '<alice> two', '<alice> three']);
  });

  test('--expect exits 0 at the first match, and waits for it whatever stdin does', async (t) => {
    const { port } = await startServer(t);
    const bob = run(t, 'client', ['--port', String(port), '--name', 'bob', '--expect', '^\\*alice\\* hi$'], { input: '' });
    await bob.stdout.until(/^\* registered as bob$/);
    const alice = await WireClient.registered(t, port, 'alice');
    alice.send('@bob:not yet');
    alice.send('@bob:hi');
    assert.equal(await bob.exit, 0);
    assert.deepEqual(bob.stdout.seen.slice(-2), ['*alice* not yet', '*alice* hi']);
  });

  test('without a name the connection stays unregistered, and can still ask /who', async (t) => {
    const { port } = await startServer(t);
    await WireClient.registered(t, port, 'bob');
    const c = run(t, 'client', ['--port', String(port)], { input: '/who\n' });
    assert.equal(await c.exit, 0);
    assert.ok(c.stdout.seen.includes('* online (1): bob'));
  });

  test('piping /quit ends the run with 0', async (t) => {
    const { port } = await startServer(t);
    const c = run(t, 'client', ['--port', String(port), '--name', 'alice'], { input: 'bye all\n/quit\n' });
    assert.equal(await c.exit, 0);
  });

  test('exit 1: nothing listening; connection lost', async (t) => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const c = run(t, 'client', ['--port', String(port), '--name', 'alice'], { input: 'hi\n' });
    assert.equal(await c.exit, 1);
    assert.match(c.stderr.seen.join('\n'), /^chat-client: could not connect to 127\.0\.0\.1:\d+: nothing is listening there\. Is chat-server running\?/);

    const { server, port: live } = await startServer(t);
    const d = run(t, 'client', ['--port', String(live), '--name', 'bob', '--expect', 'never']);
    await d.stdout.until(/registered as bob/);
    await server.close();
    assert.equal(await d.exit, 1);
    assert.match(d.stderr.seen.join('\n'), /connection closed before a line matched/);
  });

  test('exit 2: usage errors', async (t) => {
    for (const args of [['--port', '0'], ['--expect', '('], ['--timeout', '-1'], ['--nope']]) {
      const c = run(t, 'client', args, { input: '' });
      assert.equal(await c.exit, 2, args.join(' '));
      assert.ok(c.stderr.seen.length >= 1);
    }
  });

  test('exit 3: name taken, name invalid', async (t) => {
    const { port } = await startServer(t);
    await WireClient.registered(t, port, 'alice');
    const taken = run(t, 'client', ['--port', String(port), '--name', 'ALICE'], { input: 'hi\n' });
    assert.equal(await taken.exit, 3);
    assert.match(taken.stderr.seen.join('\n'), /registration refused: name taken: ALICE/);
    const invalid = run(t, 'client', ['--port', String(port), '--name', 'no spaces'], { input: '' });
    assert.equal(await invalid.exit, 3);
    assert.match(invalid.stderr.seen.join('\n'), /registration refused: invalid name: use 1-32 letters, digits, _ or -/);
  });

  test('exit 3: no password for a server that checks them, with what to do, never the advice meant for nc', async (t) => {
    const { port } = await startServer(t, { users: await usersFile(t, { alice: 'wonderland' }) });
    const c = run(t, 'client', ['--port', String(port), '--name', 'alice'], { input: 'hi\n' });
    assert.equal(await c.exit, 3);
    assert.deepEqual(c.stderr.seen, [
      'chat-client: registration refused: password required for alice on this server. Give the password with --password-file FILE or CHAT_PASSWORD.',
    ]);
    // stdout stays the server's own, for scripts.
    assert.ok(c.stdout.seen.includes('! password required: this server checks passwords, send #NAME PASSWORD'));
  });

  test('a server that will not take us (full) is exit 1, not a refused name', async (t) => {
    const { port } = await startServer(t, { maxClients: 1 });
    await WireClient.registered(t, port, 'alice');
    const c = run(t, 'client', ['--port', String(port), '--name', 'bob'], { input: '' });
    assert.equal(await c.exit, 1);
    assert.match(c.stderr.seen.join('\n'), /the server did not take us: server full/);
  });

  test('exit 4 without --expect: the run did not finish within --timeout', async (t) => {
    const { port } = await startServer(t);
    // stdin stays open: the run never ends by itself.
    const c = run(t, 'client', ['--port', String(port), '--name', 'bob', '--timeout', '0.3']);
    assert.equal(await c.exit, 4);
    assert.match(c.stderr.seen.join('\n'), /the run did not finish within 0\.3 s\./);
  });

  test('--timeout covers connecting too', async (t) => {
    // A listener whose process never accepts: once its backlog is full, connects hang.
    const stuck = spawn(process.execPath, [
      '-e',
      `const s = require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
         console.log(s.address().port);
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
       });`,
    ]);
    t.after(() => stuck.kill('SIGKILL'));
    const port = Number(await new LineQueue(stuck.stdout, 'stuck').next());
    const fillers = Array.from({ length: 4 }, () => net.connect(port, '127.0.0.1').on('error', () => {}));
    t.after(() =>
      fillers.forEach((f) => {
        f.destroy();
      }),
    );
    const c = run(t, 'client', ['--port', String(port), '--expect', 'x', '--timeout', '1']);
    assert.equal(await c.exit, 4);
    assert.match(c.stderr.seen.join('\n'), /could not connect to the server within 1 s\./);
  });

  test('exit 4: --expect not seen within --timeout', async (t) => {
    const { port } = await startServer(t);
    const c = run(t, 'client', ['--port', String(port), '--name', 'bob', '--expect', 'never', '--timeout', '0.3']);
    assert.equal(await c.exit, 4);
    assert.match(c.stderr.seen.join('\n'), /no server line matched \/never\/ within 0\.3 s/);
  });

  test('server lines are printed without control characters, whatever the server sends', async (t) => {
    const evil = net.createServer((s) => s.end('* hi\x1b[2J\x07 there\n<eve> \x1b]0;title\x07x\n'));
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    t.after(() => evil.close());
    const c = run(t, 'client', ['--port', String((evil.address() as net.AddressInfo).port), '--expect', '^<eve>']);
    assert.equal(await c.exit, 0);
    assert.deepEqual(c.stdout.seen, ['* hi[2J there', '<eve> ]0;titlex']);
  });
});

describe('chat-client: --strict, several --host servers, certificate names', () => {
  test('--strict exits 5 at the first error line answering our input; without it, 0', async (t) => {
    const { port } = await startServer(t);
    const strict = run(t, 'client', ['--port', String(port), '--name', 'alice', '--strict'], { input: 'hi\n@nobody:hello\nnever sent\n' });
    assert.equal(await strict.exit, 5);
    assert.ok(strict.stdout.seen.includes('! no such user: nobody'));
    assert.match(strict.stderr.seen.join('\n'), /^chat-client: the server answered with an error \(--strict\): no such user: nobody$/m);
    const lenient = run(t, 'client', ['--port', String(port), '--name', 'bob'], { input: '@nobody:hello\n' });
    assert.equal(await lenient.exit, 0);
    const clean = run(t, 'client', ['--port', String(port), '--name', 'carol', '--strict'], { input: 'all fine\n/who\n' });
    assert.equal(await clean.exit, 0);
    // A refused login keeps its own code.
    await WireClient.registered(t, port, 'dave');
    const taken = run(t, 'client', ['--port', String(port), '--name', 'dave', '--strict'], { input: '' });
    assert.equal(await taken.exit, 3);
  });

  test('--host tries each HOST[:PORT] in order and uses the first that answers', async (t) => {
    const { port } = await startServer(t);
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const c = run(t, 'client', ['--host', `127.0.0.1:${deadPort},localhost:${port}`, '--name', 'alice'], { input: '/who\n' });
    assert.equal(await c.exit, 0);
    assert.ok(c.stdout.seen.includes('* online (1): alice'));
    const none = run(t, 'client', ['--host', `127.0.0.1:${deadPort},127.0.0.1`, '--port', String(deadPort), '--name', 'alice'], { input: '' });
    assert.equal(await none.exit, 1);
    assert.match(none.stderr.seen.join('\n'), /none of the 2 servers answered\. could not connect to 127\.0\.0\.1:\d+: nothing is listening there/);
    const bad = run(t, 'client', ['--host', 'a,,b'], { input: '' });
    assert.equal(await bad.exit, 2);
  });

  test('a certificate that is not for the host says which names it has', async (t) => {
    const certs = makeCerts(t, 'DNS:localhost,DNS:chat.example');
    const server = await runServer(t, ['--tls-cert', certs.cert, '--tls-key', certs.key]);
    const c = run(t, 'client', ['--tls', '--ca', certs.ca, '--host', '127.0.0.1', '--port', String(server.port), '--name', 'eve'], { input: '' });
    assert.equal(await c.exit, 1);
    assert.match(
      c.stderr.seen.join('\n'),
      /^chat-client: refused 127\.0\.0\.1:\d+: its certificate is not for "127\.0\.0\.1": it names localhost, chat\.example\. Use one of them with --host \(--host localhost\)\.$/m,
    );
    const ok = run(t, 'client', ['--tls', '--ca', certs.ca, '--host', 'localhost', '--port', String(server.port), '--name', 'eve'], { input: '' });
    assert.equal(await ok.exit, 0);
  });
});
