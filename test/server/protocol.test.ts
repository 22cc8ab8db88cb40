import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { startServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { WireClient } from '../helpers/wire-client.js';

/** How SOCKET's reading ends: 'end' for the server's FIN, else the error (a reset). */
function endOf(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', (err) => resolve(err.message));
  });
}

/** Every row of PROTOCOL.md's tables, over real sockets, as nc would see it. */
describe('protocol over TCP', () => {
  test('connected notice names the peer, then a greeting', async (t) => {
    const { port } = await startServer(t);
    const c = await WireClient.connect(t, port);
    const first = await c.next();
    assert.match(first ?? '', /^\* connected from 127\.0\.0\.1:(\d+)$/);
    assert.equal(Number(/:(\d+)$/.exec(first!)?.[1]), c.socket.localPort);
    assert.match((await c.next()) ?? '', /^\* welcome: register with #yourname/);
  });

  test('#NAME registers; the others see it join; /who lists everyone in registered case', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'Alice');
    const bob = await WireClient.registered(t, port, 'bob');
    assert.equal(await alice.next(), '* bob joined');
    bob.send('/who');
    assert.equal(await bob.next(), '* online (2): Alice, bob');
    bob.send('/WHO');
    assert.equal(await bob.next(), '* online (2): Alice, bob');
  });

  test('#NAME PASSWORD on a server without accounts ignores the password', async (t) => {
    const { port } = await startServer(t);
    const c = await WireClient.connect(t, port);
    await c.lines.until(/^\* welcome/);
    c.send('#alice some secret');
    assert.equal(await c.next(), '* registered as alice');
  });

  test('names are unique without regard to case', async (t) => {
    const { port } = await startServer(t);
    await WireClient.registered(t, port, 'Alice');
    const c = await WireClient.connect(t, port);
    await c.lines.until(/^\* welcome/);
    c.send('#ALICE');
    assert.equal(await c.next(), '! name taken: ALICE');
    c.send('#alice2');
    assert.equal(await c.next(), '* registered as alice2');
  });

  test('invalid names are refused with the fixed wording', async (t) => {
    const { port } = await startServer(t);
    const c = await WireClient.connect(t, port);
    await c.lines.until(/^\* welcome/);
    for (const bad of ['#', '# alice', `#${'x'.repeat(33)}`, '#al.ice', '#émile']) {
      c.send(bad);
      assert.equal(await c.next(), '! invalid name: use 1-32 letters, digits, _ or -', bad);
    }
  });

  test('rename: "you are now" to you, "OLD is now NEW" to the others, old name free again', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    await alice.lines.until(/bob joined/);
    alice.send('#alicia');
    assert.equal(await alice.next(), '* you are now alicia');
    assert.equal(await bob.next(), '* alice is now alicia');
    bob.send('#bob');
    assert.equal(await bob.next(), '* you are now bob');
    bob.send('#ALICIA');
    assert.equal(await bob.next(), '! name taken: ALICIA');
    const carol = await WireClient.registered(t, port, 'alice');
    carol.send('@alicia:hi');
    assert.equal(await alice.lines.until(/^\*alice\*/), '*alice* hi');
  });

  test('@NAME:TEXT goes to NAME only, trimmed, name matched without case', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'Bob');
    const carol = await WireClient.registered(t, port, 'carol');
    await alice.lines.until(/carol joined/);
    await bob.lines.until(/carol joined/);
    alice.send('@bob:   hi there  ');
    assert.equal(await bob.next(), '*alice* hi there');
    await carol.expectNothing();
    await alice.expectNothing();
    alice.send('@nobody:hi');
    assert.equal(await alice.next(), '! no such user: nobody');
    alice.send('@bob');
    assert.equal(await alice.next(), '! a direct message looks like @NAME:TEXT');
    // The habit of other chats: refused, nothing reaches the room, and both ways are shown.
    alice.send('@bob thanks a lot');
    assert.equal(await alice.next(), '! not sent: write @bob:thanks a lot for a direct message, or bob: thanks a lot to speak to bob in the room');
    alice.send(`@bob ${'x'.repeat(50)}`);
    assert.equal(
      await alice.next(),
      `! not sent: write @bob:${'x'.repeat(40)}... for a direct message, or bob: ${'x'.repeat(40)}... to speak to bob in the room`,
    );
    alice.send('@bob:   ');
    assert.equal(await alice.next(), '! nothing to send: write @NAME:TEXT');
    for (const c of [bob, carol]) await c.expectNothing();
  });

  test('a plain line goes to every other registered user, never to unregistered ones', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    const lurker = await WireClient.connect(t, port);
    await lurker.lines.until(/^\* welcome/);
    await alice.lines.until(/bob joined/);
    bob.send('hello all');
    assert.equal(await alice.next(), '<bob> hello all');
    await bob.expectNothing();
    await lurker.expectNothing();
    lurker.send('hello?');
    assert.equal(await lurker.next(), '! register first with #yourname');
    lurker.send('@alice:hi');
    assert.equal(await lurker.next(), '! register first with #yourname');
  });

  test('//TEXT sends /TEXT to the room; an empty line is ignored', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    await alice.lines.until(/bob joined/);
    bob.send('');
    bob.send('   ');
    bob.send('//who am I');
    assert.equal(await alice.next(), '<bob> /who am I');
    await bob.expectNothing();
  });

  test('the sender name is set by the server, never taken from the text', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    await alice.lines.until(/bob joined/);
    bob.send('<carol> i am carol');
    bob.send('@alice:*carol* me too');
    assert.equal(await alice.next(), '<bob> <carol> i am carol');
    assert.equal(await alice.next(), '*bob* *carol* me too');
  });

  test('/ping answers after everything sent before it; /help; unknown commands', async (t) => {
    const { port } = await startServer(t);
    const c = await WireClient.connect(t, port);
    await c.lines.until(/^\* welcome/);
    c.write('/who\n/ping one two\n/ping\n/nick x\n/help\n');
    assert.equal(await c.next(), '* online (0): ');
    assert.equal(await c.next(), '* pong one two');
    assert.equal(await c.next(), '* pong');
    assert.equal(await c.next(), '! unknown command: /nick');
    assert.equal(await c.next(), '* commands:');
    const help: string[] = [];
    while (!help.at(-1)?.startsWith('*   /quit')) help.push((await c.next()) ?? '');
    for (const cmd of [
      '#NAME',
      '@NAME:TEXT',
      '//TEXT',
      '/join ROOM',
      '/part [ROOM]',
      '/mine',
      '/rooms',
      '/who',
      '/history [ROOM]',
      '/join ROOM KEY',
      '/topic [TEXT]',
      '/op NAME, /deop NAME',
      '/remove NAME [REASON]',
      '/private, /public',
      '/key [KEY]',
      '/invite NAME',
      '/ping',
      '/passwd OLD NEW',
      '/help',
      '/quit',
    ]) {
      assert.ok(
        help.some((l) => l.startsWith(`*   ${cmd}`)),
        `help mentions ${cmd}`,
      );
    }
    await c.expectNothing();
  });

  test('/quit REASON: the others see it, the server closes the connection', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    const carol = await WireClient.registered(t, port, 'carol');
    await alice.lines.until(/carol joined/);
    bob.send('/quit gone fishing');
    assert.equal(await alice.next(), '* bob left (gone fishing)');
    await bob.closed;
    carol.send('/quit');
    assert.equal(await alice.next(), '* carol left');
    alice.send('/who');
    assert.equal(await alice.next(), '* online (1): alice');
  });

  test('a connection that just goes away: "NAME left", the name is free again', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    await alice.lines.until(/bob joined/);
    bob.socket.end();
    assert.equal(await alice.next(), '* bob left');
    await WireClient.registered(t, port, 'BOB');
    assert.equal(await alice.next(), '* BOB joined');
  });

  test('CRLF from telnet: the CR is dropped', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.connect(t, port);
    await bob.lines.until(/^\* welcome/);
    bob.write('#bob\r\nhi from telnet\r\n');
    assert.equal(await bob.next(), '* registered as bob');
    assert.equal(await alice.next(), '* bob joined');
    assert.equal(await alice.next(), '<bob> hi from telnet');
  });

  test('a client that never sends an LF still chats: each send() is a line after the flush delay', async (t) => {
    const { port } = await startServer(t, { flushMs: 20 });
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.connect(t, port, 'bob');
    await bob.lines.until(/^\* welcome/);
    bob.write('#bob');
    assert.equal(await bob.next(), '* registered as bob');
    assert.equal(await alice.next(), '* bob joined');
    bob.write('no newline here');
    assert.equal(await alice.next(), '<bob> no newline here');
    bob.write('@alice:and a secret');
    assert.equal(await alice.next(), '*bob* and a secret');
  });

  test('a last line without LF still counts when the client closes its side', async (t) => {
    const { port } = await startServer(t, { flushMs: 0 });
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    await alice.lines.until(/bob joined/);
    bob.socket.end('last words');
    assert.equal(await alice.next(), '<bob> last words');
    assert.equal(await alice.next(), '* bob left');
  });

  test('a client that sends, closes its side and reads only then gets every answer, in order, then the end', async (t) => {
    const { server, port } = await startServer(t, { rate: 0 });
    const socket = net.connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    const big = 'x'.repeat(4000);
    // 8 MB: more than the kernel holds for a connection that is not read.
    const count = 2000;
    socket.end(`#reader\n${Array.from({ length: count }, (_, i) => `/ping ${i} ${big}\n`).join('')}`);
    // Not read: the answers pile up in the kernel, then in the server, until we read.
    await waitFor(() => server.core.stats.bytesOut > 256 * 1024, 'answers waiting to be read');
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const ended = endOf(socket);
    socket.resume();
    assert.equal(await ended, 'end');
    const pongs = text.split('\n').filter((line) => line.startsWith('* pong '));
    assert.equal(pongs.length, count);
    pongs.forEach((line, i) => {
      assert.equal(line, `* pong ${i} ${big}`);
    });
    await waitFor(() => server.core.connections === 0, 'the server to let the connection go');
  });

  test('a client that closes its side after a line gets its answer, then the end, and is let go', async (t) => {
    const { server, port } = await startServer(t);
    const socket = net.connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    socket.end('#quick\n/ping bye\n');
    assert.equal(await endOf(socket), 'end');
    assert.match(text, /\* registered as quick\n\* pong bye\n$/);
    await waitFor(() => server.core.connections === 0, 'the server to let the connection go');
  });

  test('200 clients that each register, whisper and close their side at once: each gets its answers and the end, the secrets reach only their addressee', async (t) => {
    const { server, port } = await startServer(t, { maxPerIp: 0 });
    const watcher = await WireClient.registered(t, port, 'watcher');
    const count = 200;
    const clients = Array.from({ length: count }, (_, i) => {
      const socket = net.connect(port, '127.0.0.1');
      t.after(() => socket.destroy());
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      // One write: the name, a secret, a ping, and the FIN right behind them.
      socket.end(`#c${i}\n@watcher:secret ${i}\n/ping ${i}\n`);
      return { socket, text: () => text, ended: endOf(socket) };
    });
    for (const [i, c] of clients.entries()) {
      assert.equal(await c.ended, 'end', `client ${i} is closed with a FIN, not reset`);
      assert.match(c.text(), new RegExp(`\\* registered as c${i}\\n\\* pong ${i}\\n$`));
      assert.doesNotMatch(c.text(), /secret/, `client ${i} sees no secret, its own or another's`);
    }
    const secrets = new Set<string>();
    for (let seen = 0; seen < count; ) {
      const line = await watcher.next();
      if (line?.startsWith('*c')) {
        secrets.add(line);
        seen++;
      }
    }
    assert.deepEqual([...secrets].sort(), Array.from({ length: count }, (_, i) => `*c${i}* secret ${i}`).sort());
    await waitFor(() => server.core.connections === 1, 'the server to let the 200 go');
  });

  test('a line over the limit: the fixed error, and the connection goes on', async (t) => {
    const { port } = await startServer(t, { maxLine: 100 });
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    await alice.lines.until(/bob joined/);
    bob.send('x'.repeat(101));
    assert.equal(await bob.next(), '! line too long (max 100 bytes)');
    bob.send('y'.repeat(100));
    assert.equal(await alice.next(), `<bob> ${'y'.repeat(100)}`);
  });

  test('control characters never reach another user', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    await alice.lines.until(/bob joined/);
    bob.write(Buffer.from('\x1b[2J\x1b[31mred\x07\tbell\x00\x7f\u009b!\n'));
    bob.write(Buffer.from('@alice:\x1b]0;pwned\x07hi\n'));
    assert.equal(await alice.next(), '<bob> [2J[31mred\tbell!');
    assert.equal(await alice.next(), '*bob* ]0;pwnedhi');
  });

  test('presence notices stop above announceMax users; /who still lists everyone', async (t) => {
    const { port } = await startServer(t, { announceMax: 2 });
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    assert.equal(await alice.next(), '* bob joined');
    const carol = await WireClient.registered(t, port, 'carol');
    carol.send('#caroline');
    assert.equal(await carol.next(), '* you are now caroline');
    await alice.expectNothing();
    await bob.expectNothing();
    alice.send('/who');
    assert.equal(await alice.next(), '* online (3): alice, bob, caroline');
    carol.send('/quit');
    await carol.closed;
    // Her leaving counts her, as her joining did: no "left" for a join nobody saw.
    await alice.expectNothing();
    // Two online again: presence is back.
    bob.send('#robert');
    assert.equal(await alice.next(), '* bob is now robert');
  });

  test('beyond maxClients: "! server full", then the server closes', async (t) => {
    const { port } = await startServer(t, { maxClients: 2 });
    await WireClient.registered(t, port, 'alice');
    await WireClient.registered(t, port, 'bob');
    const third = await WireClient.connect(t, port);
    assert.equal(await third.next(), '! server full');
    assert.equal(await third.next(), undefined);
  });

  test('shutdown: everyone is told, every socket closes, close() resolves', async (t) => {
    const { server, port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const lurker = await WireClient.connect(t, port);
    await lurker.lines.until(/^\* welcome/);
    await server.close();
    assert.equal(await alice.next(), '* server shutting down');
    assert.equal(await alice.next(), undefined);
    assert.equal(await lurker.next(), '* server shutting down');
    assert.equal(server.core.connections, 0);
  });
});
