import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, test } from 'node:test';
import { ChatConnection } from '../../src/client/connection.js';
import type { ServerLine } from '../../src/dialects/line/server-line.js';
import { CLI, run, runServer } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { UdpWire } from '../helpers/udp-wire.js';
import { WireClient } from '../helpers/wire-client.js';

const WARNING = 'chat-client: UDP is best effort: lines can be lost, duplicated or come out of order, and nothing is encrypted.';

async function udpServer(t: Parameters<typeof startServer>[0], options: Parameters<typeof startServer>[1] = {}) {
  const started = await startServer(t, { udpPort: 0, ...options });
  return { ...started, udpPort: started.server.udpAddress!.port };
}

/** A UDP port with nothing behind it. */
async function deadUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(resolve));
  return port;
}

describe('chat-server --udp-port, as a process', () => {
  test('prints "udp on HOST:PORT" after "listening on"; nc -u style datagrams chat', async (t) => {
    const server = await runServer(t, ['--udp-port', '0']);
    const udp = await server.stdout.next();
    const udpPort = Number(/^udp on 127\.0\.0\.1:(\d+)$/.exec(udp ?? '')?.[1]);
    assert.ok(udpPort > 0, udp);
    const bob = await WireClient.registered(t, server.port, 'bob');
    const alice = await UdpWire.registered(t, udpPort, 'alice');
    assert.equal(await bob.next(), '* alice joined');
    await alice.send('hi bob');
    assert.equal(await bob.next(), '<alice> hi bob');
    server.proc.kill('SIGTERM');
    assert.equal(await alice.next(), '* server shutting down');
    assert.equal(await server.exit, 0);
  });

  test('usage errors exit 2; a UDP port in use exits 1 with a sentence naming --udp-port', async (t) => {
    for (const args of [
      ['--udp-idle', '300'],
      ['--udp-hello-rate', '5'],
      ['--udp-port', '0', '--udp-idle', '59'],
      ['--udp-port', 'x'],
      ['--udp-port', '0', '--udp-hello-rate', '0'],
    ]) {
      const s = run(t, 'server', ['--port', '0', ...args]);
      assert.equal(await s.exit, 2, args.join(' '));
      assert.ok(s.stderr.seen.length >= 1);
    }
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    t.after(() => taken.close());
    const s = run(t, 'server', ['--port', '0', '--udp-port', String(taken.address().port)]);
    assert.equal(await s.exit, 1);
    assert.match(
      s.stderr.seen.join('\n'),
      /^chat-server: UDP 127\.0\.0\.1:\d+ is already in use\. Stop the program using it, or choose another port with --udp-port \(0 picks a free one\)\.$/,
    );
    assert.deepEqual(s.stdout.seen, []);
  });
});

