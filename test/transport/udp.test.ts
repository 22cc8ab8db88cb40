import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { INBOX_BYTES } from '../../src/transport/udp-stream.js';
import { docPage } from '../helpers/docs.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startServer } from '../helpers/server.js';
import { UdpWire } from '../helpers/udp-wire.js';
import { waitFor } from '../helpers/wait.js';
import { WireClient } from '../helpers/wire-client.js';

const HELLO = /^\* send \/hello [A-Za-z0-9_-]{12} to start\n$/;

/** A server with UDP on a free port; returns both ports. */
async function udpServer(t: Parameters<typeof startServer>[0], options: Parameters<typeof startServer>[1] = {}) {
  const started = await startServer(t, { udpPort: 0, ...options });
  const udp = started.server.udpAddress;
  assert.ok(udp);
  return { ...started, udpPort: udp.port };
}

describe('UDP: a verified address is a user like any other', () => {
  test('chats with TCP users both ways: room, direct, several lines in one datagram', async (t) => {
    const { port, udpPort } = await udpServer(t);
    const bob = await WireClient.registered(t, port, 'bob');
    const alice = await UdpWire.registered(t, udpPort, 'alice');
    assert.equal(await bob.next(), '* alice joined');

    await alice.send('hello bob');
    assert.equal(await bob.next(), '<alice> hello bob');
    bob.send('hi alice');
    assert.equal(await alice.next(), '<bob> hi alice');
    bob.send('@alice:just you');
    assert.equal(await alice.next(), '*bob* just you');

    // Several lines in one datagram, the last without LF, one with CRLF.
    await alice.send('one\r\n@bob:two\nthree');
    assert.deepEqual([await bob.next(), await bob.next(), await bob.next()], ['<alice> one', '*alice* two', '<alice> three']);
    // A line never continues into the next datagram.
    await alice.send('half');
    await alice.send('@bob:not a direct message');
    assert.deepEqual([await bob.next(), await bob.next()], ['<alice> half', '*alice* not a direct message']);

    // Answers to one request share a datagram (the listing and the pong).
    await alice.send('/who\n/ping x');
    const answer = (await alice.datagram()).toString();
    assert.equal(answer, '* online (2): alice, bob\n* pong x\n');
    await bob.expectNothing();
  });

  test('a direct message from a UDP user reaches its addressee and nobody else', async (t) => {
    const { port, udpPort } = await udpServer(t);
    const bob = await WireClient.registered(t, port, 'bob');
    const carol = await WireClient.registered(t, port, 'carol');
    const dave = await UdpWire.registered(t, udpPort, 'dave');
    const alice = await UdpWire.registered(t, udpPort, 'alice');
    await bob.lines.until(/alice joined/);
    await carol.lines.until(/alice joined/);
    await dave.until(/alice joined/);
    await alice.send('@bob:the secret');
    assert.equal(await bob.next(), '*alice* the secret');
    await alice.send('@dave:for dave');
    assert.equal(await dave.next(), '*alice* for dave');
    await carol.expectNothing();
    await bob.expectNothing();
    await dave.expectNothing();
    assert.ok(!carol.lines.seen.some((l) => l.includes('secret') || l.includes('for dave')));
  });

  test('/quit ends the session and forgets the address: the next datagram needs a new hello', async (t) => {
    const { server, port, udpPort } = await udpServer(t);
    const bob = await WireClient.registered(t, port, 'bob');
    const alice = await UdpWire.registered(t, udpPort, 'alice');
    await bob.lines.until(/alice joined/);
    assert.equal(server.udp!.verified, 1);
    await alice.send('/quit gone fishing');
    assert.equal(await bob.next(), '* alice left (gone fishing)');
    assert.equal(server.udp!.verified, 0);
    await alice.send('are you there?');
    assert.match((await alice.datagram()).toString(), HELLO);
    await bob.expectNothing();
  });

  test('a hello again from a verified address gets "connected" again, not a second session', async (t) => {
    const { server, udpPort } = await udpServer(t);
    const alice = await UdpWire.open(t, udpPort);
    const token = await alice.token();
    await alice.send(`/hello ${token}\n#alice`);
    await alice.until(/^\* registered as alice$/);
    await alice.send(`/HELLO ${token}\n/ping again`);
    assert.match(await alice.next(), /^\* connected from 127\.0\.0\.1:\d+$/);
    assert.equal(await alice.next(), '* pong again');
    assert.equal(server.udp!.verified, 1);
    assert.equal(server.core.connections, 1);
  });

  test('limits apply: a full server refuses a verified address in a datagram and keeps nothing', async (t) => {
    const { server, port, udpPort } = await udpServer(t, { maxClients: 1 });
    await WireClient.registered(t, port, 'bob');
    const alice = await UdpWire.open(t, udpPort);
    await alice.send(`/hello ${await alice.token()}`);
    assert.equal((await alice.datagram()).toString(), '! server full\n');
    assert.equal(server.udp!.verified, 0);
    assert.equal(server.core.connections, 1);
  });

  test('--max-per-ip counts UDP addresses with TCP connections', async (t) => {
    const { server, port, udpPort } = await udpServer(t, { maxPerIp: 2 });
    await WireClient.registered(t, port, 'bob');
    await UdpWire.registered(t, udpPort, 'alice');
    const third = await UdpWire.open(t, udpPort);
    await third.send(`/hello ${await third.token()}`);
    assert.equal((await third.datagram()).toString(), '! too many connections from your address (max 2)\n');
    assert.equal(server.udp!.verified, 1);
  });

  test('shutdown: UDP users are told, and the socket closes', async (t) => {
    const { server, udpPort } = await udpServer(t);
    const alice = await UdpWire.registered(t, udpPort, 'alice');
    await server.close();
    assert.equal(await alice.next(), '* server shutting down');
    assert.equal(server.udp!.verified, 0);
  });
});

