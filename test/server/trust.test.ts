import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import tls from 'node:tls';
import { makeCerts } from '../helpers/certs.js';
import { FakeClock, nextAdvancing } from '../helpers/fake-clock.js';
import { LineQueue } from '../helpers/lines.js';
import type { ChatServer } from '../../src/index.js';
import { startServer } from '../helpers/server.js';
import { usersFile } from '../helpers/users.js';
import { waitFor } from '../helpers/wait.js';
import { WireClient } from '../helpers/wire-client.js';
import { INVISIBLE_LEADS } from '../helpers/invisible.js';

/**
 * PROTOCOL.md "Transport and framing": a line is never cut, and no input (pauses, floods of
 * the cheapest lines, abandoned logins) can exhaust or stall the server. Each test here
 * reproduces an attack that once worked, over real sockets, with the server's clock in the
 * test's hand.
 */

/** Waits for C's next line, moving the server's clock by STEP while none has come. */
async function trio(t: TestContext, port: number): Promise<{ alice: WireClient; bob: WireClient; carol: WireClient }> {
  const alice = await WireClient.registered(t, port, 'alice');
  const bob = await WireClient.registered(t, port, 'bob');
  const carol = await WireClient.registered(t, port, 'carol');
  await alice.lines.until(/carol joined/);
  await bob.lines.until(/carol joined/);
  return { alice, bob, carol };
}

/** A client that never sends an LF, registered with REGISTRATION (the flush delay ends it). */
async function withoutLF(t: TestContext, server: ChatServer, port: number, clock: FakeClock, registration: string, name: string): Promise<WireClient> {
  const client = await WireClient.connect(t, port, name);
  await client.lines.until(/^\* welcome/);
  client.write(registration);
  await waitFor(() => server.core.pendingBytes === registration.length, 'the server to read the name');
  clock.advance(250);
  assert.equal(await client.next(), `* registered as ${name}`);
  return client;
}

const SECRET = '@bob:my pin is 4711 secret';
/**
 * What one connection's input may hold: 64 KiB waiting, the read that went past it, a line,
 * and the text of at most 8 KiB of a read being taken (LineDecoder decodes plain lines a
 * read at a time).
 */
const HELD_MAX = 2 * 64 * 1024 + 4097 + 8 * 1024;