describe('chat-client --udp, scripting mode', () => {
  test('says hello by itself: --send and stdin reach a TCP user, --expect sees the answer; it warns once', async (t) => {
    const { port, udpPort } = await udpServer(t);
    const bob = await WireClient.registered(t, port, 'bob');
    const alice = run(t, 'client', ['--udp', '--port', String(udpPort), '--name', 'alice', '--send', 'hello bob', '--expect', '^\\*bob\\* hi alice$'], {
      input: '@bob:and privately\n',
    });
    await bob.lines.until(/alice joined/);
    assert.equal(await bob.next(), '<alice> hello bob');
    assert.equal(await bob.next(), '*alice* and privately');
    bob.send('@alice:hi alice');
    assert.equal(await alice.exit, 0);
    assert.match(alice.stdout.seen[0] ?? '', /^\* connected from 127\.0\.0\.1:\d+$/);
    assert.ok(alice.stdout.seen.includes('* registered as alice'));
    assert.deepEqual(alice.stderr.seen, [WARNING]);
    // Leaving sends /quit: the name is free at once, not after the idle timeout.
    assert.equal(await bob.next(), '* alice left');
  });

  test('piped input is all handled before exit 0; the closing ping and keepalives are not printed', async (t) => {
    const { port, udpPort } = await udpServer(t, { rate: 0 });
    const bob = await WireClient.registered(t, port, 'bob');
    const lines = Array.from({ length: 100 }, (_, i) => `@bob:message ${i}`);
    const alice = run(t, 'client', ['--udp', '--port', String(udpPort), '--name', 'alice'], { input: `${lines.join('\n')}\n/who\n` });
    assert.equal(await alice.exit, 0);
    for (let i = 0; i < 100; i++) assert.equal(await bob.lines.until(/^\*alice\*/), `*alice* message ${i}`);
    assert.ok(alice.stdout.seen.includes('* online (2): alice, bob'));
    assert.ok(!alice.stdout.seen.some((l) => l.includes('pong')));
  });

  test('exit codes as over TCP: 1 nothing listening, 3 name taken, 4 timeout, 2 with --tls', async (t) => {
    const dead = run(t, 'client', ['--udp', '--port', String(await deadUdpPort()), '--name', 'alice'], { input: 'hi\n' });
    assert.equal(await dead.exit, 1);
    assert.match(dead.stderr.seen.join('\n'), /could not connect to 127\.0\.0\.1:\d+: nothing is listening there/);

    const { port, udpPort } = await udpServer(t);
    await WireClient.registered(t, port, 'alice');
    const taken = run(t, 'client', ['--udp', '--port', String(udpPort), '--name', 'ALICE'], { input: '' });
    assert.equal(await taken.exit, 3);
    assert.match(taken.stderr.seen.join('\n'), /registration refused: name taken: ALICE/);

    const slow = run(t, 'client', ['--udp', '--port', String(udpPort), '--name', 'bob', '--expect', 'never', '--timeout', '0.5']);
    assert.equal(await slow.exit, 4);

    const tls = run(t, 'client', ['--udp', '--tls', '--port', String(udpPort)], { input: '' });
    assert.equal(await tls.exit, 2);
    assert.match(tls.stderr.seen.join('\n'), /--udp and --tls do not go together/);
  });

  test('a full server: "the server did not take us", exit 1', async (t) => {
    const { port, udpPort } = await udpServer(t, { maxClients: 1 });
    await WireClient.registered(t, port, 'alice');
    const c = run(t, 'client', ['--udp', '--port', String(udpPort), '--name', 'bob'], { input: '' });
    assert.equal(await c.exit, 1);
    assert.match(c.stderr.seen.join('\n'), /the server did not take us: server full/);
  });
});

describe('the UDP client connection', () => {
  test('keeps its session alive with /ping while idle; a silent address is dropped meanwhile', async (t) => {
    const { port, udpPort } = await udpServer(t, { udpIdleMs: 1000 });
    const bob = await WireClient.registered(t, port, 'bob');
    const kept = await ChatConnection.connect({ host: '127.0.0.1', port: udpPort, udp: { keepaliveMs: 50 } });
    t.after(() => kept.close());
    const seen: ServerLine[] = [];
    kept.on('line', (l) => seen.push(l));
    assert.deepEqual(await kept.register('kept'), { ok: true, name: 'kept' });
    // Two silent users in turn, each dropped after 1 s: by then "kept" has sent nothing
    // of its own for more than two idle timeouts.
    for (const name of ['quiet1', 'quiet2']) {
      await UdpWire.registered(t, udpPort, name);
      assert.equal(await bob.lines.until(new RegExp(`^\\* ${name} left`)), `* ${name} left (idle timeout)`);
    }
    assert.ok(!bob.lines.seen.includes('* kept left (idle timeout)'));
    assert.ok(!kept.closed);
    await kept.ping('still');
    assert.ok(!seen.some((l) => /pong udp-keepalive/.test(l.raw)), 'keepalive pongs are not shown');
    await bob.sync();
    assert.ok(!bob.lines.seen.some((l) => l.startsWith('* kept left')));
  });

  test('ends when the server ends the session: shutdown, idle, or a server that no longer knows it', async (t) => {
    const { server, udpPort } = await udpServer(t, { udpIdleMs: 200 });
    const idle = await ChatConnection.connect({ host: '127.0.0.1', port: udpPort, udp: { keepaliveMs: 60_000 } });
    const lines: string[] = [];
    idle.on('line', (l) => lines.push(l.raw));
    await new Promise<void>((resolve) => idle.once('close', () => resolve()));
    assert.equal(lines.at(-1), '! idle for 0.2 s: closing the connection');

    const down = await ChatConnection.connect({ host: '127.0.0.1', port: udpPort, udp: {} });
    const downClosed = new Promise<void>((resolve) => down.once('close', () => resolve()));
    await server.close();
    await downClosed;
  });

  test('after a restart of the server, the next datagram shows the session is gone', async (t) => {
    const first = await udpServer(t);
    const conn = await ChatConnection.connect({ host: '127.0.0.1', port: first.udpPort, udp: {} });
    assert.equal((await conn.register('alice')).ok, true);
    // A restart that did not say goodbye: another server on the same UDP port.
    const lost = new Promise<void>((resolve) => conn.once('close', () => resolve()));
    await first.server.udp!.close();
    await startServer(t, { udpPort: first.udpPort, port: 0 });
    conn.send('anyone?');
    await lost;
  });
});

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

