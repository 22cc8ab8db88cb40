import { createCore } from '../../src/app/core.js';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { describe, test } from 'node:test';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock, nextAdvancing, stamp, T0 } from '../helpers/fake-clock.js';
import { startServer } from '../helpers/server.js';
import { usersFile } from '../helpers/users.js';
import { waitFor } from '../helpers/wait.js';
import { WireClient } from '../helpers/wire-client.js';

function clockAt(ms: number): FakeClock {
  const clock = new FakeClock();
  clock.advance(ms);
  return clock;
}

describe('room history', () => {
  test('/history N: the last N room messages of your room, oldest first, then the count', async (t) => {
    const clock = clockAt(T0);
    const { port } = await startServer(t, { timers: clock, rate: 0 });
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    for (let i = 1; i <= 25; i++) {
      alice.send(`message ${i}`);
      await alice.sync();
      clock.advance(1000);
    }
    await alice.sync();
    bob.send('/history 3');
    await bob.lines.until(/^<alice> message 25$/);
    assert.equal(await bob.next(), `* [${stamp(T0 + 22_000)}] <alice> message 23`);
    assert.equal(await bob.next(), `* [${stamp(T0 + 23_000)}] <alice> message 24`);
    assert.equal(await bob.next(), `* [${stamp(T0 + 24_000)}] <alice> message 25`);
    assert.equal(await bob.next(), '* end of history (3 messages)');
    bob.send('/HISTORY');
    const lines: string[] = [];
    for (let i = 0; i < 21; i++) lines.push((await bob.next()) ?? '');
    assert.equal(lines[0], `* [${stamp(T0 + 5_000)}] <alice> message 6`, 'the default is 20');
    assert.equal(lines[20], '* end of history (20 messages)');
    alice.send('/history 100');
    for (let i = 1; i <= 25; i++) assert.match((await alice.next()) ?? '', new RegExp(`<alice> message ${i}$`));
    assert.equal(await alice.next(), '* end of history (25 messages)');
    await bob.expectNothing();
  });

  test('/history refuses counts it cannot give, and asks for a name first', async (t) => {
    const { port } = await startServer(t);
    const stranger = await WireClient.connect(t, port);
    await stranger.lines.until(/^\* welcome/);
    stranger.send('/history');
    assert.equal(await stranger.next(), '! register first with #yourname');
    const alice = await WireClient.registered(t, port, 'alice');
    const usage = '! /history takes a room and a number of messages from 1 to 100, like /history 20 or /history dev 20';
    for (const bad of ['0', '101', '99999999999', 'lobby 0', 'lobby ten', 'lobby 1e2', 'lobby -1', 'lobby 5 more', '#lobby 101']) {
      alice.send(`/history ${bad}`);
      assert.equal(await alice.next(), usage, bad);
    }
    // A word is a room: one nobody is in is no room (as a private one is to a non-member).
    for (const room of ['ten', '-1', '50']) {
      alice.send(`/history #${room}`);
      assert.equal(await alice.next(), `! no such room: ${room} (nobody is in it; /rooms lists the rooms)`);
    }
    alice.send('/history ten');
    assert.equal(await alice.next(), '! no such room: ten (nobody is in it; /rooms lists the rooms)');
    alice.send('/history bad!room');
    assert.equal(await alice.next(), '! invalid room: use 1-32 letters, digits, _ or -');
    alice.send('/history 100');
    assert.equal(await alice.next(), '* end of history (0 messages)');
    alice.send('/history LOBBY 100');
    assert.equal(await alice.next(), '* end of history (0 messages)');
    // In no room, /history has no room to mean.
    alice.send('/part');
    assert.equal(await alice.next(), '* you left lobby');
    alice.send('/history');
    assert.equal(await alice.next(), '! you are in no room: /join ROOM');
  });

  test("/history ROOM: members only; a room's own history, wherever one's current room is", async (t) => {
    const { port } = await startServer(t, { rate: 0 });
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    alice.send('/join dev');
    alice.send('secret plans');
    await alice.sync();
    bob.send('/history dev');
    assert.equal(await bob.next(), '! you are not in dev: /join dev to read its history');
    bob.send('/who dev');
    assert.equal(await bob.next(), '* in dev (1): @alice');
    alice.send('/join lobby');
    alice.send('/history dev 5');
    assert.equal(await alice.next(), '* you are in lobby');
    assert.match((await alice.next()) ?? '', /^\* \[[^\]]+\] <alice> secret plans$/);
    assert.equal(await alice.next(), '* end of history (1 messages)');
    await bob.expectNothing();
  });

  test('only room messages are kept, each in its own room: never direct messages, presence or commands', async (t) => {
    const { port } = await startServer(t, { rate: 0 });
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    alice.send('@bob:my pin is 4711');
    alice.send('in the lobby');
    alice.send('//slash text');
    alice.send('/join dev');
    alice.send('in dev');
    await alice.sync();
    bob.send('/history 100');
    await bob.lines.until(/^<alice> \/slash text$/);
    assert.match((await bob.next()) ?? '', /^\* \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] <alice> in the lobby$/);
    assert.match((await bob.next()) ?? '', /^\* \[[^\]]+\] <alice> \/slash text$/);
    assert.equal(await bob.next(), '* end of history (2 messages)');
    alice.send('/history');
    assert.match((await alice.next()) ?? '', /^\* \[[^\]]+\] <alice> in dev$/);
    assert.equal(await alice.next(), '* end of history (1 messages)');
    await bob.expectNothing();
  });

  test('a room keeps its history when everybody has left it; --history limits it per room', async (t) => {
    const { port } = await startServer(t, { rate: 0, storeLimits: { history: 2 } });
    const alice = await WireClient.registered(t, port, 'alice');
    alice.send('/join dev');
    for (const text of ['one', 'two', 'three']) alice.send(text);
    alice.send('/part dev');
    await alice.sync();
    const carol = await WireClient.registered(t, port, 'carol');
    carol.send('/join dev');
    assert.equal(await carol.next(), '* you are in dev');
    carol.send('/history 10');
    assert.match((await carol.next()) ?? '', /<alice> two$/);
    assert.match((await carol.next()) ?? '', /<alice> three$/);
    assert.equal(await carol.next(), '* end of history (2 messages)');
  });

  test('--history 0 keeps nothing', async (t) => {
    const { port } = await startServer(t, { rate: 0, storeLimits: { history: 0 } });
    const alice = await WireClient.registered(t, port, 'alice');
    alice.send('hello');
    alice.send('/history');
    assert.equal(await alice.next(), '* end of history (0 messages)');
  });

  test('a flood of /history 100 over long lines is paid for by its size', async (t) => {
    const clock = clockAt(T0);
    const store = new MemoryStore({}, () => clock.now());
    for (let i = 0; i < 100; i++) store.append('lobby', { at: T0, from: 'filler', text: 'x'.repeat(4000) });
    const { port } = await startServer(t, { timers: clock, store, rate: 10, burst: 40 });
    const flooder = await WireClient.registered(t, port, 'flooder');
    flooder.write('/history 100\n'.repeat(5));
    flooder.send('/ping after');
    let answers = 0;
    for (;;) {
      const line = await nextAdvancing(flooder, clock, 1000);
      if (line === '* pong after') break;
      if (line === '* end of history (100 messages)') answers++;
    }
    assert.equal(answers, 5, 'nothing lost');
    // Each answer is about 400 KB: 98 tokens and one for its line, less the burst, at 10 a second.
    assert.ok(clock.now() - T0 >= ((5 * 99 - 40) / 10) * 1000, `only ${clock.now() - T0} ms passed`);
  });
});