describe('UDP: address validation', () => {
  test('an unverified address: one hello line per datagram at most, and nothing stored', async (t) => {
    const { server, udpPort } = await udpServer(t);
    const eve = await UdpWire.open(t, udpPort, 'eve');
    const payloads = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? `#eve${i}\n@bob:hi\nhello all` : i % 3 === 1 ? `/hello ${'A'.repeat(12)}` : 'x'));
    for (const p of payloads) await eve.send(p);
    for (let i = 0; i < 50; i++) assert.match((await eve.datagram()).toString(), HELLO);
    assert.equal(server.udp!.verified, 0);
    assert.equal(server.core.connections, 0);
    assert.equal(server.udp!.heldBytes, 0);
    // Then a valid hello from the same socket: every datagram before it has been handled,
    // and none got a second answer.
    await eve.send(`/hello ${/hello (\S+)/.exec(eve.datagrams[0]!.toString())![1]}`);
    assert.match((await eve.datagram()).toString(), /^\* connected from/);
    assert.equal(eve.datagrams.length, 51);
  });

  test('no answer to an empty datagram, nor to what looks like a server line (no loops between servers)', async (t) => {
    const { server, udpPort } = await udpServer(t);
    const eve = await UdpWire.open(t, udpPort, 'eve');
    await eve.send(Buffer.alloc(0));
    await eve.send('* send /hello AAAAAAAAAAAA to start\n');
    await eve.send('! unknown command: /x\n');
    await eve.send('<bob> hi\n');
    await eve.send('x');
    // Datagrams from one socket arrive in order on loopback: the hello is the answer to 'x'.
    assert.match((await eve.datagram()).toString(), HELLO);
    await eve.send(`/hello ${await eve.token()}`);
    assert.match((await eve.datagram()).toString(), /^\* connected from/);
    assert.equal(eve.datagrams.length, 3);
    assert.equal(server.udp!.verified, 1);
  });

  test('no answer toward a service port below 1024 (echo, chargen: a loop of answers)', async (t) => {
    const { udpPort } = await udpServer(t);
    const dgram = await import('node:dgram');
    const service = dgram.createSocket('udp4');
    t.after(() => service.close());
    const bound = await new Promise<boolean>((resolve) => {
      service.once('error', () => resolve(false));
      service.bind(1019, '127.0.0.1', () => resolve(true));
    });
    if (!bound) return t.skip('cannot bind port 1019 here (needs root)');
    const heard: string[] = [];
    service.on('message', (m) => heard.push(m.toString()));
    service.send('hello?', udpPort, '127.0.0.1');
    // A normal client afterwards is answered: the service's datagram was read before it.
    const eve = await UdpWire.open(t, udpPort, 'eve');
    await eve.token();
    const witness = await UdpWire.open(t, udpPort, 'witness');
    await witness.token();
    assert.deepEqual(heard, []);
  });

  test('the largest answer an unverified address gets is the hello line; docs/udp.md states the ratio', async (t) => {
    const { udpPort } = await udpServer(t);
    const eve = await UdpWire.open(t, udpPort, 'eve');
    let worst = 0;
    for (const size of [1, 2, 10, 100, 4097, 65_507]) {
      await eve.send(Buffer.alloc(size, 'x'));
      const answer = await eve.datagram();
      assert.match(answer.toString(), HELLO);
      worst = Math.max(worst, answer.length / size);
    }
    const hello = eve.datagrams[0]!.length;
    assert.equal(worst, hello, 'the worst case is a one-byte datagram');
    // On the wire, IPv4 and UDP headers (28 bytes) come with both.
    const wire = (hello + 28) / (1 + 28);
    const page = docPage('docs/udp.md');
    assert.ok(page.includes(`${hello}-byte answer`), `docs/udp.md gives the hello answer's size (${hello} bytes)`);
    assert.ok(page.includes(`${wire.toFixed(1)} times`), `docs/udp.md gives the ratio on the wire (${wire.toFixed(1)})`);
  });

  test('a wrong token, a token for another port, a token for another address do not verify', async (t) => {
    const { server, udpPort } = await udpServer(t);
    const a = await UdpWire.open(t, udpPort, 'a');
    const b = await UdpWire.open(t, udpPort, 'b');
    const tokenA = await a.token();
    const tokenB = await b.token();
    assert.notEqual(tokenA, tokenB);
    const flipped = tokenA.slice(0, -1) + (tokenA.endsWith('A') ? 'B' : 'A');
    for (const wrong of [tokenB, flipped, `${tokenA}x`, tokenA.slice(1), '', '%%%%%%%%%%%%']) {
      await a.send(`/hello ${wrong}`);
      assert.match((await a.datagram()).toString(), HELLO, `"${wrong}" does not verify`);
    }
    // The same port on another address (127.0.0.2 is loopback too).
    const dgram = await import('node:dgram');
    const other = dgram.createSocket('udp4');
    t.after(() => other.close());
    await new Promise<void>((resolve) => other.bind(a.localPort, '127.0.0.2', resolve));
    const answered = new Promise<string>((resolve) => other.once('message', (m) => resolve(m.toString())));
    other.send(`/hello ${tokenA}`, udpPort, '127.0.0.1');
    assert.match(await answered, HELLO);
    assert.equal(server.udp!.verified, 0);
    await a.send(`/hello ${tokenA}`);
    assert.match((await a.datagram()).toString(), /^\* connected from/);
  });

  test('a token lasts its minute and the next one, then expires', async (t) => {
    const clock = new FakeClock();
    const { server, udpPort } = await udpServer(t, { timers: clock });
    const a = await UdpWire.open(t, udpPort, 'a');
    const b = await UdpWire.open(t, udpPort, 'b');
    clock.advance(59_000);
    const tokenA = await a.token();
    const tokenB = await b.token();
    clock.advance(60_000); // the next window: still good
    await b.send(`/hello ${tokenB}`);
    assert.match((await b.datagram()).toString(), /^\* connected from/);
    clock.advance(1000); // two windows on: expired
    await a.send(`/hello ${tokenA}`);
    const answer = (await a.datagram()).toString();
    assert.match(answer, HELLO);
    assert.notEqual(answer, `* send /hello ${tokenA} to start\n`, 'a fresh token');
    assert.equal(server.udp!.verified, 1);
  });

  test('the global hello rate caps the answers to all unverified addresses together', async (t) => {
    const clock = new FakeClock();
    const { server, udpPort } = await udpServer(t, { timers: clock, udpHelloRate: 5 });
    const a = await UdpWire.open(t, udpPort, 'a');
    const b = await UdpWire.open(t, udpPort, 'b');
    const tokenA = await a.token(); // 1 of 5
    for (let i = 0; i < 20; i++) await b.send(`b${i}`); // 4 answered
    for (let i = 0; i < 20; i++) await a.send(`a${i}`); // none
    // Nothing more is answered, but a valid hello still verifies.
    await a.send(`/hello ${tokenA}`);
    assert.match((await a.datagram()).toString(), /^\* connected from/);
    assert.equal(a.datagrams.length, 2);
    for (let i = 0; i < 4; i++) assert.match((await b.datagram()).toString(), HELLO);
    const tokenB = /hello (\S+)/.exec(b.datagrams[0]!.toString())![1];
    await b.send(`/hello ${tokenB}`);
    assert.match((await b.datagram()).toString(), /^\* connected from/);
    assert.equal(b.datagrams.length, 5, 'four hello lines for twenty datagrams');

    clock.advance(1000); // five more answers
    const c = await UdpWire.open(t, udpPort, 'c');
    for (let i = 0; i < 20; i++) await c.send(`c${i}`);
    for (let i = 0; i < 5; i++) assert.match((await c.datagram()).toString(), HELLO);
    await c.send(`/hello ${/hello (\S+)/.exec(c.datagrams[0]!.toString())![1]}`);
    assert.match((await c.datagram()).toString(), /^\* connected from/);
    assert.equal(c.datagrams.length, 6);
    assert.equal(server.udp!.verified, 3);
  });
});

