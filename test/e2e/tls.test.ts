import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeCerts } from '../helpers/certs.js';
import { run, runServer } from '../helpers/cli.js';
import { tempDir } from '../helpers/users.js';

describe('TLS', () => {
  test('a client verifying the server with --ca chats; the wrong CA is refused with a reason', async (t) => {
    const certs = makeCerts(t);
    const server = await runServer(t, ['--tls-cert', certs.cert, '--tls-key', certs.key]);
    const port = String(server.port);
    const bob = run(t, 'client', ['--tls', '--ca', certs.ca, '--port', port, '--name', 'bob', '--expect', '^\\*alice\\* over tls$']);
    await bob.stdout.until(/registered as bob/);
    const alice = run(t, 'client', ['--tls', '--ca', certs.ca, '--host', 'localhost', '--port', port, '--name', 'alice'], {
      input: '@bob:over tls\n',
    });
    assert.equal(await alice.exit, 0);
    assert.equal(await bob.exit, 0);

    const wrong = run(t, 'client', ['--tls', '--ca', certs.otherCa, '--port', port, '--name', 'eve'], { input: '' });
    assert.equal(await wrong.exit, 1);
    assert.match(
      wrong.stderr.seen.join('\n'),
      /^chat-client: refused 127\.0\.0\.1:\d+: its certificate is not signed by a CA this client trusts \(\w+\)\. Pass the CA that signed it with --ca FILE\.$/,
    );
    const system = run(t, 'client', ['--tls', '--port', port, '--name', 'eve'], { input: '' });
    assert.equal(await system.exit, 1, 'the system roots do not know our test CA');
  });

  test('a certificate for another name is refused', async (t) => {
    const certs = makeCerts(t);
    const server = await runServer(t, ['--host', '0.0.0.0', '--tls-cert', certs.cert, '--tls-key', certs.key]);
    const c = run(t, 'client', ['--tls', '--ca', certs.ca, '--host', '127.0.0.2', '--port', String(server.port), '--name', 'eve'], { input: '' });
    assert.equal(await c.exit, 1);
    assert.match(c.stderr.seen.join('\n'), /its certificate is not for "127\.0\.0\.2"/);
  });

  test('--insecure connects without verifying, and says so loudly', async (t) => {
    const certs = makeCerts(t);
    const server = await runServer(t, ['--tls-cert', certs.cert, '--tls-key', certs.key]);
    const c = run(t, 'client', ['--tls', '--insecure', '--port', String(server.port), '--name', 'alice'], { input: '/who\n' });
    assert.equal(await c.exit, 0);
    assert.ok(c.stdout.seen.includes('* online (1): alice'));
    assert.match(c.stderr.seen.join('\n'), /WARNING: --insecure: the server's certificate is not checked/);
  });

  test('a plaintext client on the TLS port: a clear failure, one log line, no hang', async (t) => {
    const certs = makeCerts(t);
    const server = await runServer(t, ['--tls-cert', certs.cert, '--tls-key', certs.key]);
    const c = run(t, 'client', ['--port', String(server.port), '--name', 'alice'], { input: 'hi\n' });
    assert.equal(await c.exit, 1);
    assert.match(c.stderr.seen.join('\n'), /the server closed the connection without a word\. If it serves TLS, add --tls\./);
    const line = await server.stderr.until(/reject/);
    assert.match(line, /reject 127\.0\.0\.1:\d+: TLS handshake failed: the client does not speak TLS \(plaintext on the TLS port\?\)$/);
    const check = run(t, 'client', ['--tls', '--ca', certs.ca, '--port', String(server.port)], { input: '/ping\n' });
    assert.equal(await check.exit, 0);
    assert.equal(server.stderr.seen.filter((l) => / reject /.test(l)).length, 1, 'exactly one line');
  });

  test('a TLS client on a plain port: a clear failure, one log line', async (t) => {
    const server = await runServer(t);
    const c = run(t, 'client', ['--tls', '--port', String(server.port), '--name', 'alice'], { input: '' });
    assert.equal(await c.exit, 1);
    assert.match(
      c.stderr.seen.join('\n'),
      /the TLS handshake with 127\.0\.0\.1:\d+ failed: the server closed the connection\. It may not serve TLS on this port \(drop --tls, or check --port\)/,
    );
    assert.match(await server.stderr.until(/leave|reject/), /: TLS handshake on a plain port$/);
  });

  test('handshakes that never finish count against --max-per-ip', async (t) => {
    const certs = makeCerts(t);
    const server = await runServer(t, ['--tls-cert', certs.cert, '--tls-key', certs.key, '--max-per-ip', '2']);
    const silent = [net.connect(server.port, '127.0.0.1'), net.connect(server.port, '127.0.0.1')];
    t.after(() => {
      for (const s of silent) s.destroy();
    });
    // Both are in the listener's queue before the third: it takes them in order.
    await Promise.all(silent.map((s) => new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject))));
    const third = net.connect(server.port, '127.0.0.1');
    third.on('error', () => {});
    await new Promise((resolve) => third.once('close', resolve));
    // The log is written at the end of the server's turn: wait for the line, not the close.
    await server.stderr.until(/reject 127\.0\.0\.1:\d+: too many connections \(before the TLS handshake\)/);
  });

  test('a connection that closes before its handshake frees its slot at once', async (t) => {
    const certs = makeCerts(t);
    const server = await runServer(t, ['--tls-cert', certs.cert, '--tls-key', certs.key, '--max-per-ip', '1']);
    const scan = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => scan.once('connect', resolve));
    scan.end(); // as nc -z does
    await server.stderr.until(/TLS handshake ended by the client/);
    const c = run(t, 'client', ['--tls', '--ca', certs.ca, '--port', String(server.port)], { input: '/ping\n' });
    assert.equal(await c.exit, 0);
  });

  test('SIGHUP reloads the certificate for new connections', async (t) => {
    const certs = makeCerts(t);
    const dir = tempDir(t);
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    copyFileSync(certs.cert, cert);
    copyFileSync(certs.key, key);
    const server = await runServer(t, ['--tls-cert', cert, '--tls-key', key]);
    const port = String(server.port);
    copyFileSync(certs.otherCert, cert);
    copyFileSync(certs.otherKey, key);
    server.proc.kill('SIGHUP');
    await server.stderr.until(/reloaded the TLS certificate/);
    const c = run(t, 'client', ['--tls', '--ca', certs.otherCa, '--port', port], { input: '/ping\n' });
    assert.equal(await c.exit, 0);
  });

  test('warnings: no TLS on a public address, or passwords without TLS', async (t) => {
    const open = await runServer(t, ['--host', '0.0.0.0']);
    assert.match(
      await open.stderr.until(/warning/),
      /warning: listening on 0\.0\.0\.0 without TLS: everything sent crosses the network in clear\. Add --tls-cert and --tls-key\.$/,
    );
    const users = join(tempDir(t), 'users');
    const passwd = run(t, 'server', ['passwd', users, 'alice'], { input: 'pw\n' });
    assert.equal(await passwd.exit, 0);
    const clear = await runServer(t, ['--users', users]);
    assert.match(await clear.stderr.until(/warning/), /warning: checking passwords without TLS: they cross the network in clear\./);
    const certs = makeCerts(t);
    const half = run(t, 'server', ['--port', '0', '--tls-cert', certs.cert]);
    assert.equal(await half.exit, 2);
    assert.match(half.stderr.seen.join(''), /TLS needs both --tls-cert and --tls-key\./);
    const missing = run(t, 'server', ['--port', '0', '--tls-cert', join(certs.dir, 'none.pem'), '--tls-key', certs.key]);
    assert.equal(await missing.exit, 1);
    assert.match(missing.stderr.seen.join(''), /^chat-server: cannot read the TLS certificate .*none\.pem \(ENOENT\)$/);
  });
});