describe('messages kept for accounts that are offline', () => {
  async function accounts(t: import('node:test').TestContext, options = {}) {
    const users = await usersFile(t, { alice: 'pw-a', bob: 'pw-b', carol: 'pw-c' });
    const clock = clockAt(T0);
    const started = await startServer(t, { users, timers: clock, authFailureDelayMs: 10, rate: 0, ...options });
    return { ...started, clock, users };
  }

  test('kept for an account offline, delivered once at its next login, and to nobody else', async (t) => {
    const { port, clock } = await accounts(t);
    const alice = await WireClient.loggedIn(t, port, 'alice', 'pw-a');
    const carol = await WireClient.loggedIn(t, port, 'carol', 'pw-c');
    await alice.lines.until(/^\* carol joined$/);
    alice.send('@Bob:the pin is 4711');
    assert.equal(await alice.next(), '* Bob is offline: the message will be delivered at their next login');
    clock.advance(61_000);
    alice.send('@bob:second');
    assert.equal(await alice.next(), '* bob is offline: the message will be delivered at their next login');
    alice.send('@nobody:hi');
    assert.equal(await alice.next(), '! no such user: nobody');
    const bob = await WireClient.loggedIn(t, port, 'bob', 'pw-b');
    assert.equal(await bob.next(), '* waiting for you: 2 messages');
    assert.equal(await bob.next(), `* [${stamp(T0)}] *alice* the pin is 4711`);
    assert.equal(await bob.next(), `* [${stamp(T0 + 61_000)}] *alice* second`);
    await bob.expectNothing();
    bob.socket.destroy();
    await carol.lines.until(/^\* bob left$/);
    const again = await WireClient.loggedIn(t, port, 'bob', 'pw-b');
    await again.expectNothing();
    await carol.sync();
    assert.ok(!carol.lines.seen.some((l) => l.includes('4711')), 'carol saw the direct message');
  });

  test('at most --offline-max kept per account; the next is refused and the sender told', async (t) => {
    const { port } = await accounts(t, { storeLimits: { offlineMax: 2 } });
    const alice = await WireClient.loggedIn(t, port, 'alice', 'pw-a');
    const carol = await WireClient.loggedIn(t, port, 'carol', 'pw-c');
    await alice.lines.until(/^\* carol joined$/);
    alice.send('@bob:1');
    assert.match((await alice.next()) ?? '', /is offline/);
    carol.send('@bob:2');
    assert.match((await carol.next()) ?? '', /is offline/);
    alice.send('@bob:3');
    assert.equal(await alice.next(), '! not delivered: bob has too many waiting messages');
  });

  test("one sender may fill a quarter of an account's kept messages; past it that sender alone is refused", async (t) => {
    const { port } = await accounts(t, { storeLimits: { offlineMax: 8 } });
    const alice = await WireClient.loggedIn(t, port, 'alice', 'pw-a');
    const carol = await WireClient.loggedIn(t, port, 'carol', 'pw-c');
    await alice.lines.until(/^\* carol joined$/);
    for (const n of [1, 2]) {
      alice.send(`@bob:${n}`);
      assert.match((await alice.next()) ?? '', /is offline/);
    }
    alice.send('@bob:3');
    assert.equal(await alice.next(), '! not delivered: bob has too many waiting messages from you');
    carol.send('@bob:from carol');
    assert.equal(await carol.next(), '* bob is offline: the message will be delivered at their next login');
  });

  test('256 kept messages of 4 KB (more than --max-sendq) reach their owner whole: no lock-out', async (t) => {
    const users = await usersFile(t, { dave: 'pw-d' });
    const store = new MemoryStore();
    const long = 'x'.repeat(4089);
    for (let i = 0; i < 256; i++) assert.equal(store.keep('dave', { at: T0, from: `mallory${i % 4}`, text: `${i} ${long}`.slice(0, 4089) }), 'kept');
    const { port } = await startServer(t, { users, store, authFailureDelayMs: 10, maxSendq: 1024 * 1024 });
    const dave = await WireClient.loggedIn(t, port, 'dave', 'pw-d');
    assert.equal(await dave.next(), '* waiting for you: 256 messages');
    for (let i = 0; i < 256; i++) assert.match((await dave.next()) ?? '', new RegExp(`^\\* \\[[^\\]]+\\] \\*mallory${i % 4}\\* ${i} x+$`));
    await dave.expectNothing();
    assert.deepEqual(store.kept('dave'), []);
  });

  test('without accounts nothing is kept: a name belongs to nobody once its user leaves', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    alice.send('@bob:hello');
    assert.equal(await alice.next(), '! no such user: bob');
  });

  test('kept messages stay kept when the connection dies before they are written', async () => {
    const store = new MemoryStore();
    store.keep('bob', { at: T0, from: 'alice', text: 'still here' });
    const auth = { has: () => true, isOperator: () => false, authenticate: async () => true };
    const core = createCore({ store, auth, rate: 0 });
    // A peer whose writes stop completing once the kept message is written to it: the
    // socket's buffer is full, and it dies.
    let handed = false;
    const stuck = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        if (chunk.toString().includes('still here')) handed = true;
        else if (!handed) done();
      },
    });
    const session = core.accept(stuck, { host: '127.0.0.1', port: 1 });
    assert.ok(session);
    stuck.push('#bob pw\n');
    await waitFor(() => handed, 'the kept message to be written to the connection');
    assert.equal(session.name, 'bob');
    stuck.destroy();
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(
      store.kept('bob').map((m) => m.text),
      ['still here'],
    );
    // The same login over a connection that takes its bytes removes them.
    const written: Buffer[] = [];
    const ok = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        written.push(chunk);
        done();
      },
    });
    core.accept(ok, { host: '127.0.0.1', port: 2 });
    ok.push('#bob pw\n');
    await waitFor(() => store.kept('bob').length === 0, 'the kept message to be written and removed');
    assert.ok(
      Buffer.concat(written)
        .toString()
        .includes(`* waiting for you: 1 messages\n* [${stamp(T0)}] *alice* still here\n`),
    );
    assert.deepEqual(store.kept('bob'), []);
    ok.destroy();
    await core.close();
  });
});