describe('UDP: idle, oversized and flooding datagrams', () => {
  test('a UDP user silent for --udp-idle is closed: the room sees "left (idle timeout)"', async (t) => {
    const clock = new FakeClock();
    const { server, port, udpPort } = await udpServer(t, { timers: clock, udpIdleMs: 300_000 });
    const bob = await WireClient.registered(t, port, 'bob');
    const alice = await UdpWire.registered(t, udpPort, 'alice');
    await bob.lines.until(/alice joined/);
    clock.advance(299_000);
    await alice.send('still here');
    assert.equal(await bob.next(), '<alice> still here');
    clock.advance(299_000); // 299 s after the last datagram
    await bob.expectNothing();
    assert.equal(server.udp!.verified, 1);
    clock.advance(1000);
    assert.equal(await bob.next(), '* alice left (idle timeout)');
    assert.equal(await alice.next(), '! idle for 300 s: closing the connection');
    assert.equal(server.udp!.verified, 0);
    assert.equal(clock.pending, 0, 'no timer left behind');
    await alice.send('back');
    assert.match((await alice.datagram()).toString(), HELLO);
  });

  test('an empty datagram is a sign of life', async (t) => {
    const clock = new FakeClock();
    const { server, udpPort } = await udpServer(t, { timers: clock, udpIdleMs: 10_000 });
    const alice = await UdpWire.registered(t, udpPort, 'alice');
    clock.advance(9000);
    await alice.send(Buffer.alloc(0));
    await alice.sync(); // the empty datagram was handled before the ping
    clock.advance(9000);
    assert.equal(server.udp!.verified, 1);
    await alice.expectNothing();
  });

  test('oversized datagrams: "line too long", the lines after it still count; 64 KiB costs nothing', async (t) => {
    const { server, port, udpPort } = await udpServer(t);
    const bob = await WireClient.registered(t, port, 'bob');
    const alice = await UdpWire.registered(t, udpPort, 'alice');
    await bob.lines.until(/alice joined/);
    await alice.send('x'.repeat(4097));
    assert.equal(await alice.next(), '! line too long (max 4096 bytes)');
    await alice.send(`${'y'.repeat(5000)}\nafter it`);
    assert.equal(await alice.next(), '! line too long (max 4096 bytes)');
    assert.equal(await bob.next(), '<alice> after it');
    await alice.send(Buffer.alloc(65_507, 'z')); // the largest UDP payload over IPv4
    assert.equal(await alice.next(), '! line too long (max 4096 bytes)');
    await alice.send('x'.repeat(4096));
    assert.equal(await bob.next(), `<alice> ${'x'.repeat(4096)}`);
    await alice.expectNothing();
    assert.equal(server.core.heldBytes, 0);
    assert.equal(server.udp!.heldBytes, 0);
    await bob.expectNothing();
  });

  test('floods of empty and one-byte datagrams: bounded memory, the others unharmed, the flooder usable', async (t) => {
    const clock = new FakeClock();
    const { server, port, udpPort } = await udpServer(t, { timers: clock, rate: 10, burst: 40 });
    const bob = await WireClient.registered(t, port, 'bob');
    const witness = await UdpWire.registered(t, udpPort, 'witness');
    const flooder = await UdpWire.registered(t, udpPort, 'flooder');
    await bob.lines.until(/flooder joined/);
    await witness.until(/flooder joined/);
    clock.advance(10_000); // full buckets

    // In batches that the socket's receive buffer holds (the kernel would drop the rest,
    // the witness's ping too): the server reads in order, so once the witness's pong is
    // back, the batch before it has been read. 20 pings: the witness's burst covers them.
    for (const payload of [Buffer.alloc(0), Buffer.from('x')]) {
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(Array.from({ length: 200 }, () => flooder.send(payload)));
        await witness.sync();
      }
    }
    let got = 0;
    while (bob.lines.queued > 0) if ((await bob.next()) === '<flooder> x') got++;
    assert.ok(got <= 41, `the burst went at once (${got}); the rest waits for the rate`);
    assert.ok(server.udp!.heldBytes <= INBOX_BYTES, `held ${server.udp!.heldBytes} bytes`);
    assert.ok(server.core.heldBytes <= INBOX_BYTES + 4097);
    bob.send('@witness:unharmed');
    assert.equal(await witness.until(/^\*bob\*/), '*bob* unharmed');

    // Time passes: what was held goes out at the rate, and the flooder is usable again.
    await waitFor(() => {
      clock.advance(10_000);
      return server.udp!.heldBytes === 0 && server.core.heldBytes === 0;
    }, 'the held datagrams to be read');
    await flooder.sync();
    await bob.sync();
    assert.ok(bob.lines.seen.filter((l) => l === '<flooder> x').length <= 41 + INBOX_BYTES / 66 + 4097);
    assert.equal(server.udp!.verified, 2);
  });
});
