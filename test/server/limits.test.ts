import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { FakeClock } from '../helpers/fake-clock.js';
import { waitFor } from '../helpers/wait.js';
import { startServer } from '../helpers/server.js';
import { WireClient } from '../helpers/wire-client.js';

/** Limits under load, on real sockets with the server's clock in the test's hand. */
describe('limits', () => {
  test('a flooding client is slowed to --rate, loses nothing, and never delays the others', async (t) => {
    const clock = new FakeClock();
    const { port } = await startServer(t, { timers: clock, rate: 10, burst: 5 });
    const watcher = await WireClient.registered(t, port, 'watcher');
    const flooder = await WireClient.registered(t, port, 'flooder');
    const other = await WireClient.registered(t, port, 'other');
    await watcher.lines.until(/other joined/);
    // Registering took 1 token each: start the flood with a full bucket.
    clock.advance(1000);

    flooder.write(Array.from({ length: 30 }, (_, i) => `flood ${i}\n`).join(''));
    for (let i = 0; i < 5; i++) assert.equal(await watcher.next(), `<flooder> flood ${i}`, 'the burst goes at once');
    // The rest waits for tokens; another client is served meanwhile.
    other.send('@watcher:not delayed');
    assert.equal(await watcher.next(), '*other* not delayed');
    await watcher.expectNothing();

    clock.advance(1000); // ten more tokens
    for (let i = 5; i < 15; i++) assert.equal(await watcher.next(), `<flooder> flood ${i}`);
    await watcher.expectNothing();
    clock.advance(1500);
    for (let i = 15; i < 30; i++) assert.equal(await watcher.next(), `<flooder> flood ${i}`, 'nothing lost, in order');
    await watcher.expectNothing();
  });

  test('an endless line pays a token per 4 KiB it has thrown away: past its allowance it is not read, and others are not slowed', async (t) => {
    const clock = new FakeClock();
    const { server, port } = await startServer(t, { timers: clock, rate: 10, burst: 40, flushMs: 0 });
    const watcher = await WireClient.registered(t, port, 'watcher');
    const flooder = await WireClient.registered(t, port, 'flooder');
    const other = await WireClient.registered(t, port, 'other');
    await watcher.lines.until(/other joined/);
    clock.advance(10_000);
    const session = [...server.core.sessions].find((s) => s.name === 'flooder')!;
    // 8 MB without LF, written as fast as the kernel takes it.
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let written = 0;
    const pour = (): void => {
      while (written < 128 && flooder.socket.write(chunk)) written++;
      if (written < 128)
        flooder.socket.once('drain', () => {
          written++;
          pour();
        });
    };
    pour();
    await flooder.lines.until(/^! line too long \(max 4096 bytes\)$/);
    // 40 tokens buy 160 KiB; the server then stops reading (64 KiB may wait raw, and what
    // the kernel holds): the rest stays in the flooder's socket.
    await waitFor(() => session.pendingBytes >= 64 * 1024, 'the flood to wait for tokens, unread');
    other.send('@watcher:not delayed');
    assert.equal(await watcher.next(), '*other* not delayed');
    const read = session.bytesIn;
    assert.ok(read < 4 * 1024 * 1024, `the server read ${read} bytes of an endless line`);
    await other.sync();
    assert.equal(session.bytesIn, read, 'nothing more is read while no token is there');
    assert.ok(server.core.pendingBytes <= 192 * 1024, `server holds ${server.core.pendingBytes} bytes`);
    // Ten tokens a second buy 40 KiB a second, not more. The flood may owe more than ten
    // tokens for its last read (64 KiB in one read costs 16, and a busy machine reads in
    // bigger pieces): the clock moves a second, or on to the end of the server's wait for its
    // tokens (its earliest timer) if that is later, and the bytes read are judged against
    // what all the time moved on bought.
    // Raw reads may wait that owe more than one timer's worth (a busy machine reads in big
    // pieces): the clock moves on, timer by timer, until the server reads on.
    let waited = 0;
    for (let round = 0; session.bytesIn === read; round++) {
      assert.ok(round < 40, `the server read nothing more after ${waited} ms of tokens`);
      const step = Math.max(waited === 0 ? 1000 : 100, clock.nextDue ?? 0);
      clock.advance(step);
      waited += step;
      const until = Date.now() + 250;
      while (session.bytesIn === read && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await other.sync();
    const tokens = (waited / 1000) * 10;
    assert.ok(session.bytesIn - read < tokens * 4 * 1024 + 192 * 1024, `${session.bytesIn - read} bytes read for ${tokens} tokens`);
  });

  test('rooms nobody is in: one address opens 20 at once, then 10 a minute, whatever its connections', async (t) => {
    const clock = new FakeClock();
    const { port } = await startServer(t, { timers: clock, rate: 1000, burst: 1000 });
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    const refused = '! too many new rooms from your address: join one that has people in it (/rooms lists them), or try again in a minute';
    for (let i = 0; i < 20; i++) {
      alice.send(`/join walk${i}`);
      assert.equal(await alice.lines.until(/^(\* you are in|!)/), `* you are in walk${i}`);
    }
    alice.send('/join walk20');
    assert.equal(await alice.next(), refused);
    bob.send('/join other');
    assert.equal(await bob.lines.until(/^(\* you are in|!)/), refused, "the allowance is the address's");
    bob.send('/join walk19');
    assert.equal(await bob.lines.until(/^(\* you are in|!)/), '* you are in walk19', 'a room with people in it is no new room');
    clock.advance(6000);
    alice.send('/join walk20');
    assert.equal(await alice.lines.until(/^(\* you are in|!)/), '* you are in walk20');
    alice.send('/join walk21');
    assert.equal(await alice.lines.until(/^(\* you are in|!)/), refused);
  });

  test('a client that finishes sending while its lines wait for the rate still gets every answer', async (t) => {
    const clock = new FakeClock();
    const { port } = await startServer(t, { timers: clock, rate: 5, burst: 2 });
    const c = await WireClient.connect(t, port);
    await c.lines.until(/^\* welcome/);
    c.socket.end(`#alice\n${Array.from({ length: 6 }, (_, i) => `/ping ${i}\n`).join('')}`);
    assert.equal(await c.next(), '* registered as alice');
    assert.equal(await c.next(), '* pong 0');
    clock.advance(1000);
    const rest = await c.lines.rest();
    assert.deepEqual(rest, ['* pong 1', '* pong 2', '* pong 3', '* pong 4', '* pong 5'], 'then the server closes');
  });

  test('lines waiting for the rate are not silence: no idle timeout meanwhile', async (t) => {
    const clock = new FakeClock();
    const { port } = await startServer(t, { timers: clock, rate: 1, burst: 1, idleTimeoutMs: 10_000 });
    const c = await WireClient.registered(t, port, 'slow');
    clock.advance(1000);
    c.write(Array.from({ length: 20 }, (_, i) => `/ping ${i}\n`).join(''));
    for (let i = 0; i < 20; i++) {
      assert.equal(await c.next(), `* pong ${i}`);
      clock.advance(1000);
    }
    await c.expectNothing();
  });

  test("a client that never reads is cut off; the server's memory for it stays bounded", async (t) => {
    const maxSendq = 256 * 1024;
    const { server, port } = await startServer(t, { maxSendq, rate: 0 });
    const sleeper = await WireClient.registered(t, port, 'sleeper');
    sleeper.socket.pause();
    const flooder = await WireClient.registered(t, port, 'flooder');
    const third = await WireClient.registered(t, port, 'third');
    await flooder.lines.until(/third joined/);
    let most = 0;
    const cut = (): boolean => server.core.hub.lookup('sleeper') === undefined;
    const chunk = Array.from({ length: 64 }, () => `@sleeper:${'x'.repeat(1000)}\n`).join('');
    // Loopback's socket buffers take several megabytes before the server has to queue.
    for (let i = 0; i < 1000 && !cut(); i++) {
      flooder.write(chunk);
      await flooder.sync();
      most = Math.max(most, server.core.queuedBytes);
      // The third client is served throughout.
      third.send(`/ping ${i}`);
      await third.lines.until(new RegExp(`^\\* pong ${i}$`));
    }
    assert.ok(cut(), 'the sleeper was cut off');
    await third.sync();
    assert.ok(third.lines.seen.includes('* sleeper left (send queue exceeded)'));
    assert.ok(most < maxSendq + 3 * 64 * 1024, `queued at most ${most} bytes`);
    assert.equal(server.core.connections, 2);
  });

  test('a connection that does not register in time is closed; a registered one stays', async (t) => {
    const clock = new FakeClock();
    const { port } = await startServer(t, { timers: clock, registerTimeoutMs: 60_000 });
    const lurker = await WireClient.connect(t, port);
    await lurker.lines.until(/^\* welcome/);
    const alice = await WireClient.registered(t, port, 'alice');
    clock.advance(59_999);
    await lurker.expectNothing();
    clock.advance(1);
    assert.equal(await lurker.next(), '! not registered within 60 s: closing the connection');
    assert.equal(await lurker.next(), undefined);
    clock.advance(600_000);
    await alice.expectNothing();
  });

  test('--idle-timeout closes silent connections only', async (t) => {
    const clock = new FakeClock();
    const { port } = await startServer(t, { timers: clock, idleTimeoutMs: 10_000 });
    const quiet = await WireClient.registered(t, port, 'quiet');
    const chatty = await WireClient.registered(t, port, 'chatty');
    await quiet.lines.until(/chatty joined/);
    clock.advance(6000);
    await chatty.expectNothing(); // a ping is activity
    clock.advance(4000); // quiet: 10 s without a word (its ping was at the start); chatty: 4 s
    assert.equal(await quiet.next(), '! idle for 10 s: closing the connection');
    assert.equal(await quiet.next(), undefined);
    assert.equal(await chatty.lines.until(/left/), '* quiet left (idle timeout)');
  });

  test('--max-per-ip: one address cannot take every slot', async (t) => {
    const { port } = await startServer(t, { maxPerIp: 2 });
    const a = await WireClient.connect(t, port);
    await WireClient.connect(t, port);
    const third = await WireClient.connect(t, port);
    assert.equal(await third.next(), '! too many connections from your address (max 2)');
    assert.equal(await third.next(), undefined);
    a.socket.destroy();
    await a.closed;
    // A slot is free again once one closes (the server sees the close asynchronously).
    for (;;) {
      const again = await WireClient.connect(t, port);
      const first = await again.next();
      if (first?.startsWith('* connected from')) break;
      assert.equal(first, '! too many connections from your address (max 2)');
    }
  });

  test('2,000 connections at once are opened, served and closed cleanly', async (t) => {
    const { server, port } = await startServer(t, { maxPerIp: 0 });
    const open = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('error', reject);
        let text = '';
        s.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('welcome')) resolve(s);
        });
      });
    const sockets: net.Socket[] = [];
    t.after(() =>
      sockets.forEach((s) => {
        s.destroy();
      }),
    );
    // In waves of 250: the listen backlog holds 511, and SYNs beyond it wait a second to retry.
    while (sockets.length < 2000) sockets.push(...(await Promise.all(Array.from({ length: 250 }, open))));
    assert.equal(server.core.connections, 2000);
    const probe = await WireClient.registered(t, port, 'probe');
    probe.send('/ping alive');
    assert.equal(await probe.next(), '* pong alive');
    await Promise.all(
      sockets.map((s) => {
        const closed = new Promise((resolve) => s.once('close', resolve));
        s.end();
        return closed;
      }),
    );
    probe.send('/quit');
    await probe.closed;
    for (let i = 0; server.core.connections > 0 && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.core.connections, 0);
  });
});