describe('trust: no line is ever cut', () => {
  test('a direct message split at every byte, with a pause past the flush delay, arrives whole and only to bob', async (t) => {
    const clock = new FakeClock();
    const { server, port } = await startServer(t, { timers: clock });
    const { alice, bob, carol } = await trio(t, port);
    for (let cut = 1; cut <= SECRET.length; cut++) {
      alice.write(SECRET.slice(0, cut));
      await waitFor(() => server.core.pendingBytes === cut, `the server to hold ${cut} bytes`);
      clock.advance(1000); // four flush delays
      alice.write(`${SECRET.slice(cut)}\n`);
      assert.equal(await bob.next(), '*alice* my pin is 4711 secret', `cut after ${cut} bytes`);
    }
    await carol.expectNothing();
    await bob.expectNothing();
  });

  test('the same over TLS', async (t) => {
    const certs = makeCerts(t);
    const clock = new FakeClock();
    const { server, port } = await startServer(t, { timers: clock, tls: { cert: certs.cert, key: certs.key } });
    const ca = readFileSync(certs.ca);
    const connect = async (name: string): Promise<{ socket: tls.TLSSocket; lines: LineQueue }> => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
      t.after(() => socket.destroy());
      socket.on('error', () => {});
      const lines = new LineQueue(socket, name);
      await lines.until(/^\* welcome/);
      socket.write(`#${name}\n`);
      await lines.until(new RegExp(`^\\* registered as ${name}$`));
      return { socket, lines };
    };
    const alice = await connect('alice');
    const bob = await connect('bob');
    const carol = await connect('carol');
    await bob.lines.until(/carol joined/);
    for (const cut of [1, 5, 12, SECRET.length]) {
      alice.socket.write(SECRET.slice(0, cut));
      await waitFor(() => server.core.pendingBytes === cut, `the server to hold ${cut} bytes`);
      clock.advance(1000);
      alice.socket.write(`${SECRET.slice(cut)}\n`);
      assert.equal(await bob.lines.next(), '*alice* my pin is 4711 secret');
    }
    carol.socket.write('/ping done\n');
    assert.equal(await carol.lines.next(), '* pong done', 'carol saw nothing of it');
  });

  test('a 1,200-line paste of direct messages under default flood control: each arrives whole, the room gets nothing', async (t) => {
    const clock = new FakeClock();
    const { server, port } = await startServer(t, { timers: clock });
    const { alice, bob, carol } = await trio(t, port);
    const lines = Array.from({ length: 1200 }, (_, i) => `@bob:secret ${String(i).padStart(5, '0')} ${'x'.repeat(150)}`);
    alice.write(lines.map((l) => `${l}\n`).join(''));
    for (const [i, line] of lines.entries()) {
      assert.equal(await nextAdvancing(bob, clock), `*alice* ${line.slice('@bob:'.length)}`, `message ${i}`);
      // What waits for the rate stays raw and bounded: about one socket read, never a Buffer a line.
      assert.ok(server.core.heldBytes <= HELD_MAX, `held ${server.core.heldBytes} bytes`);
    }
    await carol.expectNothing();
  });

  test('a half line waits whole while its connection is paused for the rate, however long', async (t) => {
    const clock = new FakeClock();
    const { port } = await startServer(t, { timers: clock, rate: 10, burst: 5 });
    const { alice, bob, carol } = await trio(t, port);
    clock.advance(1000);
    alice.write(`${Array.from({ length: 8 }, (_, i) => `@bob:line ${i}\n`).join('')}@bob:half of a sec`);
    for (let i = 0; i < 8; i++) assert.equal(await nextAdvancing(bob, clock, 1000), `*alice* line ${i}`);
    clock.advance(60_000);
    alice.write('ret\n');
    assert.equal(await nextAdvancing(bob, clock), '*alice* half of a secret');
    await carol.expectNothing();
  });

  test('an overlong line is discarded up to its LF, however long the pause: its tail is not relayed', async (t) => {
    const clock = new FakeClock();
    const { server, port } = await startServer(t, { timers: clock, maxLine: 100 });
    const { alice, carol } = await trio(t, port);
    alice.write('x'.repeat(500));
    assert.equal(await alice.next(), '! line too long (max 100 bytes)');
    await waitFor(() => server.core.heldBytes === 0, 'the server to read the long line');
    clock.advance(5000);
    alice.write('the tail of it\nhello\n');
    assert.equal(await carol.next(), '<alice> hello');
    await carol.expectNothing();
  });

  test('without any LF, a room message and a direct message 100 ms apart stay two messages', async (t) => {
    const clock = new FakeClock();
    const { server, port } = await startServer(t, { timers: clock });
    const alice = await WireClient.registered(t, port, 'alice');
    const carol = await WireClient.registered(t, port, 'carol');
    const seed = await withoutLF(t, server, port, clock, '#seed', 'seed');
    await alice.lines.until(/seed joined/);
    await carol.lines.until(/seed joined/);
    seed.write('hello room');
    await waitFor(() => server.core.pendingBytes === 10, 'the server to read the room message');
    clock.advance(100);
    seed.write('@alice:for alice only');
    assert.equal(await carol.next(), '<seed> hello room');
    assert.equal(await nextAdvancing(alice, clock, 50), '<seed> hello room');
    assert.equal(await nextAdvancing(alice, clock, 50), '*seed* for alice only');
    await carol.expectNothing();
  });

  test('without any LF, send()s that came while a password was checked stay apart', async (t) => {
    const clock = new FakeClock();
    const users = await usersFile(t, { tut: 'pw', bob: 'pw', carol: 'pw', alice: 'pw' });
    const { server, port } = await startServer(t, { timers: clock, users });
    const bob = await WireClient.loggedIn(t, port, 'bob', 'pw');
    const carol = await WireClient.loggedIn(t, port, 'carol', 'pw');
    await bob.lines.until(/carol joined/);
    bob.send('/part'); // bob hears direct messages only
    await bob.lines.until(/you left lobby/);
    const tut = await WireClient.connect(t, port, 'tut');
    await tut.lines.until(/^\* welcome/);
    const sent = (n: number): Promise<void> => waitFor(() => server.core.pendingBytes === n, `${n} bytes read`);
    tut.write('#tut pw');
    await sent(7);
    clock.advance(250);
    assert.equal(await tut.next(), '* registered as tut');
    await carol.lines.until(/tut joined/);
    tut.write('#alice typo'); // a wrong password: its answer waits a second
    await sent(11);
    clock.advance(250);
    await waitFor(() => [...server.core.sessions].some((s) => s.answering), 'the password check');
    // The hash itself takes real time; then the answer waits out its padding (a second) on
    // the test's clock. Moved before that, the clock would count as time the hash took,
    // and the padding would double past the second this test gives it (a busy machine).
    await waitFor(() => (clock.nextDue ?? Infinity) <= 1000, 'the hash checked, and its answer waiting on the clock');
    tut.write('see you');
    await sent(7);
    clock.advance(150);
    tut.write('@bob:my pin is 4711');
    await sent(7 + 19);
    clock.advance(1000); // the check ends: what came meanwhile is read, as it came
    assert.equal(await tut.next(), '! authentication failed');
    assert.equal(await carol.lines.until(/^<tut>/), '<tut> see you');
    assert.equal(await nextAdvancing(bob, clock, 50), '*tut* my pin is 4711');
    await carol.expectNothing();
  });

  test('without any LF, send()s paced by flood control stay apart', async (t) => {
    const clock = new FakeClock();
    const { server, port } = await startServer(t, { timers: clock, rate: 10, burst: 5 });
    const bob = await WireClient.registered(t, port, 'bob');
    const carol = await WireClient.registered(t, port, 'carol');
    await bob.lines.until(/carol joined/);
    bob.send('/part'); // bob hears direct messages only
    await bob.lines.until(/you left lobby/);
    const tut = await withoutLF(t, server, port, clock, '#tut', 'tut');
    await carol.lines.until(/tut joined/);
    const session = [...server.core.sessions].find((s) => s.name === 'tut')!;
    const messages = Array.from({ length: 12 }, (_, i) => (i === 8 ? '@bob:secret pin 4711' : `m${i}`));
    for (const m of messages) {
      const before = session.bytesIn;
      tut.write(m);
      // Past the burst the server takes them later; they came 60 ms apart all the same.
      await waitFor(() => session.bytesIn === before + m.length, 'the send read');
      clock.advance(60);
    }
    const room = messages.filter((m) => !m.startsWith('@')).map((m) => `<tut> ${m}`);
    for (const line of room) assert.equal(await nextAdvancing(carol, clock, 100), line);
    assert.equal(await nextAdvancing(bob, clock, 100), '*tut* secret pin 4711');
    await carol.expectNothing();
  });

  test('without any LF, a room message and a direct message joined into one read are refused, not sent to the room', async (t) => {
    const clock = new FakeClock();
    const users = await usersFile(t, { tut: 'x', bob: 'x', carol: 'x', dora: 'x' }); // dora stays offline
    const { server, port } = await startServer(t, { timers: clock, users });
    const bob = await WireClient.loggedIn(t, port, 'bob', 'x');
    const carol = await WireClient.loggedIn(t, port, 'carol', 'x');
    await bob.lines.until(/carol joined/);
    const tut = await withoutLF(t, server, port, clock, '#tut x', 'tut');
    await carol.lines.until(/tut joined/);
    // The kernel joined two send()s: the server cannot tell them apart, and refuses.
    const refused = '! not sent: end each message with a newline, so a direct message is never taken for room text';
    const joinedLines = [
      'hello everyone@bob:my pin is 4711',
      'hi @ dora :the code is 4711', // an account, offline
      'hey\u200B@BOB:4711',
      'ok@nobody:4711 for whoever', // nobody of that name: still meant as private
      '@carol:hi there@bob:my pin is 4711', // two direct messages: bob's must not reach carol
      '@carol:@bob:4711',
    ];
    for (const joined of joinedLines) {
      tut.write(joined);
      await waitFor(() => server.core.pendingBytes === Buffer.byteLength(joined), 'the send read');
      clock.advance(250);
      assert.equal(await tut.next(), refused, joined);
    }
    // Not an address at all: room text, and a direct message, as they say.
    tut.write('@carol:see you at 10');
    await waitFor(() => server.core.pendingBytes === 20, 'the send read');
    clock.advance(250);
    assert.equal(await carol.next(), '*tut* see you at 10');
    for (const text of ['me@example.org: see you', 'a@b', 'mail me @ home, later']) {
      tut.write(text);
      await waitFor(() => server.core.pendingBytes === text.length, 'the send read');
      clock.advance(250);
      assert.equal(await carol.next(), `<tut> ${text}`);
    }
    await bob.sync();
    assert.ok(!bob.lines.seen.some((l) => l.includes('4711')), 'bob saw the pin in the room');
    assert.ok(!carol.lines.seen.some((l) => l.includes('4711')), 'carol saw the pin');
    // Once the connection has ended a line with LF, a line is what it says.
    tut.send('with an LF now');
    assert.equal(await carol.next(), '<tut> with an LF now');
    tut.send('framed now @bob:not an address');
    assert.equal(await carol.next(), '<tut> framed now @bob:not an address');
    // The line that brings a connection's first LF may still be two send()s: `hello`, and
    // `@bob:...` with an LF 100 ms later, are one line (an LF ends what waits before it).
    const late = await withoutLF(t, server, port, clock, '#dora x', 'dora');
    late.write('hello');
    await waitFor(() => server.core.pendingBytes === 5, 'the send read');
    clock.advance(100);
    late.write('@bob:my pin is 4711\n');
    assert.equal(await late.next(), refused);
    await bob.sync();
    await carol.sync();
    assert.ok(![...bob.lines.seen, ...carol.lines.seen].some((l) => l.includes('4711')), 'a pin reached someone');
  });

  test('a direct message behind any character nobody sees is still direct', async (t) => {
    const { port } = await startServer(t, { rate: 0 });
    const { alice, bob, carol } = await trio(t, port);
    for (const lead of INVISIBLE_LEADS) {
      alice.send(`${lead}@bob:the door code is 4711`);
      assert.equal(await bob.next(), '*alice* the door code is 4711', JSON.stringify(lead));
    }
    await carol.sync();
    assert.ok(!carol.lines.seen.some((l) => l.includes('4711')), 'carol saw the door code');
  });

  test('a direct message behind a BOM, a zero-width space or blanks is still direct', async (t) => {
    const { port } = await startServer(t);
    const { alice, bob, carol } = await trio(t, port);
    for (const lead of ['\uFEFF', '\u200B', '  ', '\t\u2060']) {
      alice.send(`${lead}@bob:the door code is 4711`);
      assert.equal(await bob.next(), '*alice* the door code is 4711', JSON.stringify(lead));
    }
    await carol.expectNothing();
  });
});