describe('chat-client --udp on a terminal', { skip }, () => {
  test('chats both ways, warns once, leaves with Ctrl-D', async (t) => {
    const { port, udpPort } = await udpServer(t);
    const bob = await WireClient.registered(t, port, 'bob');
    const term = Terminal.start(t, [process.execPath, CLI.client, '--udp', '--no-timestamps', '--port', String(udpPort), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    await bob.lines.until(/alice joined/);
    assert.equal(term.screen().filter((l) => l.includes('UDP is best effort')).length, 1);
    bob.send('@alice:hi there');
    bob.send('hello room');
    await term.waitFor((s) => s.includes('*bob* hi there') && s.includes('<bob> hello room'), 'the messages');
    term.type('@bob:back at you');
    term.press('Enter');
    assert.equal(await bob.next(), '*alice* back at you');
    term.press('C-d');
    assert.equal(await term.exitCode(), 0);
    assert.equal(await bob.next(), '* alice left');
  });

  test('after the server restarts, the client says hello again and reconnects under the same name', async (t) => {
    const first = await udpServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--udp', '--no-timestamps', '--port', String(first.udpPort), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    await first.server.close();
    await term.waitFor((s) => /^\(reconnecting in \d+ s\) alice>$/.test(Terminal.lastLine(s)), 'the countdown');
    const second = await startServer(t, { port: 0, udpPort: first.udpPort });
    await term.waitFor((s) => s.includes('reconnected as alice'), 'the reconnection');
    const bob = await WireClient.registered(t, second.port, 'bob');
    bob.send('@alice:welcome back');
    await term.waitFor((s) => s.includes('*bob* welcome back'), 'a message on the new session');
    assert.equal(term.screen().filter((l) => l.includes('UDP is best effort')).length, 1, 'warned once');
    term.press('C-c');
    await term.waitFor((s) => s.some((l) => l.includes('Press Ctrl-C again to leave')), 'how to leave');
    term.press('C-c');
    assert.equal(await term.exitCode(), 0);
  });

  test('a server that shuts down: "connection lost", exit 1 with --no-reconnect', async (t) => {
    const { server, udpPort } = await udpServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--udp', '--no-timestamps', '--port', String(udpPort), '--name', 'c', '--no-reconnect']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'c>', 'the chat prompt');
    await server.close();
    const screen = await term.waitFor((s) => s.some((l) => l.startsWith('connection lost')), 'the lost connection');
    assert.ok(screen.includes('* server shutting down'));
    assert.equal(await term.exitCode(), 1);
  });
});