describe('trust: no input can exhaust or stall the server', () => {
  test('blank lines from 99 connections: memory stays bounded, another client is answered', async (t) => {
    const { server, port } = await startServer(t);
    const pinger = await WireClient.registered(t, port, 'pinger');
    const flooders = await Promise.all(Array.from({ length: 99 }, (_, i) => WireClient.connect(t, port, `flood${i}`)));
    const heapBefore = process.memoryUsage().heapUsed;
    const blanks = Buffer.alloc(256 * 1024, '\n');
    for (const f of flooders) f.write(blanks);
    // Each holds the rest of one read once its burst is spent: wait until all have read.
    const flooding = (): number => [...server.core.sessions].filter((s) => s.name === undefined && s.heldBytes > 0).length;
    await waitFor(() => flooding() === 99, 'every flooder to be paused by flood control');
    for (const s of server.core.sessions) assert.ok(s.heldBytes <= HELD_MAX, `held ${s.heldBytes} bytes`);
    // 64 KiB of blank lines once cost 13 MB of heap a connection, as one Buffer a line.
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 40 * 1024 * 1024, `heap grew ${Math.round(grown / 1048576)} MB`);
    pinger.send('/ping still here');
    assert.equal(await pinger.next(), '* pong still here');
    assert.equal(server.core.connections, 100, 'nobody was cut off: flood control slows, it does not drop');
  });

  test('one-byte reads while lines wait for the rate: at most 64 reads are kept, then the server stops reading', async (t) => {
    const { createCore } = await import('../../src/app/core.js');
    const { Duplex } = await import('node:stream');
    const clock = new FakeClock();
    const core = createCore({ timers: clock, rate: 1, burst: 1 });
    const written: string[] = [];
    const stream = new Duplex({
      read() {},
      write: (c, _e, cb) => {
        written.push(String(c));
        cb();
      },
    });
    t.after(() => {
      stream.destroy();
      return core.close();
    });
    const session = core.accept(stream, { host: '192.0.2.1', port: 1 })!;
    stream.push('#drip\n'); // takes the one token: what follows waits for the rate
    for (let i = 0; i < 200; i++) stream.push('x');
    await waitFor(() => stream.isPaused(), 'the server to stop reading');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(session.bytesIn, 6 + 64, 'the name, then 64 one-byte reads');
    stream.push('\n/ping drip\n');
    // Nothing was lost: the drip is one line, answered in order, once the rate allows.
    await waitFor(() => {
      clock.advance(1000);
      return written.join('').includes('* pong drip');
    }, 'the pong');
    assert.equal(session.bytesIn, 6 + 200 + 12);
  });

  test('/who floods with 8,000 online: answered from a kept list, charged by size, others not stalled', async (t) => {
    const clock = new FakeClock();
    const { server, port } = await startServer(t, { timers: clock, maxPerIp: 0 });
    for (let i = 0; i < 8000; i++) {
      const name = `user${String(i).padStart(5, '0')}`;
      server.core.hub.claim(name, { name, deliver: () => {} });
    }
    const pinger = await WireClient.registered(t, port, 'pinger');
    const flooders = await Promise.all(Array.from({ length: 100 }, (_, i) => WireClient.registered(t, port, `who${i}`)));
    const flood = '/who\n'.repeat(50);
    for (const f of flooders) f.write(flood);
    pinger.send('/ping through');
    assert.equal(await pinger.lines.until(/^\* pong/), '* pong through', 'answered while the clock stands still');
    // A listing of 8,100 names is about 90 KB: 22 tokens. Of the burst of 40 (less one for
    // the name), two /who are answered at once, the second going into debt; the rest wait.
    const first = flooders[0]!;
    for (let i = 0; i < 2; i++) assert.match(await first.lines.until(/^\* online/), /^\* online \(8101\): pinger, user00000, /);
    first.send('/ping after the flood');
    let answers = 2;
    for (;;) {
      const line = await nextAdvancing(first, clock, 1000);
      if (line === '* pong after the flood') break;
      assert.match(line ?? '', /^\* online \(8101\)/);
      answers += 1;
    }
    assert.equal(answers, 50, 'nothing lost');
    // 50 listings at 22 tokens each, less the burst, at 10 tokens a second.
    assert.ok(clock.now() >= ((50 * 22 - 40) / 10) * 1000, `only ${clock.now()} ms passed`);
  });
});

describe('trust: abandoned logins', () => {
  test('attempts whose connection closed are skipped: the right password is answered at once', async (t) => {
    const clock = new FakeClock();
    const users = await usersFile(t, { alice: 'right' });
    const { server, port } = await startServer(t, { timers: clock, users });
    const abandoned = await Promise.all(Array.from({ length: 10 }, () => WireClient.connect(t, port, 'guess')));
    const answering = (): number => [...server.core.sessions].filter((s) => s.answering).length;
    for (const [i, a] of abandoned.entries()) {
      await a.lines.until(/^\* welcome/);
      a.send('#alice guess');
      await waitFor(() => answering() === i + 1, 'the attempt to wait its turn');
    }
    // Gone for good: a reset. (A FIN alone is a half-close, which waits for its answer.)
    for (const a of abandoned) a.socket.resetAndDestroy();
    await waitFor(() => server.core.connections === 0, 'the server to see them gone');
    const owner = await WireClient.connect(t, port, 'owner');
    await owner.lines.until(/^\* welcome/);
    owner.send('#alice right');
    // The clock never moves: a queue of checks each padded to 1 s would never let it through.
    assert.equal(await owner.next(), '* registered as alice');
  });

  test('waiting attempts from one address are capped; beyond the cap the answer comes at once', async (t) => {
    const clock = new FakeClock();
    const users = await usersFile(t, { alice: 'right' });
    const { port } = await startServer(t, { timers: clock, users });
    const clients = await Promise.all(Array.from({ length: 15 }, () => WireClient.connect(t, port, 'half')));
    for (const c of clients) await c.lines.until(/^\* welcome/);
    // Half-closed: they still wait for their answer, so they are not cancelled.
    for (const c of clients) c.socket.end('#alice guess\n');
    // Ten wait their turn (the first is being checked and padded to 1 s on a clock that
    // stands still); the other five are refused now.
    const refused: number[] = [];
    await waitFor(() => {
      refused.length = 0;
      clients.forEach((c, i) => {
        if (c.lines.seen.includes('! too many logins are waiting from your address: try again in a minute')) refused.push(i);
      });
      return refused.length >= 5;
    }, 'five refusals');
    const waiting = clients.filter((_, i) => !refused.includes(i));
    assert.equal(waiting.length, 10);
    for (const c of waiting) assert.equal(await nextAdvancing(c, clock, 1000), '! authentication failed');
  });
});

describe('trust: --max-per-ip', () => {
  test('counts an IPv6 /64 as one address, as the login throttle does', async (t) => {
    const { createCore } = await import('../../src/app/core.js');
    const { Duplex } = await import('node:stream');
    const core = createCore({ maxPerIp: 2 });
    const streams: Duplex[] = [];
    t.after(() => {
      for (const d of streams) d.destroy();
      return core.close();
    });
    const stream = (): Duplex => {
      const d = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
      streams.push(d);
      return d;
    };
    assert.ok(core.accept(stream(), { host: '2001:db8:1:2::a', port: 1 }));
    assert.ok(core.accept(stream(), { host: '2001:db8:1:2:ffff::b', port: 2 }));
    assert.equal(core.accept(stream(), { host: '2001:db8:1:2::c', port: 3 }), undefined, 'a third from the same /64');
    assert.ok(core.accept(stream(), { host: '2001:db8:1:3::a', port: 4 }), 'another /64 is another address');
    assert.ok(core.accept(stream(), { host: '192.0.2.1', port: 5 }));
  });
});
